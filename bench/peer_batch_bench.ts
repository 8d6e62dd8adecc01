/**
 * NodeBatch round trips over loopback through the multi-region peer transport
 * (src/server/peer/multi_peer_transport.ts) and its receiver on a real peer
 * port (KvPort + NodeBatchReceiver): node 1 sends a batch, node 2's deliver
 * callback answers with one, node 1's sends the next; IN_FLIGHT round trips
 * are kept going at once. Both nodes share one thread (one process).
 *
 * - idle: N quiet regions: one liveness beat per round each way, node 1's
 *   listing all N regions every 10th round (as the driver lists them), empty
 *   otherwise;
 * - busy: every region an append of one 128-byte entry, answered by an
 *   AppResp per region.
 *
 * Prints round trips/s, messages/s and wire bytes/s (both directions; a beat
 * counts as one message) and CPU per round trip.
 *
 *   bun bench/peer_batch_bench.ts [--seconds 2] [--regions 1,100,10000] [--in-flight 4]
 *   deno run -A bench/peer_batch_bench.ts
 */
import { parseArgs } from "node:util";
import process from "node:process";
import { getPlatform } from "../src/platform/detect.ts";
import { type Message, MessageType } from "../src/raft/core/messages.ts";
import type { NodeBatch, RegionMessage } from "../src/raft/multi/transport.ts";
import type { KvService } from "../src/server/kv_service.ts";
import { NodeBatchReceiver } from "../src/server/peer/batch_receiver.ts";
import { MultiPeerTransport } from "../src/server/peer/multi_peer_transport.ts";
import { encodeBeatFrame } from "../src/server/peer/peer_batch_codec.ts";
import { messageFrames } from "../src/server/peer/peer_frames.ts";
import { KvPort } from "../src/server/proto/kv_port.ts";
import { describeMachine } from "./machine.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "2" },
    regions: { type: "string", default: "1,100,10000" },
    "in-flight": { type: "string", default: "4" },
  },
});
const SECONDS = Number(values.seconds);
const IN_FLIGHT = Number(values["in-flight"]);
const platform = getPlatform();
const ENTRY = new Uint8Array(128).fill(7);

function append(region: number, index: number): RegionMessage {
  const entries = [{ term: 2, index, type: 0 as const, data: ENTRY }];
  const message: Message = {
    type: MessageType.App,
    from: 1,
    to: 2,
    term: 2,
    index: index - 1,
    logTerm: 2,
    entries,
    commit: index - 1,
  };
  return { region, message };
}

function appResp(region: number, index: number): RegionMessage {
  const message: Message = {
    type: MessageType.AppResp,
    from: 2,
    to: 1,
    term: 2,
    index,
    logTerm: 2,
    reject: false,
    rejectHint: 0,
  };
  return { region, message };
}

/** What one round trip sends, each way. */
function roundOf(n: number, busy: boolean, round: number): [NodeBatch, NodeBatch] {
  const index = 10 + round;
  const ids = Array.from({ length: n }, (_, i) => i + 1);
  if (busy) {
    return [
      { from: 1, to: 2, messages: ids.map((r) => append(r, index)) },
      { from: 2, to: 1, messages: ids.map((r) => appResp(r, index)) },
    ];
  }
  const quiet = round % 10 === 0 ? ids.map((region) => ({ region, term: 2, commit: 9 })) : [];
  return [
    { from: 1, to: 2, messages: [], beat: { incarnation: 1, quiet } },
    { from: 2, to: 1, messages: [], beat: { incarnation: 2, quiet: [] } },
  ];
}

function wireBytes(b: NodeBatch): number {
  let n = b.beat === undefined ? 0 : encodeBeatFrame(b.beat).length;
  for (const m of b.messages) for (const f of messageFrames(m.message, m.region)) n += f.length;
  return n;
}

const count = (b: NodeBatch) => b.messages.length + (b.beat === undefined ? 0 : 1);

async function endpoint(id: number, deliver: (b: NodeBatch) => void) {
  const receiver = new NodeBatchReceiver({ selfId: id, deliver });
  const port = await KvPort.start({
    net: platform.net,
    hostname: "127.0.0.1",
    port: 0,
    service: {} as unknown as KvService,
    peers: receiver.sink(),
  });
  const transport = new MultiPeerTransport({
    net: platform.net,
    clock: platform.clock,
    selfId: id,
  });
  return { port, transport, receiver };
}

async function run(n: number, busy: boolean): Promise<string> {
  // Pre-built rounds (10, so idle covers one listing beat): the bench measures the transport.
  const rounds = Array.from({ length: 10 }, (_, i) => roundOf(n, busy, i));
  let done = 0;
  let sent = 0;
  let got = 0;
  let stop = false;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => finish = resolve);
  const perRound = count(rounds[0][1]);
  const a = await endpoint(1, (batch) => {
    // The receiver merges what arrives in one turn: count answers, not batches.
    for (got += count(batch); got >= perRound; got -= perRound) {
      done++;
      if (!stop) send();
    }
    if (stop && done === sent) finish();
  });
  // Node 2 answers every message (busy) or beat (idle) of what it received.
  const b = await endpoint(2, (batch) => {
    const back = busy
      ? batch.messages.map((m) =>
        appResp(m.region, m.message.type === MessageType.App ? m.message.index + 1 : 0)
      )
      : [];
    const beat = batch.beat === undefined ? undefined : { incarnation: 2, quiet: [] };
    b.transport.send(
      beat === undefined
        ? { from: 2, to: 1, messages: back }
        : { from: 2, to: 1, messages: back, beat },
    );
  });
  const addresses = new Map([[1, `127.0.0.1:${a.port.port}`], [2, `127.0.0.1:${b.port.port}`]]);
  a.transport.setPeers(addresses);
  b.transport.setPeers(addresses);
  const send = () => a.transport.send(rounds[sent++ % 10][0]);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < IN_FLIGHT; i++) send();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  stop = true;
  await Promise.race([finished, new Promise((r) => setTimeout(r, 2000))]);
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  let msgs = 0, bytes = 0;
  for (let i = 0; i < done; i++) {
    const [out, back] = rounds[i % 10];
    msgs += count(out) + count(back);
    bytes += wireBytes(out) + wireBytes(back);
  }
  for (const e of [a, b]) {
    e.transport.close();
    await e.port.close();
  }
  const dropped = a.transport.counters.droppedQueueFull + b.transport.counters.droppedQueueFull;
  const f = (x: number) => Math.round(x).toLocaleString("en-US");
  return `| ${f(n)} | ${busy ? "busy" : "idle"} | ${f(done / secs)} | ${f(msgs / secs)} | ${
    (bytes / secs / 2 ** 20).toFixed(1)
  } MiB/s | ${((cpu.user + cpu.system) / 1000 / done).toFixed(3)} ms | ${dropped} |`;
}

console.log(describeMachine());
console.log(`in flight: ${IN_FLIGHT} round trips, ${SECONDS} s per row\n`);
console.log(
  "| regions | kind | round trips/s | messages/s | wire bytes/s | CPU per round trip | dropped |",
);
console.log("| ---: | --- | ---: | ---: | ---: | ---: | ---: |");
for (const n of values.regions.split(",").map(Number)) {
  for (const busy of [false, true]) console.log(await run(n, busy));
}
