/**
 * When a connection's replies are written (resp_session.ts #finish): replies answered while
 * its data is read (a run of GETs) wait for the platform's afterIo, so that every socket ready
 * in the turn is read before any is written (as Redis writes in beforeSleep); replies finished
 * later (a SET, once its write is applied) go out without waiting for another turn.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bulk, RawClient, startServer } from "./resp_test_client.ts";

/** An afterIo that holds its callbacks until the test runs them. */
function heldAfterIo() {
  const held: (() => void)[] = [];
  return {
    held,
    afterIo: (fn: () => void) => void held.push(fn),
    runHeld: () => {
      for (const fn of held.splice(0)) fn();
    },
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("RESP replies answered while reading wait for the turn's I/O (afterIo)", async () => {
  const io = heldAfterIo();
  const { server } = await startServer({
    afterIo: io.afterIo,
    wrap: (local) => Object.assign(local, { readsNow: true }),
  });
  const client = await RawClient.connect(server.port);
  try {
    // The SET is proposed from afterIo (the write batcher gathers there): run it by hand.
    const setReply = client.one("SET", "k", "v1");
    for (let i = 0; i < 100 && io.held.length === 0; i++) await pause(5);
    io.runHeld();
    assert.equal(await setReply, "+OK\r\n", "a SET's reply is written once applied");

    let answered = false;
    const getReplies = client.send(["GET", "k"], ["GET", "nope"]).then((r) => {
      answered = true;
      return r;
    });
    for (let i = 0; i < 100 && io.held.length === 0; i++) await pause(5);
    assert.equal(io.held.length, 1, "the GETs' replies wait for one afterIo");
    await pause(50);
    assert.equal(answered, false, "nothing is written before the turn's I/O is done");
    io.runHeld();
    assert.deepEqual(await getReplies, [bulk("v1"), "$-1\r\n"]);
  } finally {
    client.close();
    await server.close();
  }
});

test("RESP replies answered while reading go out at once without an afterIo", async () => {
  const { server } = await startServer({
    wrap: (local) => Object.assign(local, { readsNow: true }),
  });
  const client = await RawClient.connect(server.port);
  try {
    assert.equal(await client.one("SET", "k", "v1"), "+OK\r\n");
    assert.deepEqual(await client.send(["GET", "k"], ["GET", "k"]), [bulk("v1"), bulk("v1")]);
  } finally {
    client.close();
    await server.close();
  }
});
