/**
 * Where each member listens (protobuf/Raft address), by precedence: the
 * replicated address book (src/kv/members.ts: addresses given to `member add`,
 * the newest truth for every node), then this node's own `--peers` (the
 * initial members; per-node, so a test harness can route each link through
 * its own proxy), then addresses peers announced in Hello.
 */
import type { MemberAddressWrite } from "../../kv/members.ts";
import { ConfChangeType, decodeConfChange } from "../../raft/core/confchange/conf_change.ts";
import { PEER_ANNOUNCED_MAX } from "../../limits.ts";
import { fromUtf8 } from "../../util/bytes.ts";
import { splitHostPort } from "../../util/host_port.ts";

export class AddressBook {
  readonly #replicated = new Map<number, string>();
  /** Addresses peers announced in their Hello; used only when nothing else is known. */
  readonly #announced = new Map<number, string>();

  constructor(
    readonly local: ReadonlyMap<number, string>,
    replicated: ReadonlyMap<number, string>,
    readonly onChange: (all: ReadonlyMap<number, string>) => void,
  ) {
    for (const [id, a] of replicated) this.#replicated.set(id, a);
  }

  get(id: number): string | undefined {
    return this.#replicated.get(id) ?? this.local.get(id) ?? this.#announced.get(id);
  }

  /** The address membership or `--peers` gives `id`; never one a peer announced itself. */
  configured(id: number): string | undefined {
    return this.#replicated.get(id) ?? this.local.get(id);
  }

  all(): Map<number, string> {
    return new Map([...this.#announced, ...this.local, ...this.#replicated]);
  }

  /** Applies the writes of committed membership entries. */
  apply(writes: readonly MemberAddressWrite[]): void {
    if (writes.length === 0) return;
    for (const w of writes) {
      if (w.address === null) this.#replicated.delete(w.id);
      else this.#replicated.set(w.id, w.address);
    }
    this.onChange(this.all());
  }

  /**
   * A peer announced its address. A node that joined with a `--peers` not
   * listing the current leader learns where to answer it this way, before the
   * snapshot brings it the replicated address book.
   */
  announce(id: number, address: string): void {
    if (address === "" || this.#announced.get(id) === address) return;
    try {
      splitHostPort(address);
    } catch {
      return; // not an address: ignore it rather than dial garbage
    }
    this.#announced.delete(id); // set again below: the map keeps the oldest first
    this.#announced.set(id, address);
    // Without --cluster-token anyone may send a Hello: keep only the newest announcements,
    // so a flood of made-up ids costs bounded memory and links (found by tests/fuzz/).
    let forgot = false;
    for (const oldest of this.#announced.keys()) {
      if (this.#announced.size <= PEER_ANNOUNCED_MAX) break;
      this.#announced.delete(oldest);
      forgot = true;
    }
    if (!forgot && (this.local.has(id) || this.#replicated.has(id))) return;
    this.onChange(this.all());
  }

  /** Replaces the replicated part (after a snapshot was installed). */
  reset(replicated: ReadonlyMap<number, string>): void {
    this.#replicated.clear();
    for (const [id, a] of replicated) this.#replicated.set(id, a);
    this.onChange(this.all());
  }
}

/**
 * The address-book writes a committed conf change entry makes: an added
 * member's address (the change's context), a removed member's deletion.
 */
export function memberWritesOf(data: Uint8Array): MemberAddressWrite[] {
  const cc = decodeConfChange(data);
  if (cc === undefined) return [];
  const writes: MemberAddressWrite[] = [];
  for (const c of cc.changes) {
    if (c.type === ConfChangeType.RemoveNode) writes.push({ id: c.nodeId, address: null });
    else if (c.context !== undefined && c.context.length > 0) {
      writes.push({ id: c.nodeId, address: fromUtf8(c.context) });
    }
  }
  return writes;
}
