/** Shared immutable empty byte array (never written to: it has no elements). */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);
