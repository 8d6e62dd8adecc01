/**
 * Block codecs on SSTable-shaped 4 KiB blocks (decision 0016):
 *
 *   deno run -A bench/codec_bench.ts [--blocks 3000] [--extra DIR]
 *   bun bench/codec_bench.ts ...
 *
 * TinyKV's LZ4 (raw, and as `compressBlock` stores it: rejected below a 1/8 saving) and
 * node:zlib deflate-raw; with `--extra DIR` also `snappyjs` and `lz4js` from DIR/node_modules
 * (`npm install --prefix DIR snappyjs lz4js`; they are not dependencies of TinyKV). Blocks hold
 * 16-byte keys and 100-byte values, JSON-like or random. CPU time, not wall time: steadier on a
 * shared machine.
 */
import { createRequire } from "node:module";
import process from "node:process";
import { parseArgs } from "node:util";
import zlib from "node:zlib";
import { BlockBuilder } from "../src/storage/sstable/block_builder.ts";
import { compressBlock, decompressBlock } from "../src/storage/sstable/compression.ts";
import { lz4Compress, lz4Decompress } from "../src/storage/sstable/lz4.ts";
import { createPrng } from "../src/util/prng.ts";
import { makeValues, type ValueShape } from "./bench_values.ts";
import { describeMachine } from "./machine.ts";

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: { blocks: { type: "string", default: "3000" }, extra: { type: "string" } },
});

interface Codec {
  c(b: Uint8Array): Uint8Array;
  d(b: Uint8Array, rawSize: number): Uint8Array;
}

const codecs: Record<string, Codec> = {
  "tinykv lz4": {
    c: (b) => {
      const out = new Uint8Array(b.length + 64 + (b.length >>> 8));
      return out.subarray(0, lz4Compress(b, out, 0, out.length));
    },
    d: (b, n) => {
      const out = new Uint8Array(n);
      lz4Decompress(b, 0, b.length, out);
      return out;
    },
  },
  "tinykv stored": {
    c: (b) => {
      const s = compressBlock(b, "lz4");
      return s.type === 0 ? b : s.bytes.slice();
    },
    d: (b, n) => b.length === n ? b : decompressBlock(b, 1),
  },
  "deflate-raw 1": {
    c: (b) => new Uint8Array(zlib.deflateRawSync(b, { level: 1 })),
    d: (b) => new Uint8Array(zlib.inflateRawSync(b)),
  },
};

interface SnappyJs {
  compress(b: Uint8Array): Uint8Array;
  uncompress(b: Uint8Array, max: number): Uint8Array;
}
interface Lz4Js {
  compressBound(n: number): number;
  compressBlock(s: Uint8Array, d: Uint8Array, at: number, n: number, t: Uint32Array): number;
  decompressBlock(s: Uint8Array, d: Uint8Array, at: number, n: number, dAt: number): number;
}

if (args.extra !== undefined) {
  const require = createRequire(`${args.extra}/package.json`);
  const snappy = require("snappyjs") as SnappyJs;
  const lz4 = require("lz4js") as Lz4Js;
  const table = new Uint32Array(1 << 16);
  codecs.snappyjs = { c: (b) => snappy.compress(b), d: (b, n) => snappy.uncompress(b, n) };
  codecs.lz4js = {
    c: (b) => {
      const out = new Uint8Array(lz4.compressBound(b.length));
      table.fill(0);
      return out.subarray(0, lz4.compressBlock(b, out, 0, b.length, table));
    },
    d: (b, n) => {
      const out = new Uint8Array(n);
      lz4.decompressBlock(b, out, 0, b.length, 0);
      return out;
    },
  };
}

function blocks(shape: ValueShape, count: number): Uint8Array[] {
  const prng = createPrng(7);
  const valueAt = makeValues(shape, prng, 100);
  const enc = new TextEncoder();
  const out: Uint8Array[] = [];
  const b = new BlockBuilder();
  for (let i = 0; out.length < count; i++) {
    b.add(enc.encode(`${String(i).padStart(16, "0")}\0\0\0\0\0\0\0\x01`), valueAt(i));
    if (b.estimatedBytes >= 4096) {
      out.push(b.finish().slice());
      b.reset();
    }
  }
  return out;
}

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

function measure(name: string, k: Codec, shape: ValueShape, bs: Uint8Array[]): string {
  const raw = bs.reduce((a, b) => a + b.length, 0);
  const stored = bs.map((b) => k.c(b)); // warm-up, and a round-trip check
  stored.forEach((s, i) => {
    if (k.d(s, bs[i].length).some((x, j) => x !== bs[i][j])) throw new Error(`${name} differs`);
  });
  const rounds = 5;
  let t0 = cpuUs();
  for (let r = 0; r < rounds; r++) for (const b of bs) k.c(b);
  const cUs = (cpuUs() - t0) / rounds;
  t0 = cpuUs();
  for (let r = 0; r < rounds; r++) stored.forEach((s, i) => k.d(s, bs[i].length));
  const dUs = (cpuUs() - t0) / rounds;
  const ratio = stored.reduce((a, s) => a + s.length, 0) / raw;
  const mbs = (us: number) => (raw / us).toFixed(0);
  const per = (us: number) => (us / bs.length).toFixed(1);
  return `| ${shape} | ${name} | ${ratio.toFixed(3)} | ${mbs(cUs)} | ${mbs(dUs)} | ` +
    `${per(cUs)} | ${per(dUs)} |`;
}

console.log(describeMachine());
console.log(
  "| values | codec | ratio | compress MB/s | decompress MB/s | µs/block c | µs/block d |",
);
console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
for (const shape of ["compressible", "random"] as const) {
  const bs = blocks(shape, Number(args.blocks));
  for (const [name, k] of Object.entries(codecs)) console.log(measure(name, k, shape, bs));
}
