import { parseStackConfig, type RedisSettings } from "../../components/config";
import { redisQuote, renderRedisConf } from "../../components/render/redis-conf";
import { aclAddPassword, aclKeepOnlyPassword } from "../../components/render/redis-credentials";

const dev = (): RedisSettings => parseStackConfig({ environment: "dev" }).redis;
const prod = (): RedisSettings =>
  parseStackConfig({ environment: "prod", redis: { maxmemoryMiB: 2048, evictionPolicy: "allkeys-lru", keyspaceEvents: "Ex", appendonly: true } }).redis;

/**
 * Splits a redis.conf line the way Redis does (sdssplitargs): words, "double quotes" with
 * \\, \", \n, \t and \xHH escapes, 'single quotes' verbatim.
 */
function splitArgs(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === " " || line[i] === "\t") {
      i++;
      continue;
    }
    const bytes: number[] = [];
    const push = (text: string) => bytes.push(...Buffer.from(text, "utf8"));
    if (line[i] === '"') {
      i++;
      while (line[i] !== '"') {
        if (i >= line.length) throw new Error(`unterminated quotes: ${line}`);
        if (line[i] === "\\" && line[i + 1] === "x" && /^[0-9a-f]{2}$/i.test(line.slice(i + 2, i + 4))) {
          bytes.push(parseInt(line.slice(i + 2, i + 4), 16));
          i += 4;
        } else if (line[i] === "\\") {
          const escaped = line[i + 1];
          push(({ n: "\n", r: "\r", t: "\t", b: "\b", a: "\x07" } as Record<string, string>)[escaped] ?? escaped);
          i += 2;
        } else {
          push(line[i++]);
        }
      }
      i++;
    } else if (line[i] === "'") {
      const end = line.indexOf("'", i + 1);
      push(line.slice(i + 1, end));
      i = end + 1;
    } else {
      while (i < line.length && line[i] !== " " && line[i] !== "\t") push(line[i++]);
    }
    args.push(Buffer.from(bytes).toString("utf8"));
  }
  return args;
}

/** directive -> arguments, refusing a directive that appears twice (Redis would take the last). */
function parseRedisConf(text: string): Map<string, string[]> {
  const parsed = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const [name, ...args] = splitArgs(line);
    if (parsed.has(name)) throw new Error(`${name} appears twice`);
    parsed.set(name, args);
  }
  return parsed;
}

const ACL_FILE = "/data/acl/users.acl";

describe.each([
  ["dev-like", dev()],
  ["prod-like", prod()],
])("renderRedisConf, %s", (_, settings) => {
  const text = renderRedisConf(settings, ACL_FILE);
  const conf = parseRedisConf(text);

  test("listens on 6379 on the internal network, protected, users from the ACL file", () => {
    expect(conf.get("bind")).toEqual(["0.0.0.0"]);
    expect(conf.get("port")).toEqual(["6379"]);
    expect(conf.get("protected-mode")).toEqual(["yes"]);
    expect(conf.get("aclfile")).toEqual([ACL_FILE]);
    // Redis refuses requirepass or user lines beside an ACL file, and the file must be the only source.
    expect(conf.has("requirepass")).toBe(false);
    expect(conf.has("user")).toBe(false);
  });

  test("memory, eviction and keyspace notifications follow the settings", () => {
    expect(conf.get("maxmemory")).toEqual([`${settings.maxmemoryMiB}mb`]);
    expect(conf.get("maxmemory-policy")).toEqual([settings.evictionPolicy]);
    expect(conf.get("notify-keyspace-events")).toEqual([settings.keyspaceEvents]);
    expect(text).toContain(`notify-keyspace-events "${settings.keyspaceEvents}"`);
  });

  test("persistence: AOF fsynced every second into /data", () => {
    expect(conf.get("appendonly")).toEqual([settings.appendonly ? "yes" : "no"]);
    expect(conf.get("appendfsync")).toEqual(["everysec"]);
    expect(conf.get("dir")).toEqual(["/data"]);
  });

  test("logs to stdout, runs in the foreground, bounds idle clients", () => {
    expect(conf.get("logfile")).toEqual([""]);
    expect(conf.get("daemonize")).toEqual(["no"]);
    expect(Number(conf.get("timeout")?.[0])).toBeGreaterThan(0);
    expect(Number(conf.get("tcp-keepalive")?.[0])).toBeGreaterThan(0);
  });

  test("renames or disables no command the ops tooling uses", () => {
    expect([...conf.keys()].filter((name) => name === "rename-command" || name.startsWith("enable-"))).toEqual([]);
  });
});

describe("renderRedisConf, values that need quoting", () => {
  test("an empty keyspaceEvents renders as \"\" (notifications off)", () => {
    const text = renderRedisConf(parseStackConfig({ environment: "dev", redis: { keyspaceEvents: "" } }).redis, ACL_FILE);
    expect(text).toMatch(/^notify-keyspace-events ""$/m);
    expect(parseRedisConf(text).get("notify-keyspace-events")).toEqual([""]);
  });

  test.each([`with "quotes" and \\backslash\\`, "spaces and $dollar # hash", "new\nline\ttab", "ünïcødé-🔑", "'single'"])(
    "redisQuote(%j) survives Redis's parser verbatim",
    (value) => {
      expect(splitArgs(`word ${redisQuote(value)}`)).toEqual(["word", value]);
    },
  );

  test("a quoted value cannot break out of its line", () => {
    expect(redisQuote("a\nb")).toBe('"a\\x0ab"');
    expect(redisQuote("x\nrename-command CONFIG nope")).not.toContain("\n");
  });
});

describe("ACL commands of a rotation", () => {
  test("adding keeps the passwords the user has; keeping only resets them first; each is saved to the ACL file", () => {
    const add = aclAddPassword("N3wPassword").split("\n").filter((line) => line !== "").map(splitArgs);
    const keep = aclKeepOnlyPassword("N3wPassword").split("\n").filter((line) => line !== "").map(splitArgs);
    const rules = ["on", "~*", "&*", "+@all", "-@dangerous", "+info"];
    expect(add).toEqual([["ACL", "SETUSER", "default", ...rules, ">N3wPassword"], ["ACL", "SAVE"]]);
    expect(keep).toEqual([["ACL", "SETUSER", "default", ...rules, "resetpass", ">N3wPassword"], ["ACL", "SAVE"]]);
  });

  test.each([`q"uote`, "sp ace", "new\nline"])("a password %j stays one argument on one line", (password) => {
    const lines = aclAddPassword(password).split("\n").filter((line) => line !== "");
    expect(lines).toHaveLength(2);
    expect(splitArgs(lines[0]).at(-1)).toBe(`>${password}`);
  });

  test("an empty password is refused", () => {
    expect(() => aclAddPassword("")).toThrow(/must not be empty/);
    expect(() => aclKeepOnlyPassword("")).toThrow(/must not be empty/);
  });
});
