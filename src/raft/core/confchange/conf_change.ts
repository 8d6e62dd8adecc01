/**
 * Membership change requests and their byte encoding inside a log entry of
 * type `EntryType.ConfChange`.
 *
 * Layout (little-endian): u8 version, u8 transition, u32 count, then per
 * change u8 type, u32 id-high, u32 id-low and, in version 2 only, u32 context
 * length and the context bytes. Version 1 (no contexts) is written when no
 * change carries a context. Written to disk: the numbers below are frozen —
 * never renumber, never reuse.
 */

export const ConfChangeType = {
  AddNode: 0,
  AddLearner: 1,
  RemoveNode: 2,
} as const;
export type ConfChangeType = typeof ConfChangeType[keyof typeof ConfChangeType];

export const ConfChangeTransition = {
  /** Simple change when at most one voter changes, else joint with auto-leave. */
  Auto: 0,
  /** Joint consensus, left automatically once committed. */
  JointImplicit: 1,
  /** Joint consensus, left only by an explicit empty change. */
  JointExplicit: 2,
} as const;
export type ConfChangeTransition = typeof ConfChangeTransition[keyof typeof ConfChangeTransition];

export interface ConfChangeSingle {
  readonly type: ConfChangeType;
  readonly nodeId: number;
  /**
   * Opaque to Raft; replicated with the change for the layer above (TinyKV
   * puts the new member's address here).
   */
  readonly context?: Uint8Array;
}

/** An empty `changes` list while in a joint configuration means "leave joint". */
export interface ConfChange {
  readonly transition: ConfChangeTransition;
  readonly changes: readonly ConfChangeSingle[];
}

const VERSION_PLAIN = 1;
const VERSION_WITH_CONTEXT = 2;
const HEADER = 6;
const ITEM = 9;
const CONTEXT_LENGTH = 4;
const TWO_32 = 0x1_0000_0000;

export function encodeConfChange(cc: ConfChange): Uint8Array {
  const withContext = cc.changes.some((c) => c.context !== undefined);
  let size = HEADER + ITEM * cc.changes.length;
  if (withContext) {
    for (const c of cc.changes) size += CONTEXT_LENGTH + (c.context?.length ?? 0);
  }
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint8(0, withContext ? VERSION_WITH_CONTEXT : VERSION_PLAIN);
  dv.setUint8(1, cc.transition);
  dv.setUint32(2, cc.changes.length, true);
  let at = HEADER;
  for (const c of cc.changes) {
    dv.setUint8(at, c.type);
    dv.setUint32(at + 1, Math.floor(c.nodeId / TWO_32), true);
    dv.setUint32(at + 5, c.nodeId >>> 0, true);
    at += ITEM;
    if (!withContext) continue;
    const context = c.context ?? new Uint8Array(0);
    dv.setUint32(at, context.length, true);
    out.set(context, at + CONTEXT_LENGTH);
    at += CONTEXT_LENGTH + context.length;
  }
  return out;
}

function isChangeType(v: number): v is ConfChangeType {
  return v === 0 || v === 1 || v === 2;
}

function isTransition(v: number): v is ConfChangeTransition {
  return v === 0 || v === 1 || v === 2;
}

/** Decodes a conf change; undefined when the bytes are not a valid encoding. */
export function decodeConfChange(data: Uint8Array): ConfChange | undefined {
  if (data.length < HEADER) return undefined;
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const version = dv.getUint8(0);
  const transition = dv.getUint8(1);
  const count = dv.getUint32(2, true);
  const withContext = version === VERSION_WITH_CONTEXT;
  if ((version !== VERSION_PLAIN && !withContext) || !isTransition(transition)) return undefined;
  if (!withContext && data.length !== HEADER + ITEM * count) return undefined;
  const changes: ConfChangeSingle[] = [];
  let at = HEADER;
  for (let i = 0; i < count; i++) {
    if (at + ITEM > data.length) return undefined;
    const type = dv.getUint8(at);
    const nodeId = dv.getUint32(at + 1, true) * TWO_32 + dv.getUint32(at + 5, true);
    if (!isChangeType(type) || !Number.isSafeInteger(nodeId) || nodeId === 0) return undefined;
    at += ITEM;
    if (!withContext) {
      changes.push({ type, nodeId });
      continue;
    }
    if (at + CONTEXT_LENGTH > data.length) return undefined;
    const length = dv.getUint32(at, true);
    at += CONTEXT_LENGTH;
    if (at + length > data.length) return undefined;
    changes.push({ type, nodeId, context: data.slice(at, at + length) });
    at += length;
  }
  return at === data.length ? { transition, changes } : undefined;
}

export function describeConfChange(cc: ConfChange): string {
  const names = ["v", "l", "r"];
  const parts = cc.changes.map((c) => `${names[c.type]}${c.nodeId}`);
  const t = ["", " implicit", " explicit"][cc.transition];
  return parts.length === 0 ? `leave-joint${t}` : parts.join(" ") + t;
}
