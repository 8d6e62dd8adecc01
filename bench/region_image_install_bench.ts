/**
 * What installing a received region image costs the rest of a node (issue 15; docs/regions.md
 * "Region snapshots"): the longest the event loop was late and the longest another region's
 * apply waited for the engine's lock while a region image of `--keys` keys installed, for the
 * install as one locked task (as before session 14) and in bounded steps with timer turns
 * (`RegionImageInstaller`, src/server/node/region_image_install.ts).
 *
 *   deno run -A bench/region_image_install_bench.ts [--keys 200000] [--value-size 64] [--rounds 2]
 *
 * The engines are on the simulated (in-memory) file system, so this is the CPU the install
 * takes from the loop, not disk waits. A 5 ms interval timer measures the loop's lateness; a
 * task queued on the engine's lock every 10 ms (as the apply of another region's entries)
 * measures the lock's wait (from when it was due). Runs alternate old/new.
 */
import * as os from "node:os";
import { parseArgs } from "node:util";
import { RealClock } from "../src/platform/real_clock.ts";
import { RegionImageInstaller } from "../src/server/node/region_image_install.ts";
import { installRegionImage } from "../src/server/node/region_snapshots.ts";
import { twoRegions } from "../tests/kv/region_import_helpers.ts";
import { lockedHolder, regionTwoImage } from "../tests/server/region_image_helpers.ts";
import { describeMachine } from "./machine.ts";

const { values } = parseArgs({
  options: {
    keys: { type: "string", default: "200000" },
    "value-size": { type: "string", default: "64" },
    rounds: { type: "string", default: "2" },
  },
});
const KEYS = Number(values.keys), VALUE = Number(values["value-size"]);
const ROUNDS = Number(values.rounds);

interface Measured {
  readonly installMs: number;
  readonly loopLateMaxMs: number;
  readonly lockWaitMaxMs: number;
  readonly lockWaitP99Ms: number;
}

async function measure(image: Uint8Array, stepped: boolean): Promise<Measured> {
  const target = await twoRegions(31, false);
  const engine = lockedHolder(target.db);
  let done = false, loopLateMax = 0, last = performance.now();
  const probe = setInterval(() => {
    const now = performance.now();
    loopLateMax = Math.max(loopLateMax, now - last - 5);
    last = now;
  }, 5);
  const waits: number[] = [];
  // Each apply is due 10 ms after the last one ran: its wait counts from then (a blocked loop
  // delays its timer, a held lock its turn).
  const applies = (async () => {
    while (!done) {
      const due = performance.now() + 10;
      await new Promise((resolve) => setTimeout(resolve, 10));
      await engine.locked(() => Promise.resolve());
      waits.push(performance.now() - due);
    }
  })();
  const t0 = performance.now();
  if (stepped) {
    const installer = new RegionImageInstaller(() => engine, new RealClock());
    await installer.install(2, image, () => Promise.resolve());
  } else {
    await engine.locked(() => installRegionImage(target.db, 2, image));
  }
  const installMs = performance.now() - t0;
  await new Promise((resolve) => setTimeout(resolve, 50)); // the probes see the end of a stall
  done = true;
  clearInterval(probe);
  await applies;
  await target.db.close();
  waits.sort((a, b) => a - b);
  return {
    installMs,
    loopLateMaxMs: loopLateMax,
    lockWaitMaxMs: waits.at(-1) ?? 0,
    lockWaitP99Ms: waits[Math.floor(waits.length * 0.99)] ?? 0,
  };
}

console.log(describeMachine());
const { image } = await regionTwoImage(KEYS, VALUE);
console.log(`region image: ${KEYS} keys of ${VALUE} B values, ${image.length} bytes`);
console.log(
  "| install | load | install ms | loop late max ms | lock wait max ms | lock wait p99 ms |",
);
console.log("| --- | --- | ---: | ---: | ---: | ---: |");
for (let r = 0; r < ROUNDS; r++) {
  for (const stepped of [false, true]) {
    const load = os.loadavg()[0].toFixed(1);
    const m = await measure(image, stepped);
    const name = stepped ? "in steps (new)" : "one locked task (old)";
    const f = (x: number) => x.toFixed(0);
    console.log(
      `| ${name} | ${load} | ${f(m.installMs)} | ${f(m.loopLateMaxMs)} | ${f(m.lockWaitMaxMs)} | ${
        f(m.lockWaitP99Ms)
      } |`,
    );
  }
}
