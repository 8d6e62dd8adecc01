/**
 * The bank invariant of the WATCH transfers (resp_multi_ops.ts): two
 * accounts, both absent (0) at the start, and every transfer moves an amount
 * from one to the other in one MULTI/EXEC block guarded by WATCH on both. So
 * every atomic read of both (MGET) must see balances summing to 0: a transfer
 * applied in part, an EXEC that ran though a watched key changed after its
 * WATCH (a lost update), or a read of two different states would each break
 * the sum. A balance is stored as `<amount>:<unique tag>` so that every write
 * is still unique for the other checks.
 */

/**
 * Far apart in the keyspace (between the workload's prefixes, never scanned): with regions they
 * end up in different regions, so a transfer is a transaction across regions and an MGET of
 * both a read across them.
 */
export const BANK_KEYS = ["b/0", "y/1"] as const;

/** One ok read of both accounts at once. */
export interface BankRead {
  readonly client: string;
  readonly call: number;
  readonly ret: number;
  /** The values read, in BANK_KEYS order ("" for absent). */
  readonly values: readonly string[];
}

/** The amount a stored balance holds (absent: 0); NaN when it is not one. */
export function balanceOf(value: string): number {
  if (value === "") return 0;
  const [amount, tag] = value.split(":");
  return tag === undefined || !/^-?\d+$/.test(amount) ? NaN : Number(amount);
}

/** The stored form of a balance. */
export function balanceValue(amount: number, tag: string): string {
  return `${amount}:${tag}`;
}

/** The reads whose balances do not sum to 0 (the first few). */
export function checkBank(reads: readonly BankRead[]): string[] {
  const bad: string[] = [];
  for (const r of reads) {
    const sum = r.values.reduce((s, v) => s + balanceOf(v), 0);
    if (sum !== 0 && bad.length < 10) {
      bad.push(`${r.client} MGET@[${r.call},${r.ret}] read ${r.values.join(" ")}: sum ${sum}`);
    }
  }
  return bad;
}
