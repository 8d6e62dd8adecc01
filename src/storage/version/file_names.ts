/**
 * Names of the files in a database directory (docs/formats.md#files). Files
 * are named by number and never reuse a number.
 */

export type FileKind = "wal" | "table" | "blob" | "manifest" | "current" | "temp";

function pad(n: number): string {
  return String(n).padStart(6, "0");
}

export function walName(n: number): string {
  return `${pad(n)}.log`;
}
export function tableName(n: number): string {
  return `${pad(n)}.sst`;
}
/** A blob file: values kept apart from the tables (docs/formats.md#blob-files). */
export function blobName(n: number): string {
  return `${pad(n)}.blob`;
}
export function manifestName(n: number): string {
  return `MANIFEST-${pad(n)}`;
}
export const CURRENT_NAME = "CURRENT";
export const CURRENT_TEMP_NAME = "CURRENT.tmp";

/** Parses a directory entry; undefined for names the engine does not own. */
export function parseFileName(name: string): { kind: FileKind; number: number } | undefined {
  if (name === CURRENT_NAME) return { kind: "current", number: 0 };
  if (name === CURRENT_TEMP_NAME) return { kind: "temp", number: 0 };
  let m = /^(\d{6,16})\.(log|sst|blob)$/.exec(name);
  if (m !== null) {
    const kind = m[2] === "log" ? "wal" : m[2] === "sst" ? "table" : "blob";
    return { kind, number: Number(m[1]) };
  }
  m = /^MANIFEST-(\d{6,16})$/.exec(name);
  if (m !== null) return { kind: "manifest", number: Number(m[1]) };
  return undefined;
}

export function join(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}
