/**
 * A linearizability checker for a key-value register history, after Wing &
 * Gong and Lowe ("Testing for linearizability", 2017) as in porcupine: a
 * depth-first search over the order of calls with a memo of (linearized set,
 * state) pairs already explored, run separately per key (a history is
 * linearizable iff each key's sub-history is: locality, Herlihy & Wing).
 *
 * Operations whose outcome is unknown (timed out) have `ret = Infinity`: they
 * may take effect at any point after their call, or never.
 */

export interface Op {
  /**
   * put and delete always apply; cas applies when the value equals `expected`
   * (`applied` says which way it went; an unknown-outcome cas is checked as
   * applied, since "never took effect" is already covered by not linearizing it).
   * incr adds `delta` to a decimal value (absent counts as 0), as Redis INCRBY.
   */
  readonly kind: "put" | "get" | "delete" | "cas" | "incr";
  readonly key: string;
  /**
   * put/cas: the value written; get: the value read ("" when absent); incr: the
   * value it returned ("" when the outcome is unknown).
   */
  readonly value: string;
  /** delete only: whether it reported that the key existed (undefined: not checked). */
  readonly existed?: boolean;
  /** incr only: the amount added. */
  readonly delta?: number;
  /** cas only: the value required ("" for an absent key). */
  readonly expected?: string;
  /** cas only: whether it reported that it applied. */
  readonly applied?: boolean;
  /** get only: the key's revision fields, when the client reported them (revision check only). */
  readonly entry?: {
    readonly version: number;
    readonly modRevision: number;
    readonly createRevision: number;
    readonly lease: number;
  };
  readonly call: number;
  readonly ret: number;
}

/** The register's step: whether `op` may run in `state`, and the state after it. */
function step(op: Op, state: string): { ok: boolean; next: string } {
  switch (op.kind) {
    case "put":
      return { ok: true, next: op.value };
    case "delete":
      return { ok: op.existed === undefined || op.existed === (state !== ""), next: "" };
    case "incr": {
      if (state !== "" && !/^-?\d+$/.test(state)) return { ok: false, next: state };
      const next = String(BigInt(state === "" ? "0" : state) + BigInt(op.delta ?? 1));
      return { ok: op.ret === Infinity || op.value === next, next };
    }
    case "get":
      return { ok: op.value === state, next: state };
    case "cas": {
      const matches = state === (op.expected ?? "");
      if (op.applied === false && op.ret !== Infinity) return { ok: !matches, next: state };
      return { ok: matches, next: op.value };
    }
  }
}

interface Event {
  readonly op: number;
  readonly isCall: boolean;
  readonly time: number;
  prev: Event | undefined;
  next: Event | undefined;
  match: Event | undefined;
}

function buildList(ops: readonly Op[]): Event {
  const events: Event[] = [];
  ops.forEach((o, i) => {
    const call: Event = {
      op: i,
      isCall: true,
      time: o.call,
      prev: undefined,
      next: undefined,
      match: undefined,
    };
    const ret: Event = {
      op: i,
      isCall: false,
      time: o.ret,
      prev: undefined,
      next: undefined,
      match: undefined,
    };
    call.match = ret;
    events.push(call, ret);
  });
  // Calls sort before returns at the same time: such operations overlap.
  events.sort((a, b) =>
    a.time - b.time || (a.isCall === b.isCall ? a.op - b.op : a.isCall ? -1 : 1)
  );
  const head: Event = {
    op: -1,
    isCall: false,
    time: -Infinity,
    prev: undefined,
    next: undefined,
    match: undefined,
  };
  let prev = head;
  for (const e of events) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }
  return head;
}

function lift(call: Event): void {
  const ret = call.match;
  if (call.prev !== undefined) call.prev.next = call.next;
  if (call.next !== undefined) call.next.prev = call.prev;
  if (ret === undefined) return;
  if (ret.prev !== undefined) ret.prev.next = ret.next;
  if (ret.next !== undefined) ret.next.prev = ret.prev;
}

function unlift(call: Event): void {
  const ret = call.match;
  if (ret !== undefined) {
    if (ret.prev !== undefined) ret.prev.next = ret;
    if (ret.next !== undefined) ret.next.prev = ret;
  }
  if (call.prev !== undefined) call.prev.next = call;
  if (call.next !== undefined) call.next.prev = call;
}

/** Checks one key's operations against a register that starts empty. */
export function checkRegister(ops: readonly Op[], budget = 2_000_000): boolean | "unknown" {
  const head = buildList(ops);
  const cache = new Set<string>();
  const stack: Array<{ call: Event; state: string }> = [];
  let state = "";
  let linearized = 0n;
  let entry = head.next;
  let steps = 0;
  while (entry !== undefined) {
    if (++steps > budget) return "unknown";
    const op = ops[entry.op];
    if (op === undefined) return false;
    if (entry.isCall) {
      const { ok, next } = step(op, state);
      if (ok) {
        const lin = linearized | (1n << BigInt(entry.op));
        const key = `${lin.toString(36)}|${next}`;
        if (!cache.has(key)) {
          cache.add(key);
          stack.push({ call: entry, state });
          state = next;
          linearized = lin;
          lift(entry);
          entry = head.next;
          continue;
        }
      }
      entry = entry.next;
      continue;
    }
    // A return: its call must have been linearized already; it was not.
    if (op.ret === Infinity) return true; // only ops of unknown outcome remain
    const top = stack.pop();
    if (top === undefined) return false;
    state = top.state;
    linearized &= ~(1n << BigInt(top.call.op));
    unlift(top.call);
    entry = top.call.next;
  }
  return true;
}

/** Checks a whole history, key by key. Returns the first failing key, if any. */
export function checkHistory(ops: readonly Op[]): { ok: boolean; key?: string; unknown?: boolean } {
  const byKey = new Map<string, Op[]>();
  for (const o of ops) {
    const list = byKey.get(o.key) ?? [];
    list.push(o);
    byKey.set(o.key, list);
  }
  let unknown = false;
  for (const [key, list] of byKey) {
    const res = checkRegister(list);
    if (res === false) return { ok: false, key };
    if (res === "unknown") unknown = true;
  }
  return { ok: true, unknown };
}
