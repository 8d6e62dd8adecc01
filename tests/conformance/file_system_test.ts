import { runFileSystemSuite } from "./file_system_suite.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { NodeFileSystem } from "../../src/platform/node_fs.ts";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { makeTempDir, removeTempDir } from "../helpers/temp_dir.ts";

const platform = getPlatform();

runFileSystemSuite(`${platform.runtime} adapter`, () => {
  const dir = makeTempDir();
  return { fs: platform.fs, dir, cleanup: () => removeTempDir(dir) };
});

if (platform.runtime === "deno") {
  // node:fs is the Bun adapter's file layer; under Deno it is the fallback, so test it here too.
  runFileSystemSuite("node:fs adapter", () => {
    const dir = makeTempDir();
    return { fs: new NodeFileSystem(), dir, cleanup: () => removeTempDir(dir) };
  });
}

runFileSystemSuite("sim adapter", () => {
  const world = createSimWorld(1);
  world.fs.mkdir("db");
  return { fs: world.fs, dir: "db", cleanup: () => {} };
});
