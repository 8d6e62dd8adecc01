import { test } from "node:test";
import assert from "node:assert/strict";
import { AuthFileError, parseAuthFile, serializeAuthFile } from "../../src/auth/auth_file.ts";
import { hashPassword, verifyPassword } from "../../src/auth/password_hash.ts";
import { principalOf, UNRESTRICTED } from "../../src/auth/principal.ts";
import {
  AUTH_FILE_BYTES_MAX,
  AUTH_HASH_ITERATIONS_MAX,
  AUTH_HASH_ITERATIONS_MIN,
  AUTH_NAME_BYTES_MAX,
  AUTH_PERMISSIONS_PER_ROLE_MAX,
  AUTH_ROLES_MAX,
  AUTH_USERS_MAX,
} from "../../src/limits_ops.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { authFileOf } from "./auth_fixture.ts";

const b = (s: string) => utf8(s);

test("auth file: serialize then parse gives the same users and roles", async () => {
  const file = await authFileOf();
  const again = parseAuthFile(utf8(serializeAuthFile(file)));
  assert.deepEqual([...again.users.keys()].sort(), [...file.users.keys()].sort());
  assert.deepEqual(again.users.get("alice"), file.users.get("alice"));
  assert.deepEqual(again.roles.get("app-ro"), file.roles.get("app-ro"));
  assert.equal(again.tokenSecret, file.tokenSecret);
});

test("auth file: every mistake is an error naming the place", async () => {
  const good = JSON.parse(serializeAuthFile(await authFileOf()));
  const bad = (mutate: (j: typeof good) => void, pattern: RegExp) => {
    const j = structuredClone(good);
    mutate(j);
    assert.throws(() => parseAuthFile(utf8(JSON.stringify(j))), (err: Error) => {
      assert.ok(err instanceof AuthFileError, String(err));
      assert.match(err.message, pattern);
      return true;
    });
  };
  bad((j) => j.version = 2, /version must be 1/);
  bad((j) => j.extra = 1, /unknown field 'extra'/);
  bad((j) => j.users.alice.roles = ["nope"], /users\.alice: role 'nope' is not defined/);
  bad((j) => j.users.alice.hash = "zz", /users\.alice\.hash/);
  bad((j) => j.users.alice.iterations = AUTH_HASH_ITERATIONS_MIN - 1, /iterations/);
  bad((j) => j.users.alice.iterations = AUTH_HASH_ITERATIONS_MAX + 1, /iterations/);
  bad((j) => j.roles["app-rw"].permissions[0].access = "all", /access must be read, write/);
  bad((j) => j.roles["app-rw"].admin = "yes", /admin must be true or false/);
  bad((j) => j.users["bad name"] = j.users.alice, /user 'bad name'/);
  bad((j) => j.tokenSecret = "abcd", /tokenSecret/);
  bad((j) => {
    j.roles["app-rw"].permissions = Array.from(
      { length: AUTH_PERMISSIONS_PER_ROLE_MAX + 1 },
      () => ({ prefix: "x", access: "read" }),
    );
  }, /permissions/);
  assert.throws(() => parseAuthFile(utf8("{not json")), /not JSON/);
  assert.throws(
    () => parseAuthFile(new Uint8Array(AUTH_FILE_BYTES_MAX + 1)),
    /over \d+ bytes/,
  );
});

test("password hash: the right password verifies, any other does not", async () => {
  const h = await hashPassword("s3cret", AUTH_HASH_ITERATIONS_MIN);
  assert.equal(h.iterations, AUTH_HASH_ITERATIONS_MIN);
  assert.equal(await verifyPassword(h, "s3cret"), true);
  assert.equal(await verifyPassword(h, "s3cret "), false);
  assert.equal(await verifyPassword(h, ""), false);
  const again = await hashPassword("s3cret", AUTH_HASH_ITERATIONS_MIN);
  assert.notEqual(again.salt, h.salt, "a fresh salt each time");
  assert.notEqual(again.hash, h.hash);
});

test("principal: prefixes grant keys and whole ranges, nothing wider", async () => {
  const file = await authFileOf();
  const alice = principalOf(file, "alice")!;
  const reader = principalOf(file, "reader")!;
  const admin = principalOf(file, "admin")!;
  assert.equal(principalOf(file, "nobody"), undefined);
  assert.ok(alice.canRead(b("app/x")) && alice.canWrite(b("app/x")));
  assert.ok(!alice.canRead(b("ap")) && !alice.canWrite(b("other")));
  assert.ok(reader.canRead(b("app/x")) && !reader.canWrite(b("app/x")));
  assert.ok(alice.canReadRange(b("app/"), b("app0")), "exactly the prefix's range");
  assert.ok(alice.canReadRange(b("app/a"), b("app/b")));
  assert.ok(!alice.canReadRange(b("app/"), b("app1")), "past the prefix");
  assert.ok(!alice.canReadRange(b("ap"), b("app/z")), "before the prefix");
  assert.ok(!alice.canReadRange(b("app/"), new Uint8Array()), "to the end of the keyspace");
  assert.ok(alice.canReadRange(b("zz"), b("aa")), "an empty range touches nothing");
  assert.ok(!reader.canWriteRange(b("app/a"), b("app/b")));
  assert.ok(!alice.admin && admin.admin);
  assert.ok(admin.canWriteRange(new Uint8Array(), new Uint8Array()), "admin reaches all");
  assert.ok(UNRESTRICTED.admin && UNRESTRICTED.canWrite(b("anything")));
});

test("auth file: the user, role and name bounds are each refused with their error", () => {
  const file = (users: Record<string, unknown>, roles: Record<string, unknown>) =>
    utf8(JSON.stringify({ version: 1, users, roles }));
  const many = (n: number, value: unknown) =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`n${i}`, value]));
  assert.throws(
    () => parseAuthFile(file(many(AUTH_USERS_MAX + 1, {}), {})),
    /users: more than 10000/,
  );
  assert.throws(
    () => parseAuthFile(file({}, many(AUTH_ROLES_MAX + 1, {}))),
    /roles: more than 10000/,
  );
  const long = "r".repeat(AUTH_NAME_BYTES_MAX + 1);
  assert.throws(() => parseAuthFile(file({}, { [long]: {} })), /must be 1-128 characters/);
  const justRight = "r".repeat(AUTH_NAME_BYTES_MAX);
  assert.equal(parseAuthFile(file({}, { [justRight]: {} })).roles.size, 1);
});
