/** Whether two servers' replies to one step agree, under the step's rule (case_file.ts). */
import type { Rule } from "./case_file.ts";
import type { RawReply } from "./resp_conn.ts";
import type { Reply } from "./resp_reply.ts";

/** A canonical string for a reply tree, so trees can be sorted and compared. */
function key(r: Reply): string {
  return JSON.stringify(r);
}

function sameShape(a: Reply, b: Reply): boolean {
  if (a.type !== b.type) return false;
  if ((a.text === undefined) !== (b.text === undefined)) return false;
  if (a.items === undefined || b.items === undefined) return a.items === b.items;
  return a.items.length === b.items.length && a.items.every((x, i) => sameShape(x, b.items![i]));
}

/** The reply with the elements of every array in it sorted, nested ones first. */
function sorted(r: Reply): Reply {
  if (r.items === undefined) return r;
  const items = r.items.map(sorted);
  if (r.type === "%" || r.type === "|") return { type: r.type, items };
  return { type: r.type, items: items.sort((x, y) => key(x) < key(y) ? -1 : 1) };
}

function inRange(r: Reply, lo: bigint, hi: bigint): boolean {
  if (r.type !== ":" || r.text === undefined || !/^-?\d+$/.test(r.text)) return false;
  const n = BigInt(r.text);
  return n >= lo && n <= hi;
}

/**
 * Undefined when the replies agree, else why not. A step whose reply never came (an Error) agrees
 * only with the same failure on the other server.
 */
export function disagreement(
  rule: Rule,
  redis: RawReply | Error,
  tinykv: RawReply | Error,
): string | undefined {
  if (redis instanceof Error || tinykv instanceof Error) {
    const same = redis instanceof Error && tinykv instanceof Error &&
      redis.message === tinykv.message;
    return same ? undefined : "one server did not reply";
  }
  switch (rule.kind) {
    case "exact":
      return redis.raw === tinykv.raw ? undefined : "bytes differ";
    case "sorted":
      return key(sorted(redis.reply)) === key(sorted(tinykv.reply))
        ? undefined
        : "elements differ (order ignored)";
    case "shape":
      return sameShape(redis.reply, tinykv.reply) ? undefined : "types or lengths differ";
    case "range": {
      const where = `[${rule.lo}, ${rule.hi}]`;
      if (!inRange(redis.reply, rule.lo, rule.hi)) return `redis's reply is not in ${where}`;
      return inRange(tinykv.reply, rule.lo, rule.hi) ? undefined : `not an integer in ${where}`;
    }
  }
}
