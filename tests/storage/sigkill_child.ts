/**
 * Child process of sigkill_test.ts: writes with sync "always" from several
 * concurrent writers and prints "ack <i>" once each put is acknowledged,
 * until it is killed. Usage: <runtime> sigkill_child.ts DIR
 */
import process from "node:process";
import { openDb } from "../../mod.ts";

const dir = process.argv[process.argv.length - 1];
const db = await openDb(dir, { sync: "always", memtableBytes: 256 * 1024 });
let next = 0;
async function writer(): Promise<void> {
  for (;;) {
    const i = next++;
    await db.put(`key${String(i).padStart(8, "0")}`, `value-${i}-${"x".repeat(i % 300)}`);
    process.stdout.write(`ack ${i}\n`);
  }
}
process.stdout.write("ready\n");
await Promise.all(Array.from({ length: 8 }, writer));
