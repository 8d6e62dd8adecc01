/** `tinykv watch PREFIX` against a port with a watch hub: JSON and text lines, until interrupted. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runCli } from "../../../src/cli/main.ts";
import { getPlatform } from "../../../src/platform/detect.ts";
import { KvPort } from "../../../src/server/proto/kv_port.ts";
import { WatchHub } from "../../../src/server/watch/watch_hub.ts";
import { captureHost } from "../../helpers/capture_host.ts";
import { LocalKvService } from "../local_kv_service.ts";
import { FakeHistory } from "./fake_history.ts";

const platform = getPlatform();

async function setup() {
  const history = new FakeHistory();
  const hub = new WatchHub({ source: history, clock: platform.clock });
  const port = await KvPort.start({
    net: platform.net,
    hostname: "127.0.0.1",
    port: 0,
    service: await LocalKvService.open(),
    watch: hub,
  });
  for (let r = 1; r <= 3; r++) hub.publish(history.append(r, [`k/${r}`, "other"]), r);
  hub.publish(history.append(4, ["-k/1"]), 4);
  return { history, hub, port, endpoint: `127.0.0.1:${port.port}` };
}

/** Runs the command until `lines` lines are out, then interrupts it like Ctrl-C. */
async function runUntil(argv: string[], lines: number) {
  let interrupt = () => {};
  const host = captureHost();
  host.onShutdown = (fn) => interrupt = fn;
  const out = () => captureFrom(host);
  let ended = false;
  const done = runCli(argv, host, () => platform).finally(() => ended = true);
  // lines < 0: the command must end by itself.
  for (let i = 0; i < 200 && !ended && out().length < Math.abs(lines); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  if (lines >= 0) interrupt();
  const code = await done;
  return { code, lines: out(), err: host.err };
}

function captureFrom(host: { out: string }): string[] {
  return host.out.split("\n").filter((l) => l !== "");
}

test("tinykv watch: --json prints one object per change, --prev-kv adds prevValue", async () => {
  const t = await setup();
  try {
    const argv = ["watch", "k/", "--endpoints", t.endpoint, "--from-revision", "2", "--json"];
    const r = await runUntil([...argv, "--prev-kv"], 3);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.lines.map((l) => JSON.parse(l)), [
      { type: "put", key: "k/2", value: "k/2@2", revision: 2, prevValue: null },
      { type: "put", key: "k/3", value: "k/3@3", revision: 3, prevValue: null },
      { type: "delete", key: "k/1", value: "", revision: 4, prevValue: null },
    ]);
    const text = await runUntil(
      ["watch", "k/", "--endpoints", t.endpoint, "--from-revision", "3"],
      2,
    );
    assert.deepEqual(text.lines, ["3 PUT k/3 = k/3@3", "4 DELETE k/1"]);
  } finally {
    t.hub.close();
    await t.port.close();
  }
});

test("tinykv watch: bad flags are usage errors; a compacted revision exits 1", async () => {
  const t = await setup();
  try {
    const bad = await runUntil(["watch", "k/", "--from-revision", "x"], 0);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--from-revision must be a positive integer/);
    const none = await runUntil(["watch"], 0);
    assert.equal(none.code, 2);
    t.history.compactedRevision = 3;
    const old = await runUntil(
      ["watch", "k/", "--endpoints", t.endpoint, "--from-revision", "1"],
      -1,
    );
    assert.equal(old.code, 1);
    assert.match(old.err, /compacted/);
  } finally {
    t.hub.close();
    await t.port.close();
  }
});
