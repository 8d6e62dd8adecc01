/**
 * The multi-region log under power loss at every point: a seeded random mix
 * of rounds (appends, conflicting suffixes, commit-only hard states without
 * fsync), compactions, removals, new regions, conf states and full disks,
 * while a CrashFs kills the "process" at a random mutating call (a write, a
 * truncate, an fsync, a create, a delete, a directory fsync), recovery
 * included. After each recovery every region must hold what it held before
 * the interrupted operation or after it (per part: a torn round may keep one
 * region's records and not another's), every acknowledged (fsynced) record is
 * there, and replay never fails.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSimWorld, type SimWorld } from "../../src/platform/sim/sim_world.ts";
import { MultiLogStore } from "../../src/raft/multi_log_store.ts";
import type { PersistRequest } from "../../src/raft/log_store.ts";
import { NoSpaceError } from "../../src/util/errors.ts";
import { CrashFs } from "../storage/crash_fs.ts";
import { bootstrapReq, CS, ents } from "./multi_log_helpers.ts";
import { applyOp, EMPTY_REGION, type Model, modelOf, type Op, opSyncs } from "./multi_log_model.ts";

const DIR = "raft-multi";
const SEEDS = 40;
const OPS_PER_LIFE = 40;
const LIVES = 4;

/** A random operation on the regions the store holds. */
function randomOp(w: SimWorld, s: MultiLogStore, nextId: () => number): Op {
  const ids = s.regionIds().sort((a, b) => a - b);
  const pick = () => ids[w.prng.int(ids.length)];
  const roll = w.prng.int(100);
  if (ids.length === 0 || roll < 5) {
    return { kind: "save", reqs: new Map([[nextId(), bootstrapReq()]]) };
  }
  if (roll < 12) {
    const marks = new Map<number, number>();
    for (let i = 0; i < 3; i++) {
      const g = s.group(pick());
      if (g.hardState.commit >= g.firstIndex()) {
        marks.set(g.id, w.prng.range(g.firstIndex(), g.hardState.commit));
      }
    }
    return { kind: "compact", marks };
  }
  if (roll < 15 && ids.length > 2) return { kind: "remove", ids: [pick()] };
  if (roll < 20) {
    return { kind: "conf", id: pick(), cs: { ...CS, voters: [1, 2, w.prng.range(3, 9)] } };
  }
  const reqs = new Map<number, PersistRequest>();
  const commitOnly = w.prng.chance(0.15);
  for (let i = w.prng.range(1, Math.min(6, ids.length)); i > 0; i--) {
    const g = s.group(pick());
    const { term, commit } = g.hardState;
    const last = g.lastIndex();
    if (commitOnly) {
      if (last <= commit) continue;
      const hs = { ...g.hardState, commit: w.prng.range(commit + 1, last) };
      reqs.set(g.id, { hardState: hs, entries: [], snapshot: undefined, mustSync: false });
      continue;
    }
    const conflict = last > commit && w.prng.chance(0.25);
    const t = conflict || w.prng.chance(0.1) ? term + 1 : term;
    const from = conflict ? w.prng.range(commit + 1, last) : last + 1;
    const entries = ents(g.id, from, from + w.prng.range(0, 3), t);
    const newLast = entries[entries.length - 1].index;
    const hs = { term: t, vote: 1, commit: w.prng.range(commit, newLast) };
    reqs.set(g.id, { hardState: hs, entries, snapshot: undefined, mustSync: true });
  }
  return { kind: "save", reqs };
}

async function run(s: MultiLogStore, op: Op): Promise<void> {
  switch (op.kind) {
    case "save":
      return await s.save(op.reqs);
    case "compact": {
      const marks = new Map(
        [...op.marks].map(([id, index]) => [id, { index, confState: s.group(id).confState }]),
      );
      return await s.compact(marks);
    }
    case "remove":
      return await s.remove(op.ids);
    case "conf":
      return s.setConfState(op.id, op.cs);
  }
}

/** Lower bounds that only fsyncs move: the commit index and the allowed conf states. */
interface Acked {
  commit: Map<number, number>;
  cs: Map<number, Set<string>>;
}

function ack(m: Model): Acked {
  return {
    commit: new Map([...m].map(([id, r]) => [id, r.commit])),
    cs: new Map([...m].map(([id, r]) => [id, new Set([r.cs])])),
  };
}

/** Checks a recovered region against its state before (`p`) and after (`q`) the interrupted op. */
function checkRegion(seed: number, id: number, got: Model, p: Model, q: Model, acked: Acked): void {
  const r = got.get(id);
  const a = p.get(id), b = q.get(id);
  const where = `seed ${seed} region ${id}`;
  if (r === undefined) {
    assert.ok(a === undefined || b === undefined, `${where}: lost`);
    return;
  }
  const before = a ?? EMPTY_REGION, after = b ?? EMPTY_REGION;
  const eq = (x: readonly string[], y: readonly string[]) =>
    JSON.stringify(x) === JSON.stringify(y);
  const brief = (l: readonly string[]) => `${l.length} entries ${l[0]} .. ${l[l.length - 1]}`;
  const logs = `${brief(r.log)}, before ${brief(before.log)}, after ${brief(after.log)}`;
  assert.ok(eq(r.log, before.log) || eq(r.log, after.log), `${where}: log ${logs}`);
  assert.ok([before.marker, after.marker].includes(r.marker), `${where}: marker ${r.marker}`);
  const tv = (x: { term: number; vote: number }) => `${x.term}/${x.vote}`;
  assert.ok([tv(before), tv(after)].includes(tv(r)), `${where}: term/vote ${tv(r)}`);
  const lo = Math.min(acked.commit.get(id) ?? 0, after.commit);
  const hi = Math.max(before.commit, after.commit, r.marker);
  assert.ok(r.commit >= lo && r.commit <= hi, `${where}: commit ${r.commit} not in [${lo}, ${hi}]`);
  const cs = new Set([...(acked.cs.get(id) ?? []), before.cs, after.cs]);
  if (a !== undefined && b !== undefined) assert.ok(cs.has(r.cs), `${where}: conf state ${r.cs}`);
}

async function openUntilUp(w: SimWorld, seed: number): Promise<{ s: MultiLogStore; cfs: CrashFs }> {
  const opts = { segmentBytes: 1500, segmentsKept: 3, preallocateBytes: [0, 256, 1000][seed % 3] };
  for (let attempt = 0; attempt < 20; attempt++) {
    const cfs = new CrashFs(w.fs, w.prng.range(1, 300), w.prng.chance(0.5) ? "tear" : "lose");
    try {
      return { s: await MultiLogStore.open(cfs, DIR, opts), cfs };
    } catch (err) {
      // A full disk left over (a pending failed fsync) fails the open; it is retried.
      assert.ok(cfs.crashed || err instanceof NoSpaceError, `seed ${seed}: recovery: ${err}`);
    }
  }
  throw new Error(`seed ${seed}: recovery crashed 20 times`);
}

test("multi log: power loss at any write, fsync, create or delete loses nothing acknowledged", async () => {
  let crashes = 0, noSpace = 0, ops = 0, midOp = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const w = createSimWorld(seed, { trace: false });
    let id = 0;
    const nextId = () => ++id;
    let { s, cfs } = await openUntilUp(w, seed);
    let acked = ack(modelOf(s));
    for (let life = 0; life < LIVES; life++) {
      let p: Model = modelOf(s), q: Model = p;
      for (let i = 0; i < OPS_PER_LIFE && !cfs.crashed; i++) {
        const op = randomOp(w, s, nextId);
        p = modelOf(s);
        q = applyOp(p, op);
        if (w.prng.chance(0.1)) w.fs.setCapacity(w.fs.usedBytes() + w.prng.range(0, 3000));
        if (w.prng.chance(0.05)) w.fs.failSync(1, "no-space");
        for (let attempt = 0; attempt < 3 && !cfs.crashed; attempt++) {
          try {
            await run(s, op);
            ops++;
            assert.deepEqual(modelOf(s), q, `seed ${seed}: memory after ${op.kind}`);
            if (opSyncs(op)) acked = ack(q);
            else if (op.kind === "conf") acked.cs.get(op.id)?.add(q.get(op.id)?.cs ?? "");
            break;
          } catch (err) {
            if (cfs.crashed) break;
            assert.ok(err instanceof NoSpaceError, `seed ${seed}: ${err}`);
            noSpace++;
            assert.deepEqual(modelOf(s), p, `seed ${seed}: a full disk changed memory`);
            w.fs.setCapacity(undefined);
          }
        }
        w.fs.setCapacity(undefined);
      }
      if (cfs.crashed) midOp++;
      else {
        p = q = modelOf(s); // crash between operations
        w.fs.crash(w.prng.chance(0.5) ? "tear" : "lose");
      }
      crashes++;
      ({ s, cfs } = await openUntilUp(w, seed));
      const got = modelOf(s);
      for (const rid of new Set([...got.keys(), ...p.keys(), ...q.keys()])) {
        checkRegion(seed, rid, got, p, q, acked);
      }
      acked = ack(got);
    }
  }
  const stats = `${crashes} crashes (${midOp} inside an operation), ${ops} ops, ${noSpace} full`;
  assert.ok(crashes >= SEEDS * LIVES && midOp > SEEDS && ops > SEEDS * 20 && noSpace > 10, stats);
});
