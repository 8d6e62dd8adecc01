/**
 * Command-line parsing. `node:util` parseArgs stands in for @std/cli, which
 * lives on JSR (unreachable from this project's network); it behaves the same
 * under Deno, Bun and the compiled binary (docs/decisions/0001-toolchain.md).
 */
export { parseArgs } from "node:util";
