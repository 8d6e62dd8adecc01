/**
 * Region 0's part of a heartbeat and of its answer (placement_group.ts), appended after the
 * older fields of each (placement_orders.ts), so a message without it (an older node's) reads
 * as none:
 *
 *   heartbeat: region 0's applied index on the sender (0: none) · catching up u8 (0 or 1)
 *   answer:    the leader's applied index · voters (count · id*) · learners (count · id*)
 *              · settled u8 (0 or 1)
 *
 * Decoding reads untrusted bytes: it throws DecodeError or InvalidArgumentError only.
 */
import { PLACEMENT_REPLICAS_MAX } from "../../limits_ops.ts";
import { checkCount, readFlag, readIds, writeIds } from "../../placement/placement_codec.ts";
import type { ByteReader, ByteWriter } from "../../util/coding.ts";
import { InvalidArgumentError } from "../../util/errors.ts";
import type { GroupAnswer, GroupHeard } from "./placement_group.ts";

export function checkGroupHeard(h: GroupHeard): void {
  checkCount(h.applied, "region 0 applied index");
}

export function writeGroupHeard(w: ByteWriter, h: GroupHeard): void {
  w.varint(h.applied).u8(h.catchingUp ? 1 : 0);
}

/** Undefined when the heartbeat ends before it (an older sender's). */
export function readGroupHeard(r: ByteReader): GroupHeard | undefined {
  if (r.remaining === 0) return undefined;
  const applied = r.varint();
  return { applied, catchingUp: readFlag(r, "region 0 catching up") };
}

export function checkGroupAnswer(a: GroupAnswer): void {
  checkCount(a.index, "region 0 index");
  if (a.voters.length + a.learners.length > PLACEMENT_REPLICAS_MAX) {
    throw new InvalidArgumentError(`region 0 lists over ${PLACEMENT_REPLICAS_MAX} members`);
  }
  for (const id of [...a.voters, ...a.learners]) checkCount(id, "region 0 member", 1);
}

export function writeGroupAnswer(w: ByteWriter, a: GroupAnswer): void {
  w.varint(a.index);
  writeIds(w, a.voters);
  writeIds(w, a.learners);
  w.u8(a.settled ? 1 : 0);
}

/** Undefined when the answer ends before it (an older leader's). */
export function readGroupAnswer(r: ByteReader): GroupAnswer | undefined {
  if (r.remaining === 0) return undefined;
  const index = r.varint();
  const voters = readIds(r, PLACEMENT_REPLICAS_MAX, "region 0 voters");
  const learners = readIds(r, PLACEMENT_REPLICAS_MAX, "region 0 learners");
  const a = { index, voters, learners, settled: readFlag(r, "region 0 settled") };
  checkGroupAnswer(a);
  return a;
}
