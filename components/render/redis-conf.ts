import type { RedisSettings } from "../config";

/** Seconds an idle client connection is kept (pub/sub subscribers are exempt in Redis). */
const REDIS_IDLE_CLIENT_TIMEOUT_SECONDS = 300;

/**
 * Quotes a value for redis.conf or a redis-cli input line. Redis splits both like a shell
 * (sdssplitargs); inside double quotes it understands \\, \" and \xHH, so anything outside
 * printable ASCII or special to the parser is hex-escaped and a password survives verbatim.
 */
export function redisQuote(value: string): string {
  let out = "";
  for (const byte of Buffer.from(value, "utf8")) {
    const char = String.fromCharCode(byte);
    if (char === "\\" || char === '"') out += `\\${char}`;
    else if (byte >= 0x20 && byte < 0x7f) out += char;
    else out += `\\x${byte.toString(16).padStart(2, "0")}`;
  }
  return `"${out}"`;
}

/**
 * redis.conf for the Redis container. It holds no credential: users and their password
 * hashes live in the ACL file on the data volume (see redis-credentials.ts), so a rotated
 * password never changes the container. Nothing is renamed or disabled: the ops tooling
 * relies on SCAN, UNLINK/DEL, CONFIG GET, INFO and PING.
 */
export function renderRedisConf(redis: RedisSettings, aclFile: string): string {
  return [
    "# Rendered by dean-infra (components/render/redis-conf.ts); change the stack config, not this file.",
    "# Reachable only on the internal Docker network (the port is never published); every user",
    "# needs a password all the same (the ACL file below, kept on the data volume).",
    "bind 0.0.0.0",
    "port 6379",
    "protected-mode yes",
    `aclfile ${redisQuote(aclFile)}`,
    "",
    `maxmemory ${redis.maxmemoryMiB}mb`,
    `maxmemory-policy ${redis.evictionPolicy}`,
    "# Empty disables keyspace notifications.",
    `notify-keyspace-events ${redisQuote(redis.keyspaceEvents)}`,
    "",
    `appendonly ${redis.appendonly ? "yes" : "no"}`,
    "appendfsync everysec",
    "dir /data",
    "",
    "# Log to stdout: Docker's json-file driver rotates it.",
    `logfile ""`,
    "loglevel notice",
    "daemonize no",
    "",
    `timeout ${REDIS_IDLE_CLIENT_TIMEOUT_SECONDS}`,
    "tcp-keepalive 60",
    "",
  ].join("\n");
}
