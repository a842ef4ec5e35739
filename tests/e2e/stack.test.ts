import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import type * as https from "node:https";
import { removeInstanceObjects, remainingInstanceObjects } from "../../tools/stack-driver/cleanup";
import { waitHealthy } from "../../tools/stack-driver/container-health";
import { EngineStack } from "../../tools/stack-driver/engine-stack";
import type { DeployStep } from "../../tools/stack-driver/deploy-log";
import { docker } from "../../tools/stack-driver/docker-client";
import { execOk } from "../../tools/stack-driver/docker-exec";
import { missingPrerequisite } from "../../tools/stack-driver/prerequisites";
import { missingEngine } from "../../tools/stack-driver/workspace";
import { describeWithPrerequisite } from "../support/prerequisites";
import { header, jsonBody } from "../../tools/stack-driver/http";
import { shortLivedToken, signHs256 } from "../../tools/stack-driver/jwt";
import { type ConfigOverrides, deepMerge, E2E_CONFIG_FILE, E2E_STACK, e2eInstanceName } from "../../tools/stack-driver/stack-config";
import { expectZoneAdmitted, timed } from "../support/rate-limit";
import { sleep, waitFor } from "../../tools/stack-driver/wait";
import { Backups, type Dump } from "../../tools/stack-driver/backups";
import { containerEnv, serviceContainers, waitForHealth } from "../../tools/stack-driver/containers";
import { clientAddressSeenByNginx } from "./support/nginx-log";
import { appCredentials, connectionOf, query, superuserCredentials, trialsFingerprint } from "../../tools/stack-driver/postgres";
import { RedisCli } from "../../tools/stack-driver/redis";
import { e2eSettings, StackClient, stackJwtKey } from "../../tools/stack-driver/stack-access";

/**
 * The end-to-end tier: the real program deployed by the real Pulumi engine (`pulumi up` of the
 * CLI and plugins engine/build.sh builds) to the local Docker engine, then the runbook's checks
 * against it. The engine's event log gives every step of every update, in order. One stack serves the whole suite, deployed once
 * and changed by config updates, so the scenarios run in order.
 */

const INSTANCE = e2eInstanceName();
const SETTINGS = e2eSettings();
const BASE_IMAGE = SETTINGS.images.orchestrator;
const UPGRADE_IMAGE = "dean-local/orchestrator:1.0.1";
const IMAGES = [...Object.values(SETTINGS.images), UPGRADE_IMAGE];
/** How long the first deploy's containers may take to turn healthy: a bound against a hang, not a target. */
const HEALTHY_WITHIN_MS = 180_000;

type ServiceName = "postgres" | "redis" | "backup" | "orchestrator" | "nginx";
const SERVICES: readonly ServiceName[] = ["postgres", "redis", "backup", "orchestrator", "nginx"];
const MIGRATION = "dean-orchestrator-migration";
const PRE_UPGRADE = "dean-backup-pre-upgrade";
const LOGOUT = "dean-orchestrator-logout-on-jwt-rotation";
const REDIS_PASSWORD_ADDED = "dean-redis-password-added";
const REDIS_PASSWORDS_RETIRED = "dean-redis-old-passwords-retired";
const REPLICA = /^dean-e2e-orchestrator-\d+$/;
const TRIALS = "/api/evolution/trials";
/** Between /health requests in a row: under its limit of 10 r/s per client. */
const HEALTH_PACE_MS = 120;

jest.setTimeout(180_000);

/** Every step of `steps` finished before any step of `later` started. */
function expectBefore(steps: readonly DeployStep[], later: readonly DeployStep[], explain: () => string): void {
  const lastEnd = Math.max(...steps.map((step) => step.finishedAt));
  const firstStart = Math.min(...later.map((step) => step.startedAt));
  if (!(steps.length > 0 && later.length > 0 && lastEnd <= firstStart)) {
    throw new Error(`expected [${steps.map((s) => s.name).join(", ")}] to finish before [${later.map((s) => s.name).join(", ")}] started\n${explain()}`);
  }
}

describeWithPrerequisite("the DEAN stack deployed by the real Pulumi engine", missingEngine() ?? missingPrerequisite(IMAGES), () => {
  let stack: EngineStack;
  let api: StackClient;
  let backups: Backups;
  let redis: RedisCli;
  /** The overrides the running stack was last deployed with (each update builds on them). */
  let current: ConfigOverrides = {};
  let initialDumps: Dump[] = [];
  let initialPreUpgradeMarker: Record<string, string> = {};

  const applyChange = async (change: ConfigOverrides): Promise<number> => {
    const next = deepMerge(current, change) as ConfigOverrides;
    const deployment = await stack.update(next);
    current = next;
    return deployment;
  };
  const steps = (deployment: number, name: string | RegExp, operation?: DeployStep["operation"]) => stack.log.filter({ deployment, name, operation });
  const jwtKey = (): string => stackJwtKey(stack);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const replicas = () => serviceContainers(INSTANCE, "orchestrator");

  /**
   * Issue 13 (CIS Docker Benchmark 5.13, 5.29): every container of `services` runs with a
   * read-only root filesystem and, once the update that created it is done, the PIDs limit of
   * its dean:<service>.resources.pidsLimit, in its HostConfig and in the kernel's cgroup.
   */
  const expectReadOnlyAndPidsLimited = async (services: readonly ServiceName[]): Promise<void> => {
    for (const service of services) {
      const containers = await serviceContainers(INSTANCE, service);
      expect(containers.length).toBeGreaterThan(0);
      for (const container of containers) {
        const { HostConfig: host } = await docker().getContainer(container.id).inspect();
        const limit = SETTINGS[service].resources.pidsLimit;
        expect([container.name, host.ReadonlyRootfs, host.PidsLimit]).toEqual([container.name, true, limit]);
        const cgroup = await execOk(container.id, ["sh", "-c", "cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max"]);
        expect([container.name, cgroup.trim()]).toEqual([container.name, String(limit)]);
      }
    }
  };

  /**
   * Replica short IDs answering /health through nginx, from up to `attempts` requests, paced
   * under /health's own rate limit (10 r/s per client).
   */
  const replicasAnswering = async (expected: number, attempts = 60): Promise<Set<string>> => {
    const seen = new Set<string>();
    for (let attempt = 0; attempt < attempts && seen.size < expected; attempt++) {
      if (attempt > 0) await sleep(HEALTH_PACE_MS);
      const response = await api.get("/health");
      expect(response.status).toBe(200);
      seen.add(StackClient.replicaOf(response));
    }
    return seen;
  };

  beforeAll(async () => {
    await removeInstanceObjects(INSTANCE);
    stack = await EngineStack.create(E2E_STACK, E2E_CONFIG_FILE);
    await stack.update();
    api = new StackClient(stack);
    const containers = stack.outputs.containers as { backup: string; redis: string };
    backups = new Backups(containers.backup);
    redis = new RedisCli(containers.redis);
    // Recorded now: the retention scenario later prunes old dumps.
    initialDumps = await backups.list();
    initialPreUpgradeMarker = await backups.marker(String(stack.outputs.lastPreUpgradeBackup));
  }, 300_000);

  afterAll(async () => {
    // Every deploy step with its duration, for investigating a failure or a slow run.
    if (process.env.DEAN_E2E_STEP_LOG && stack) writeFileSync(process.env.DEAN_E2E_STEP_LOG, `${stack.describe()}\n`);
    await stack?.dispose();
    await removeInstanceObjects(INSTANCE);
  }, 120_000);

  test("1. every container turns healthy and GET /health through nginx on 127.0.0.1 says healthy", async () => {
    const services = SERVICES;
    await waitFor("every service container to be healthy", async () => {
      const all = (await Promise.all(services.map((service) => serviceContainers(INSTANCE, service)))).flat();
      const healths = await Promise.all(all.map(async (container) => (await docker().getContainer(container.id).inspect()).State.Health?.Status));
      return all.length === services.length && healths.every((health) => health === "healthy") ? true : undefined;
    }, HEALTHY_WITHIN_MS, 1000);
    const response = await api.get("/health");
    expect(response.status).toBe(200);
    expect(jsonBody<{ status: string; version: string }>(response)).toMatchObject({ status: "healthy", version: "1.0.0" });
    // Plain HTTP answers /health and sends everything else to HTTPS on the published port,
    // under the configured name (never the Host a client sent).
    expect((await api.plainGet("/health")).status).toBe(200);
    const redirect = await api.plainGet(TRIALS);
    expect(redirect.status).toBe(301);
    expect(header(redirect, "location")).toBe(`https://${api.serverName}:${api.httpsPort}${TRIALS}`);
    // The orchestrator's diagnostic headers stay inside.
    expect(header(response, "x-replica")).toBeUndefined();
    expect(header(response, "x-dean-version")).toBeUndefined();
  });

  test("1b. every service container runs with a read-only root filesystem and its configured PIDs limit (CIS 5.13, 5.29)", async () => {
    await expectReadOnlyAndPidsLimited(SERVICES);
    // What operators and the program run from the files volume is on the PATH and cannot be changed in place.
    const containers = stack.outputs.containers as { redis: string; backup: string };
    expect((await execOk(containers.redis, ["dean-redis-cli", "ping"])).trim()).toBe("PONG");
    expect(await execOk(containers.backup, ["dean-backup", "list"])).toMatch(/\.dump\t/);
    for (const container of [containers.redis, containers.backup]) {
      await expect(execOk(container, ["touch", "/usr/local/sbin/changed"])).rejects.toThrow(/Read-only file system/);
      await expect(execOk(container, ["touch", "/etc/changed"])).rejects.toThrow(/Read-only file system/);
    }
  });

  test("2. the API refuses a missing or wrongly signed JWT and accepts one signed with the stack's key", async () => {
    expect((await api.politely({ path: TRIALS })).status).toBe(401);
    const forged = shortLivedToken("mallory", randomBytes(32).toString("hex"));
    expect((await api.politely({ path: TRIALS, headers: bearer(forged) })).status).toBe(401);
    // The right key but an altered payload: the signature no longer matches.
    const [head, , signature] = shortLivedToken("e2e", jwtKey()).split(".");
    const tampered = `${head}.${Buffer.from(JSON.stringify({ sub: "admin", exp: Math.floor(Date.now() / 1000) + 300 })).toString("base64url")}.${signature}`;
    expect((await api.politely({ path: TRIALS, headers: bearer(tampered) })).status).toBe(401);
    const expired = signHs256({ sub: "e2e", exp: Math.floor(Date.now() / 1000) - 60 }, jwtKey());
    expect((await api.politely({ path: TRIALS, headers: bearer(expired) })).status).toBe(401);
    const accepted = await api.politely({ path: TRIALS, headers: bearer(shortLivedToken("e2e", jwtKey())) });
    expect(accepted.status).toBe(200);
    expect(jsonBody(accepted)).toEqual({ total: 0, trials: [] });
  });

  test("3. rate limit: 20 requests at once from one client -> burst + 1 pass, the rest 429; the auth zone is stricter", async () => {
    const { rateLimit, authRateLimit } = SETTINGS.nginx;
    // Opened beforehand (on /health, which has no limit) so that the 20 limited requests
    // arrive within milliseconds, not spread over 20 TLS handshakes. The time from the first
    // request sent to the last answer is measured: a zone admits burst + 1 at once plus what
    // refills meanwhile at its rate, so a slow machine is allowed exactly that and no more.
    const burstOf20 = async (path: string, admittedStatus: number, burst: number, perSecond: number): Promise<void> => {
      const agent: https.Agent = api.keepAliveAgent(20);
      try {
        await Promise.all(Array.from({ length: 20 }, () => api.request({ path: "/health", agent })));
        const { value: responses, seconds } = await timed(() => Promise.all(Array.from({ length: 20 }, () => api.request({ path, agent }))));
        expectZoneAdmitted(responses.map((response) => response.status), { admittedStatus, burst, perSecond }, seconds);
      } finally {
        agent.destroy();
      }
    };
    // Earlier requests drain from the zones at their rates first.
    await sleep(Math.ceil((rateLimit.burst + 1) / rateLimit.ratePerSecond) * 1000 + 500);
    await burstOf20(TRIALS, 401, rateLimit.burst, rateLimit.ratePerSecond);

    await sleep(Math.ceil(((authRateLimit.burst + 1) * 60) / authRateLimit.ratePerMinute) * 1000 + 500);
    await burstOf20("/api/auth/ping", 200, authRateLimit.burst, authRateLimit.ratePerMinute / 60);
    expect(authRateLimit.burst + 1).toBeLessThan(rateLimit.burst + 1);
  });

  test("4. a blocked IP gets 403; maintenance on -> 503 with the maintenance page while /health works", async () => {
    const nginx = String((stack.outputs.containers as { nginx: string }).nginx);
    await api.get("/health");
    const client = await clientAddressSeenByNginx(nginx, "/health");
    // Through docker-proxy nginx sees the frontend network's gateway, never 127.0.0.1.
    expect(client).not.toBe("127.0.0.1");

    const nginxBefore = await docker().getContainer(nginx).inspect();
    const blocked = await applyChange({ nginx: { blockedIps: [client] } });
    // A new configuration release, checked, then a reload of the same nginx: no replacement.
    expect(steps(blocked, "dean-nginx-server")).toEqual([]);
    expect(steps(blocked, "dean-nginx-config-release").map((step) => step.operation)).toEqual(["update"]);
    expectBefore(steps(blocked, "dean-nginx-config-release"), steps(blocked, "dean-nginx-reload", "replace"), () => stack.describe(blocked));
    expect((await api.get("/health")).status).toBe(403);
    expect((await api.get(TRIALS)).status).toBe(403);
    expect((await api.plainGet("/health")).status).toBe(403);

    await applyChange({ nginx: { blockedIps: [], maintenance: true } });
    const page = await api.get(TRIALS, bearer(shortLivedToken("e2e", jwtKey())));
    expect(page.status).toBe(503);
    expect(page.body).toContain("DEAN is down for maintenance");
    expect(header(page, "retry-after")).toBe("300");
    const health = await api.get("/health");
    expect(health.status).toBe(200);
    expect(jsonBody(health)).toMatchObject({ status: "healthy" });

    await applyChange({ nginx: { maintenance: false } });
    expect((await api.politely({ path: TRIALS, headers: bearer(shortLivedToken("e2e", jwtKey())) })).status).toBe(200);
    const nginxAfter = await docker().getContainer(nginx).inspect();
    expect(nginxAfter.Id).toBe(nginxBefore.Id);
    expect(nginxAfter.State.StartedAt).toBe(nginxBefore.State.StartedAt);
  });

  test("5. with 3 replicas requests reach all 3; with one stopped the API keeps answering", async () => {
    const scaled = await applyChange({ orchestrator: { replicas: 3 } });
    expect(steps(scaled, REPLICA).map((step) => `${step.operation} ${step.name}`).sort()).toEqual(["create dean-e2e-orchestrator-2", "create dean-e2e-orchestrator-3"]);
    expect(steps(scaled, "dean-nginx-server")).toEqual([]);
    const running = await replicas();
    expect(running).toHaveLength(3);
    expect([...(await replicasAnswering(3))].sort()).toEqual(running.map((replica) => replica.shortId).sort());
    // The new replicas got their PIDs limit too.
    await expectReadOnlyAndPidsLimited(["orchestrator"]);

    const stopped = running[1];
    await docker().getContainer(stopped.id).stop({ t: 30 });
    try {
      for (let request = 0; request < 15; request++) {
        if (request > 0) await sleep(HEALTH_PACE_MS);
        const response = await api.get("/health");
        expect(response.status).toBe(200);
        expect(StackClient.replicaOf(response)).not.toBe(stopped.shortId);
      }
      expect((await api.politely({ path: TRIALS, headers: bearer(shortLivedToken("e2e", jwtKey())) })).status).toBe(200);
    } finally {
      await docker().getContainer(stopped.id).start();
      await waitHealthy(stopped.id, stopped.name, 90_000);
    }
  });

  test("6. Redis: eviction policy, keyspace events and auth as configured; Postgres: max_connections and pg_stat_statements for the app role", async () => {
    expect(await redis.configGet("maxmemory-policy")).toBe(SETTINGS.redis.evictionPolicy);
    expect([...(await redis.configGet("notify-keyspace-events"))].sort()).toEqual([...SETTINGS.redis.keyspaceEvents].sort());
    expect(Number(await redis.configGet("maxmemory"))).toBe(SETTINGS.redis.maxmemoryMiB * 1024 * 1024);
    expect(await redis.pingWithoutPassword()).toContain("NOAUTH");
    expect(await redis.pingWithPassword("not-the-password")).toMatch(/WRONGPASS|invalid password/i);
    // A client on the backend network without the password is refused too.
    const [replica] = await replicas();
    const fromNetwork = await execOk(replica.id, ["python", "-c",
      "import redis\ntry:\n    redis.Redis(host='redis', socket_timeout=3).ping()\n    print('accepted')\nexcept redis.exceptions.AuthenticationError as error:\n    print('refused:', error)"]);
    expect(fromNetwork).toMatch(/^refused:/);

    const [settings] = await query<{ max_connections: string }>(stack, superuserCredentials(stack), "SHOW max_connections");
    expect(Number(settings.max_connections)).toBe(SETTINGS.postgres.maxConnections);
    // The app role reads pg_stat_statements, other roles' statements included (pg_read_all_stats).
    const [statements] = await query<{ total: string; others: string }>(stack, appCredentials(stack),
      `SELECT count(*) AS total, count(*) FILTER (WHERE userid <> (SELECT oid FROM pg_roles WHERE rolname = current_user) AND query <> '<insufficient privilege>') AS others FROM pg_stat_statements`);
    expect(Number(statements.total)).toBeGreaterThan(0);
    expect(Number(statements.others)).toBeGreaterThan(0);
    // PUBLIC lost CONNECT on the application database (the Grant with no privileges).
    const outsider = `e2e_outsider_${randomBytes(3).toString("hex")}`;
    await query(stack, superuserCredentials(stack), `CREATE ROLE ${outsider} LOGIN PASSWORD 'outsider-password'`);
    try {
      await expect(query(stack, { user: outsider, password: "outsider-password", database: connectionOf(stack).database }, "SELECT 1"))
        .rejects.toThrow(/permission denied for database/);
    } finally {
      await query(stack, superuserCredentials(stack), `DROP ROLE ${outsider}`);
    }
  });

  test("7. backups: dumps on schedule, verify passes, restore loses no row, retention prunes to minKeep, the healthcheck turns unhealthy when dumps stop", async () => {
    const intervalSeconds = 20;
    expect(SETTINGS.backup.interval).toBe(`${intervalSeconds}s`);
    // On schedule: every scheduled dump verified, and the job's own log shows one interval
    // between the end of a run (its prune) and the start of the next dump.
    const scheduled = (await backups.list()).filter((dump) => dump.name.startsWith("scheduled-"));
    expect(scheduled.length).toBeGreaterThanOrEqual(3);
    expect(scheduled.every((dump) => dump.verified)).toBe(true);
    const lines = (await backups.jobLog()).split("\n");
    const at = (pattern: RegExp) => lines.filter((line) => pattern.test(line)).map((line) => Date.parse(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/.exec(line)?.[0] ?? ""));
    const runEnds = at(/prune: removed/);
    const runStarts = at(/dumping .* to scheduled-/);
    const pauses = runEnds.slice(0, -1).map((end, index) => (runStarts[index + 1] - end) / 1000);
    expect(pauses.length).toBeGreaterThanOrEqual(2);
    // One interval, not none and not two (the log's timestamps have whole seconds); the time a
    // loaded machine takes to check the database before the "dumping" line is allowed for.
    for (const pause of pauses) {
      expect(pause).toBeGreaterThanOrEqual(intervalSeconds - 1);
      expect(pause).toBeLessThan(2 * intervalSeconds);
    }

    const verify = await backups.run(["verify"]);
    expect(verify.exitCode).toBe(0);
    expect(verify.stdout).toMatch(/^verified \S+\.dump \(restore\)/);

    // Restore round trip: rows written, dumped, changed, restored -> the same rows.
    await query(stack, appCredentials(stack), `INSERT INTO evolution_trials (pattern_id, fitness_score, status)
      SELECT 'pattern-' || n, n / 7.0, CASE WHEN n % 3 = 0 THEN 'running' ELSE 'completed' END FROM generate_series(1, 200) AS n`);
    const before = await trialsFingerprint(stack);
    expect(before.rows).toBe(200);
    const dump = await backups.lastLine(["now", "e2e-roundtrip"]);
    expect(dump).toMatch(/^manual-.*-e2e-roundtrip\.dump$/);
    await query(stack, appCredentials(stack), "DELETE FROM evolution_trials WHERE id % 4 = 0");
    await query(stack, appCredentials(stack), "UPDATE evolution_trials SET status = 'failed' WHERE id % 5 = 0");
    await query(stack, appCredentials(stack), "INSERT INTO evolution_trials (pattern_id, status) VALUES ('after-the-dump', 'pending')");
    expect(await trialsFingerprint(stack)).not.toEqual(before);
    const restore = await backups.run(["restore", dump]);
    expect(restore).toMatchObject({ exitCode: 0 });
    expect(restore.stdout).toContain(`restored ${dump}`);
    expect(await trialsFingerprint(stack)).toEqual(before);

    // Retention and the healthcheck, with the scheduler held (SIGSTOP) right after a run, so
    // no new dump interferes: every dump made 3 days old, then pruned to the newest minKeep.
    // A run ends with its prune line; holding the job right after one leaves an interval free.
    const prunes = async (): Promise<number> => ((await backups.jobLog()).match(/prune: removed/g) ?? []).length;
    const prunedSoFar = await prunes();
    await waitFor("the next scheduled run to finish", async () => ((await prunes()) > prunedSoFar ? true : undefined), 90_000, 500);
    const job = docker().getContainer(backups.container);
    await job.kill({ signal: "SIGSTOP" });
    try {
      const names = (dumps: readonly Dump[]) => dumps.map((entry) => entry.name);
      const all = await backups.list();
      expect(all.length).toBeGreaterThan(SETTINGS.backup.minKeep);
      await backups.age("3 days ago");
      // Equal times now: the script's own order (newest, then by name) decides which stay.
      const aged = await backups.list();
      expect(names(aged).sort()).toEqual(names(all).sort());
      const pruned = await backups.run(["prune"]);
      expect(pruned.exitCode).toBe(0);
      expect(names(await backups.list())).toEqual(names(aged.slice(0, SETTINGS.backup.minKeep)));
      const unhealthy = await waitForHealth(backups.container, "unhealthy", 30_000);
      expect(unhealthy).toMatch(/^unhealthy: the newest verified dump \S+ is \d+s old/);
    } finally {
      await job.kill({ signal: "SIGCONT" });
    }
    // Dumps resume: the next scheduled dump makes it healthy again.
    expect(await waitForHealth(backups.container, "healthy", 90_000)).toMatch(/^healthy:/);
  });

  test("8. the first deploy ran the pre-upgrade backup, then the migration, before any replica started", async () => {
    const preUpgrade = stack.log.one({ deployment: 0, name: PRE_UPGRADE, operation: "create" });
    const migration = stack.log.one({ deployment: 0, name: MIGRATION, operation: "create" });
    const firstReplicas = steps(0, REPLICA, "create");
    expect(firstReplicas).toHaveLength(1);
    expectBefore([preUpgrade], [migration], () => stack.describe(0));
    expectBefore([migration], firstReplicas, () => stack.describe(0));
    // The dump exists, is verified, and was taken before the migration created any table.
    const name = String(initialDumps.find((dump) => dump.name.startsWith("pre-upgrade-"))?.name);
    expect(name).toMatch(/^pre-upgrade-dean_e2e-\d{8}T\d{6}Z-orchestrator-1\.0\.0\.dump$/);
    expect(initialDumps.find((dump) => dump.name === name)?.verified).toBe(true);
    expect(initialPreUpgradeMarker.source_tables).toBe("0");
  });

  describe("9. changes applied to the running stack", () => {
    test("a new orchestrator image: pre-upgrade backup, migration, then new replicas (old ones deleted last)", async () => {
      const before = await replicas();
      const upgrade = await applyChange({ images: { orchestrator: UPGRADE_IMAGE } });
      const explain = () => stack.describe(upgrade);
      const [preUpgrade] = steps(upgrade, PRE_UPGRADE, "replace");
      const [migration] = steps(upgrade, MIGRATION, "replace");
      const newReplicas = steps(upgrade, REPLICA, "replace");
      const oldReplicas = steps(upgrade, REPLICA, "delete");
      expect(newReplicas).toHaveLength(3);
      expect(oldReplicas.every((step) => step.reason === "replaced")).toBe(true);
      expect(oldReplicas).toHaveLength(3);
      expectBefore([preUpgrade], [migration], explain);
      expectBefore([migration], newReplicas, explain);
      expectBefore(newReplicas, oldReplicas, explain);
      // nginx is reloaded onto the new replicas (each by name) before the old ones stop: drained.
      const reload = steps(upgrade, "dean-nginx-reload", "replace");
      expect(reload).toHaveLength(1);
      expectBefore(newReplicas, reload, explain);
      expectBefore(reload, oldReplicas, explain);

      const dump = String(stack.outputs.lastPreUpgradeBackup);
      expect(dump).toMatch(/-orchestrator-1\.0\.1\.dump$/);
      expect((await backups.list()).find((entry) => entry.name === dump)?.verified).toBe(true);
      // Taken before the migration: it holds schema revision 0001; the database now has 0002.
      expect(await backups.alembicRevisionIn(dump)).toBe("0001");
      const [revision] = await query<{ version_num: string }>(stack, superuserCredentials(stack, connectionOf(stack).database), "SELECT version_num FROM alembic_version");
      expect(revision.version_num).toBe("0002");

      const upgradeImageId = (await docker().getImage(UPGRADE_IMAGE).inspect()).Id;
      const after = await replicas();
      expect(after).toHaveLength(3);
      expect(after.every((replica) => replica.imageId === upgradeImageId)).toBe(true);
      expect(after.some((replica) => before.some((old) => old.id === replica.id))).toBe(false);
      // Replaced replicas get the limit again (the command's trigger is the container's ID).
      await expectReadOnlyAndPidsLimited(["orchestrator"]);
      for (let request = 0; request < 10; request++) {
        if (request > 0) await sleep(HEALTH_PACE_MS);
        const response = await api.get("/health");
        expect(jsonBody(response)).toMatchObject({ status: "healthy", version: "1.0.1" });
      }
    });

    test("a quick rollback to 1.0.0 stops at the migration before any replica changes; re-applying 1.0.1 converges", async () => {
      const before = await replicas();
      await expect(applyChange({ images: { orchestrator: BASE_IMAGE } })).rejects.toThrow(/Can't locate revision identified by '0002'/);
      const rollback = stack.lastDeployment;
      expect(steps(rollback, PRE_UPGRADE, "replace")).toHaveLength(1);
      expect(steps(rollback, REPLICA)).toEqual([]);
      expect(steps(rollback, MIGRATION)).toEqual([]);
      const after = await replicas();
      expect(after.map((replica) => replica.id)).toEqual(before.map((replica) => replica.id));
      for (const replica of after) await waitHealthy(replica.id, replica.name, 30_000);
      expect(jsonBody(await api.get("/health"))).toMatchObject({ status: "healthy", version: "1.0.1" });

      // The last good config again: the image reference and its pre-upgrade dump come back,
      // the migration (already at this image) and the replicas are left alone.
      const recovery = await stack.update(current);
      expect(steps(recovery, MIGRATION)).toEqual([]);
      expect(steps(recovery, REPLICA)).toEqual([]);
      expect((await replicas()).map((replica) => replica.id)).toEqual(before.map((replica) => replica.id));
    });

    test("rotating the database credential: ALTER ROLE, the old password is refused, the orchestrator is healthy with the new one", async () => {
      const oldPassword = connectionOf(stack).password;
      const rotation = await applyChange({ rotation: { database: 1 } });
      expect(steps(rotation, "dean-postgres-app-role").map((step) => step.operation)).toEqual(["update"]);
      expect(steps(rotation, MIGRATION).map((step) => step.operation)).toEqual(["update"]);
      expect(steps(rotation, REPLICA, "replace")).toHaveLength(3);
      expect(steps(rotation, /^dean-(postgres|redis)-server$/)).toEqual([]);

      const newPassword = connectionOf(stack).password;
      expect(newPassword).not.toBe(oldPassword);
      await expect(query(stack, { ...appCredentials(stack), password: oldPassword }, "SELECT 1")).rejects.toThrow(/password authentication failed/);
      expect(await query(stack, appCredentials(stack), "SELECT 1 AS one")).toEqual([{ one: 1 }]);
      for (const replica of await replicas()) {
        expect((await containerEnv(replica.id)).DATABASE_URL).toContain(`:${newPassword}@`);
        await waitHealthy(replica.id, replica.name, 30_000);
      }
      expect(jsonBody(await api.get("/health"))).toMatchObject({ status: "healthy" });
      expect((await api.politely({ path: TRIALS, headers: bearer(shortLivedToken("e2e", jwtKey())) })).status).toBe(200);
    });

    test("rotating the Redis password: Redis keeps running with its data, the replicas switch, then the old password is refused", async () => {
      const redisContainer = (stack.outputs.containers as { redis: string }).redis;
      const redisBefore = await docker().getContainer(redisContainer).inspect();
      const passwordOf = async (id: string): Promise<string> => new URL((await containerEnv(id)).REDIS_URL).password;
      const oldPassword = await passwordOf((await replicas())[0].id);
      await redis.set("e2e:survives-rotation", "yes");

      const rotation = await applyChange({ rotation: { redis: 1 } });
      expect(steps(rotation, /^dean-redis-server$/)).toEqual([]);
      const newReplicas = steps(rotation, REPLICA, "replace");
      expect(newReplicas).toHaveLength(3);
      // The new password is accepted before the first new replica starts; the old one is
      // removed only once every new replica is healthy.
      expectBefore(steps(rotation, REDIS_PASSWORD_ADDED, "replace"), newReplicas, () => stack.describe(rotation));
      expectBefore(newReplicas, steps(rotation, REDIS_PASSWORDS_RETIRED, "replace"), () => stack.describe(rotation));

      const redisAfter = await docker().getContainer(redisContainer).inspect();
      expect(redisAfter.Id).toBe(redisBefore.Id);
      expect(redisAfter.State.StartedAt).toBe(redisBefore.State.StartedAt);
      expect(await redis.get("e2e:survives-rotation")).toBe("yes");
      const newPassword = await passwordOf((await replicas())[0].id);
      expect(newPassword).not.toBe(oldPassword);
      expect(await redis.pingWithPassword(oldPassword)).toMatch(/WRONGPASS|invalid password/i);
      expect(await redis.pingWithPassword(newPassword)).toBe("PONG");
      for (const replica of await replicas()) {
        expect(await passwordOf(replica.id)).toBe(newPassword);
        await waitHealthy(replica.id, replica.name, 30_000);
      }
      expect(jsonBody(await api.get("/health"))).toMatchObject({ status: "healthy" });
    });

    test("rotating the JWT key: old tokens are refused and the auth:* sessions are gone", async () => {
      const password = randomBytes(12).toString("hex");
      const [replica] = await replicas();
      await execOk(replica.id, ["sh", "-c", `printf '%s\\n' "$E2E_PASSWORD" | python -m dean_orchestrator.users add e2e-operator`], { env: [`E2E_PASSWORD=${password}`] });
      const login = await api.politely({ path: "/api/auth/login", method: "POST", body: JSON.stringify({ username: "e2e-operator", password }) });
      expect(login.status).toBe(200);
      const session = jsonBody<{ access_token: string }>(login).access_token;
      const oldKeyToken = shortLivedToken("e2e", jwtKey());
      expect((await api.politely({ path: TRIALS, headers: bearer(session) })).status).toBe(200);
      expect(await redis.scan("auth:*")).toHaveLength(1);

      const rotation = await applyChange({ rotation: { jwt: 1 } });
      const newReplicas = steps(rotation, REPLICA, "replace");
      expect(newReplicas).toHaveLength(3);
      // The logout runs once every replica holds the new key.
      expectBefore(newReplicas, steps(rotation, LOGOUT, "replace"), () => stack.describe(rotation));

      expect(await redis.scan("auth:*")).toEqual([]);
      expect((await api.politely({ path: TRIALS, headers: bearer(session) })).status).toBe(401);
      expect((await api.politely({ path: TRIALS, headers: bearer(oldKeyToken) })).status).toBe(401);
      expect((await api.politely({ path: TRIALS, headers: bearer(shortLivedToken("e2e", jwtKey())) })).status).toBe(200);
    });

    test("scaling back 3 -> 1 (1 -> 3 was scenario 5) deletes exactly the extra replicas", async () => {
      const scaled = await applyChange({ orchestrator: { replicas: 1 } });
      expect(steps(scaled, REPLICA).map((step) => `${step.operation}(${step.reason}) ${step.name}`).sort())
        .toEqual(["delete(removed) dean-e2e-orchestrator-2", "delete(removed) dean-e2e-orchestrator-3"]);
      // Drained first: nginx reloaded onto the one replica left before the others stopped.
      expectBefore(steps(scaled, "dean-nginx-reload", "replace"), steps(scaled, REPLICA, "delete"), () => stack.describe(scaled));
      const remaining = await replicas();
      expect(remaining).toHaveLength(1);
      expect(await replicasAnswering(1, 5)).toEqual(new Set([remaining[0].shortId]));
    });
  });

  // The application role is retained on delete like the database whose tables it owns:
  // dropping it would fail ("some objects depend on it") and stop `pulumi destroy` there.
  test("10. destroy deletes every object but the retained data volumes, which the sweep then removes", async () => {
    await stack.destroyAll();
    const left = await remainingInstanceObjects(INSTANCE);
    expect(left).toEqual({ containers: [], networks: [], volumes: [`${INSTANCE}-backups`, `${INSTANCE}-pgdata`, `${INSTANCE}-redis-data`] });
    await removeInstanceObjects(INSTANCE);
    expect(await remainingInstanceObjects(INSTANCE)).toEqual({ containers: [], networks: [], volumes: [] });
  });
});
