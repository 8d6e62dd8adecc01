/**
 * A leader's appends reach the wire before its own save writes them (src/raft/multi/round.ts
 * `#beforeSave`, MultiTransport.flushNow): the followers' write and fsync, the longer path to a
 * commit, start before the leader's write and fsync hand-off rather than at the end of the turn
 * (a 3-node put at one in flight went from 1,439 to 1,593/s: bench/RESULTS.md, session 29).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { File, FileSystem } from "../../src/platform/types.ts";
import { MessageType } from "../../src/raft/core/messages.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { MultiCluster } from "./multi_raft_cluster.ts";

/** `fs` whose files' writes are noted in `events` (the log's saves). */
function notingWrites(fs: FileSystem, events: string[]): FileSystem {
  const noted = (f: File): File => ({
    path: f.path,
    size: () => f.size(),
    read: (o, l) => f.read(o, l),
    readInto: (i, o) => f.readInto(i, o),
    write: (o, d) => (events.push("write"), f.write(o, d)),
    append: (d) => (events.push("write"), f.append(d)),
    truncate: (s) => f.truncate(s),
    close: () => f.close(),
    sync: () => f.sync(),
    syncNow: f.syncNow === undefined ? undefined : () => f.syncNow?.(),
  });
  return {
    open: (path, options) => noted(fs.open(path, options)),
    readFile: (p) => fs.readFile(p),
    rename: (a, b) => fs.rename(a, b),
    remove: (p) => fs.remove(p),
    list: (d) => fs.list(d),
    mkdir: (p) => fs.mkdir(p),
    syncDir: (p) => fs.syncDir(p),
    stat: (p) => fs.stat(p),
  };
}

test("multi send before save: a leader's appends are flushed before its log write", async () => {
  const events: string[] = [];
  let watching = false;
  const c = await MultiCluster.start({
    nodes: 3,
    regions: 1,
    seed: 29,
    loss: 0,
    quiesce: false,
    wrapFs: (n, fs) => n === 1 ? notingWrites(fs, events) : fs,
    sent: (b) => {
      const appends = b.messages.some(({ message: m }) =>
        m.type === MessageType.App && m.entries.length > 0
      );
      if (watching && b.from === 1 && appends) events.push("send");
    },
    flushed: (n) => watching && n === 1 && events.push("flush"),
  });
  c.driver(1).region(1)?.rawNode.campaign();
  await c.until(() => c.leaderOf(1) === 1, 100, "n1 leads");
  await c.run();
  events.length = 0;
  watching = true;
  assert.ok(c.driver(1).propose(1, utf8("a"))?.ok);
  await c.driver(1).runOnce();
  watching = false;
  const first = (e: string) => events.indexOf(e);
  assert.ok(first("send") >= 0 && first("flush") >= 0 && first("write") >= 0, events.join(" "));
  assert.ok(first("send") < first("flush"), `appends queued, then flushed: ${events.join(" ")}`);
  assert.ok(first("flush") < first("write"), `flushed before the log write: ${events.join(" ")}`);
  await c.until(() => [1, 2, 3].every((n) => c.sm(n, 1)?.applied.includes("a")), 200, "applied");
});
