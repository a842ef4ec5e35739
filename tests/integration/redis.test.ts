import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import Redis from "ioredis";
import { parseStackConfig, type RedisSettings } from "../../components/config";
import { renderRedisConf } from "../../components/render/redis-conf";
import {
  aclAddPassword, aclFileIn, aclKeepOnlyPassword, type RedisCredentialPaths, renderRedisAclApplier, renderRedisCliWrapper, renderRedisStartScript,
} from "../../components/render/redis-credentials";
import { describeWithBinaries, findBinary } from "./support/binaries";
import { waitFor } from "./support/processes";
import { startRedisFromConf, type ScratchRedis } from "./support/redis";

jest.setTimeout(60_000);

/** A password with every character class a generator might produce, quotes and backslashes included. */
const PASSWORD = `p4ss "word" \\ with $pace, 'quotes' & #hash`;

const prodLike = (): RedisSettings =>
  parseStackConfig({ environment: "dev", redis: { maxmemoryMiB: 128, evictionPolicy: "allkeys-lru", keyspaceEvents: "Ex", appendonly: true } }).redis;

/** Errors a client emitted (a refused AUTH surfaces here, the command itself sees a closed connection). */
const emitted = new WeakMap<Redis, Error[]>();

/**
 * ioredis 6 speaks RESP3 (HELLO) and runs an INFO ready check by default; RESP2 without the
 * check lets a client without a password connect at all, so the server's answer to its
 * commands can be checked.
 */
function client(port: number, password?: string): Redis {
  const redis = new Redis({
    host: "127.0.0.1", port, password, protocol: 2, enableReadyCheck: false, lazyConnect: true,
    maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 5_000,
  });
  const errors: Error[] = [];
  emitted.set(redis, errors);
  redis.on("error", (error: Error) => errors.push(error));
  return redis;
}

interface Scripts {
  readonly paths: RedisCredentialPaths;
  readonly start: string;
  readonly applier: string;
}

/** The container's start script and wrappers, rendered for a scratch directory and port. */
function installScripts(dir: string, port: number): Scripts {
  const paths: RedisCredentialPaths = { stateDir: path.join(dir, "acl"), port, cliPath: path.join(dir, "dean-redis-cli") };
  const scripts = { paths, start: path.join(dir, "dean-redis-start"), applier: path.join(dir, "dean-redis-acl") };
  writeFileSync(scripts.start, renderRedisStartScript(paths), { mode: 0o755 });
  writeFileSync(paths.cliPath, renderRedisCliWrapper(paths), { mode: 0o755 });
  writeFileSync(scripts.applier, renderRedisAclApplier(paths), { mode: 0o755 });
  return scripts;
}

interface ScriptResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one of the rendered scripts, bounded in time. */
function run(file: string, args: readonly string[] = [], input = ""): ScriptResult {
  const result = spawnSync(file, args, { input, encoding: "utf8", timeout: 30_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the start script as the container does before redis-server (here it execs `true`). */
function prepare(scripts: Scripts): void {
  const result = run(scripts.start, ["true"]);
  if (result.status !== 0) throw new Error(`the start script failed (${String(result.status)}): ${result.stderr}`);
}

/** Pipes ACL commands into dean-redis-acl, as the program's password steps do. */
function applyAcl(scripts: Scripts, commands: string): ScriptResult {
  return run(scripts.applier, [], commands);
}

describeWithBinaries("the rendered redis.conf and credential scripts under real redis-server", {
  "redis-server": findBinary("redis-server"), "redis-cli": findBinary("redis-cli"),
}, (bin) => {
  const servers: ScratchRedis[] = [];
  const clients: Redis[] = [];
  const scriptsOf = new Map<ScratchRedis, Scripts>();

  /** A server as the container starts it: start script, then redis-server; `password` added like a first deploy. */
  const startBare = async (settings: RedisSettings): Promise<{ server: ScratchRedis; scripts: Scripts }> => {
    let scripts: Scripts | undefined;
    const server = await startRedisFromConf(bin["redis-server"], ({ dir, port }) => {
      scripts = installScripts(dir, port);
      prepare(scripts);
      return renderRedisConf(settings, aclFileIn(scripts.paths.stateDir));
    });
    servers.push(server);
    if (!scripts) throw new Error("the conf was not rendered");
    scriptsOf.set(server, scripts);
    return { server, scripts };
  };
  const start = async (settings: RedisSettings, password = PASSWORD): Promise<ScratchRedis> => {
    const { server, scripts } = await startBare(settings);
    const added = applyAcl(scripts, aclAddPassword(password));
    if (added.status !== 0) throw new Error(`adding the password failed: ${added.stderr}`);
    return server;
  };
  const connect = async (port: number, password?: string): Promise<Redis> => {
    const redis = client(port, password);
    clients.push(redis);
    await redis.connect();
    return redis;
  };

  afterAll(async () => {
    for (const redis of clients) {
      // disconnect() on an already closed client leaves a timer behind.
      if (redis.status === "ready") await redis.quit();
      else if (redis.status !== "end") redis.disconnect();
    }
    for (const server of servers) await server.stop();
  });

  /** `CONFIG GET name` through the admin wrapper: the application user may not run CONFIG. */
  const configGet = (server: ScratchRedis, name: string): string => {
    const scripts = scriptsOf.get(server);
    if (!scripts) throw new Error("no scripts for this server");
    const reply = run(scripts.paths.cliPath, ["CONFIG", "GET", name]);
    const [key, value] = reply.stdout.split("\n");
    if (reply.status !== 0 || key !== name) throw new Error(`CONFIG GET ${name} answered ${reply.stdout}${reply.stderr}`);
    return value ?? "";
  };

  describe("prod-like settings", () => {
    let server: ScratchRedis;
    let redis: Redis;
    beforeAll(async () => {
      server = await start(prodLike());
      redis = await connect(server.port, PASSWORD);
    });

    test("commands without the password are refused (NOAUTH)", async () => {
      const anonymous = await connect(server.port);
      await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);
      await expect(anonymous.get("anything")).rejects.toThrow(/NOAUTH/);
    });

    test("a wrong password is refused", async () => {
      const wrong = client(server.port, "not-the-password");
      clients.push(wrong);
      await expect(wrong.connect()).rejects.toThrow();
      expect(emitted.get(wrong)?.map((error) => error.message).join("\n")).toMatch(/WRONGPASS/);
    });

    test("the generated password, quotes and all, authenticates", async () => {
      expect(await redis.ping()).toBe("PONG");
    });

    test("CONFIG GET (as the admin) shows the configured memory, eviction and notification settings", () => {
      const config = (name: string): string => configGet(server, name);
      expect(config("maxmemory")).toBe(String(128 * 1024 * 1024));
      expect(config("maxmemory-policy")).toBe("allkeys-lru");
      // Redis reorders the flags; compare them as a set.
      expect([...config("notify-keyspace-events")].sort()).toEqual(["E", "x"]);
      expect(config("appendonly")).toBe("yes");
      expect(config("appendfsync")).toBe("everysec");
      expect(config("protected-mode")).toBe("yes");
      expect(config("timeout")).toBe("300");
      expect(config("tcp-keepalive")).toBe("60");
    });

    test("the application user is refused Redis' dangerous commands; the admin keeps them", async () => {
      await redis.set("app:kept", "1");
      for (const command of [["FLUSHALL"], ["FLUSHDB"], ["CONFIG", "GET", "maxmemory"], ["KEYS", "*"], ["SHUTDOWN"], ["ACL", "LIST"], ["MONITOR"]]) {
        await expect(redis.call(command[0], ...command.slice(1))).rejects.toThrow(/NOPERM/);
      }
      // Redis 7 disables DEBUG for everyone (enable-debug-command no) before the ACL is asked.
      await expect(redis.call("DEBUG", "SLEEP", "0")).rejects.toThrow(/NOPERM|DEBUG command not allowed/);
      expect(await redis.get("app:kept")).toBe("1");
      const scripts = scriptsOf.get(server);
      if (!scripts) throw new Error("no scripts for this server");
      expect(run(scripts.paths.cliPath, ["KEYS", "app:*"]).stdout.trim()).toBe("app:kept");
    });

    test("expiry events are published (notify-keyspace-events Ex)", async () => {
      const subscriber = await connect(server.port, PASSWORD);
      const expired: string[] = [];
      subscriber.on("message", (_channel: string, key: string) => expired.push(key));
      await subscriber.subscribe("__keyevent@0__:expired");
      await redis.set("session:short", "1", "PX", 50);
      await waitFor("the expiry event", () => (expired.includes("session:short") ? true : undefined), 10_000, 50);
    });

    test("the ops tooling's commands work: SCAN auth:*, UNLINK, DEL, INFO", async () => {
      await redis.mset("auth:token:1", "a", "auth:token:2", "b", "cache:x", "c");
      const found: string[] = [];
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", "auth:*", "COUNT", 100);
        found.push(...keys);
        cursor = next;
      } while (cursor !== "0");
      expect(found.sort()).toEqual(["auth:token:1", "auth:token:2"]);
      expect(await redis.unlink(found[0])).toBe(1);
      expect(await redis.del(found[1])).toBe(1);
      expect(await redis.exists("auth:token:1", "auth:token:2", "cache:x")).toBe(1);
      expect(await redis.info("memory")).toMatch(/used_memory_human:/);
    });
  });

  test("an empty keyspaceEvents disables notifications; appendonly can be off", async () => {
    const server = await start(parseStackConfig({ environment: "dev", redis: { keyspaceEvents: "", appendonly: false, evictionPolicy: "volatile-ttl", maxmemoryMiB: 64 } }).redis);
    expect(configGet(server, "notify-keyspace-events")).toBe("");
    expect(configGet(server, "appendonly")).toBe("no");
    expect(configGet(server, "maxmemory-policy")).toBe("volatile-ttl");
    expect(configGet(server, "maxmemory")).toBe(String(64 * 1024 * 1024));
  });

  describe("credentials: the ACL file on the data volume, the admin wrapper, a rotation", () => {
    const cli = (scripts: Scripts, ...args: string[]): ScriptResult => run(scripts.paths.cliPath, args);

    test("first start: the application user cannot log in, the admin user can, the ACL file holds a hash, not the admin password", async () => {
      const { server, scripts } = await startBare(prodLike());
      await expect((await connect(server.port)).ping()).rejects.toThrow(/NOAUTH/);
      expect(cli(scripts, "ping").stdout.trim()).toBe("PONG");
      const adminPassword = readFileSync(path.join(scripts.paths.stateDir, "admin.password"), "utf8");
      expect(adminPassword).toMatch(/^[0-9a-f]{64}$/);
      expect(statSync(path.join(scripts.paths.stateDir, "admin.password")).mode & 0o777).toBe(0o600);
      const acl = readFileSync(aclFileIn(scripts.paths.stateDir), "utf8");
      expect(acl).not.toContain(adminPassword);
      expect(acl).toMatch(/^user default off /m);
      expect(acl).toMatch(/^user dean-admin on #[0-9a-f]{64} ~\* &\* \+@all$/m);
      // The application cannot use the admin's password as its own.
      const asDefault = client(server.port, adminPassword);
      clients.push(asDefault);
      await expect(asDefault.connect()).rejects.toThrow();
    });

    test("a rotation: both passwords work between add and retire, only the new one after, also after a restart", async () => {
      const { server, scripts } = await startBare(prodLike());
      const [oldPassword, newPassword] = ["0ld-Passw0rd", `n3w "pass" \\ word`];
      expect(applyAcl(scripts, aclAddPassword(oldPassword)).status).toBe(0);
      const longLived = await connect(server.port, oldPassword);
      expect(await longLived.ping()).toBe("PONG");

      expect(applyAcl(scripts, aclAddPassword(newPassword)).status).toBe(0);
      expect(await (await connect(server.port, oldPassword)).ping()).toBe("PONG");
      expect(await (await connect(server.port, newPassword)).ping()).toBe("PONG");

      expect(applyAcl(scripts, aclKeepOnlyPassword(newPassword)).status).toBe(0);
      const refused = client(server.port, oldPassword);
      clients.push(refused);
      await expect(refused.connect()).rejects.toThrow();
      expect(emitted.get(refused)?.map((error) => error.message).join("\n")).toMatch(/WRONGPASS/);
      expect(await (await connect(server.port, newPassword)).ping()).toBe("PONG");
      // A connection opened with the old password is not cut: the replicas using it are stopped by then.
      expect(await longLived.ping()).toBe("PONG");

      // A restarted container runs the start script again, which keeps the saved application user.
      prepare(scripts);
      await server.restart();
      expect(await (await connect(server.port, newPassword)).ping()).toBe("PONG");
      const stillRefused = client(server.port, oldPassword);
      clients.push(stillRefused);
      await expect(stillRefused.connect()).rejects.toThrow();
      expect(cli(scripts, "ping").stdout.trim()).toBe("PONG");
    });

    test("a lost admin password is generated anew on the next start; the application user is kept", async () => {
      const { server, scripts } = await startBare(prodLike());
      expect(applyAcl(scripts, aclKeepOnlyPassword("App-Passw0rd")).status).toBe(0);
      const passwordFile = path.join(scripts.paths.stateDir, "admin.password");
      const before = readFileSync(passwordFile, "utf8");
      rmSync(passwordFile);
      prepare(scripts);
      await server.restart();
      expect(readFileSync(passwordFile, "utf8")).not.toBe(before);
      expect(cli(scripts, "ping").stdout.trim()).toBe("PONG");
      expect(await (await connect(server.port, "App-Passw0rd")).ping()).toBe("PONG");
      expect(readFileSync(aclFileIn(scripts.paths.stateDir), "utf8").match(/^user dean-admin /gm)).toHaveLength(1);
    });

    test("a command Redis refuses fails the step, and the password is not echoed", async () => {
      const { scripts } = await startBare(prodLike());
      const result = applyAcl(scripts, `ACL SETUSER default on ">Leaky-Secret-42" not-a-rule\nACL SAVE\n`);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain("Redis accepted 1 of 2 ACL commands");
      expect(`${result.stdout}${result.stderr}`).not.toContain("Leaky-Secret-42");
      expect(applyAcl(scripts, "").status).not.toBe(0);
    });
  });
});
