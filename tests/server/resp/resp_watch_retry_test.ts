/**
 * A WATCH whose token read is refused for a passing reason (UNAVAILABLE: a leader changing, a
 * region splitting under the read): read again, at most REDIS_WATCH_READ_ATTEMPTS times, before
 * WATCH answers the refusal; and a refused WATCH makes EXEC abort only until a later WATCH of
 * the same keys reads them; an EXEC refused with TRYAGAIN ends the WATCH, as every EXEC does
 * (docs/resp.md#transactions).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../../src/gen/tinykv/v1/tinykv_pb.ts";
import { REDIS_WATCH_READ_ATTEMPTS } from "../../../src/limits_ops.ts";
import { type KvService, ServiceError } from "../../../src/server/kv_service.ts";
import { RawClient, startServer } from "./resp_test_client.ts";

/**
 * A service whose next `refusals` state reads (WATCH's tokens) answer UNAVAILABLE, and whose next
 * `execs` MULTI/EXEC blocks are refused UNAVAILABLE (not applied).
 */
function refusing(
  s: KvService,
  refusals: { left: number; reads: number; execs?: number },
): KvService {
  const readState: KvService["readState"] = (c, read) => {
    refusals.reads++;
    if (refusals.left-- > 0) {
      return Promise.reject(new ServiceError(ErrorCode.UNAVAILABLE, "no leader yet; retry"));
    }
    return s.readState(c, read);
  };
  const execute: KvService["execute"] = (command) => {
    const multi = command.body?.case === "redis" && command.body.value.multi === true;
    if (multi && (refusals.execs ?? 0) > 0) {
      refusals.execs = (refusals.execs ?? 0) - 1;
      return Promise.reject(new ServiceError(ErrorCode.UNAVAILABLE, "no quorum; retry"));
    }
    return s.execute(command);
  };
  return new Proxy(s, {
    get(target, p) {
      if (p === "readState") return readState;
      if (p === "execute") return execute;
      const v = Reflect.get(target, p, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

test("RESP WATCH: a refused token read is tried again; a WATCH that read clears a failed one", async () => {
  const refusals = { left: 0, reads: 0 };
  const { server } = await startServer({ wrap: (s) => refusing(s, refusals) });
  const [a, b] = [await RawClient.connect(server.port), await RawClient.connect(server.port)];
  try {
    // Refused fewer times than the attempts: WATCH answers OK, and guards EXEC as ever.
    refusals.left = REDIS_WATCH_READ_ATTEMPTS - 1;
    refusals.reads = 0;
    assert.equal(await a.one("WATCH", "k"), "+OK\r\n");
    assert.equal(refusals.reads, REDIS_WATCH_READ_ATTEMPTS, "read again after each refusal");
    assert.equal(await b.one("SET", "k", "other"), "+OK\r\n");
    assert.deepEqual(
      await a.send(["MULTI"], ["SET", "k", "mine"], ["EXEC"]),
      ["+OK\r\n", "+QUEUED\r\n", "*-1\r\n"],
    );

    // Refused every time: WATCH answers the refusal, and an EXEC without a new WATCH aborts.
    refusals.left = REDIS_WATCH_READ_ATTEMPTS;
    assert.match(await a.one("WATCH", "k"), /^-TRYAGAIN /);
    assert.deepEqual(await a.send(["MULTI"], ["SET", "k", "mine"], ["EXEC"]), [
      "+OK\r\n",
      "+QUEUED\r\n",
      "-EXECABORT Transaction discarded because a WATCH failed; retry it\r\n",
    ]);

    // Refused, then watched again: the second WATCH's tokens guard EXEC, which runs.
    refusals.left = REDIS_WATCH_READ_ATTEMPTS;
    assert.match(await a.one("WATCH", "k"), /^-TRYAGAIN /);
    assert.equal(await a.one("WATCH", "k"), "+OK\r\n");
    assert.deepEqual(
      await a.send(["MULTI"], ["SET", "k", "mine"], ["EXEC"]),
      ["+OK\r\n", "+QUEUED\r\n", "*1\r\n+OK\r\n"],
    );
    assert.equal(await b.one("GET", "k"), "$4\r\nmine\r\n");
  } finally {
    a.close();
    b.close();
    await server.close();
  }
});

test("RESP WATCH: an EXEC refused with TRYAGAIN did nothing and ended the WATCH, as every EXEC", async () => {
  const refusals = { left: 0, reads: 0, execs: 0 };
  const { server } = await startServer({ wrap: (s) => refusing(s, refusals) });
  const [a, b] = [await RawClient.connect(server.port), await RawClient.connect(server.port)];
  try {
    assert.equal(await a.one("SET", "k", "mine"), "+OK\r\n");
    assert.equal(await a.one("WATCH", "k"), "+OK\r\n");
    assert.equal(await b.one("SET", "k", "other"), "+OK\r\n");
    refusals.execs = 1;
    const block = [["MULTI"], ["SET", "k", "lost"], ["EXEC"]];
    assert.deepEqual(await a.send(...block), [
      "+OK\r\n",
      "+QUEUED\r\n",
      "-TRYAGAIN the command was not applied: no quorum; retry\r\n",
    ]);
    assert.equal(await b.one("GET", "k"), "$5\r\nother\r\n", "the refused EXEC wrote nothing");
    // The block sent again alone runs unwatched (Redis: EXEC always unwatches): a client that
    // retries a refused EXEC must retry from its WATCH (region_remote_txn_node_test.ts did not,
    // and saw `*1` where `*-1` was right).
    assert.deepEqual(await a.send(...block), ["+OK\r\n", "+QUEUED\r\n", "*1\r\n+OK\r\n"]);
    // From the WATCH: the change in between aborts it.
    assert.equal(await a.one("WATCH", "k"), "+OK\r\n");
    assert.equal(await b.one("SET", "k", "again"), "+OK\r\n");
    assert.deepEqual(await a.send(...block), ["+OK\r\n", "+QUEUED\r\n", "*-1\r\n"]);
  } finally {
    a.close();
    b.close();
    await server.close();
  }
});
