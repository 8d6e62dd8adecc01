/** `--timeout` durations, `--base-port`, and `--peers` host resolution (src/cli/). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseDuration } from "../../src/cli/duration.ts";
import { localPorts } from "../../src/cli/local_cluster.ts";
import { endpointsOf } from "../../src/cli/client_commands.ts";
import { joinHostPort, resolvePeerHosts } from "../../src/cli/peer_hosts.ts";
import { parsePeers } from "../../src/cli/peers.ts";
import { UsageError } from "../../src/cli/usage_error.ts";

test("--timeout: durations, a bare number in the flag's unit, clear refusals", () => {
  assert.equal(parseDuration("250", "--timeout"), 250);
  assert.equal(parseDuration("250ms", "--timeout"), 250);
  assert.equal(parseDuration("2s", "--timeout"), 2000);
  assert.equal(parseDuration("1.5s", "--timeout"), 1500);
  assert.equal(parseDuration("2m", "--timeout"), 120_000);
  assert.equal(parseDuration("30", "--timeout", "s"), 30_000);
  for (const bad of ["", "0", "0s", "-1", "2h", "soon", "1e3", "25h", "90000m"]) {
    assert.throws(() => parseDuration(bad, "--timeout"), UsageError, bad);
  }
});

test("--base-port: local-cluster ports and the client's default endpoint", () => {
  assert.deepEqual(localPorts(undefined), { protobuf: 7000, http: 8000, resp: 6378 });
  assert.deepEqual(localPorts("17000"), { protobuf: 17000, http: 17100, resp: 17200 });
  assert.throws(() => localPorts("65400"), UsageError);
  assert.throws(() => localPorts("x"), UsageError);
  assert.deepEqual(endpointsOf({}), ["127.0.0.1:7001"]);
  assert.deepEqual(endpointsOf({ "base-port": "17000" }), ["127.0.0.1:17001"]);
  assert.deepEqual(endpointsOf({ "base-port": "17000", endpoints: "h:1" }), ["h:1"]);
});

test("--peers hosts: literals as given, names resolved, a bad name a usage error", async () => {
  const looked: string[] = [];
  const platform = {
    lookupHost: (name: string) => {
      looked.push(name);
      if (name === "db-1") return Promise.resolve(["10.0.0.1", "10.0.0.9"]);
      return Promise.reject(new Error("getaddrinfo ENOTFOUND"));
    },
  };
  const peers = parsePeers("1=db-1:7001,2=10.0.0.2:7001,3=[::1]:7001");
  assert.equal(await resolvePeerHosts(peers, 1, platform), "10.0.0.1");
  assert.equal(await resolvePeerHosts(peers, 3, platform), "::1");
  assert.deepEqual(looked, ["db-1", "db-1"], "literals are not looked up");
  await assert.rejects(
    resolvePeerHosts(parsePeers("1=db-1:7001,2=nowhere:7001"), 1, platform),
    (err: Error) =>
      err instanceof UsageError && /'nowhere' \(node 2\) does not resolve/.test(err.message),
  );
  assert.equal(joinHostPort("::1", 7001), "[::1]:7001");
  assert.equal(joinHostPort("127.0.0.1", 7001), "127.0.0.1:7001");
});
