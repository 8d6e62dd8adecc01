/**
 * The node's log lines (docs/logging.md) in an in-process 3-node cluster: an
 * election, leader changes (a stopped leader, a transfer), a peer lost and back, and
 * a snapshot sent to it and installed, an HTTP request refused by the RESP port.
 */
import { test } from "node:test";
import * as net from "node:net";
import assert from "node:assert/strict";
import { startCluster } from "./cluster_helpers.ts";
import { createLogger } from "../../src/server/log/logger.ts";
import { getPlatform } from "../../src/platform/detect.ts";

interface Line {
  readonly level: string;
  readonly event: string;
  readonly fields: Record<string, string | number | boolean>;
}

/** Every node's lines, parsed; `all` across nodes. */
class Lines {
  readonly byNode = new Map<number, Line[]>();
  of(id: number): Line[] {
    let l = this.byNode.get(id);
    if (l === undefined) this.byNode.set(id, l = []);
    return l;
  }
  all(event: string): Line[] {
    return [...this.byNode.values()].flat().filter((l) => l.event === event);
  }
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test("node logs: elections, leader changes, peers lost and back, snapshots: each has its line", {
  timeout: 60_000,
}, async () => {
  const lines = new Lines();
  const clock = getPlatform().clock;
  const c = await startCluster(3, 20, undefined, (id) => ({
    logger: createLogger({
      write: (l) => lines.of(id).push(JSON.parse(l)),
      format: "json",
      level: "debug",
      wallMs: () => clock.wallMs(),
      nowMs: () => clock.nowMs(),
    }),
  }));
  try {
    const first = await c.leader();
    await until(
      "every node to know the leader",
      () =>
        [1, 2, 3].every((id) =>
          lines.of(id).some((l) => l.event === "leader.changed" && l.fields.new === first)
        ),
    );
    const won = lines.of(first).filter((l) => l.event === "election.won");
    assert.ok(won.length >= 1, "the leader logged its win");
    const w = won[won.length - 1].fields;
    assert.match(String(w.votes), /^[23]\/3$/);
    assert.equal(w.node, first);
    const started = lines.of(first).filter((l) => l.event === "election.started");
    // A fresh cluster's lowest id campaigns at start (first_election.ts); else a timeout.
    assert.ok(
      started.some((l) =>
        l.fields.term === w.term && ["campaign", "timeout"].includes(String(l.fields.reason))
      ),
    );
    const mine = lines.of(first).find((l) =>
      l.event === "leader.changed" && l.fields.new === first
    );
    assert.equal(mine?.fields.reason, "elected");

    // A transfer: both ends say why.
    const target = [1, 2, 3].find((id) => id !== first) ?? 0;
    await c.servers.get(first)?.node.transferLeader(target);
    await until(
      "the transfer to be logged",
      () =>
        lines.of(target).some((l) =>
          l.event === "leader.changed" && l.fields.new === target && l.fields.reason === "transfer"
        ),
    );
    await until(
      "the old leader's step-down line",
      () =>
        lines.of(first).some((l) =>
          l.event === "leader.changed" && l.fields.old === first && l.fields.reason === "transfer"
        ),
    );
    assert.ok(
      lines.of(target).some((l) =>
        l.event === "election.started" && l.fields.reason === "transfer"
      ),
    );

    // The leader stops: the others lose it, elect another, and lose their link to it.
    const gone = await c.leader();
    const others = [1, 2, 3].filter((id) => id !== gone);
    await c.stop(gone);
    await until(
      "a new leader among the others",
      () =>
        others.some((id) =>
          lines.of(id).some((l) =>
            l.event === "leader.changed" && l.fields.old === gone && l.fields.new !== "none"
          ) ||
          lines.of(id).some((l) =>
            l.event === "leader.changed" && l.fields.new !== "none" && l.fields.new !== gone &&
            Number(l.fields.term) > Number(w.term) + 1
          )
        ),
    );
    const next = await c.leader();
    assert.notEqual(next, gone);
    await until(
      "peer.lost for the stopped node",
      () => lines.all("peer.lost").some((l) => l.fields.peer === gone),
    );
    const lost = lines.all("peer.lost").find((l) => l.fields.peer === gone);
    assert.equal(lost?.level, "warn");
    assert.equal(lost?.fields.address, c.peers.get(gone));

    // While it is down the leader compacts its log past it: it comes back by snapshot.
    const client = c.client(others);
    for (let i = 0; i < 20; i++) await client.put(`k${i}`, "v");
    const snapAt = await c.servers.get(next)?.node.snapshot();
    await c.start(gone);
    await until(
      "peer.back for the restarted node",
      () => lines.all("peer.back").some((l) => l.fields.peer === gone),
    );
    const back = lines.all("peer.back").find((l) => l.fields.peer === gone);
    assert.ok(typeof back?.fields.down_ms === "number" && back.fields.down_ms >= 0);
    await until(
      "the snapshot's lines on both ends",
      () =>
        lines.of(next).some((l) => l.event === "snapshot.sent" && l.fields.peer === gone) &&
        lines.of(gone).some((l) => l.event === "snapshot.installed" && l.fields.from === next),
    );
    const sent = lines.of(next).find((l) => l.event === "snapshot.sent")?.fields;
    const installed = lines.of(gone).find((l) => l.event === "snapshot.installed")?.fields;
    assert.ok(Number(sent?.index) >= (snapAt?.index ?? Infinity), JSON.stringify(sent));
    assert.equal(installed?.index, sent?.index);
    assert.equal(installed?.bytes, sent?.bytes);
    assert.ok(Number(sent?.bytes) > 0 && typeof sent?.ms === "number");
    // The RESP port's line about an HTTP request sent to it is a node event too.
    const sock = net.connect(c.respPorts.get(next) ?? 0, "127.0.0.1");
    sock.on("error", () => {});
    sock.write("POST / HTTP/1.1\r\nHost: x\r\n\r\n");
    await until("resp.http_refused", () => lines.all("resp.http_refused").length > 0);
    sock.destroy();
    assert.match(
      lines.all("resp.http_refused")[0].fields.text as string,
      /cross-protocol attack: 127\.0\.0\.1:\d+ sent an HTTP request/,
    );
    // No line had to be dropped, and every line names its event.
    assert.equal(lines.all("log.suppressed").length, 0);
  } finally {
    await c.close();
  }
});
