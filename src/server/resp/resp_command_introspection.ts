/**
 * COMMAND, COMMAND COUNT / INFO / DOCS / LIST / HELP over every command the
 * port answers: its own (resp_command_meta.ts) and the Redis table's.
 * Entries have Redis 7's ten fields: name, arity, flags, first key, last key,
 * step, ACL categories, tips (none), key specs, subcommands.
 */
import type { RedisCommandSpec } from "../../kv/redis/command.ts";
import { globMatch } from "../../kv/redis/glob.ts";
import { fromUtf8, utf8 } from "../../util/bytes.ts";
import type { Reply, RespCommandSpec } from "./resp_command.ts";
import { RespCommandError } from "./resp_command.ts";
import { argumentsOf, writeArg } from "./resp_command_args.ts";
import { docOf } from "./resp_command_docs.ts";
import { type CommandMeta, PORT_COMMAND_META, tableMeta } from "./resp_command_meta.ts";
import { helpReply, runSubcommand, type Subcommand } from "./resp_subcommands.ts";
import type { RespWriter } from "./resp_writer.ts";

type Entry = readonly [name: string, meta: CommandMeta];

/** Every command, sorted by name: the port's own first decide, then the Redis table. */
export function commandEntries(
  own: ReadonlyMap<string, RespCommandSpec>,
  data: ReadonlyMap<string, RedisCommandSpec>,
): Entry[] {
  const out = new Map<string, CommandMeta>();
  for (const [upperName, spec] of own) {
    const name = upperName.toLowerCase();
    const port = Object.hasOwn(PORT_COMMAND_META, name) ? PORT_COMMAND_META[name] : undefined;
    const table = data.get(name);
    const base: CommandMeta = port ??
      (table === undefined
        ? { arity: spec.arity, flags: [], keys: [0, 0, 0], acl: ["@slow"] }
        : { ...table, ...tableMeta(name, table.flags, docOf(name).group) });
    out.set(name, { ...base, arity: spec.arity });
  }
  for (const [name, spec] of data) {
    if (out.has(name)) continue;
    out.set(name, { ...spec, ...tableMeta(name, spec.flags, docOf(name).group) });
  }
  return [...out].sort((a, b) => a[0] < b[0] ? -1 : 1);
}

function writeKeySpecs(w: RespWriter, meta: CommandMeta): void {
  const [first, last, step] = meta.keys;
  if (first === 0) return void w.arrayHeader(0);
  // Without the command's own key flags, the coarse ones its flags imply.
  const access = meta.keyFlags ??
    (meta.flags.includes("write") ? ["RW", "update"] : ["RO", "access"]);
  w.arrayHeader(1).mapHeader(3);
  w.bulkString("flags").setHeader(access.length);
  for (const f of access) w.simple(f);
  w.bulkString("begin_search").mapHeader(2).bulkString("type").bulkString("index");
  w.bulkString("spec").mapHeader(1).bulkString("index").integer(first);
  w.bulkString("find_keys").mapHeader(2).bulkString("type").bulkString("range");
  w.bulkString("spec").mapHeader(3);
  w.bulkString("lastkey").integer(last < 0 ? last : last - first);
  w.bulkString("keystep").integer(step).bulkString("limit").integer(0);
}

function writeEntry(w: RespWriter, name: string, meta: CommandMeta): void {
  w.arrayHeader(10).bulkString(name).integer(meta.arity);
  w.setHeader(meta.flags.length);
  for (const f of meta.flags) w.simple(f);
  w.integer(meta.keys[0]).integer(meta.keys[1]).integer(meta.keys[2]);
  w.setHeader(meta.acl.length);
  for (const a of meta.acl) w.simple(a);
  const tips = meta.tips ?? [];
  w.arrayHeader(tips.length);
  for (const t of tips) w.bulkString(t);
  writeKeySpecs(w, meta);
  const subs = Object.entries(meta.subcommands ?? {});
  w.arrayHeader(subs.length);
  for (const [sub, m] of subs) writeEntry(w, `${name}|${sub}`, m);
}

function writeDoc(w: RespWriter, name: string, meta: CommandMeta): void {
  const doc = docOf(name.split("|")[0]);
  const subs = Object.entries(meta.subcommands ?? {});
  const args = argumentsOf(name);
  w.bulkString(name).mapHeader(3 + (args === undefined ? 0 : 1) + (subs.length > 0 ? 1 : 0));
  w.bulkString("summary").bulkString(doc.summary);
  w.bulkString("since").bulkString(doc.since);
  w.bulkString("group").bulkString(doc.group);
  if (args !== undefined) {
    w.bulkString("arguments").arrayHeader(args.length);
    for (const a of args) writeArg(w, a);
  }
  if (subs.length === 0) return;
  w.bulkString("subcommands").mapHeader(subs.length);
  for (const [sub, m] of subs) writeDoc(w, `${name}|${sub}`, m);
}

/** The entries named by args[from...] (case-insensitive); unknown names are undefined. */
function named(entries: Entry[], args: readonly Uint8Array[], from: number) {
  const byName = new Map(entries);
  return args.slice(from).map((a) => {
    const name = fromUtf8(a).toLowerCase();
    const meta = byName.get(name);
    return meta === undefined ? undefined : [name, meta] as const;
  });
}

function list(entries: Entry[], args: readonly Uint8Array[]): Reply {
  const names = entries.flatMap(([n, m]) => [
    n,
    ...Object.keys(m.subcommands ?? {}).map((s) => `${n}|${s}`),
  ]);
  let chosen = names;
  if (args.length > 2) {
    const how = args.length === 5 ? fromUtf8(args[3]).toUpperCase() : "";
    if (fromUtf8(args[2]).toUpperCase() !== "FILTERBY" || how === "") {
      throw new RespCommandError("syntax error");
    }
    const value = fromUtf8(args[4]);
    const acl = new Map(entries.map(([n, m]) => [n, m.acl]));
    if (how === "PATTERN") chosen = names.filter((n) => globMatch(utf8(value), utf8(n)));
    else if (how === "ACLCAT") {
      chosen = names.filter((n) => acl.get(n)?.includes(`@${value.toLowerCase()}`));
    } else if (how === "MODULE") chosen = [];
    else throw new RespCommandError("syntax error");
  }
  return (w) => {
    w.arrayHeader(chosen.length);
    for (const n of chosen) w.bulkString(n);
  };
}

export function commandCommand(entries: () => Entry[]): RespCommandSpec {
  const subcommands: Record<string, Subcommand> = {
    COUNT: { arity: 2, run: () => (w) => w.integer(entries().length) },
    INFO: {
      arity: -2,
      run: (_ctx, args) => {
        const all = entries();
        const found = args.length === 2 ? all : named(all, args, 2);
        return (w) => {
          w.arrayHeader(found.length);
          for (const e of found) e === undefined ? w.null() : writeEntry(w, e[0], e[1]);
        };
      },
    },
    DOCS: {
      arity: -2,
      run: (_ctx, args) => {
        const all = entries();
        const found = (args.length === 2 ? all : named(all, args, 2)).filter((e) => !!e);
        return (w) => {
          w.mapHeader(found.length);
          for (const [name, meta] of found) writeDoc(w, name, meta);
        };
      },
    },
    LIST: { arity: -2, run: (_ctx, args) => list(entries(), args) },
    HELP: {
      arity: 2,
      run: () =>
        helpReply("COMMAND", [
          "(no subcommand)",
          "    Every command, as COMMAND INFO describes it.",
          "COUNT",
          "    The number of commands.",
          "INFO [<command-name> ...]",
          "    Name, arity, flags, key positions, ACL categories and subcommands.",
          "DOCS [<command-name> ...]",
          "    Summary, version and group of each command.",
          "LIST [FILTERBY (MODULE <name>|ACLCAT <category>|PATTERN <pattern>)]",
          "    The command names.",
        ]),
    },
  };
  return {
    arity: -1,
    kind: "local",
    run: (ctx, args) => {
      if (args.length > 1) return runSubcommand("command", subcommands, ctx, args);
      const all = entries();
      return (w) => {
        w.arrayHeader(all.length);
        for (const [name, meta] of all) writeEntry(w, name, meta);
      };
    },
  };
}
