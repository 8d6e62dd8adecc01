/**
 * `tinykv regions [--json]` (src/cli/regions_command.ts) against a fake multi-region cluster
 * (tests/client/fake_regions.ts): the table in key order with printable ranges, leaders,
 * replicas and zones; one JSON object per region per line; extra arguments are a usage error.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runCli } from "../../src/cli/main.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { captureHost } from "../helpers/capture_host.ts";
import { FakeRegionCluster } from "../client/fake_regions.ts";

test("regions: a table in key order, --json one object per line, usage errors", async () => {
  const c = await FakeRegionCluster.start(3, ["g", "p\u0001"]);
  const cli = async (args: string[]) => {
    const h = captureHost();
    const code = await runCli([...args, "--endpoints", c.address(2)], h, getPlatform);
    return { code, out: h.out, err: h.err };
  };
  try {
    const table = await cli(["regions"]);
    assert.equal(table.code, 0, table.err);
    const lines = table.out.trimEnd().split("\n").map((l) => l.split(/\s{2,}/));
    assert.deepEqual(lines, [
      ["ID", "RANGE", "SIZE", "KEYS", "LEADER", "REPLICAS", "ZONES"],
      ["1", '["", "g")', "0 B", "0", "1", "1,2,3", "z1,z2,z3"],
      ["2", '["g", "p\\x01")', "0 B", "0", "2", "1,2,3", "z1,z2,z3"],
      ["3", '["p\\x01", +inf)', "0 B", "0", "3", "1,2,3", "z1,z2,z3"],
    ]);
    const json = await cli(["regions", "--json"]);
    assert.equal(json.code, 0, json.err);
    const objects = json.out.trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(objects.map((o) => [o.id, o.start, o.end, o.endHex, o.leader]), [
      [1, "", "g", "67", 1],
      [2, "g", "p\\x01", "7001", 2],
      [3, "p\\x01", null, "", 3],
    ]);
    assert.deepEqual(objects[0].replicas[2], {
      id: 3,
      role: "voter",
      zone: "z3",
      address: c.address(3),
    });
    assert.deepEqual(objects[0].epoch, { version: 2, confVer: 1 });
    const usage = await cli(["regions", "extra"]);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /usage: tinykv regions \[--json\]/);
  } finally {
    await c.close();
  }
});
