/**
 * Screens each peer's batches before the driver takes them (region_creation.ts `screen`) and
 * delivers them in the order they arrived from that peer.
 *
 * The screen is asynchronous only for a batch carrying a region image: it reads the image's head
 * first, which for tens of MB takes a while. A later batch of the same peer used to skip ahead
 * of it: the leader's probe, sent once the image was handed to its socket, reached the follower
 * before the image, the follower (still behind) rejected it, and the leader sent the image
 * again — two or three images per new replica (decision 0014 "Next", moves are slow). So while
 * one of a peer's batches is being screened, that peer's next batches wait behind it; the other
 * peers' batches do not.
 */
import type { NodeBatch } from "../../raft/multi/transport.ts";

export class OrderedScreen {
  /** Per peer, the end of its batches still being screened or waiting (none: deliver now). */
  readonly #tails = new Map<number, Promise<void>>();

  constructor(
    readonly screen: (batch: NodeBatch) => NodeBatch | Promise<NodeBatch>,
    readonly receive: (batch: NodeBatch) => void,
    /** A screen that threw: its batch is dropped (Raft sends again), the peer's next go on. */
    readonly failed: (err: unknown) => void,
  ) {}

  /** Batches of `from` waiting behind a screen (tests, status). */
  waiting(from: number): boolean {
    return this.#tails.has(from);
  }

  deliver(batch: NodeBatch): void {
    const tail = this.#tails.get(batch.from);
    if (tail === undefined) {
      const screened = this.screen(batch);
      if (!(screened instanceof Promise)) return this.receive(screened);
      return this.#queue(batch.from, screened.then((b) => this.receive(b)));
    }
    this.#queue(batch.from, tail.then(async () => this.receive(await this.screen(batch))));
  }

  #queue(from: number, next: Promise<void>): void {
    const tail: Promise<void> = next.catch((err) => this.failed(err)).finally(() => {
      if (this.#tails.get(from) === tail) this.#tails.delete(from);
    });
    this.#tails.set(from, tail);
  }
}
