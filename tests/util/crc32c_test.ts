import { test } from "node:test";
import assert from "node:assert/strict";
import { crc32c, crc32cExtend, maskCrc, unmaskCrc } from "../../src/util/crc32c.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { createPrng } from "../../src/util/prng.ts";

// Check values from RFC 3720 (iSCSI) §B.4 and the common CRC-32C test vector.
test("crc32c matches the standard test vectors", () => {
  assert.equal(crc32c(utf8("123456789")), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  const ascending = new Uint8Array(32).map((_, i) => i);
  assert.equal(crc32c(ascending), 0x46dd794e);
  const descending = new Uint8Array(32).map((_, i) => 31 - i);
  assert.equal(crc32c(descending), 0x113fdb5c);
});

test("crc32cExtend over any split equals the whole", () => {
  const prng = createPrng(3);
  const data = prng.fill(new Uint8Array(1000));
  const whole = crc32c(data);
  for (let i = 0; i < 200; i++) {
    const k = prng.int(1001);
    assert.equal(crc32cExtend(crc32c(data, 0, k), data, k, data.length), whole);
  }
});

test("maskCrc is invertible and changes the value", () => {
  const prng = createPrng(4);
  for (let i = 0; i < 1000; i++) {
    const c = prng.nextU32();
    assert.notEqual(maskCrc(c), c);
    assert.equal(unmaskCrc(maskCrc(c)), c);
  }
});
