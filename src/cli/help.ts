/** Help texts for the `tinykv` command (the contract in DESIGN §3). */
import { VERSION } from "../version.ts";

export const MAIN_HELP = `tinykv ${VERSION} — a small distributed key-value store

Usage:
  tinykv [--id N --peers ID=HOST:PORT,...] [--data-dir DIR]
         [--http-port P] [--resp-port P]          run a node (default: single node, ./data)
  tinykv put KEY VALUE | get KEY | delete KEY       client commands
  tinykv scan PREFIX [--limit N] [--offset N]
  tinykv status | member list | member add ID HOST:PORT | member remove ID
  tinykv bench [--op put|get|mixed] [--concurrency N] [--duration S] [--value-size B]
  tinykv local-cluster [--nodes 3]                  a local cluster to try things

Options:
  -h, --help       show help (also after a command: tinykv put --help)
  -V, --version    print the version

Client commands take --endpoints HOST:PORT,... (default: the local node).
Exit codes: 0 success, 1 runtime error, 2 usage error.

Status of this build: the storage engine, Raft and the server are being
built (see README.md); running a node or a client command reports that
it is not available yet.
`;
