/** Builds commands and state machines on the simulated disk for kv tests. */
import { create, fromBinary } from "@bufbuild/protobuf";
import { type ClientResponse, ClientResponseSchema } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { type CommandInit, encodeCommand } from "../../src/kv/command_codec.ts";
import { KvStateMachine } from "../../src/kv/state_machine.ts";
import { Sessions } from "../../src/kv/sessions.ts";
import { createSimWorld, type SimWorld } from "../../src/platform/sim/sim_world.ts";
import { Db } from "../../src/storage/db.ts";
import { utf8 } from "../../src/util/bytes.ts";

export const b = utf8;

export async function openKv(
  world: SimWorld = createSimWorld(1),
  sessions?: Sessions,
): Promise<{ world: SimWorld; db: Db; kv: KvStateMachine }> {
  world.fs.mkdir("kv");
  const db = await Db.open(world.fs, "kv", { wal: false, seed: 1 });
  const kv = await KvStateMachine.open(db, sessions);
  return { world, db, kv };
}

export interface CommandExtra {
  readonly clientId?: bigint;
  readonly sequence?: bigint;
  readonly ackedSequence?: bigint;
  readonly body?: CommandInit["body"];
}

/** A put command (or `extra.body` instead), with optional session fields. */
export function put(key: string, value: string, extra: CommandExtra = {}): Uint8Array {
  const init: CommandInit = {
    clientId: extra.clientId ?? 0n,
    sequence: extra.sequence ?? 0n,
    ackedSequence: extra.ackedSequence ?? 0n,
  };
  init.body = extra.body ?? { case: "put", value: { key: b(key), value: b(value) } };
  return encodeCommand(init);
}

export function cmd(init: CommandInit): Uint8Array {
  return encodeCommand(init);
}

export function decodeOutcome(bytes: Uint8Array | undefined): ClientResponse {
  return bytes === undefined
    ? create(ClientResponseSchema)
    : fromBinary(ClientResponseSchema, bytes);
}

/** Applies `commands` as consecutive entries after the current applied index. */
export async function applyAll(kv: KvStateMachine, commands: (Uint8Array | null)[]) {
  const start = kv.appliedIndex + 1;
  const outcomes = await kv.apply(commands.map((data, i) => ({ index: start + i, data })));
  return commands.map((_, i) => decodeOutcome(outcomes.get(start + i)));
}

/** Every engine key and value, as text lines, for comparing replicas. */
export async function dump(db: Db): Promise<string[]> {
  const out: string[] = [];
  for await (const [k, v] of db.scan()) out.push(`${[...k].join(",")}=${[...v].join(",")}`);
  return out;
}
