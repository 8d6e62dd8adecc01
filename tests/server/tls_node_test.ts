/**
 * A node's TLS in-process, under both runtimes (src/server/tls/node_tls.ts): the protobuf port
 * takes a peer Hello only with a certificate the CA signed (clients may come without one); a
 * whole node serves the client library, RESP and HTTPS over TLS and says so to a plain client;
 * `--tls-client-auth` refuses clients without a certificate on every port; `reload` swaps the
 * files for new connections and keeps the old ones when the new cannot be used; the flags'
 * wrong combinations are usage errors.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tls from "node:tls";
import type { TinyKvError } from "../../src/client/errors.ts";
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { nodeTlsOf, withClientTls } from "../../src/cli/tls_flags.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { MessageType } from "../../src/raft/core/messages.ts";
import { KvPort } from "../../src/server/proto/kv_port.ts";
import { startServer } from "../../src/server/server.ts";
import { NodeTls } from "../../src/server/tls/node_tls.ts";
import { concatBytes } from "../../src/util/bytes.ts";
import { encodeWireFrame } from "../../src/wire/frame_codec.ts";
import { makeTempDir, removeTempDir } from "../helpers/temp_dir.ts";
import { type CertFiles, OPENSSL_SKIP, TestCerts } from "../helpers/tls_certs.ts";
import { servedName } from "../e2e/tls_helpers.ts";
import { freePorts } from "./cluster_helpers.ts";
import { LocalKvService } from "./local_kv_service.ts";

const platform = getPlatform();
const skip = OPENSSL_SKIP;
let certs: TestCerts;
let ca: CertFiles, server: CertFiles, client: CertFiles, otherCa: CertFiles, rogue: CertFiles;
let elsewhere: CertFiles;

before(() => {
  if (skip) return;
  certs = new TestCerts();
  ca = certs.ca("ca");
  server = certs.signed("server", ca);
  client = certs.signed("client", ca);
  otherCa = certs.ca("other-ca");
  rogue = certs.signed("rogue", otherCa);
  elsewhere = certs.signed("elsewhere", ca, "DNS:elsewhere.example");
});
after(() => certs?.remove());

/**
 * How long an exchange the node should end waits for it to (it resolves as soon as the node
 * closes): 300 ms was too short for a handshake and a refusal under a loaded CI run (Bun).
 */
const CLOSE_WAIT_MS = 10_000;
const PING = new TextEncoder().encode("PING\r\n");
const lineEnded = (reply: string) => reply.endsWith("\r\n");

/** Writes `bytes` over TLS as `who` (no certificate if undefined); resolves with the reply. */
function exchange(
  port: number,
  bytes: Uint8Array,
  who?: CertFiles,
  waitMs = 300,
  complete?: (reply: string) => boolean,
) {
  return new Promise<{ reply: string; closedByNode: boolean }>((resolve, reject) => {
    let reply = "", byUs = false;
    const own = who === undefined ? {} : { cert: who.certPem, key: who.keyPem };
    const end = () => {
      byUs = true;
      socket.destroy();
    };
    const socket = tls.connect({ host: "127.0.0.1", port, ca: ca.certPem, ...own }, () => {
      socket.write(bytes);
      setTimeout(end, waitMs);
    });
    socket.on("data", (chunk: Uint8Array) => {
      reply += new TextDecoder().decode(chunk);
      if (complete?.(reply) === true) end();
    });
    socket.on("close", () => resolve({ reply, closedByNode: !byUs }));
    socket.on("error", (err) => byUs ? undefined : reject(err));
  });
}

test("node tls: a peer Hello needs a certificate the CA signed; a client does not", {
  skip,
}, async () => {
  const nodeTls = new NodeTls(platform.fs, { cert: server.cert, key: server.key, ca: ca.cert });
  const received: number[] = [];
  const port = await KvPort.start({
    net: nodeTls.listening(platform.net, "protobuf"),
    requirePeerCertificate: nodeTls.verifiesPeers,
    hostname: "127.0.0.1",
    port: 0,
    service: await LocalKvService.open(),
    peers: {
      onRaftMessage: (from) => received.push(from),
      // Node 2 is configured on this host; node 4 on another host.
      configuredAddress: (id) => ({ 2: "127.0.0.1:7002", 4: "10.9.9.9:7001" })[id],
    },
  });
  const helloAs = (nodeId: number) =>
    concatBytes([
      encodeWireFrame({ case: "hello", value: { nodeId: BigInt(nodeId), address: "" } }),
      encodeWireFrame({
        case: "raft",
        value: { type: MessageType.Heartbeat, from: BigInt(nodeId), to: 1n, term: 3n },
      }),
    ]);
  try {
    const good = await exchange(port.port, helloAs(2), client);
    assert.equal(good.closedByNode, false);
    for (const who of [rogue, undefined]) {
      const refused = await exchange(port.port, helloAs(3), who, CLOSE_WAIT_MS);
      assert.equal(refused.closedByNode, true);
      assert.match(refused.reply, /peer 3 presented no certificate the cluster's CA signed/);
    }
    // Signed by the CA, but naming another host than the member it claims to be.
    const misnamed = await exchange(port.port, helloAs(2), elsewhere, CLOSE_WAIT_MS);
    assert.equal(misnamed.closedByNode, true);
    assert.match(misnamed.reply, /peer 2's certificate names elsewhere\.example, not 127\.0\.0\.1/);
    const wrongHost = await exchange(port.port, helloAs(4), client, CLOSE_WAIT_MS);
    assert.match(wrongHost.reply, /peer 4's certificate names 127\.0\.0\.1, localhost, not 10\.9/);
    const clientHello = encodeWireFrame({ case: "hello", value: { nodeId: 0n, address: "" } });
    assert.equal((await exchange(port.port, clientHello)).closedByNode, false);
    assert.deepEqual(received, [2]);
  } finally {
    await port.close();
  }
});

async function startNode(dir: string, files: { cert: string; key: string; clientAuth?: boolean }) {
  const [kv, resp, http] = await freePorts(3);
  const nodeTls = new NodeTls(platform.fs, { ...files, ca: ca.cert });
  const node = await startServer(platform, {
    id: 1,
    peers: new Map([[1, `127.0.0.1:${kv}`]]),
    dataDir: dir,
    respPort: resp,
    httpPort: http,
    tickMs: 20,
    electionTicks: 10,
    heartbeatTicks: 1,
    tls: nodeTls,
  });
  return { node, nodeTls, kv, resp, http };
}

test("node tls: a node serves the client, RESP and HTTPS over TLS; reload swaps the files", {
  skip,
}, async () => {
  const dir = makeTempDir("tinykv-tls-node-");
  // The node's own copies of the files, to be replaced as an operator would.
  const cert = path.join(dir, "node.crt"), key = path.join(dir, "node.key");
  fs.copyFileSync(server.cert, cert);
  fs.copyFileSync(server.key, key);
  const { node, nodeTls, kv, resp, http } = await startNode(path.join(dir, "data"), { cert, key });
  const endpoint = [`127.0.0.1:${kv}`];
  const options = { endpoints: endpoint, net: platform.net, clock: platform.clock, seed: 1 };
  const kvClient = new TinyKvClient({ ...options, tls: { ca: ca.certPem } });
  // The refusal is not retried (a configuration error): it comes at once, however long the
  // deadline a loaded machine needs.
  const plain = new TinyKvClient({ ...options, deadlineMs: 3000, attemptTimeoutMs: 2000 });
  try {
    await kvClient.put("k", "v");
    assert.equal(new TextDecoder().decode(await kvClient.get("k")), "v");
    await assert.rejects(plain.get("k"), (err: TinyKvError) => {
      assert.match(err.message, /the node speaks TLS/);
      assert.equal(err.code, "FAILED_PRECONDITION");
      assert.equal(err.outcomeUnknown, false);
      return true;
    });
    const ping = await exchange(resp, PING, undefined, CLOSE_WAIT_MS, lineEnded);
    assert.equal(ping.reply, "+PONG\r\n");
    assert.equal(await servedName(http, ca.certPem), "server");
    // A key that is not the certificate's: refused, nothing changes.
    fs.copyFileSync(rogue.key, key);
    assert.throws(() => nodeTls.reload(), /does not belong to the certificate/);
    assert.equal(await servedName(kv, ca.certPem), "server");
    const rotated = certs.signed("rotated", ca);
    fs.copyFileSync(rotated.cert, cert);
    fs.copyFileSync(rotated.key, key);
    nodeTls.reload();
    for (const port of [kv, resp, http]) {
      assert.equal(await servedName(port, ca.certPem), "rotated");
    }
    assert.equal(new TextDecoder().decode(await kvClient.get("k")), "v", "open connection kept");
  } finally {
    kvClient.close();
    plain.close();
    await node.close();
    removeTempDir(dir);
  }
});

test("node tls: --tls-client-auth refuses clients without a CA-signed certificate", {
  skip,
}, async () => {
  const dir = makeTempDir("tinykv-tls-auth-");
  const { node, kv, resp } = await startNode(dir, { ...server, clientAuth: true });
  const options = { endpoints: [`127.0.0.1:${kv}`], net: platform.net, clock: platform.clock };
  const anonymous = new TinyKvClient({
    ...options,
    seed: 1,
    deadlineMs: 500,
    tls: { ca: ca.certPem },
  });
  const known = new TinyKvClient({
    ...options,
    seed: 2,
    tls: { ca: ca.certPem, cert: client.certPem, key: client.keyPem },
  });
  try {
    await assert.rejects(anonymous.put("k", "v"));
    await known.put("k", "v");
    const refused = await exchange(resp, PING, undefined, CLOSE_WAIT_MS)
      .catch(() => ({ reply: "", closedByNode: true }));
    assert.deepEqual(refused, { reply: "", closedByNode: true });
    const ping = await exchange(resp, PING, client, CLOSE_WAIT_MS, lineEnded);
    assert.equal(ping.reply, "+PONG\r\n");
  } finally {
    anonymous.close();
    known.close();
    await node.close();
    removeTempDir(dir);
  }
});

test("node tls: wrong flag combinations are usage errors", { skip }, () => {
  const fs = platform.fs;
  assert.equal(nodeTlsOf({}, fs), undefined);
  assert.throws(() => nodeTlsOf({ "tls-cert": server.cert }, fs), /go together/);
  assert.throws(() => nodeTlsOf({ "tls-ca": ca.cert }, fs), /need --tls-cert and --tls-key/);
  const both = { "tls-cert": server.cert, "tls-key": server.key };
  assert.throws(() => nodeTlsOf({ ...both, "tls-client-auth": true }, fs), /needs --tls-ca/);
  assert.throws(() => nodeTlsOf({ ...both, "tls-ca": "/nonexistent.pem" }, fs), /no such file/);
  assert.ok(nodeTlsOf({ ...both, "tls-ca": ca.cert }, fs)?.verifiesPeers);
  // Client commands: the same files, read once; no --tls-* flag leaves the platform as it is.
  assert.equal(withClientTls({}, platform), platform);
  assert.notEqual(withClientTls({ "tls-ca": ca.cert }, platform).net, platform.net);
  assert.throws(() => withClientTls({ "tls-key": client.key }, platform), /go together/);
  assert.throws(() => withClientTls({ "tls-ca": "/nonexistent.pem" }, platform), /no such file/);
});
