/**
 * CURRENT names the live manifest. Layout in docs/formats.md#current:
 *
 *   "MANIFEST-000007" SP crc:8 lowercase hex digits LF   (masked CRC32C of the name)
 *
 * It is switched with the crash-safe recipe: write CURRENT.tmp, fsync it,
 * rename it over CURRENT, fsync the directory (leveldb SetCurrentFile).
 */
import type { FileSystem } from "../../platform/types.ts";
import { fromUtf8, utf8 } from "../../util/bytes.ts";
import { crc32c, maskCrc } from "../../util/crc32c.ts";
import { CorruptionError } from "../../util/errors.ts";
import { CURRENT_NAME, CURRENT_TEMP_NAME, join, parseFileName } from "./file_names.ts";

function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}

export async function writeCurrent(fs: FileSystem, dir: string, manifest: string): Promise<void> {
  const body = utf8(`${manifest} ${hex8(maskCrc(crc32c(utf8(manifest))))}\n`);
  const tmp = join(dir, CURRENT_TEMP_NAME);
  const f = fs.open(tmp, { create: true, truncate: true });
  try {
    f.write(0, body);
    await f.sync();
  } finally {
    f.close();
  }
  fs.rename(tmp, join(dir, CURRENT_NAME));
  await fs.syncDir(dir);
}

/** The manifest file name CURRENT points to, or undefined if there is no CURRENT. */
export function readCurrent(fs: FileSystem, dir: string): string | undefined {
  const path = join(dir, CURRENT_NAME);
  if (fs.stat(path) === undefined) return undefined;
  const text = fromUtf8(fs.readFile(path));
  const m = /^(MANIFEST-\d{6,16}) ([0-9a-f]{8})\n$/.exec(text);
  if (m === null) throw new CorruptionError(CURRENT_NAME, 0, "malformed CURRENT file");
  if (parseInt(m[2], 16) !== maskCrc(crc32c(utf8(m[1])))) {
    throw new CorruptionError(CURRENT_NAME, m[1].length + 1, "CURRENT checksum mismatch");
  }
  if (parseFileName(m[1])?.kind !== "manifest") {
    throw new CorruptionError(CURRENT_NAME, 0, "CURRENT does not name a manifest");
  }
  return m[1];
}
