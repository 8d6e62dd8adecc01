/**
 * The case files of the differential tests (docs/resp_compat.md has the format). A file holds
 * cases; a case is a name line `=== name` and then one step per line, run in order on a keyspace
 * the harness has emptied:
 *
 *   [@N] [~rule...] COMMAND arg...    send on connection N (default 1), compare the reply
 *   [@N] ~recv                        send nothing, compare the next reply (pub/sub messages)
 *   [@N] ~raw "BYTES"                 send BYTES as they are (inline commands, bad protocol)
 *   ~replies:N ...                    the step gets N replies (SUBSCRIBE a b: 2; 0 for none)
 *   ~sleep:MS                         wait (at most 2,000 ms: for keys that expire)
 *
 * Arguments are words as redis-cli reads them: "double quoted" with \n \r \t \" \\ \xHH escapes,
 * 'single quoted' as is. `#` starts a comment line.
 */

/** How two replies are compared; "exact" unless the step names another rule. */
export type Rule =
  | { readonly kind: "exact" }
  /** Arrays (nested ones too) compared as multisets: SMEMBERS, HKEYS, KEYS have no order. */
  | { readonly kind: "sorted" }
  /** Same types and element counts, any values (INFO text, TIME, random members). */
  | { readonly kind: "shape" }
  /** Both integers in [lo, hi] (TTL, PTTL: time passes between the two servers). */
  | { readonly kind: "range"; readonly lo: bigint; readonly hi: bigint };

export interface Step {
  readonly line: number;
  readonly conn: number;
  /** Empty for `~recv`, `~raw` and `~sleep`. */
  readonly args: readonly string[];
  /** Bytes sent as they are (`~raw`), latin1. */
  readonly raw?: string;
  readonly rule: Rule;
  /** Replies the command gets (SUBSCRIBE a b gets 2); 0 for `~sleep`. */
  readonly replies: number;
  readonly sleepMs: number;
}

export interface Case {
  readonly name: string;
  readonly line: number;
  readonly steps: readonly Step[];
}

export const MAX_SLEEP_MS = 2000;
export const MAX_CONNS = 4;

const ESCAPES: Readonly<Record<string, string>> = {
  n: "\n",
  r: "\r",
  t: "\t",
  '"': '"',
  "\\": "\\",
};

/** Splits a line into words the way redis-cli does. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === " " || text[i] === "\t") {
      i++;
      continue;
    }
    let word = "";
    const quote = text[i] === '"' || text[i] === "'" ? text[i] : undefined;
    if (quote !== undefined) i++;
    for (; i < text.length; i++) {
      const c = text[i];
      if (quote === undefined && (c === " " || c === "\t")) break;
      if (quote !== undefined && c === quote) break;
      if (quote === '"' && c === "\\") {
        const e = text[++i];
        if (e === "x") {
          word += String.fromCharCode(parseInt(text.slice(i + 1, i + 3), 16));
          i += 2;
        } else if (e !== undefined && e in ESCAPES) word += ESCAPES[e];
        else throw new Error(`unknown escape \\${e}`);
      } else word += c;
    }
    if (quote !== undefined) {
      if (text[i] !== quote) throw new Error(`unterminated ${quote}`);
      i++;
    }
    words.push(word);
  }
  return words;
}

function parseRule(word: string, rule: Rule): Rule {
  if (rule.kind !== "exact") throw new Error(`a second rule ${word}: a step has at most one`);
  if (word === "~sorted") return { kind: "sorted" };
  if (word === "~shape") return { kind: "shape" };
  const range = /^~range:(-?\d+):(-?\d+)$/.exec(word);
  if (range !== null) return { kind: "range", lo: BigInt(range[1]), hi: BigInt(range[2]) };
  throw new Error(`unknown rule ${word}`);
}

/** One step line (without its `@N` prefix handled here too). */
function parseStep(text: string, line: number): Step {
  const words = splitWords(text);
  let conn = 1;
  let rule: Rule = { kind: "exact" };
  let replies = 1;
  let sleepMs = 0;
  let recv = false;
  let raw = false;
  while (words.length > 0 && /^[@~]/.test(words[0])) {
    const w = words.shift() ?? "";
    const n = /^(?:@|~replies:|~sleep:)(\d+)$/.exec(w);
    if (w.startsWith("@") && n !== null) conn = Number(n[1]);
    else if (w.startsWith("~replies:") && n !== null) replies = Number(n[1]);
    else if (w.startsWith("~sleep:") && n !== null) sleepMs = Number(n[1]);
    else if (w === "~recv") recv = true;
    else if (w === "~raw") raw = true;
    else rule = parseRule(w, rule);
  }
  if (conn < 1 || conn > MAX_CONNS) throw new Error(`connection @${conn} is not 1..${MAX_CONNS}`);
  if (sleepMs > MAX_SLEEP_MS) throw new Error(`~sleep over ${MAX_SLEEP_MS} ms`);
  if (sleepMs > 0) return { line, conn, args: [], rule, replies: 0, sleepMs };
  if (raw) {
    if (words.length !== 1) throw new Error("~raw takes one quoted word: the bytes to send");
    return { line, conn, args: [], raw: words[0], rule, replies, sleepMs };
  }
  if (recv !== (words.length === 0)) throw new Error("~recv takes no command; a step needs one");
  return { line, conn, args: words, rule, replies, sleepMs };
}

/** The cases of one file; throws naming the line of anything it cannot read. */
export function parseCases(text: string, file: string): Case[] {
  const cases: { name: string; line: number; steps: Step[] }[] = [];
  const names = new Set<string>();
  text.split("\n").forEach((raw, i) => {
    const content = raw.trim();
    const line = i + 1;
    if (content === "" || content.startsWith("#")) return;
    try {
      if (content.startsWith("===")) {
        const name = content.slice(3).trim();
        if (name === "" || names.has(name)) throw new Error(`case name empty or repeated`);
        names.add(name);
        cases.push({ name, line, steps: [] });
        return;
      }
      const current = cases.at(-1);
      if (current === undefined) throw new Error("a step before the first `=== name` line");
      current.steps.push(parseStep(content, line));
    } catch (e) {
      throw new Error(`${file}:${line}: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  return cases;
}
