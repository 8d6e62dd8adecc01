/**
 * Command-line parsing. `node:util` parseArgs stands in for @std/cli, which
 * lives on JSR (unreachable from this project's network); it behaves the same
 * under Deno, Bun and the compiled binary (TOOLCHAIN.md).
 */
export { parseArgs } from "node:util";
