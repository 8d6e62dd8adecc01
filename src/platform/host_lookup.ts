/**
 * Host name resolution as the operating system does it (getaddrinfo: /etc/hosts, then DNS),
 * through node:dns on both runtimes, so `localhost` means what every other program on the
 * host takes it to mean.
 */
import { lookup } from "node:dns/promises";

/** Every address `name` resolves to, in the system's preferred order; rejects when none. */
export async function lookupHost(name: string): Promise<string[]> {
  const found = await lookup(name, { all: true, verbatim: true });
  return found.map((a) => a.address);
}
