import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, startProcess, stopPid, waitUntilListening, type RunningProcess } from "./processes";

export interface ScratchRedis {
  readonly port: number;
  readonly dir: string;
  /** Stops the server, keeps its directory and starts it again on the same port. */
  restart(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

/** The rendered redis.conf, or a function rendering it for the scratch directory and port. */
export type RedisConfSource = string | ((scratch: { readonly dir: string; readonly port: number }) => string);

/**
 * Starts redis-server from a rendered redis.conf. Only what ties the file to a container is
 * rewritten in the test copy: the port and dir (to a free port and a temp dir) and the bind
 * address (loopback, so the scratch server is never reachable from the network).
 */
export async function startRedisFromConf(redisServer: string, source: RedisConfSource): Promise<ScratchRedis> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "dean-redis-"));
  try {
    const port = await freePort();
    const rendered = typeof source === "string" ? source : source({ dir, port });
    const conf = rendered
      .replace(/^port 6379$/m, `port ${port}`)
      .replace(/^dir \/data$/m, `dir ${dir}`)
      .replace(/^bind 0\.0\.0\.0$/m, "bind 127.0.0.1");
    for (const expected of [`port ${port}`, `dir ${dir}`, "bind 127.0.0.1"]) {
      if (!conf.includes(`\n${expected}\n`)) throw new Error(`could not rewrite the rendered redis.conf to \`${expected}\``);
    }
    const confPath = path.join(dir, "redis.conf");
    writeFileSync(confPath, conf, { mode: 0o600 });
    let generation = 0;
    const launch = async (): Promise<RunningProcess> => {
      const server = startProcess(redisServer, [confPath], { cwd: dir, logPrefix: path.join(dir, `redis-${generation++}`) });
      await waitUntilListening(server, [port], "redis-server");
      return server;
    };
    let server = await launch();
    return {
      port,
      dir,
      restart: async () => {
        await stopPid(server.pid, "SIGTERM", 10_000);
        server = await launch();
      },
      stop: async () => {
        await stopPid(server.pid, "SIGTERM", 10_000);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
