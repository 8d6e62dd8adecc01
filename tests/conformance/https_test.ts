/**
 * HTTPS through the platform's serveHttp under the running runtime (https_server.ts): a GET
 * and a POST with a body reach the fetch handler, the certificate rotates with setTls, and
 * `requireCert` refuses a client without a CA-signed certificate.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as https from "node:https";
import { getPlatform } from "../../src/platform/detect.ts";
import type { TlsServerConfig } from "../../src/platform/types.ts";
import { type CertFiles, OPENSSL_SKIP, TestCerts } from "../helpers/tls_certs.ts";

const platform = getPlatform();
const skip = OPENSSL_SKIP;
let certs: TestCerts;
let ca: CertFiles, server: CertFiles, client: CertFiles, otherCa: CertFiles;

before(() => {
  if (skip) return;
  certs = new TestCerts();
  ca = certs.ca("ca");
  server = certs.signed("server", ca);
  client = certs.signed("client", ca);
  otherCa = certs.ca("other-ca");
});
after(() => certs?.remove());

function tlsConfig(over: Partial<TlsServerConfig> = {}): TlsServerConfig {
  return {
    cert: server.certPem,
    key: server.keyPem,
    ca: ca.certPem,
    handshakeTimeoutMs: 5000,
    socketsMax: 64,
    ...over,
  };
}

interface Reply {
  readonly status: number;
  readonly body: string;
}

/** One request on a fresh connection (no keep-alive agent), trusting `trust`. */
function request(
  port: number,
  path: string,
  o: { method?: string; body?: string; trust?: CertFiles; as?: CertFiles } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: "127.0.0.1",
      port,
      path,
      method: o.method ?? "GET",
      agent: false,
      ca: (o.trust ?? ca).certPem,
      ...(o.as === undefined ? {} : { cert: o.as.certPem, key: o.as.keyPem }),
    }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => body += chunk);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(o.body);
  });
}

async function echoApp(req: Request): Promise<Response> {
  const body = req.method === "POST" ? await req.text() : "";
  return new Response(`${req.method} ${new URL(req.url).pathname} ${body}`, { status: 201 });
}

test(`${platform.runtime} https: serves the fetch handler; setTls rotates the certificate`, {
  skip,
}, async () => {
  const http = await platform.serveHttp(echoApp, {
    hostname: "127.0.0.1",
    port: 0,
    tls: tlsConfig(),
  });
  try {
    assert.deepEqual(await request(http.port, "/status"), { status: 201, body: "GET /status " });
    const post = await request(http.port, "/admin/x", { method: "POST", body: "a".repeat(70_000) });
    assert.deepEqual(post, { status: 201, body: `POST /admin/x ${"a".repeat(70_000)}` });
    const rotated = certs.signed("rotated", otherCa);
    http.setTls?.(tlsConfig({ cert: rotated.certPem, key: rotated.keyPem }));
    await assert.rejects(request(http.port, "/status"));
    const after = await request(http.port, "/status", { trust: otherCa });
    assert.equal(after.status, 201);
  } finally {
    await http.close();
  }
});

test(`${platform.runtime} https: requireCert refuses clients without a CA-signed certificate`, {
  skip,
}, async () => {
  const http = await platform.serveHttp(echoApp, {
    hostname: "127.0.0.1",
    port: 0,
    tls: tlsConfig({ requireCert: true }),
  });
  try {
    await assert.rejects(request(http.port, "/status"));
    const ok = await request(http.port, "/status", { as: client });
    assert.equal(ok.status, 201);
  } finally {
    await http.close();
  }
});
