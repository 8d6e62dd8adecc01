import { runSeed } from "../../../src/sim/run_seed.ts";
const seed = Number(Deno.args[0] ?? 1);
const nodes = Deno.args[1] ? Number(Deno.args[1]) : undefined;
const r = await runSeed({ seed, nodes, trace: true });
const pat = new RegExp(Deno.args[2] ?? "lease");
console.log(r.failures.join("\n"));
console.log(r.trace.tail(5_000_000).split("\n").filter((l) => pat.test(l)).slice(0, Number(Deno.args[3] ?? 60)).join("\n"));
