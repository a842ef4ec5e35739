import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, startProcess, stopPid, waitUntilListening, type RunningProcess } from "./processes";

export interface ScratchRedis {
  readonly port: number;
  readonly dir: string;
  readonly server: RunningProcess;
  stop(): Promise<void>;
}

/**
 * Starts redis-server from a rendered redis.conf. Only what ties the file to a container is
 * rewritten in the test copy: the port and dir (to a free port and a temp dir) and the bind
 * address (loopback, so the scratch server is never reachable from the network).
 */
export async function startRedisFromConf(redisServer: string, renderedConf: string): Promise<ScratchRedis> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "dean-redis-"));
  const port = await freePort();
  const conf = renderedConf
    .replace(/^port 6379$/m, `port ${port}`)
    .replace(/^dir \/data$/m, `dir ${dir}`)
    .replace(/^bind 0\.0\.0\.0$/m, "bind 127.0.0.1");
  for (const expected of [`port ${port}`, `dir ${dir}`, "bind 127.0.0.1"]) {
    if (!conf.includes(`\n${expected}\n`)) throw new Error(`could not rewrite the rendered redis.conf to \`${expected}\``);
  }
  const confPath = path.join(dir, "redis.conf");
  writeFileSync(confPath, conf, { mode: 0o600 });
  const server = startProcess(redisServer, [confPath], { cwd: dir, logPrefix: path.join(dir, "redis") });
  const stop = async (): Promise<void> => {
    await stopPid(server.pid, "SIGTERM", 10_000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilListening(server, [port], "redis-server");
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { port, dir, server, stop };
}
