/**
 * notify-keyspace-events: the flag letters CONFIG SET accepts and the text
 * CONFIG GET gives back. Every pair below was checked against redis-server 7.0
 * (CONFIG SET then CONFIG GET).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  INVALID_NOTIFY_FLAGS,
  NotifyConfig,
  NotifyFlagsError,
} from "../../../src/server/pubsub/notify_config.ts";

test("notify-keyspace-events: values read back as redis-server 7.0 writes them", () => {
  const cases: [string, string][] = [
    ["", ""],
    ["K", "K"],
    ["g", "g"],
    ["KEA", "AKE"],
    ["AKE", "AKE"],
    ["Kg$lshzxetmdn", "AKm"],
    ["KEg$lshzxetd", "AKE"],
    ["KEAmn", "AKEm"],
    ["xxx", "x"],
    ["Ex", "xE"],
    ["nKE", "nKE"],
    ["mK", "Km"],
    ["KEg$lshzxet", "g$lshzxetKE"],
    ["AAK", "AK"],
    ["d", "d"],
  ];
  const config = new NotifyConfig();
  for (const [set, get] of cases) {
    config.set(set);
    assert.equal(config.get(), get, `CONFIG SET notify-keyspace-events ${set}`);
  }
});

test("notify-keyspace-events: a bad letter is refused and changes nothing", () => {
  const config = new NotifyConfig();
  config.set("KEA");
  for (const bad of ["Kq", "KEA ", "k", "a"]) {
    assert.throws(() => config.set(bad), (e) => e instanceof NotifyFlagsError);
  }
  assert.equal(config.get(), "AKE");
  assert.equal(INVALID_NOTIFY_FLAGS, "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  assert.deepEqual(config.wants("$"), { keyspace: true, keyevent: true });
  assert.deepEqual(config.wants("m"), { keyspace: false, keyevent: false }, "A leaves m out");
});
