/**
 * Authentication and permissions on the RESP port (docs/resp.md, "Users and permissions"),
 * in-process over the standard users of tests/auth/auth_fixture.ts. The texts are Redis
 * 7.0's; tests/resp_diff/resp_auth_diff_test.ts compares them with redis-server.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Authenticator, type AuthFailure } from "../../../src/auth/authenticator.ts";
import type { Principal } from "../../../src/auth/principal.ts";
import type { KvService } from "../../../src/server/kv_service.ts";
import { authFileOf, STANDARD_USERS } from "../../auth/auth_fixture.ts";
import { bulk, err, RawClient, startServer } from "./resp_test_client.ts";

const NOAUTH = err("NOAUTH Authentication required.");
const WRONGPASS = err("WRONGPASS invalid username-password pair or user is disabled.");
const NOPERM_KEY = err(
  "NOPERM this user has no permissions to access one of the keys used as arguments",
);
const NOPERM_CHANNEL = err(
  "NOPERM this user has no permissions to access one of the channels used as arguments",
);
const noPermCommand = (name: string) =>
  err(`NOPERM this user has no permissions to run the '${name}' command`);

const file = await authFileOf();

/** A port with the standard users; `writes` counts what reached the service's log. */
async function withAuthPort(
  body: (port: number, auth: Authenticator, writes: () => number) => Promise<void>,
  auth = new Authenticator({ file, wallMs: () => Date.now() }),
): Promise<void> {
  let writes = 0;
  const wrap = (s: KvService): KvService =>
    new Proxy(s, {
      get(target, prop) {
        const v = Reflect.get(target, prop);
        if (typeof v !== "function") return v;
        if (prop === "execute" || prop === "write") writes++;
        return v.bind(target);
      },
    });
  const { server } = await startServer({ auth, wrap });
  try {
    await body(server.port, auth, () => writes);
  } finally {
    await server.close();
  }
}

async function as(
  port: number,
  user: string,
  password = STANDARD_USERS[user].password,
): Promise<RawClient> {
  const c = await RawClient.connect(port);
  assert.equal(await c.one("AUTH", user, password), "+OK\r\n");
  return c;
}

test("RESP auth: before AUTH only AUTH, HELLO AUTH, QUIT and RESET run", async () => {
  await withAuthPort(async (port, _auth, writes) => {
    const c = await RawClient.connect(port);
    assert.deepEqual(await c.send(["PING"], ["SET", "public/a", "1"], ["CLIENT", "SETNAME", "x"]), [
      NOAUTH,
      NOAUTH,
      NOAUTH,
    ]);
    assert.equal(
      await c.one("NOSUCH"),
      err("ERR unknown command 'NOSUCH', with args beginning with: "),
    );
    assert.equal(await c.one("GET"), err("ERR wrong number of arguments for 'get' command"));
    assert.deepEqual(await c.send(["MULTI"], ["GET", "x"], ["EXEC"]), [
      NOAUTH,
      NOAUTH,
      err("EXECABORT Transaction discarded because of: NOAUTH Authentication required."),
    ]);
    assert.match(await c.one("HELLO", "3"), /^-NOAUTH HELLO must be called with the client/);
    assert.equal(await c.one("CLIENT", "REPLY", "OFF"), NOAUTH);
    assert.equal(await c.one("RESET"), "+RESET\r\n");
    assert.equal(writes(), 0);
    assert.equal(await c.one("QUIT"), "+OK\r\n");
  });
});

test("RESP auth: AUTH and HELLO AUTH, right and wrong; pipelined commands run as the user", async () => {
  await withAuthPort(async (port) => {
    const c = await RawClient.connect(port);
    assert.equal(await c.one("AUTH", "wrong"), WRONGPASS);
    assert.equal(await c.one("AUTH", "nobody", "x"), WRONGPASS);
    assert.equal(await c.one("AUTH", "alice", "adminpass"), WRONGPASS);
    assert.equal(await c.one("AUTH", "a", "b", "c"), err("ERR syntax error"));
    assert.equal(await c.one("HELLO", "3", "AUTH", "alice", "wrong"), WRONGPASS);
    assert.equal(await c.one("GET", "app/k"), NOAUTH);
    // AUTH with the default user's password, and the commands right behind it in one write.
    assert.deepEqual(
      await c.send(["AUTH", "defaultpass"], ["SET", "public/k", "v"], ["ACL", "WHOAMI"]),
      [
        "+OK\r\n",
        "+OK\r\n",
        bulk("default"),
      ],
    );
    const [hello, name, who, get] = await c.send(
      ["HELLO", "3", "AUTH", "alice", "alicepass", "SETNAME", "app1"],
      ["CLIENT", "GETNAME"],
      ["ACL", "WHOAMI"],
      ["GET", "public/k"],
    );
    assert.match(hello, /^%7\r\n\$6\r\nserver\r\n/);
    assert.match(hello, /\$5\r\nproto\r\n:3\r\n/);
    assert.deepEqual([name, who, get], [bulk("app1"), bulk("alice"), NOPERM_KEY]);
    // A failed AUTH leaves the connection logged in as before (Redis does the same).
    assert.deepEqual(await c.send(["AUTH", "reader", "nope"], ["ACL", "WHOAMI"]), [
      WRONGPASS,
      bulk("alice"),
    ]);
    assert.deepEqual(await c.send(["RESET"], ["GET", "app/k"]), ["+RESET\r\n", NOAUTH]);
    c.close();
  });
});

test("RESP auth: each key needs read or write; MULTI refuses at queue time", async () => {
  await withAuthPort(async (port, _auth, writes) => {
    const alice = await as(port, "alice");
    const reader = await as(port, "reader");
    assert.equal(await alice.one("SET", "app/k", "1"), "+OK\r\n");
    const before = writes();
    assert.ok(before > 0, "the allowed SET went through the service");
    assert.deepEqual(
      await reader.send(
        ["GET", "app/k"],
        ["SET", "app/k", "2"],
        ["MGET", "app/k", "other"],
        ["INCR", "app/k"],
        ["COPY", "app/k", "app/k2"],
        ["GET", "other"],
      ),
      [bulk("1"), NOPERM_KEY, NOPERM_KEY, NOPERM_KEY, NOPERM_KEY, NOPERM_KEY],
    );
    assert.equal(writes(), before, "a refused write is neither proposed nor forwarded");
    assert.deepEqual(
      await alice.send(["MULTI"], ["SET", "app/k", "3"], ["SET", "other", "1"], ["EXEC"]),
      [
        "+OK\r\n",
        "+QUEUED\r\n",
        NOPERM_KEY,
        err("EXECABORT Transaction discarded because of previous errors."),
      ],
    );
    assert.equal(await alice.one("GET", "app/k"), bulk("1"));
    assert.deepEqual(
      await alice.send(["MSET", "app/a", "1", "app/b", "2"], ["RENAME", "app/a", "x"]),
      [
        "+OK\r\n",
        NOPERM_KEY,
      ],
    );
    alice.close();
    reader.close();
  });
});

test("RESP auth: node commands need admin; keyspace-wide ones need every key", async () => {
  await withAuthPort(async (port) => {
    const alice = await as(port, "alice");
    assert.deepEqual(
      await alice.send(
        ["CONFIG", "SET", "maxmemory", "0"],
        ["CONFIG", "GET", "maxmemory"],
        ["CLIENT", "KILL", "ID", "999"],
        ["CLIENT", "LIST"],
        ["DEBUG", "SLEEP", "0"],
        ["INFO"],
        ["ACL", "USERS"],
        ["KEYS", "*"],
        ["SCAN", "0"],
        ["DBSIZE"],
        ["RANDOMKEY"],
        ["FLUSHDB"],
        ["FLUSHALL"],
      ),
      [
        "config|set",
        "config|get",
        "client|kill",
        "client|list",
        "debug",
        "info",
        "acl|users",
        "keys",
        "scan",
        "dbsize",
        "randomkey",
        "flushdb",
        "flushall",
      ].map(noPermCommand),
    );
    // What every user may do: its own connection, and unknown subcommands still say so.
    const [id, , unknown] = await alice.send(["CLIENT", "ID"], ["CLIENT", "SETNAME", "n"], [
      "CONFIG",
      "NOPE",
    ]);
    assert.match(id, /^:\d+\r\n$/);
    assert.equal(unknown, err("ERR unknown subcommand 'NOPE'. Try CONFIG HELP."));
    const admin = await as(port, "admin");
    const [users, keys, flushed] = await admin.send(["ACL", "USERS"], ["KEYS", "*"], ["FLUSHDB"]);
    assert.equal(users, `*4\r\n${["admin", "alice", "default", "reader"].map(bulk).join("")}`);
    assert.equal(keys, "*0\r\n");
    assert.equal(flushed, "+OK\r\n");
    alice.close();
    admin.close();
  });
});

test("RESP auth: channels are checked as keys (SUBSCRIBE reads, PUBLISH writes)", async () => {
  await withAuthPort(async (port) => {
    const def = await as(port, "default");
    assert.equal(await def.one("PUBLISH", "app/ch", "m"), NOPERM_CHANNEL);
    assert.equal(await def.one("PUBLISH", "public/ch", "m"), ":0\r\n");
    assert.equal(await def.one("SUBSCRIBE", "public/a", "app/b"), NOPERM_CHANNEL);
    assert.equal(await def.one("PSUBSCRIBE", "*"), NOPERM_CHANNEL);
    assert.equal(await def.one("PSUBSCRIBE", "pub*"), NOPERM_CHANNEL);
    assert.match(await def.one("PSUBSCRIBE", "public/*"), /^\*3\r\n\$10\r\npsubscribe\r\n/);
    def.close();
    const reader = await as(port, "reader");
    assert.equal(await reader.one("PUBLISH", "app/ch", "m"), NOPERM_CHANNEL);
    assert.match(await reader.one("SUBSCRIBE", "app/ch"), /^\*3\r\n\$9\r\nsubscribe\r\n/);
    reader.close();
  });
});

test("RESP auth: a re-read auth file applies to open connections; busy is said plainly", async () => {
  await withAuthPort(async (port, auth) => {
    const c = await as(port, "reader");
    const { reader: _gone, ...rest } = STANDARD_USERS;
    auth.reload(await authFileOf(rest));
    assert.equal(await c.one("GET", "app/k"), NOAUTH);
    c.close();
  });
  class BusyAuthenticator extends Authenticator {
    override authenticate(): Promise<Principal | AuthFailure> {
      return Promise.resolve("busy");
    }
  }
  await withAuthPort(async (port) => {
    const c = await RawClient.connect(port);
    assert.deepEqual(await c.send(["AUTH", "alice", "alicepass"], ["GET", "app/k"]), [
      err("ERR too many password checks are running on this node; send AUTH again shortly"),
      NOAUTH,
    ]);
    c.close();
  }, new BusyAuthenticator({ file, wallMs: () => Date.now() }));
});

test("RESP auth off: AUTH answers as Redis without a password; ACL WHOAMI is default", async () => {
  const { server } = await startServer();
  try {
    const c = await RawClient.connect(server.port);
    assert.deepEqual(
      await c.send(
        ["AUTH", "anything"],
        ["AUTH", "default", "anything"],
        ["AUTH", "alice", "x"],
        ["ACL", "WHOAMI"],
        ["ACL", "USERS"],
        ["KEYS", "*"],
      ),
      [
        err(
          "ERR AUTH <password> called without any password configured for the default user. " +
            "Are you sure your configuration is correct?",
        ),
        "+OK\r\n",
        WRONGPASS,
        bulk("default"),
        `*1\r\n${bulk("default")}`,
        "*0\r\n",
      ],
    );
    c.close();
  } finally {
    await server.close();
  }
});

test("RESP auth: a write-only role may change keys but not read them back", async () => {
  const writerFile = await authFileOf(
    { writer: { password: "writerpass", roles: ["app-w"] } },
    { "app-w": { admin: false, permissions: [{ prefix: "app/", access: "write" }] } },
  );
  await withAuthPort(async (port) => {
    const c = await as(port, "writer", "writerpass");
    assert.deepEqual(
      await c.send(
        ["SET", "app/k", "1"],
        ["SET", "app/k", "2", "GET"],
        ["INCR", "app/k"],
        ["GET", "app/k"],
        ["EXISTS", "app/k"],
        ["COPY", "app/k", "app/k2"],
        ["SADD", "app/s", "m"],
        ["SINTERCARD", "1", "app/s"],
        ["SINTERSTORE", "app/d", "app/s"],
        ["MSET", "app/a", "1", "app/b", "2"],
        ["DEL", "app/a", "app/b", "app/k"],
      ),
      [
        "+OK\r\n",
        NOPERM_KEY,
        NOPERM_KEY,
        NOPERM_KEY,
        NOPERM_KEY,
        NOPERM_KEY,
        ":1\r\n",
        NOPERM_KEY,
        NOPERM_KEY,
        "+OK\r\n",
        ":3\r\n",
      ],
    );
    c.close();
  }, new Authenticator({ file: writerFile, wallMs: () => Date.now() }));
});
