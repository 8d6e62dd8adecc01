/**
 * Seeds, case counts and replay for the port fuzz tests (docs/fuzzing.md).
 *
 * A run has a seed (TINYKV_FUZZ_SEED, else a random one) and a case count
 * (TINYKV_FUZZ_CASES, else the file's small default). Case `i` draws all its
 * input from its own generator seeded with `seed * 2^20 + i`, so one failing
 * case replays alone and exactly with TINYKV_FUZZ_REPLAY=<case seed>.
 */
import process from "node:process";
import { createPrng, type Prng } from "../../src/util/prng.ts";

/** Cases per run are numbered below this, so a case seed is `runSeed * CASES_PER_SEED + i`. */
const CASES_PER_SEED = 2 ** 20;

export interface FuzzRun {
  readonly seed: number;
  readonly cases: number;
  /** A single case seed to replay instead of a run. */
  readonly replay: number | undefined;
}

function envInt(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === "") return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be an integer >= 0`);
  return n;
}

/** The run the environment asks for, `defaultCases` when it does not say. */
export function fuzzRun(defaultCases: number): FuzzRun {
  const cases = Math.min(envInt("TINYKV_FUZZ_CASES") ?? defaultCases, CASES_PER_SEED - 1);
  const seed = envInt("TINYKV_FUZZ_SEED") ?? Math.floor(Math.random() * 0x1_0000_0000);
  return { seed: seed % 0x1_0000_0000, cases, replay: envInt("TINYKV_FUZZ_REPLAY") };
}

/** What one case generated, for the failure message. */
export interface FuzzInput {
  readonly label: string;
  readonly bytes: Uint8Array;
}

/**
 * One case: generates its input from `prng`, calls `note` with it before
 * sending it (so a hang can name it), then exercises and checks the node.
 */
export type FuzzCase = (prng: Prng, note: (input: FuzzInput) => void) => Promise<void>;

/** A case that takes longer than this is a hang (every wait inside a case is shorter). */
const CASE_MS_MAX = 30_000;

/** Printable form of fuzz input: ASCII as is, other bytes as \xNN, cut after `max`. */
export function showBytes(bytes: Uint8Array, max = 600): string {
  let out = "";
  for (const b of bytes.subarray(0, max)) {
    if (b === 0x0d) out += "\\r";
    else if (b === 0x0a) out += "\\n";
    else if (b >= 0x20 && b < 0x7f && b !== 0x5c) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return bytes.length > max ? `${out}... (${bytes.length} bytes)` : out;
}

/**
 * Runs the cases one after another (or the one being replayed). A failure names
 * its case seed and the command that replays it, and shows the input.
 */
export async function runCases(file: string, run: FuzzRun, one: FuzzCase): Promise<number> {
  const seeds = run.replay !== undefined
    ? [run.replay]
    : Array.from({ length: run.cases }, (_, i) => run.seed * CASES_PER_SEED + i);
  const verbose = run.replay !== undefined || process.env.TINYKV_FUZZ_VERBOSE === "1";
  let ran = 0;
  for (const caseSeed of seeds) {
    let input: FuzzInput | undefined;
    const note = (i: FuzzInput) => {
      input = i;
      if (verbose) console.log(`case ${caseSeed} (${i.label}): ${showBytes(i.bytes, 4000)}`);
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const hang = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`case ran over ${CASE_MS_MAX} ms`)), CASE_MS_MAX);
    });
    try {
      await Promise.race([one(createPrng(caseSeed), note), hang]);
    } catch (err) {
      const shown = input === undefined
        ? ""
        : `\ninput (${input.label}): ${showBytes(input.bytes)}`;
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(
        `fuzz case failed (run seed ${run.seed}, case seed ${caseSeed}): ${message}${shown}\n` +
          `replay: TINYKV_FUZZ_REPLAY=${caseSeed} deno test -A ${file}`,
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
    }
    ran++;
  }
  return ran;
}
