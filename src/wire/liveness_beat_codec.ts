/**
 * The multi-region liveness beat (`Frame.liveness`, docs/formats.md "Peer
 * batches") encoded and decoded by hand: a beat listing 10,000 quiet regions
 * through protobuf-es built three bigints per region each way and was most of
 * the CPU of an idle node's beats (bench/RESULTS.md, "Peer batches"). The bytes
 * are what protobuf-es writes (packed repeated fields, zero values left out);
 * the decoder takes only that form and returns undefined for anything else,
 * which then goes through protobuf-es and its checks.
 */
import { varintLength } from "../util/coding.ts";

const FRAME_LIVENESS = 6 << 3 | 2;
const INCARNATION = 1 << 3;
const LISTS = [2 << 3 | 2, 3 << 3 | 2, 4 << 3 | 2]; // quiet_regions, quiet_terms, quiet_commits

/** A beat as the multi-region driver's transport types have it (structurally). */
export interface BeatShape {
  readonly incarnation: number;
  readonly quiet: readonly {
    readonly region: number;
    readonly term: number;
    readonly commit: number;
  }[];
}

type Key = "region" | "term" | "commit";
const KEYS: readonly Key[] = ["region", "term", "commit"];

function put(out: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    out[pos++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  out[pos++] = n;
  return pos;
}

/** The length-prefixed `Frame { liveness }` of `beat`. */
export function encodeBeatFrame(beat: BeatShape): Uint8Array {
  const q = beat.quiet;
  const lens = KEYS.map((k) => q.reduce((n, r) => n + varintLength(r[k]), 0));
  let body = beat.incarnation === 0 ? 0 : 1 + varintLength(beat.incarnation);
  for (const len of lens) if (len > 0) body += 1 + varintLength(len) + len;
  const payload = 1 + varintLength(body) + body;
  const out = new Uint8Array(4 + payload);
  out[0] = payload >>> 24;
  out[1] = payload >>> 16;
  out[2] = payload >>> 8;
  out[3] = payload;
  let pos = put(out, 4, FRAME_LIVENESS);
  pos = put(out, pos, body);
  if (beat.incarnation !== 0) {
    pos = put(out, pos, INCARNATION);
    pos = put(out, pos, beat.incarnation);
  }
  for (let k = 0; k < 3; k++) {
    if (lens[k] === 0) continue;
    pos = put(out, pos, LISTS[k]);
    pos = put(out, pos, lens[k]);
    const key = KEYS[k];
    for (const r of q) pos = put(out, pos, r[key]);
  }
  return out;
}

/** A varint below 2^53 at `pos`, or undefined; returns [value, next]. */
function get(buf: Uint8Array, pos: number, end: number): [number, number] | undefined {
  let n = 0;
  let scale = 1;
  for (let i = 0; i < 8 && pos < end; i++) {
    const b = buf[pos++];
    n += (b & 0x7f) * scale;
    if (b < 0x80) return n > Number.MAX_SAFE_INTEGER ? undefined : [n, pos];
    scale *= 0x80;
  }
  return undefined;
}

/** Decodes the canonical beat frame payload, or undefined (the caller uses protobuf-es). */
export function decodeBeatFrame(payload: Uint8Array): BeatShape | undefined {
  const end = payload.length;
  if (payload[0] !== FRAME_LIVENESS) return undefined;
  const len = get(payload, 1, end);
  if (len === undefined || len[1] + len[0] !== end) return undefined;
  let pos = len[1];
  let incarnation = 0;
  const lists: number[][] = [[], [], []];
  while (pos < end) {
    const tag = payload[pos++];
    const v = get(payload, pos, end);
    if (v === undefined) return undefined;
    pos = v[1];
    if (tag === INCARNATION) {
      incarnation = v[0];
      continue;
    }
    const k = LISTS.indexOf(tag);
    if (k < 0 || lists[k].length > 0 || v[0] > end - pos) return undefined;
    for (const listEnd = pos + v[0]; pos < listEnd;) {
      const x = get(payload, pos, listEnd);
      if (x === undefined) return undefined;
      lists[k].push(x[0]);
      pos = x[1];
    }
  }
  const [regions, terms, commits] = lists;
  if (terms.length !== regions.length || commits.length !== regions.length) return undefined;
  const quiet = regions.map((region, i) => ({ region, term: terms[i], commit: commits[i] }));
  return { incarnation, quiet };
}
