/**
 * TLS through the platform's Net under the running runtime (node:tls on both: node_tls.ts):
 * bytes both ways, client certificates checked against the CA, a server the client's CA did
 * not sign refused, certificates swapped by `setTls` for new connections while open ones keep
 * going, bad PEM refused with the old settings kept, and handshakes that never finish closed.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { getPlatform } from "../../src/platform/detect.ts";
import type { Conn, TlsClientConfig, TlsServerConfig } from "../../src/platform/types.ts";
import { type CertFiles, OPENSSL_SKIP, TestCerts } from "../helpers/tls_certs.ts";

const platform = getPlatform();
const net = platform.net;
const skip = OPENSSL_SKIP;
let certs: TestCerts;
let ca: CertFiles, server: CertFiles, client: CertFiles, otherCa: CertFiles, rogue: CertFiles;

before(() => {
  if (skip) return;
  certs = new TestCerts();
  ca = certs.ca("ca");
  server = certs.signed("server", ca);
  client = certs.signed("client", ca);
  otherCa = certs.ca("other-ca");
  rogue = certs.signed("rogue", otherCa);
});
after(() => certs?.remove());

function serverTls(over: Partial<TlsServerConfig> = {}): TlsServerConfig {
  return {
    cert: server.certPem,
    key: server.keyPem,
    ca: ca.certPem,
    handshakeTimeoutMs: 5000,
    socketsMax: 64,
    ...over,
  };
}

function clientTls(who?: CertFiles, trust = ca): TlsClientConfig {
  const own = who === undefined ? {} : { cert: who.certPem, key: who.keyPem };
  return { ca: trust.certPem, ...own, handshakeTimeoutMs: 5000 };
}

/** A TLS echo listener that records each accepted connection's peer verification. */
async function echoServer(tls: TlsServerConfig) {
  const verified: (boolean | undefined)[] = [];
  const listener = await net.listen({ hostname: "127.0.0.1", port: 0, tls }, (conn) => {
    verified.push(conn.peerCertificateVerified);
    conn.setHandlers({ onData: (chunk) => conn.write(chunk.slice()) });
  });
  return { listener, verified };
}

/** Sends `text` and resolves with the echo; rejects if the connection closes first. */
function roundTrip(conn: Conn, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = "";
    conn.setHandlers({
      onData: (chunk) => {
        got += new TextDecoder().decode(chunk);
        if (got.length >= text.length) resolve(got);
      },
      onClose: (err) => reject(err ?? new Error("closed before the echo")),
    });
    conn.write(new TextEncoder().encode(text));
  });
}

test(`${platform.runtime} tls: echo, and client certificates checked against the CA`, {
  skip,
}, async () => {
  const { listener, verified } = await echoServer(serverTls({ requestCert: true }));
  try {
    for (const who of [client, rogue, undefined]) {
      const conn = await net.connect("127.0.0.1", listener.port, clientTls(who));
      assert.equal(conn.peerCertificateVerified, true, "the client verified the server");
      assert.equal(await roundTrip(conn, "hello over tls"), "hello over tls");
      conn.close();
    }
    assert.deepEqual(verified, [true, false, false]);
  } finally {
    await listener.close();
  }
});

test(`${platform.runtime} tls: requireCert refuses clients without a CA-signed certificate`, {
  skip,
}, async () => {
  const { listener, verified } = await echoServer(serverTls({ requireCert: true }));
  try {
    for (const who of [rogue, undefined]) {
      // TLS 1.3: the client may finish its side before the server checks its certificate,
      // so the refusal shows as a failed connect or a connection closed before any echo.
      const refused = net.connect("127.0.0.1", listener.port, clientTls(who)).then(
        (conn) => roundTrip(conn, "x"),
      );
      await assert.rejects(refused);
    }
    const conn = await net.connect("127.0.0.1", listener.port, clientTls(client));
    assert.equal(await roundTrip(conn, "ok"), "ok");
    conn.close();
    assert.deepEqual(verified, [true]);
  } finally {
    await listener.close();
  }
});

test(`${platform.runtime} tls: a server the client's CA did not sign is refused`, {
  skip,
}, async () => {
  const { listener, verified } = await echoServer(serverTls());
  try {
    await assert.rejects(
      net.connect("127.0.0.1", listener.port, clientTls(undefined, otherCa)),
      /Cannot connect to 127\.0\.0\.1/,
    );
    // A TLS client dialling a plain port fails its handshake instead of hanging.
    const plain = await net.listen({ hostname: "127.0.0.1", port: 0 }, (c) => c.close());
    await assert.rejects(net.connect("127.0.0.1", plain.port, clientTls()));
    await plain.close();
    assert.deepEqual(verified, []);
  } finally {
    await listener.close();
  }
});

test(`${platform.runtime} tls: setTls rotates for new connections; open ones keep going`, {
  skip,
}, async () => {
  const { listener } = await echoServer(serverTls());
  try {
    const old = await net.connect("127.0.0.1", listener.port, clientTls());
    const rotated = certs.signed("rotated", otherCa);
    // A certificate that is not the key's is refused, and the old settings stay.
    assert.throws(() => listener.setTls?.(serverTls({ key: rotated.keyPem })), /does not belong/);
    assert.throws(() => listener.setTls?.(serverTls({ cert: "not a pem" })), /not a PEM/);
    const still = await net.connect("127.0.0.1", listener.port, clientTls());
    still.close();
    listener.setTls?.(serverTls({ cert: rotated.certPem, key: rotated.keyPem }));
    await assert.rejects(net.connect("127.0.0.1", listener.port, clientTls()));
    const fresh = await net.connect("127.0.0.1", listener.port, clientTls(undefined, otherCa));
    assert.equal(await roundTrip(fresh, "new cert"), "new cert");
    assert.equal(await roundTrip(old, "old conn"), "old conn");
    fresh.close();
    old.close();
  } finally {
    await listener.close();
  }
});

test(`${platform.runtime} tls: unusable certificates fail listen with a clear error`, {
  skip,
}, async () => {
  const bad = serverTls({ key: rogue.keyPem });
  await assert.rejects(
    net.listen({ hostname: "127.0.0.1", port: 0, tls: bad }, () => {}),
    /Cannot listen with TLS on 127\.0\.0\.1:0: the TLS key does not belong to the certificate/,
  );
});

/** Resolves when `conn` closes. */
function closed(conn: Conn): Promise<void> {
  return new Promise((resolve) => conn.setHandlers({ onData: () => {}, onClose: () => resolve() }));
}

test(`${platform.runtime} tls: unfinished handshakes are closed and bounded in number`, {
  skip,
}, async () => {
  const { listener } = await echoServer(serverTls({ handshakeTimeoutMs: 800, socketsMax: 2 }));
  try {
    const order: string[] = [];
    // Two connections that start a ClientHello and stop: they hold both sockets.
    const stalled = await Promise.all([0, 1].map(() => net.connect("127.0.0.1", listener.port)));
    const stalledClosed = stalled.map((c) => closed(c).then(() => order.push("stalled")));
    for (const c of stalled) c.write(new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
    // A third is over the bound: closed at once, long before the handshake timeout.
    const third = await net.connect("127.0.0.1", listener.port);
    await closed(third).then(() => order.push("third"));
    // The stalled ones are dropped at the handshake timeout; then the port serves again.
    await Promise.all(stalledClosed);
    assert.deepEqual(order, ["third", "stalled", "stalled"]);
    const conn = await net.connect("127.0.0.1", listener.port, clientTls());
    assert.equal(await roundTrip(conn, "after"), "after");
    conn.close();
  } finally {
    await listener.close();
  }
});
