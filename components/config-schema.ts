import { z } from "zod";
import { hasControlCharacter } from "./control-characters";
import { dnsNameProblem } from "./dns-name";
import { durationProblem } from "./duration";
import { type HostPathAccess, hostPathProblem, normaliseHostPath } from "./host-path";
import { bindAddressProblem, blockedAddressProblem, MIN_BLOCKED_PREFIX } from "./ipv4";
import { type PostgresNameUse, reservedNameProblem } from "./postgres-names";
import { cpusReadBackUnchanged } from "./docker-values";
import { meetsNginxMinimum, NGINX_MINIMUM_VERSION, NGINX_MINIMUM_VERSION_REASON, nginxVersionOfImage } from "./render/nginx-version";

/**
 * The schema of the `dean:` config namespace. Every default lives here and only here;
 * components receive the parsed, fully defaulted `StackConfig`.
 */

const IMAGE_REF = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** An image reference pinned by a tag or a digest; `latest` or no tag is refused. */
export const imageRef = z.string({ error: "must be an image reference such as name:tag or name@sha256:<digest>" }).superRefine((value, ctx) => {
  if (!IMAGE_REF.test(value)) {
    ctx.addIssue({ code: "custom", message: "must be an image reference such as name:tag or name@sha256:<digest>" });
    return;
  }
  const withoutDigest = value.split("@")[0];
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf("/") + 1);
  const tag = lastSegment.includes(":") ? lastSegment.slice(lastSegment.indexOf(":") + 1) : undefined;
  const hasDigest = value.includes("@sha256:");
  // Tags are case-sensitive, but `LATEST` or `Latest` is a moving tag by any other spelling.
  if (tag?.toLowerCase() === "latest") {
    ctx.addIssue({ code: "custom", message: "must be pinned to a version tag or digest; `latest` (in any case) is refused" });
  } else if (tag === undefined && !hasDigest) {
    ctx.addIssue({ code: "custom", message: "must be pinned to a version tag or digest (no tag means `latest`)" });
  }
});

/** A whole number in [min, max], with the range in its error message. */
function intBetween(min: number, max: number) {
  const message = `must be a whole number between ${min} and ${max}`;
  return z.number(message).int(message).min(min, message).max(max, message);
}

/** A number in (0, max], e.g. a CPU count. */
function positiveUpTo(max: number) {
  const message = `must be a number greater than 0 and at most ${max}`;
  return z.number(message).positive(message).max(max, message);
}

/**
 * A string checked by `problem`, which returns a "must ..." phrase when the value is refused.
 * A value that is no string at all gets the same phrase (what an empty string lacks), so the
 * refusal says what is allowed rather than only "must be a string".
 */
function checkedString(problem: (value: string) => string | undefined) {
  return z.string({ error: () => problem("") ?? "must be a string" }).superRefine((value, ctx) => {
    const message = problem(value);
    if (message !== undefined) ctx.addIssue({ code: "custom", message });
  });
}

const port = intBetween(1, 65535);

/** A lower-case SQL identifier that PostgreSQL does not reserve for `use` (see postgres-names.ts). */
function identifier(use: PostgresNameUse) {
  return checkedString((value) =>
    /^[a-z_][a-z0-9_]{0,62}$/.test(value)
      ? reservedNameProblem(value, use)
      : "must be a lower-case SQL identifier ([a-z_][a-z0-9_]*, at most 63 characters)");
}

/** The address ports are published on: a unicast address the host can own (ipv4.ts). */
const bindAddress = checkedString(bindAddressProblem);

/**
 * One entry of `dean:nginx.blockedIps`: an IPv4 address or a CIDR range no wider than a /8
 * (MIN_BLOCKED_PREFIX, explained in ipv4.ts), written as its network address. dean-ops
 * validates `block` arguments with this schema, so the bound holds there too.
 */
export const blockedAddressSchema = checkedString(blockedAddressProblem);
export { MIN_BLOCKED_PREFIX };

/** A duration such as `90s`, `15m`, `24h` or `7d`, between `min` and `max` (duration.ts). */
function durationBetween(min: string, max: string) {
  return checkedString((value) => durationProblem(value, min, max));
}

/** A path on the Docker host to mount with `access`: checked, then normalised (host-path.ts). */
function hostPath(access: HostPathAccess) {
  return checkedString((value) => hostPathProblem(value, access)).transform(normaliseHostPath);
}

/** One argument of the migration command: passed to `docker run` through a shell on the Pulumi host. */
const commandArgument = checkedString((value) => {
  if (value.length === 0 || value.length > 1024) return "must be text of 1-1024 characters";
  if (hasControlCharacter(value)) return "must not contain control characters (NUL, newline, ...)";
  return undefined;
});

/**
 * Bounds of a container's PIDs limit (dean:<service>.resources.pidsLimit). Below 16 not even a
 * healthcheck beside the service can start; 32768 is Linux's default pid_max, so a higher limit
 * would bound nothing.
 */
const PIDS_LIMIT_RANGE = { min: 16, max: 32768 } as const;

/** CPU, memory and processes for one container: hard limits and the share it is guaranteed. */
function resources(defaults: { cpus: number; memoryMiB: number; reservedCpus: number; reservedMemoryMiB: number; pidsLimit: number }) {
  return z.strictObject({
    /** Hard CPU limit (docker --cpus), in a form Docker reads back unchanged (0.05 would read back as 0.1). */
    cpus: positiveUpTo(64)
      .refine(cpusReadBackUnchanged, { message: "must be a CPU amount Docker reports back unchanged, such as 0.1, 0.25, 0.5, 1 or 1.5 (Docker's read-back rounds values like 0.05 to one decimal)" })
      .default(defaults.cpus),
    /** Hard memory limit in MiB (docker --memory). */
    memoryMiB: intBetween(16, 262144).default(defaults.memoryMiB),
    /** CPUs the container is weighted for under contention (cpu shares = 1024 per CPU). */
    reservedCpus: positiveUpTo(64).default(defaults.reservedCpus),
    /** Soft memory reservation in MiB (docker --memory-reservation). */
    reservedMemoryMiB: intBetween(4, 262144).default(defaults.reservedMemoryMiB),
    /**
     * Processes and threads the container may run at once (its cgroup PIDs limit, set with
     * `docker update --pids-limit`): a fork bomb or a thread leak stops there instead of
     * exhausting the host's PIDs. Threads count as well as processes; what the orchestrator
     * and Postgres need at least is checked against their settings (config-cross-checks.ts).
     */
    pidsLimit: intBetween(PIDS_LIMIT_RANGE.min, PIDS_LIMIT_RANGE.max).default(defaults.pidsLimit),
  }).prefault({});
}

export const orchestratorSchema = z.strictObject({
  /** Number of orchestrator containers behind nginx. */
  replicas: intBetween(1, 50).default(1),
  /** Port the orchestrator listens on inside its network (never published). */
  port: port.default(8082),
  /** UVICORN_WORKERS: worker processes per replica; each holds its own DB pool. */
  workers: intBetween(1, 64).default(2),
  /** MAX_WORKERS: the orchestrator's evolution worker limit. */
  maxWorkers: intBetween(1, 256).default(4),
  /** ENABLE_CACHE. */
  enableCache: z.boolean().default(true),
  /** CACHE_TTL in seconds. */
  cacheTtlSeconds: intBetween(0, 86400).default(300),
  /** DATABASE_POOL_SIZE: persistent connections per worker process. */
  dbPoolSize: intBetween(1, 100).default(5),
  /** DATABASE_MAX_OVERFLOW: extra connections per worker process under load. */
  dbMaxOverflow: intBetween(0, 100).default(2),
  /** DATABASE_POOL_TIMEOUT in seconds. */
  dbPoolTimeoutSeconds: intBetween(1, 600).default(30),
  /** Command run once per image change, after the pre-upgrade backup, before replicas change. */
  migrationCommand: z.array(commandArgument).min(1).max(64).default(["python", "-m", "alembic", "upgrade", "head"]),
  /** Publishes replica 1 on 127.0.0.1:<port> (never another address), for diagnostics and benchmarks. */
  directHostPort: port.optional(),
  /** Seconds a new replica may take to turn healthy before the update fails. */
  healthTimeoutSeconds: intBetween(10, 900).default(120),
  resources: resources({ cpus: 1, memoryMiB: 1024, reservedCpus: 0.5, reservedMemoryMiB: 512, pidsLimit: 1024 }),
}).prefault({});

/**
 * Names follow postgres-names.ts: the database and the application role may not take a name
 * PostgreSQL reserves or creates itself (postgres, template0/1, public, none, current_user,
 * pg_*, ...); the superuser may be `postgres`, the official image's own default, and nothing
 * else reserved.
 */
export const postgresSchema = z.strictObject({
  /** The application database. */
  database: identifier("database").default("dean_production"),
  /** The application role (login, owner of the database). */
  user: identifier("role").default("dean"),
  /** The bootstrap superuser used by the provider and the backup job. */
  superuser: identifier("superuser").default("postgres"),
  /** max_connections. */
  maxConnections: intBetween(20, 10000).default(100),
  /** superuser_reserved_connections. */
  superuserReservedConnections: intBetween(1, 50).default(3),
  /** Connections kept free for operators (psql, dean-ops) in the connection budget. */
  adminReserve: intBetween(0, 100).default(5),
  /** idle_session_timeout in seconds (the runbook kills idle sessions after 10 minutes); 0 disables. */
  idleSessionTimeoutSeconds: intBetween(0, 86400).default(600),
  /** idle_in_transaction_session_timeout in seconds; 0 disables. */
  idleInTransactionTimeoutSeconds: intBetween(0, 86400).default(300),
  /** Loopback port Postgres is published on, for the postgresql provider and operators. */
  hostPort: port.default(5432),
  resources: resources({ cpus: 1, memoryMiB: 1024, reservedCpus: 0.5, reservedMemoryMiB: 512, pidsLimit: 512 }),
}).prefault({});

export const REDIS_EVICTION_POLICIES = [
  "noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random",
  "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
] as const;

export const redisSchema = z.strictObject({
  /** maxmemory in MiB. */
  maxmemoryMiB: intBetween(16, 262144).default(256),
  /** maxmemory-policy. */
  evictionPolicy: z.enum(REDIS_EVICTION_POLICIES).default("allkeys-lru"),
  /** notify-keyspace-events (the runbook uses `Ex`: expiry events). */
  keyspaceEvents: z.string().regex(/^[KEg$lshzxetmdnA]{0,32}$/, "must use only the notify-keyspace-events flags KEg$lshzxetmdnA (at most 32)").default("Ex"),
  /** appendonly persistence. */
  appendonly: z.boolean().default(true),
  resources: resources({ cpus: 0.5, memoryMiB: 512, reservedCpus: 0.25, reservedMemoryMiB: 256, pidsLimit: 128 }),
}).prefault({});

export const nginxSchema = z.strictObject({
  /** Public server name: a DNS name (the CN of the self-signed certificate, so at most 64 characters in that mode). */
  serverName: checkedString(dnsNameProblem).default("localhost"),
  /** Host address the ports are published on; 127.0.0.1 keeps the stack local. A unicast address. */
  bindAddress: bindAddress.default("127.0.0.1"),
  /** Host port for HTTP (redirects to HTTPS). */
  httpPort: port.default(80),
  /** Host port for HTTPS. */
  httpsPort: port.default(443),
  /** General per-client-IP limit for every proxied route. */
  rateLimit: z.strictObject({
    /** Requests per second per client IP. */
    ratePerSecond: intBetween(1, 100000).default(1),
    /** Requests allowed above the rate before 429. */
    burst: intBetween(0, 100000).default(5),
    /** Serve burst requests at once instead of queueing them. */
    nodelay: z.boolean().default(true),
  }).prefault({}),
  /** Stricter per-client-IP limit for login and auth paths (applied together with the general one). */
  authRateLimit: z.strictObject({
    /** Requests per minute per client IP. */
    ratePerMinute: intBetween(1, 100000).default(10),
    /** Requests allowed above the rate before 429. */
    burst: intBetween(0, 100000).default(3),
    /** Serve burst requests at once. */
    nodelay: z.boolean().default(true),
    /** Path prefixes the stricter limit covers (each a nginx location: bounded so nginx can read it). */
    paths: z.array(z.string().regex(/^\/[A-Za-z0-9._~/-]{0,255}$/, "must be a URL path starting with / (A-Z, a-z, 0-9 and ._~/-, at most 256 characters)")).min(1).max(32).default(["/api/auth/", "/api/login"]),
  }).prefault({}),
  /** Concurrent connections per client IP (limit_conn, which nginx caps at 65535). */
  connectionsPerIp: intBetween(1, 65535).default(50),
  /**
   * Idle connections to the replicas each nginx worker keeps open for reuse (upstream
   * `keepalive`); 0 opens a new connection per request. Keep it 0 for an orchestrator that
   * runs several uvicorn workers without TCP_NODELAY (docs/architecture.md, "Reaching the replicas").
   */
  upstreamKeepalive: intBetween(0, 1024).default(16),
  /** Client addresses or CIDR ranges (at most a /8 each) answered with 403. */
  blockedIps: z.array(blockedAddressSchema).default([]),
  /** Maintenance mode: 503 and the maintenance page everywhere but /health. */
  maintenance: z.boolean().default(false),
  /** Isolate the stack: no port published at all (the runbook's "block external access"). */
  isolate: z.boolean().default(false),
  /**
   * TLS source: `selfSigned` (generated once, for dev), `secretConfig` (dean:tlsCertificate and
   * dean:tlsKey set with `pulumi config set --secret`), or `hostFiles` (PEM files on the Docker
   * host, mounted read-only; the key never enters Pulumi state).
   */
  tls: z.strictObject({
    mode: z.enum(["selfSigned", "secretConfig", "hostFiles"]).default("selfSigned"),
    /** With hostFiles: absolute path of the certificate chain on the Docker host (mounted read-only; see host-path.ts). */
    certificatePath: hostPath("read-only").optional(),
    /** With hostFiles: absolute path of the private key on the Docker host (mounted read-only; see host-path.ts). */
    keyPath: hostPath("read-only").optional(),
  }).prefault({}),
  resources: resources({ cpus: 0.5, memoryMiB: 256, reservedCpus: 0.25, reservedMemoryMiB: 64, pidsLimit: 512 }),
}).prefault({});

export const backupSchema = z.strictObject({
  /** Scheduled dumps on or off (production policy requires on). */
  enabled: z.boolean().default(true),
  /** Time between scheduled dumps, 10s to 30d (the backup script sleeps it; a longer one is no schedule). */
  interval: durationBetween("10s", "30d").default("24h"),
  /**
   * Host directory for dumps (production: /backups/dean), mounted read-write: never the host's
   * root, a system directory or inside one (see host-path.ts). Unset means a retained Docker volume.
   */
  hostPath: hostPath("read-write").optional(),
  /** Dumps older than this many days are removed, keeping at least minKeep. */
  retentionDays: intBetween(1, 3650).default(7),
  /** Good dumps always kept, however old. */
  minKeep: intBetween(1, 1000).default(3),
  /** `list`: pg_restore --list of each dump; `restore`: also restore into a scratch database and count tables. */
  verify: z.enum(["list", "restore"]).default("restore"),
  resources: resources({ cpus: 1, memoryMiB: 512, reservedCpus: 0.25, reservedMemoryMiB: 128, pidsLimit: 128 }),
}).prefault({});

export const rotationSchema = z.strictObject({
  /** Bump to regenerate the JWT signing key (and log everyone out). */
  jwt: intBetween(0, 1000000).default(0),
  /** Bump to regenerate the application role's password. */
  database: intBetween(0, 1000000).default(0),
  /** Bump to regenerate the Redis password. */
  redis: intBetween(0, 1000000).default(0),
}).prefault({});

export const loggingSchema = z.strictObject({
  /** json-file max-size per log file. */
  maxSize: z.string().regex(/^[1-9][0-9]*[kmg]$/, "must be a size such as 10m").default("10m"),
  /** json-file max-file: rotated files kept. */
  maxFiles: intBetween(1, 100).default(5),
}).prefault({});

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;

export const stackConfigShape = {
  /**
   * `prod` protects data volumes and is held to the production policies. Required, with no
   * default: a production stack whose key is lost or misspelt must fail, not deploy as dev.
   */
  environment: z.enum(ENVIRONMENTS, {
    error: (issue) => (issue.input === undefined
      ? `is required: "dev", "staging" or "prod" (no default, so that a production stack cannot silently become dev)`
      : undefined),
  }),
  /** Prefix of every Docker object (containers, networks, volumes); one per stack on a host. */
  instanceName: z.string().regex(/^[a-z][a-z0-9-]{1,30}$/, "must be 2-31 characters of a-z, 0-9 and -, starting with a letter").default("dean"),
  /** Images of every service, each pinned. */
  images: z.strictObject({
    orchestrator: imageRef.default("dean/orchestrator:1.0.0"),
    postgres: imageRef.default("postgres:15-bookworm"),
    redis: imageRef.default("redis:7.2-bookworm"),
    nginx: imageRef.superRefine((value, ctx) => {
      const version = nginxVersionOfImage(value);
      if (version !== undefined && meetsNginxMinimum(version) === false) {
        ctx.addIssue({ code: "custom", message: `names nginx ${version}; the rendered configuration needs ${NGINX_MINIMUM_VERSION} or later (${NGINX_MINIMUM_VERSION_REASON})` });
      }
    }).default("nginx:1.28-bookworm"),
  }).prefault({}),
  orchestrator: orchestratorSchema,
  postgres: postgresSchema,
  redis: redisSchema,
  nginx: nginxSchema,
  backup: backupSchema,
  rotation: rotationSchema,
  logging: loggingSchema,
};

/** Connections the backup job may hold at once: pg_dump plus a verify-by-restore session. */
export const BACKUP_CONNECTIONS = 2;

export const stackConfigSchema = z.strictObject(stackConfigShape);

/** The validated, fully defaulted `dean:` config. */
export type StackConfig = z.infer<typeof stackConfigSchema>;
