/**
 * Addresses announced in peer Hellos are bounded (PEER_ANNOUNCED_MAX): a
 * client sending Hellos with made-up ids used to grow the book and the peer
 * links without bound (20,000 Hellos: +300 MiB, found by tests/fuzz/).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { AddressBook } from "../../../src/server/membership/address_book.ts";
import { PEER_ANNOUNCED_MAX } from "../../../src/limits.ts";

test("announced addresses: the newest PEER_ANNOUNCED_MAX are kept, known ones never lost", () => {
  let last: ReadonlyMap<number, string> = new Map();
  const book = new AddressBook(
    new Map([[1, "a:1"], [2, "b:2"]]),
    new Map([[3, "c:3"]]),
    (all) => last = all,
  );
  book.announce(9, "joined:9");
  assert.equal(book.get(9), "joined:9");
  for (let id = 100; id < 100 + 10 * PEER_ANNOUNCED_MAX; id++) book.announce(id, `x:${id}`);
  const all = book.all();
  assert.equal(all.size, 3 + PEER_ANNOUNCED_MAX);
  assert.equal(last.size, all.size);
  assert.equal(book.get(9), undefined, "the oldest announcement was forgotten");
  assert.equal(
    book.get(100 + 10 * PEER_ANNOUNCED_MAX - 1),
    `x:${100 + 10 * PEER_ANNOUNCED_MAX - 1}`,
  );
  assert.deepEqual([book.get(1), book.get(2), book.get(3)], ["a:1", "b:2", "c:3"]);
  book.announce(9, "joined:9"); // a peer that announces again is learned again
  assert.equal(book.get(9), "joined:9");
  assert.equal(book.all().size, 3 + PEER_ANNOUNCED_MAX);
});
