/**
 * What a RESP fuzz input will do on the node, found with the port's own parser
 * (so the test sees exactly the commands the node will run): the commands, a
 * protocol error, and where to cut the input so that it never reaches outside
 * the sandbox database (docs/fuzzing.md, "No state change").
 */
import { RespParser, RespProtocolError } from "../../src/server/resp/resp_parser.ts";

/** Commands that would reach past the connection's sandbox database or the node's settings. */
export function leavesSandbox(args: readonly string[]): boolean {
  const name = (args[0] ?? "").toUpperCase();
  const sub = (args[1] ?? "").toUpperCase();
  if (["SELECT", "SWAPDB", "MOVE", "FLUSHALL", "RESET", "SHUTDOWN"].includes(name)) return true;
  if (name === "COPY") return args.some((a) => a.toUpperCase() === "DB");
  if (name === "CONFIG") return sub !== "GET" && sub !== "HELP";
  if (name === "CLIENT") return ["KILL", "PAUSE", "UNPAUSE"].includes(sub);
  return false;
}

/** Commands that may legitimately leave a connection without an answer for a while. */
export function mayWait(args: readonly string[]): boolean {
  const name = (args[0] ?? "").toUpperCase();
  const sub = (args[1] ?? "").toUpperCase();
  return name === "WAIT" || name === "DEBUG" || (name === "CLIENT" && sub === "REPLY");
}

interface Parsed {
  readonly commands: string[][];
  readonly protocolError: boolean;
}

function parse(input: Uint8Array): Parsed {
  const latin1 = new TextDecoder("latin1");
  const toText = (c: Uint8Array[]) => c.map((a) => latin1.decode(a));
  try {
    return { commands: new RespParser().push(input).map(toText), protocolError: false };
  } catch (err) {
    if (!(err instanceof RespProtocolError)) throw err;
    return { commands: err.completed.map(toText), protocolError: true };
  }
}

export interface RespPlan {
  /** The input, cut before its first command that would leave the sandbox. */
  readonly bytes: Uint8Array;
  readonly commands: readonly string[][];
  /** True when the node must answer or close: it parses a command that answers, or bad input. */
  readonly expectAnswer: boolean;
}

export function planResp(input: Uint8Array): RespPlan {
  const all = parse(input);
  const k = all.commands.findIndex(leavesSandbox);
  if (k < 0) return planOf(input, all);
  // The shortest prefix holding the first k commands ends where command k begins.
  let lo = 0, hi = input.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (parse(input.subarray(0, mid)).commands.length >= k) hi = mid;
    else lo = mid + 1;
  }
  const bytes = input.slice(0, lo);
  return planOf(bytes, { commands: all.commands.slice(0, k), protocolError: false });
}

function planOf(bytes: Uint8Array, p: Parsed): RespPlan {
  const first = p.commands[0];
  const expectAnswer = first === undefined ? p.protocolError : !mayWait(first);
  return { bytes, commands: p.commands, expectAnswer };
}
