/**
 * Users on a 3-node cluster: a follower checks its client's permissions and forwards to the
 * leader as a peer (proved by the cluster token); claiming a node id without it earns nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ClientConnection } from "../../../src/client/connection.ts";
import { startServer } from "../../../src/server/server.ts";
import { Authenticator } from "../../../src/auth/authenticator.ts";
import { ErrorCode } from "../../../src/gen/tinykv/v1/tinykv_pb.ts";
import { fromUtf8 } from "../../../src/util/bytes.ts";
import { authFileOf } from "../../auth/auth_fixture.ts";
import { CLUSTER_TOKEN, platform, startAuthCluster } from "./auth_node.ts";

test("proto auth cluster: writes and lease keep-alives through a follower, permissions kept", async () => {
  const cluster = await startAuthCluster(3);
  try {
    const leader = await cluster.leaderIndex();
    const follower = (leader + 1) % 3;
    const only = [cluster.addresses[follower]];
    const alice = cluster.client("alice", "alicepass", only);
    await alice.put("app/f", "via follower");
    assert.equal(fromUtf8((await alice.get("app/f"))!), "via follower");
    const lease = await alice.grant(30);
    assert.equal((await alice.keepAliveOnce(lease.id)).id, lease.id);
    await alice.revoke(lease.id);
    const reader = cluster.client("reader", "readerpass", only);
    await assert.rejects(reader.put("app/f", "no"), { code: "PERMISSION_DENIED" });
    // A connection claiming a node id: without the cluster token it is closed; with it,
    // it is a peer and needs no user token.
    const liar = await ClientConnection.open(platform.net, platform.clock, only[0], {
      nodeId: 9,
      clusterToken: "guessed",
    });
    await assert.rejects(liar.call({ case: "status", value: {} }, { timeoutMs: 2000 }));
    liar.close();
    const peer = await ClientConnection.open(platform.net, platform.clock, only[0], {
      nodeId: 9,
      clusterToken: CLUSTER_TOKEN,
    });
    const r = await peer.call({ case: "status", value: {} }, { timeoutMs: 2000 });
    assert.equal(r.error, undefined);
    peer.close();
    const anon = await cluster.connection(follower);
    const refused = await anon.call({ case: "status", value: {} }, { timeoutMs: 2000 });
    assert.equal(refused.error?.code, ErrorCode.UNAUTHENTICATED);
  } finally {
    await cluster.close();
  }
});

test("proto auth cluster: a multi-node node with users but no cluster token does not start", async () => {
  const auth = new Authenticator({ file: await authFileOf(), wallMs: () => Date.now() });
  const peers = new Map([[1, "127.0.0.1:1"], [2, "127.0.0.1:2"]]);
  await assert.rejects(
    startServer(platform, { id: 1, peers, dataDir: "/nonexistent", auth }),
    /--auth-file on a multi-node cluster needs --cluster-token/,
  );
});
