/** Directory helpers over the platform FileSystem (runtime-agnostic: no Deno, Bun or node:). */
import type { FileSystem } from "./types.ts";

/** Removes a directory and everything under it; no error if it does not exist. */
export function removeTree(fs: FileSystem, path: string): void {
  const st = fs.stat(path);
  if (st === undefined) return;
  if (st.isDirectory) {
    for (const name of fs.list(path)) removeTree(fs, `${path}/${name}`);
  }
  fs.remove(path);
}
