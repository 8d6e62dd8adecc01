/**
 * Peers on the protobuf port: Raft messages are accepted only after a Hello
 * with the cluster token, and only as the node id the Hello named.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { type RaftMessage, RaftMessageSchema } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { MessageType } from "../../src/raft/core/messages.ts";
import { KvPort } from "../../src/server/proto/kv_port.ts";
import { PeerTransport } from "../../src/server/peer/peer_transport.ts";
import { encodeWireFrame } from "../../src/wire/frame_codec.ts";
import { LocalKvService } from "./local_kv_service.ts";

const platform = getPlatform();

async function port(received: { from: number; m: RaftMessage }[]) {
  return await KvPort.start({
    net: platform.net,
    hostname: "127.0.0.1",
    port: 0,
    service: await LocalKvService.open(),
    clusterToken: "s3cret",
    peers: { onRaftMessage: (from, m) => received.push({ from, m }) },
  });
}

const settle = () => new Promise((r) => setTimeout(r, 100));

test("peer auth: the transport's Hello with the right token gets messages through", async () => {
  const received: { from: number; m: RaftMessage }[] = [];
  const p = await port(received);
  const transport = new PeerTransport({
    net: platform.net,
    clock: platform.clock,
    selfId: 2,
    clusterToken: "s3cret",
  });
  try {
    transport.setPeers(new Map([[1, `127.0.0.1:${p.port}`]]));
    transport.send([{ type: MessageType.TimeoutNow, from: 2, to: 1, term: 5 }]);
    for (let i = 0; i < 50 && received.length === 0; i++) await settle();
    assert.equal(received.length, 1);
    assert.equal(received[0].from, 2);
    assert.equal(received[0].m.term, 5n);
  } finally {
    transport.close();
    await p.close();
  }
});

test("peer auth: a wrong token or no Hello gets the connection closed, nothing delivered", async () => {
  const received: { from: number; m: RaftMessage }[] = [];
  const p = await port(received);
  const raft = encodeWireFrame({
    case: "raft",
    value: create(RaftMessageSchema, { type: MessageType.TimeoutNow, from: 3n, to: 1n, term: 9n }),
  });
  const attempt = async (first: Uint8Array | undefined) => {
    const conn = await platform.net.connect("127.0.0.1", p.port);
    const closed = new Promise<void>((r) =>
      conn.setHandlers({ onData: () => {}, onClose: () => r() })
    );
    if (first !== undefined) conn.write(first);
    conn.write(raft);
    await closed;
  };
  try {
    await attempt(encodeWireFrame({ case: "hello", value: { nodeId: 3n, clusterToken: "wrong" } }));
    await attempt(undefined);
    await settle();
    assert.deepEqual(received, []);
  } finally {
    await p.close();
  }
});
