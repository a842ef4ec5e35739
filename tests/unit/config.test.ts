import { ConfigError, connectionBudget, parseStackConfig, rawSettingsFromPulumiConfig } from "../../components/config";
import { readStackConfigFile, stackFilePath } from "../../tools/stack-config-file";
import { PROJECT_DIR } from "./program/harness";

function problemsOf(raw: Record<string, unknown>): string[] {
  try {
    parseStackConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error(`config was accepted: ${JSON.stringify(raw)}`);
}

function shipped(stack: string) {
  return rawSettingsFromPulumiConfig(readStackConfigFile(stackFilePath(PROJECT_DIR, stack)).values);
}

describe("shipped stack configs", () => {
  it.each(["dev", "prod"])("%s loads", (stack) => {
    expect(() => parseStackConfig(shipped(stack))).not.toThrow();
  });

  it("prod carries the runbook's values", () => {
    const prod = parseStackConfig(shipped("prod"));
    expect(prod.environment).toBe("prod");
    expect(prod.orchestrator).toMatchObject({ replicas: 3, workers: 8, maxWorkers: 16, enableCache: true, cacheTtlSeconds: 300, dbPoolTimeoutSeconds: 30 });
    expect(prod.orchestrator.resources).toEqual({ cpus: 4, memoryMiB: 8192, reservedCpus: 2, reservedMemoryMiB: 4096, pidsLimit: 1024 });
    expect([prod.postgres, prod.redis, prod.nginx, prod.backup].map((service) => service.resources.pidsLimit)).toEqual([512, 128, 512, 128]);
    expect(prod.postgres.maxConnections).toBe(200);
    expect(prod.redis).toMatchObject({ evictionPolicy: "allkeys-lru", keyspaceEvents: "Ex" });
    expect(prod.nginx).toMatchObject({ httpPort: 80, httpsPort: 443, rateLimit: { ratePerSecond: 1, burst: 5, nodelay: true } });
    expect(prod.backup).toMatchObject({ enabled: true, interval: "24h", hostPath: "/backups/dean" });
    expect(connectionBudget(prod).total).toBeLessThanOrEqual(200);
  });

  it("dev binds every published port to loopback and signs its own certificate", () => {
    const dev = parseStackConfig(shipped("dev"));
    expect(dev.orchestrator.replicas).toBe(1);
    expect(dev.nginx.bindAddress).toBe("127.0.0.1");
    expect(dev.nginx.tls.mode).toBe("selfSigned");
  });

  it("a config naming only its environment takes every other default from the schema", () => {
    const defaults = parseStackConfig({ environment: "dev" });
    expect(defaults.orchestrator.migrationCommand).toEqual(["python", "-m", "alembic", "upgrade", "head"]);
    expect(defaults.postgres.database).toBe("dean_production");
    expect(defaults.orchestrator.port).toBe(8082);
    expect(Object.fromEntries((["orchestrator", "postgres", "redis", "nginx", "backup"] as const).map((service) => [service, defaults[service].resources.pidsLimit])))
      .toEqual({ orchestrator: 1024, postgres: 512, redis: 128, nginx: 512, backup: 128 });
  });
});

describe("connection budget", () => {
  it("refuses the runbook's literal pool values and shows the arithmetic", () => {
    const problems = problemsOf({ environment: "prod", orchestrator: { replicas: 3, workers: 8, dbPoolSize: 20, dbMaxOverflow: 40 }, postgres: { maxConnections: 200 } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("dean:postgres.maxConnections");
    expect(problems[0]).toContain("3 replicas x 8 workers x (20 pool + 40 overflow) = 1440");
    expect(problems[0]).toContain("= 1450 > max_connections 200");
  });

  it("accepts a budget that exactly fits", () => {
    // 2 x 2 x (5 + 5) = 40 + 2 + 5 + 3 = 50
    expect(() => parseStackConfig({ environment: "dev", orchestrator: { replicas: 2, workers: 2, dbPoolSize: 5, dbMaxOverflow: 5 }, postgres: { maxConnections: 50 } })).not.toThrow();
    expect(problemsOf({ environment: "dev", orchestrator: { replicas: 2, workers: 2, dbPoolSize: 5, dbMaxOverflow: 6 }, postgres: { maxConnections: 53 } })[0]).toContain("= 54 > max_connections 53");
  });
});

// Each row: a bad config and the full key its error must name.
const badConfigs: [string, Record<string, unknown>, string][] = [
  ["replicas zero", { orchestrator: { replicas: 0 } }, "dean:orchestrator.replicas must be a whole number between 1 and 50 (got 0)"],
  ["replicas above 50", { orchestrator: { replicas: 51 } }, "dean:orchestrator.replicas"],
  ["replicas fractional", { orchestrator: { replicas: 1.5 } }, "dean:orchestrator.replicas"],
  ["replicas as text", { orchestrator: { replicas: "three" } }, "dean:orchestrator.replicas"],
  ["orchestrator port out of range", { orchestrator: { port: 70000 } }, "dean:orchestrator.port"],
  ["workers zero", { orchestrator: { workers: 0 } }, "dean:orchestrator.workers"],
  ["negative overflow", { orchestrator: { dbMaxOverflow: -1 } }, "dean:orchestrator.dbMaxOverflow"],
  ["pool timeout zero", { orchestrator: { dbPoolTimeoutSeconds: 0 } }, "dean:orchestrator.dbPoolTimeoutSeconds"],
  ["empty migration command", { orchestrator: { migrationCommand: [] } }, "dean:orchestrator.migrationCommand"],
  ["cache switch as text", { orchestrator: { enableCache: "yes" } }, "dean:orchestrator.enableCache"],
  ["reservation above limit (cpu)", { orchestrator: { resources: { cpus: 1, reservedCpus: 2 } } }, "dean:orchestrator.resources.reservedCpus must not exceed"],
  ["reservation above limit (memory)", { redis: { resources: { memoryMiB: 128, reservedMemoryMiB: 256 } } }, "dean:redis.resources.reservedMemoryMiB must not exceed"],
  ["cpu limit zero", { nginx: { resources: { cpus: 0 } } }, "dean:nginx.resources.cpus"],
  ["PIDs limit zero", { redis: { resources: { pidsLimit: 0 } } }, "dean:redis.resources.pidsLimit must be a whole number between 16 and 32768 (got 0)"],
  ["PIDs limit unlimited (-1)", { nginx: { resources: { pidsLimit: -1 } } }, "dean:nginx.resources.pidsLimit must be a whole number between 16 and 32768 (got -1)"],
  ["PIDs limit above the bound", { backup: { resources: { pidsLimit: 100000 } } }, "dean:backup.resources.pidsLimit must be a whole number between 16 and 32768"],
  ["PIDs limit fractional", { orchestrator: { resources: { pidsLimit: 512.5 } } }, "dean:orchestrator.resources.pidsLimit must be a whole number"],
  ["PIDs limit as text", { postgres: { resources: { pidsLimit: "512" } } }, "dean:postgres.resources.pidsLimit must be a whole number"],
  ["PIDs limit below Postgres' connections", { postgres: { maxConnections: 200, resources: { pidsLimit: 200 } } },
    "dean:postgres.resources.pidsLimit must be at least 248: a process per connection (postgres.maxConnections 200) + 48 of Postgres' own (got 200)"],
  ["PIDs limit below the uvicorn workers' threads", { orchestrator: { workers: 8, resources: { pidsLimit: 256 } } },
    "dean:orchestrator.resources.pidsLimit must be at least 400: orchestrator.workers 8 x 48 threads + 16 (got 256)"],
  ["image tagged latest", { images: { orchestrator: "dean/orchestrator:latest" } }, "dean:images.orchestrator must be pinned to a version tag or digest; `latest` (in any case) is refused"],
  ["image without tag", { images: { postgres: "postgres" } }, "dean:images.postgres must be pinned"],
  ["image malformed", { images: { redis: "Redis:7 " } }, "dean:images.redis must be an image reference"],
  ["unknown environment", { environment: "production" }, "dean:environment must be one of \"dev\", \"staging\", \"prod\""],
  ["bad instance name", { instanceName: "Dean_Prod" }, "dean:instanceName"],
  ["max_connections too low", { postgres: { maxConnections: 5 } }, "dean:postgres.maxConnections"],
  ["database not an identifier", { postgres: { database: "dean-production" } }, "dean:postgres.database"],
  ["app user equals superuser", { postgres: { user: "dean_admin", superuser: "dean_admin" } }, "dean:postgres.user must differ from postgres.superuser"],
  ["unknown eviction policy", { redis: { evictionPolicy: "lru" } }, "dean:redis.evictionPolicy must be one of"],
  ["bad keyspace flags", { redis: { keyspaceEvents: "Exq" } }, "dean:redis.keyspaceEvents"],
  ["negative burst", { nginx: { rateLimit: { burst: -1 } } }, "dean:nginx.rateLimit.burst"],
  ["zero rate", { nginx: { rateLimit: { ratePerSecond: 0 } } }, "dean:nginx.rateLimit.ratePerSecond"],
  ["bad blocked IP", { nginx: { blockedIps: ["10.0.0.1", "300.1.1.1"] } }, "dean:nginx.blockedIps[1] must be an IPv4 address or CIDR range"],
  ["bad CIDR prefix", { nginx: { blockedIps: ["10.0.0.0/33"] } }, "dean:nginx.blockedIps[0]"],
  ["bind address not an IP", { nginx: { bindAddress: "localhost" } }, "dean:nginx.bindAddress must be an IPv4 address"],
  ["same http and https port", { nginx: { httpPort: 8443, httpsPort: 8443 } }, "dean:nginx.httpsPort must differ from nginx.httpPort"],
  ["auth path not absolute", { nginx: { authRateLimit: { paths: ["api/login"] } } }, "dean:nginx.authRateLimit.paths[0]"],
  ["unknown tls mode", { nginx: { tls: { mode: "letsencrypt" } } }, "dean:nginx.tls.mode"],
  ["hostFiles without paths", { nginx: { tls: { mode: "hostFiles" } } }, "dean:nginx.tls.certificatePath is required when nginx.tls.mode is hostFiles"],
  ["secretConfig without secrets", { nginx: { tls: { mode: "secretConfig" } } }, "dean:tlsCertificate is required when nginx.tls.mode is secretConfig"],
  ["backup interval without unit", { backup: { interval: "24" } }, "dean:backup.interval must be a duration"],
  ["backup retention zero", { backup: { retentionDays: 0 } }, "dean:backup.retentionDays"],
  ["backup target relative", { backup: { hostPath: "backups/dean" } }, "dean:backup.hostPath must be an absolute path"],
  ["unknown verify mode", { backup: { verify: "checksum" } }, "dean:backup.verify must be one of \"list\", \"restore\""],
  ["negative rotation counter", { rotation: { jwt: -1 } }, "dean:rotation.jwt"],
  ["log size without unit", { logging: { maxSize: "10" } }, "dean:logging.maxSize"],
  ["typo in a section key", { orchestrator: { replica: 3 } }, "dean:orchestrator.replica is not a known setting of dean:orchestrator (did you mean replicas?) (got 3)"],
  ["typo in a top-level key", { orchestrater: { replicas: 3 } }, "dean:orchestrater is not a known setting (did you mean orchestrator?)"],
  ["section that is not an object", { postgres: 5 }, "dean:postgres must be an object of settings"],
];

describe("bad configs", () => {
  it("covers at least 25 cases", () => {
    expect(badConfigs.length).toBeGreaterThanOrEqual(25);
  });

  it.each(badConfigs)("%s names the key", (_label, raw, expected) => {
    const problems = problemsOf({ environment: "dev", ...raw });
    expect(problems.some((problem) => problem.includes(expected))).toBe(true);
    // The value given is quoted back, so the operator sees what was wrong.
    expect(problems.every((problem) => /\(got .*\)$/.test(problem))).toBe(true);
  });

  it("reports every problem of a config at once", () => {
    const problems = problemsOf({
      environment: "dev",
      orchestrator: { replicas: 0, typo: true },
      images: { nginx: "nginx:latest" },
      nginx: { blockedIps: ["nope"] },
      redis: { resources: { cpus: 1, reservedCpus: 2 } },
      unknownSection: {},
    });
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringContaining("dean:orchestrator.replicas"),
      expect.stringContaining("dean:orchestrator.typo is not a known setting"),
      expect.stringContaining("dean:images.nginx"),
      expect.stringContaining("dean:nginx.blockedIps[0]"),
      expect.stringContaining("dean:redis.resources.reservedCpus"),
      expect.stringContaining("dean:unknownSection is not a known setting"),
    ]));
    expect(problems).toHaveLength(6);
  });

  it("the error message lists the problems one per line", () => {
    expect(() => parseStackConfig({ orchestrator: { replicas: 0 }, environment: "qa" })).toThrow(/Invalid stack config \(2 problems\):\n {2}- dean:environment.*\n {2}- dean:orchestrator\.replicas/);
  });
});

describe("reading Pulumi's flat config map", () => {
  it("parses structured values and leaves plain strings alone", () => {
    expect(rawSettingsFromPulumiConfig({
      "dean:orchestrator": "{\"replicas\":3}",
      "dean:environment": "prod",
      "dean:tlsKey": "secret-pem",
      "other:key": "ignored",
    })).toEqual({ orchestrator: { replicas: 3 }, environment: "prod" });
  });
});
