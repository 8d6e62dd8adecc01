/** Parses and validates `--peers 1=10.0.0.1:7001,2=10.0.0.2:7001`. */
import { UsageError } from "./usage_error.ts";

export interface PeerAddress {
  readonly id: number;
  readonly host: string;
  readonly port: number;
}

export function parsePort(text: string, what: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new UsageError(`${what} must be a port number, got '${text}'`);
  const port = Number(text);
  if (port > 65535) throw new UsageError(`${what} must be at most 65535, got ${port}`);
  return port;
}

export function parseNodeId(text: string, what: string): number {
  if (!/^\d{1,15}$/.test(text) || Number(text) === 0) {
    throw new UsageError(`${what} must be a positive integer, got '${text}'`);
  }
  return Number(text);
}

/** `HOST:PORT` (IPv6 hosts in brackets: `[::1]:7001`). */
export function parseHostPort(text: string, what: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):(\d+)$/.exec(text);
  if (m === null) throw new UsageError(`${what} must be HOST:PORT, got '${text}'`);
  const host = m[1].startsWith("[") ? m[1].slice(1, -1) : m[1];
  return { host, port: parsePort(m[2], what) };
}

export function parsePeers(text: string): PeerAddress[] {
  const peers: PeerAddress[] = [];
  const ids = new Set<number>();
  for (const part of text.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) throw new UsageError(`--peers entry '${part}' must be ID=HOST:PORT`);
    const id = parseNodeId(part.slice(0, eq), "--peers id");
    if (ids.has(id)) throw new UsageError(`--peers lists node ${id} twice`);
    ids.add(id);
    peers.push({ id, ...parseHostPort(part.slice(eq + 1), `--peers address of node ${id}`) });
  }
  return peers;
}
