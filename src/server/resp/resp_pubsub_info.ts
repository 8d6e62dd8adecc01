/**
 * PUBSUB CHANNELS [pattern] | NUMSUB [channel...] | NUMPAT | SHARDCHANNELS |
 * SHARDNUMSUB | HELP: this node's subscriptions (Redis Cluster's PUBSUB also
 * answers for the node asked). TinyKV has no shard channels, so the SHARD
 * forms answer as Redis does with none. Error texts are redis-server 7.0's.
 */
import { RedisError, wrongArity } from "../../kv/redis/errors.ts";
import { fromUtf8 } from "../../util/bytes.ts";
import type { Reply, RespCommandSpec, RespContext } from "./resp_command.ts";
import { RespCommandError } from "./resp_command.ts";

const HELP = [
  "PUBSUB <subcommand> [<arg> ...]. Subcommands are:",
  "CHANNELS [<pattern>]",
  "    Channels with at least one subscriber on this node, matching <pattern> (default '*').",
  "NUMPAT",
  "    The number of distinct patterns subscribed to on this node.",
  "NUMSUB [<channel> ...]",
  "    Subscribers of each channel on this node, pattern subscriptions aside.",
  "SHARDCHANNELS [<pattern>]",
  "    Always empty: TinyKV has no shard channels.",
  "SHARDNUMSUB [<shardchannel> ...]",
  "    0 for each shard channel.",
  "HELP",
  "    Prints this help.",
];

/** Sub-commands with a fixed argument count: Redis's arity error names them "pubsub|sub". */
const FIXED_ARITY: Readonly<Record<string, number>> = { NUMPAT: 2, HELP: 2 };

/** CHANNELS and SHARDCHANNELS take at most one pattern. */
function channelsArgs(args: readonly Uint8Array[]): void {
  if (args.length > 3) {
    throw new RespCommandError(
      `unknown subcommand or wrong number of arguments for '${
        fromUtf8(args[1])
      }'. Try PUBSUB HELP.`,
    );
  }
}

function pubsub(ctx: RespContext, args: readonly Uint8Array[]): Reply {
  const sub = fromUtf8(args[1]).toUpperCase();
  const fixed = FIXED_ARITY[sub];
  if (fixed !== undefined && args.length !== fixed) {
    throw new RedisError(wrongArity(`pubsub|${sub}`));
  }
  const hub = ctx.pubsub.hub;
  switch (sub) {
    case "CHANNELS": {
      channelsArgs(args);
      const names = hub.channels(args[2]);
      return (w) => {
        w.arrayHeader(names.length);
        for (const n of names) w.bulk(n);
      };
    }
    case "NUMSUB": {
      const channels = args.slice(2);
      const counts = channels.map((c) => hub.numsub(c));
      return (w) => {
        w.arrayHeader(channels.length * 2);
        channels.forEach((c, i) => w.bulk(c).integer(counts[i]));
      };
    }
    case "NUMPAT": {
      const n = hub.numpat();
      return (w) => w.integer(n);
    }
    case "SHARDCHANNELS":
      channelsArgs(args);
      return (w) => w.arrayHeader(0);
    case "SHARDNUMSUB": {
      const channels = args.slice(2);
      return (w) => {
        w.arrayHeader(channels.length * 2);
        for (const c of channels) w.bulk(c).integer(0);
      };
    }
    case "HELP":
      return (w) => {
        w.arrayHeader(HELP.length);
        for (const line of HELP) w.simple(line);
      };
  }
  throw new RespCommandError(`unknown subcommand '${fromUtf8(args[1])}'. Try PUBSUB HELP.`);
}

export const PUBSUB_INFO: RespCommandSpec = { arity: -2, kind: "local", run: pubsub };
