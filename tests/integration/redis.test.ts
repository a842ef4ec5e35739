import Redis from "ioredis";
import { parseStackConfig, type RedisSettings } from "../../components/config";
import { renderRedisConf } from "../../components/render/redis-conf";
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

describeWithBinaries("the rendered redis.conf under real redis-server", { "redis-server": findBinary("redis-server") }, (bin) => {
  const servers: ScratchRedis[] = [];
  const clients: Redis[] = [];

  const start = async (settings: RedisSettings, password = PASSWORD): Promise<ScratchRedis> => {
    const server = await startRedisFromConf(bin["redis-server"], renderRedisConf(settings, password));
    servers.push(server);
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

    test("CONFIG GET shows the configured memory, eviction and notification settings", async () => {
      const config = async (name: string): Promise<string> => ((await redis.config("GET", name)) as string[])[1];
      expect(await config("maxmemory")).toBe(String(128 * 1024 * 1024));
      expect(await config("maxmemory-policy")).toBe("allkeys-lru");
      // Redis reorders the flags; compare them as a set.
      expect([...(await config("notify-keyspace-events"))].sort()).toEqual(["E", "x"]);
      expect(await config("appendonly")).toBe("yes");
      expect(await config("appendfsync")).toBe("everysec");
      expect(await config("protected-mode")).toBe("yes");
      expect(await config("timeout")).toBe("300");
      expect(await config("tcp-keepalive")).toBe("60");
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
    const redis = await connect(server.port, PASSWORD);
    expect(await redis.config("GET", "notify-keyspace-events")).toEqual(["notify-keyspace-events", ""]);
    expect(await redis.config("GET", "appendonly")).toEqual(["appendonly", "no"]);
    expect(await redis.config("GET", "maxmemory-policy")).toEqual(["maxmemory-policy", "volatile-ttl"]);
    expect(await redis.config("GET", "maxmemory")).toEqual(["maxmemory", String(64 * 1024 * 1024)]);
  });
});
