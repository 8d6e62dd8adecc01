/**
 * CLIENT REPLY ON|OFF|SKIP (resp_session.ts asks it about every command it
 * parses, in order).
 */
import { fromUtf8 } from "../../util/bytes.ts";
import { upperName } from "../../kv/redis/command_name.ts";
import type { Slot } from "./resp_command.ts";
import type { RespCommand } from "./resp_parser.ts";

/** Pub/sub replies go out whatever CLIENT REPLY says, as Redis pushes them. */
const PUBSUB_REPLIES = new Set(["SUBSCRIBE", "PSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE"]);

/**
 * CLIENT REPLY ON|OFF|SKIP, decided when commands are parsed (in their order):
 * OFF silences every reply until ON, SKIP the next command's; neither answers
 * itself, ON answers +OK.
 */
export class ReplyMode {
  #mode: "on" | "off" | "skip" = "on";

  /** Every reply is written (CLIENT REPLY ON): commands may skip `slot`. */
  get on(): boolean {
    return this.#mode === "on";
  }

  /** `loggedIn` false: CLIENT REPLY goes to the session, which answers NOAUTH. */
  slot(args: RespCommand, make: (args: RespCommand) => Slot, loggedIn = true): Slot {
    const name = upperName(args[0]);
    const sub = loggedIn && args.length === 3 && name === "CLIENT" &&
        fromUtf8(args[1]).toUpperCase() === "REPLY"
      ? fromUtf8(args[2]).toUpperCase()
      : undefined;
    if (sub === "ON" || sub === "OFF" || sub === "SKIP") {
      const silent = sub !== "ON";
      if (sub === "ON" || sub === "OFF") this.#mode = sub === "ON" ? "on" : "off";
      else if (this.#mode === "on") this.#mode = "skip";
      return {
        kind: "local",
        start: () => (w) => w.ok(),
        started: false,
        done: false,
        reply: undefined,
        silent,
      };
    }
    const slot = make(args);
    if (this.#mode !== "on" && !PUBSUB_REPLIES.has(name)) slot.silent = true;
    if (this.#mode === "skip") this.#mode = "on";
    return slot;
  }
}
