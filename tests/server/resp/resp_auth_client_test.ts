/**
 * A Redis client library logging in to an in-process RESP port with users: ioredis with a
 * username and password (its INFO ready check is refused to a non-admin user, which ioredis
 * skips with a warning, as against a Redis user without @dangerous).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { Authenticator } from "../../../src/auth/authenticator.ts";
import { authFileOf } from "../../auth/auth_fixture.ts";
import { startServer } from "./resp_test_client.ts";

test("RESP auth: ioredis logs in with a username and password and works within its rights", async () => {
  const auth = new Authenticator({ file: await authFileOf(), wallMs: () => Date.now() });
  const { server } = await startServer({ auth });
  const warn = console.warn;
  console.warn = () => {}; // ioredis's note about skipping the ready check
  const common = {
    port: server.port,
    host: "127.0.0.1",
    lazyConnect: true,
    maxRetriesPerRequest: 0,
  };
  const alice = new Redis({ ...common, username: "alice", password: "alicepass" });
  const wrong = new Redis({
    ...common,
    username: "alice",
    password: "nope",
    retryStrategy: () => null,
  });
  try {
    await alice.connect();
    assert.equal(await alice.set("app/k", "v"), "OK");
    assert.equal(await alice.get("app/k"), "v");
    await assert.rejects(
      alice.set("other", "v"),
      /^ReplyError: NOPERM this user has no permissions/,
    );
    const errors: string[] = [];
    wrong.on("error", (e: Error) => errors.push(e.message));
    await assert.rejects(wrong.connect());
    assert.match(errors.join("\n"), /WRONGPASS invalid username-password pair/);
  } finally {
    console.warn = warn;
    alice.disconnect();
    wrong.disconnect();
    await server.close();
  }
});
