import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeInternalKey, ValueKind } from "../../../src/storage/internal_key.ts";
import { Block, BlockCursor } from "../../../src/storage/sstable/block.ts";
import { BlockBuilder } from "../../../src/storage/sstable/block_builder.ts";
import { bloomHash, bloomMayContain, buildBloom } from "../../../src/storage/sstable/bloom.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";
import { CorruptionError } from "../../../src/util/errors.ts";

const keys = Array.from({ length: 100 }, (_, i) => `key${String(i * 2).padStart(4, "0")}`);

function build(): Block {
  const b = new BlockBuilder();
  keys.forEach((k, i) => b.add(encodeInternalKey(utf8(k), 1000 - i, ValueKind.Put), utf8(`v${i}`)));
  return new Block(b.finish().slice(), "t.sst", 0);
}

test("block: forward, backward and seek over prefix-compressed entries", () => {
  const c = new BlockCursor(build());
  const seen: string[] = [];
  for (c.seekToFirst(); c.valid(); c.next()) seen.push(fromUtf8(c.key()));
  assert.deepEqual(seen, keys);
  const back: string[] = [];
  for (c.seekToLast(); c.valid(); c.prev()) back.push(fromUtf8(c.key()));
  assert.deepEqual(back, [...keys].reverse());
  c.seek(utf8("key0031"), Number.MAX_SAFE_INTEGER); // between key0030 and key0032
  assert.equal(fromUtf8(c.key()), "key0032");
  assert.equal(fromUtf8(c.value()), "v16");
  c.seek(utf8("key9999"), 0);
  assert.equal(c.valid(), false);
});

test("block: a bad restart count is a CorruptionError naming file and offset", () => {
  const data = build().data.slice();
  data[data.length - 1] = 0xff;
  assert.throws(() => new Block(data, "t.sst", 4096), (e: unknown) => {
    assert.ok(e instanceof CorruptionError);
    assert.equal(e.offset, 4096);
    return true;
  });
});

test("bloom: no false negatives, about 1% false positives, probe count stored", () => {
  const hashes = Array.from({ length: 10000 }, (_, i) => bloomHash(utf8(`in${i}`)));
  const f = buildBloom(hashes);
  assert.equal(f[f.length - 1], 7);
  for (const h of hashes) assert.ok(bloomMayContain(f, h));
  let fp = 0;
  for (let i = 0; i < 10000; i++) if (bloomMayContain(f, bloomHash(utf8(`out${i}`)))) fp++;
  assert.ok(fp < 200, `false positives ${fp}/10000`);
});
