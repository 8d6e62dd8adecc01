/**
 * The replicated state machine of the simulation: a string map written by
 * put commands carried in log entries. Its image (for snapshots) is JSON,
 * which is fine in a test harness.
 */
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import { type Entry, EntryType, type Snapshot } from "../../src/raft/core/messages.ts";
import type { StateMachine } from "../../src/raft/node.ts";

export interface PutCommand {
  readonly client: number;
  readonly seq: number;
  readonly key: string;
  readonly value: string;
}

export function encodePut(c: PutCommand): Uint8Array {
  return utf8(JSON.stringify([c.client, c.seq, c.key, c.value]));
}

export function decodePut(data: Uint8Array): PutCommand | undefined {
  if (data.length === 0) return undefined;
  const v: unknown = JSON.parse(fromUtf8(data));
  if (!Array.isArray(v) || v.length !== 4) return undefined;
  const [client, seq, key, value] = v;
  if (typeof client !== "number" || typeof seq !== "number") return undefined;
  if (typeof key !== "string" || typeof value !== "string") return undefined;
  return { client, seq, key, value };
}

export class KvStateMachine implements StateMachine {
  readonly data = new Map<string, string>();
  /** Last applied sequence number per client: a duplicated proposal applies once. */
  readonly sessions = new Map<number, number>();
  applied = 0;
  /** Called for every applied entry, in order (checkers hook in here). */
  onApply: (e: Entry) => void = () => {};
  /** Called after a put is applied (clients wait for this on the node they asked). */
  onPut: (cmd: PutCommand) => void = () => {};

  apply(entries: readonly Entry[]): void {
    for (const e of entries) {
      if (e.index <= this.applied) continue;
      this.applied = e.index;
      this.onApply(e);
      if (e.type !== EntryType.Normal) continue;
      const cmd = decodePut(e.data);
      if (cmd === undefined) continue;
      if ((this.sessions.get(cmd.client) ?? 0) >= cmd.seq) continue;
      this.sessions.set(cmd.client, cmd.seq);
      this.data.set(cmd.key, cmd.value);
      this.onPut(cmd);
    }
  }

  restore(snapshot: Snapshot): void {
    this.data.clear();
    this.sessions.clear();
    const text = fromUtf8(snapshot.data);
    const image: unknown = text === "" ? [[], []] : JSON.parse(text);
    const [pairs, sessions] = Array.isArray(image) ? image : [[], []];
    for (const p of Array.isArray(pairs) ? pairs : []) {
      if (Array.isArray(p) && typeof p[0] === "string" && typeof p[1] === "string") {
        this.data.set(p[0], p[1]);
      }
    }
    for (const p of Array.isArray(sessions) ? sessions : []) {
      if (Array.isArray(p) && typeof p[0] === "number" && typeof p[1] === "number") {
        this.sessions.set(p[0], p[1]);
      }
    }
    this.applied = snapshot.metadata.index;
  }

  image(): Uint8Array {
    const data = [...this.data.entries()].sort();
    const sessions = [...this.sessions.entries()].sort((a, b) => a[0] - b[0]);
    return utf8(JSON.stringify([data, sessions]));
  }
}
