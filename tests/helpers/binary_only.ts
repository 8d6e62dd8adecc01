/**
 * End-to-end tests that only drive the compiled `./tinykv` (and tools such as redis-cli) see
 * the same binary under either test runner. They run once, under `bun test` (the binary's
 * own runtime), to keep the default suite within its time budget; pass this as `skip`.
 */
export const BINARY_ONLY_SKIP: string | false = "Deno" in globalThis
  ? "drives only the compiled binary: runs under bun test"
  : false;
