/**
 * The check of the tests of current scans over several regions (docs/regions.md "Reads over
 * several regions"): a writer puts `a` then `b` (in different regions), one after the other, with
 * increasing values, while scans through several nodes read both. Every scan is one snapshot,
 * linearizable: b's value is at most a's (b is written after a), a's at most b's + 1, each at
 * least what was acknowledged before the scan began, and the answer's revision is at least every
 * item's and above the revision of every write acknowledged before the scan began.
 */
import assert from "node:assert/strict";
import type { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { TinyKvError } from "../../src/client/errors.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { putRetrying } from "./region_split_helpers.ts";

/** Failures a scan may meet while regions' leaders change under load: nothing was read. */
export function retryableScan(err: unknown): boolean {
  const codes = ["UNAVAILABLE", "TIMEOUT", "NOT_LEADER", "CONNECTION_LOST"];
  return err instanceof TinyKvError && codes.includes(err.code);
}

export interface OrderedWrites {
  readonly a: string;
  readonly b: string;
  /** Pairs of writes: values 1..rounds. */
  readonly rounds: number;
  /** The range each scan reads (both keys inside). */
  readonly start: string;
  readonly end: string;
}

/** A put tried again (the same value: idempotent) at most 3 times; its revision. */
async function putRevision(client: TinyKvClient, k: string, v: string): Promise<number> {
  for (let attempt = 1;; attempt++) {
    try {
      return await client.put(k, v);
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

interface Acked {
  a: number;
  b: number;
  revision: number;
}

/** One scan, checked against what was acknowledged before it began. */
async function scanOnce(scanner: TinyKvClient, o: OrderedWrites, before: Acked, i: number) {
  const page = await scanner.scan({ start: o.start, end: o.end, limit: 1000 });
  const valueOf = (k: string) => {
    const item = page.items.find((e) => fromUtf8(e.key) === k);
    return item === undefined ? 0 : Number(fromUtf8(item.value));
  };
  const a = valueOf(o.a), b = valueOf(o.b);
  const seen = `scan ${i} saw a=${a} b=${b} at ${page.revision} (acked before: ${
    JSON.stringify(before)
  })`;
  assert.ok(b <= a, `b is written after a: ${seen}`);
  assert.ok(a <= b + 1, `a is written just before b: ${seen}`);
  assert.ok(a >= before.a && b >= before.b, `linearizable: ${seen}`);
  assert.ok(page.revision >= before.revision, `the revision follows the acked writes: ${seen}`);
  for (const e of page.items) assert.ok(e.modRevision <= page.revision, `items at most: ${seen}`);
}

/**
 * Runs the writer and one scanner a client (each at most `scans` scans, until the writer ends and
 * at least SCANS_ANSWERED_MIN scans answered in all: on a loaded machine the writer can finish
 * first, and the scans after it still check the final state); resolves with the scans that
 * answered.
 */
/** Scans the ordered-writes runs answer at least (the tests assert it). */
export const SCANS_ANSWERED_MIN = 30;

export async function orderedWrites(
  writer: TinyKvClient,
  scanners: readonly TinyKvClient[],
  o: OrderedWrites,
  scans = 400,
): Promise<number> {
  await putRetrying(writer, o.b, "0");
  await putRetrying(writer, o.a, "0");
  const acked: Acked = { a: 0, b: 0, revision: 0 };
  let done = false, answered = 0;
  const write = async () => {
    try {
      for (let v = 1; v <= o.rounds; v++) {
        await putRetrying(writer, o.a, String(v));
        acked.a = v;
        const revision = await putRevision(writer, o.b, String(v));
        acked.b = v;
        acked.revision = revision;
      }
    } finally {
      done = true;
    }
  };
  const scan = async (scanner: TinyKvClient) => {
    for (let i = 0; i < scans && (!done || answered < SCANS_ANSWERED_MIN); i++) {
      try {
        await scanOnce(scanner, o, { ...acked }, i);
        answered++;
      } catch (err) {
        if (!retryableScan(err)) throw err;
      }
    }
  };
  await Promise.all([write(), ...scanners.map(scan)]);
  return answered;
}
