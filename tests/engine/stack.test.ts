import { writeFileSync } from "node:fs";
import path from "node:path";
import { removeInstanceObjects, remainingInstanceObjects } from "../../tools/stack-driver/cleanup";
import { missingPrerequisite } from "../../tools/stack-driver/prerequisites";
import { describeWithPrerequisite } from "../support/prerequisites";
import { healthyThroughNginx as healthyThroughNginxOn } from "./support/health";
import { loginWorks as loginWorksOn } from "./support/postgres-login";
import { runCaptured } from "../../tools/stack-driver/run";
import { EngineWorkspace, missingEngine } from "../../tools/stack-driver/workspace";

/**
 * The program deployed by the real Pulumi engine: `pulumi up`, `preview`, `refresh`, `stack
 * history` and `destroy` of the CLI built by engine/build.sh, with its resource plugins, on the
 * local Docker engine. What the mock runtime can only model is checked here against the real
 * thing: that the policy pack decides at a first preview, that an unchanged stack stays
 * unchanged, which steps a change plans, what the history records, what destroy leaves behind,
 * that `up` after a destroy adopts it, and that an instance rename keeps the data.
 */

jest.setTimeout(600_000);

const STACK = "engine";
const CONFIG = path.join(__dirname, "Pulumi.engine.yaml");
const INSTANCE = "dean-engine";
const HTTPS_PORT = 28443;
const POSTGRES_PORT = 15434;
const DATABASE = "dean_engine";
/** The instance name test 9 changes to. */
const RENAMED = "dean-engine-renamed";
const DATA_VOLUMES = [`${INSTANCE}-backups`, `${INSTANCE}-pgdata`, `${INSTANCE}-redis-data`];
const IMAGES = ["dean-local/orchestrator:1.0.0", "dean-local/postgres:15", "dean-local/redis:7", "dean-local/nginx:sid"];

interface PreviewStep {
  readonly op: string;
  readonly urn: string;
}

const healthyThroughNginx = () => healthyThroughNginxOn(HTTPS_PORT);

/** The steps `pulumi preview --json` plans, in the engine's order, as "op name" for resources that change. */
async function plannedSteps(workspace: EngineWorkspace): Promise<string[]> {
  const preview = await workspace.ok(["preview", "--json", "--stack", STACK]);
  const steps = (JSON.parse(preview.stdout) as { steps?: PreviewStep[] }).steps ?? [];
  return steps.filter((step) => step.op !== "same").map((step) => `${step.op} ${step.urn.split("::").pop() ?? step.urn}`);
}

async function plannedChanges(workspace: EngineWorkspace): Promise<string[]> {
  return (await plannedSteps(workspace)).sort();
}

interface PostgresConnection {
  readonly user: string;
  readonly password: string;
  readonly superuser: string;
  readonly superuserPassword: string;
  readonly port: number;
}

function postgresConnection(outputs: Record<string, unknown>): PostgresConnection {
  return (outputs.connection as { postgres: PostgresConnection }).postgres;
}

/** One value from psql as the superuser over the container's local socket. */
async function psql(container: string, sql: string): Promise<string> {
  const result = await runCaptured("docker", ["exec", "--user", "postgres", container, "psql", "--no-psqlrc", "-Atq", "-d", DATABASE, "-c", sql]);
  if (result.code !== 0) throw new Error(`psql in ${container} exited with ${result.code}: ${result.stderr}`);
  return result.stdout.trim();
}

const POSTGRES = { port: POSTGRES_PORT, database: DATABASE };
const loginWorks = (user: string, password: string) => loginWorksOn(POSTGRES, user, password);

describeWithPrerequisite("the program on the real Pulumi engine", missingEngine() ?? missingPrerequisite(IMAGES), () => {
  let workspace: EngineWorkspace;
  let credentialsBeforeDestroy: PostgresConnection | undefined;

  beforeAll(async () => {
    await removeInstanceObjects(INSTANCE);
    await removeInstanceObjects(RENAMED);
    workspace = await EngineWorkspace.create(STACK, CONFIG);
  });

  afterAll(async () => {
    await workspace?.dispose();
    await removeInstanceObjects(INSTANCE);
    await removeInstanceObjects(RENAMED);
  });

  test("0. the first preview runs every rule of the pack on what is known, and a mandatory one refuses before anything exists", async () => {
    // Generated passwords, what is built from them and the image IDs are unknown here.
    const passed = await workspace.ok(["preview", "--policy-pack", "policies", "--stack", STACK]);
    expect(`${passed.stdout}${passed.stderr}`).toMatch(/dean-policies@v0\.1\.0/);
    expect(`${passed.stdout}${passed.stderr}`).not.toMatch(/can't run policy/);
    // A policy setting stricter than the program's own check: only the pack can refuse it.
    const tight = path.join(workspace.dir, "tight-budget.json");
    writeFileSync(tight, JSON.stringify({ "connection-budget": { adminReserve: 100 } }));
    const refused = await workspace.pulumi(["preview", "--policy-pack", "policies", "--policy-pack-config", tight, "--stack", STACK]);
    expect(refused.code).not.toBe(0);
    expect(`${refused.stdout}${refused.stderr}`).toMatch(/\[mandatory\].*connection-budget[\s\S]*connection budget exceeded: 1 replica x 1 worker x \(2 pool \+ 1 overflow\) = 3/);
    expect(await remainingInstanceObjects(INSTANCE)).toEqual({ containers: [], networks: [], volumes: [] });
  });

  test("1. the first pulumi up deploys from nothing, and the API answers through nginx", async () => {
    await workspace.up();
    expect(await healthyThroughNginx()).toMatchObject({ status: "healthy", version: "1.0.0" });
    const outputs = await workspace.outputs();
    expect(outputs).toMatchObject({ replicas: 1, orchestratorImage: "dean-local/orchestrator:1.0.0", environment: "staging" });
  });

  test("2. a second pulumi up with nothing changed changes nothing, and neither does one after a refresh", async () => {
    await workspace.up(["--expect-no-changes"]);
    await workspace.ok(["refresh", "--yes", "--skip-preview", "--expect-no-changes", "--stack", STACK]);
    await workspace.up(["--expect-no-changes"]);
  });

  test("3. pulumi preview --policy-pack passes the stack, and refuses a prod stack without backups by the mandatory rule", async () => {
    const passed = await workspace.ok(["preview", "--policy-pack", "policies", "--stack", STACK]);
    expect(passed.stdout).toMatch(/dean-policies@v0\.1\.0/);
    expect(`${passed.stdout}${passed.stderr}`).not.toMatch(/\[mandatory\]/);

    await workspace.setConfig("dean:environment", "prod");
    await workspace.setConfig("dean:backup.enabled", "false");
    try {
      const refused = await workspace.pulumi(["preview", "--policy-pack", "policies", "--stack", STACK]);
      expect(refused.code).not.toBe(0);
      expect(`${refused.stdout}${refused.stderr}`).toMatch(/dean-policies@v0\.1\.0[\s\S]*\[mandatory\].*production-backups/);
    } finally {
      await workspace.setConfig("dean:environment", "staging");
      await workspace.setConfig("dean:backup.enabled", "true");
    }
    // A preview changes nothing.
    await workspace.up(["--expect-no-changes"]);
  });

  test("4. scaling 1 -> 2 plans one new replica (and the command that sets its PIDs limit) and an nginx release naming it, nothing else; the API keeps answering", async () => {
    await workspace.setConfig("dean:orchestrator.replicas", "2");
    expect(await plannedChanges(workspace)).toEqual([
      "create dean-engine-orchestrator-2",
      "create dean-orchestrator-replica-2-pids-limit",
      // The upstream lists each replica by name: a new release and a reload, no new nginx container.
      "replace dean-nginx-reload",
      "update dean-nginx-config-release",
    ]);
    await workspace.up();
    expect(await healthyThroughNginx()).toMatchObject({ status: "healthy" });
    expect(await workspace.outputs()).toMatchObject({ replicas: 2 });
    await workspace.up(["--expect-no-changes"]);
  });

  test("5. an upgrade 1.0.0 -> 1.0.1: pre-upgrade backup and migration re-run, each replica replaced create-first, the new version answers", async () => {
    await workspace.setConfig("dean:images.orchestrator", "dean-local/orchestrator:1.0.1");
    const steps = await plannedSteps(workspace);
    expect([...steps].sort()).toEqual([
      "replace dean-backup-pre-upgrade",
      "replace dean-engine-orchestrator-1",
      "replace dean-engine-orchestrator-2",
      "replace dean-images-orchestrator",
      "replace dean-nginx-reload",
      "replace dean-orchestrator-migration",
      // Triggered by the replica's ID: the new replica gets its PIDs limit.
      "replace dean-orchestrator-replica-1-pids-limit",
      "replace dean-orchestrator-replica-2-pids-limit",
      "update dean-nginx-config-release",
    ]);
    const { stdout } = await workspace.up();
    // Create-first, as the engine ran it: each replacement replica is created (and healthy:
    // the provider waits) before the container it replaces is deleted, and nginx is reloaded
    // onto the new replicas in between, so the old ones get no new request when they stop.
    const reloaded = stdout.search(/command:local:Command dean-nginx-reload created replacement/);
    for (const replica of ["dean-engine-orchestrator-1", "dean-engine-orchestrator-2"]) {
      const created = stdout.search(new RegExp(`docker:index:Container ${replica} created replacement`));
      const deleted = stdout.search(new RegExp(`docker:index:Container ${replica} deleted original`));
      expect([created > -1, deleted > -1, created < reloaded, reloaded < deleted]).toEqual([true, true, true, true]);
    }
    expect(await healthyThroughNginx()).toMatchObject({ status: "healthy", version: "1.0.1" });
    expect(String((await workspace.outputs()).lastPreUpgradeBackup)).toMatch(/^pre-upgrade-dean_engine-\d{8}T\d{6}Z-orchestrator-1\.0\.1\.dump$/);
    await workspace.up(["--expect-no-changes"]);
  });

  test("6. pulumi stack history records every update with the config it applied", async () => {
    const history = JSON.parse((await workspace.ok(["stack", "history", "--json", "--show-secrets", "--stack", STACK])).stdout) as Array<{
      kind: string;
      result: string;
      config: Record<string, { objectValue?: { replicas?: number } }>;
    }>;
    // Newest first: the upgrade and its no-change check, the scale and its check, the check
    // after the policy previews, the two no-change updates around the refresh, the first deploy.
    const updates = history.filter((entry) => entry.kind === "update");
    expect(updates.every((entry) => entry.result === "succeeded")).toBe(true);
    expect(updates.map((entry) => entry.config["dean:orchestrator"]?.objectValue?.replicas)).toEqual([2, 2, 2, 2, 1, 1, 1, 1]);
    expect(updates.map((entry) => (entry.config["dean:images"] as { objectValue?: { orchestrator?: string } } | undefined)?.objectValue?.orchestrator)).toEqual([
      "dean-local/orchestrator:1.0.1", "dean-local/orchestrator:1.0.1",
      ...Array<string>(6).fill("dean-local/orchestrator:1.0.0"),
    ]);
    expect(history.map((entry) => entry.kind)).toContain("refresh");
  });

  test("7. pulumi destroy removes the containers and networks and keeps the data volumes", async () => {
    await psql(`${INSTANCE}-postgres`, "CREATE TABLE kept_by_destroy (note text); INSERT INTO kept_by_destroy VALUES ('written before destroy')");
    credentialsBeforeDestroy = postgresConnection(await workspace.outputs());
    await workspace.ok(["destroy", "--yes", "--skip-preview", "--stack", STACK]);
    const left = await remainingInstanceObjects(INSTANCE);
    expect(left).toEqual({ containers: [], networks: [], volumes: DATA_VOLUMES });
  });

  test("8. pulumi up after destroy adopts the retained data: new credentials, the same database, healthy, then no changes", async () => {
    const { stdout } = await workspace.up();
    // The retained role and database were imported, not created (which would have failed).
    expect(stdout).toMatch(/postgresql:index:Role dean-postgres-app-role imported/);
    expect(stdout).toMatch(/postgresql:index:Database dean-postgres-database imported/);
    expect(await healthyThroughNginx()).toMatchObject({ status: "healthy", version: "1.0.1" });
    expect(await psql(`${INSTANCE}-postgres`, "SELECT note FROM kept_by_destroy")).toBe("written before destroy");

    const now = postgresConnection(await workspace.outputs());
    expect([now.password === credentialsBeforeDestroy?.password, now.superuserPassword === credentialsBeforeDestroy?.superuserPassword]).toEqual([false, false]);
    // The server has the new passwords (the bootstrap set the superuser's, the provider the role's).
    expect(await loginWorks(now.superuser, now.superuserPassword)).toBe(true);
    expect(await loginWorks(now.user, now.password)).toBe(true);
    expect(await loginWorks(now.user, credentialsBeforeDestroy?.password ?? "")).toBe(false);
    await workspace.up(["--expect-no-changes"]);
  });

  test("9. changing dean:instanceName renames containers and networks in one update and keeps the data volumes", async () => {
    await workspace.setConfig("dean:instanceName", RENAMED);
    const planned = await plannedChanges(workspace);
    // The data volumes and everything else without the name in it stay; the stateless replicas,
    // whose logical names carry it, are created anew before the old ones go.
    expect(planned.filter((step) => /-data$/.test(step))).toEqual([]);
    // Commands whose text names a container re-run in place (the logout's update is a no-op:
    // nobody is logged out by a rename); those triggered by a container's ID run again for the
    // new one (the Postgres bootstrap, the Redis password steps, the nginx reload, every PIDs
    // limit); nginx's config volume and the files volumes carry the instance name, so a release
    // and the files are written into the new ones (the files writers' text names the volume).
    expect(planned).toEqual([
      `create ${RENAMED}-orchestrator-1`, `create ${RENAMED}-orchestrator-2`,
      "replace dean-backup-files", "replace dean-backup-job", "replace dean-backup-pids-limit", "replace dean-network-backend",
      "replace dean-network-frontend", "replace dean-network-host-access", "replace dean-nginx-config", "replace dean-nginx-pids-limit",
      "replace dean-nginx-reload", "replace dean-nginx-server", "replace dean-orchestrator-replica-1-pids-limit", "replace dean-orchestrator-replica-2-pids-limit",
      "replace dean-postgres-bootstrap", "replace dean-postgres-pids-limit", "replace dean-postgres-secrets", "replace dean-postgres-server",
      "replace dean-redis-files", "replace dean-redis-old-passwords-retired", "replace dean-redis-password-added", "replace dean-redis-pids-limit",
      "replace dean-redis-server", "update dean-backup-files-writer", "update dean-backup-pre-upgrade", "update dean-nginx-config-release",
      "update dean-orchestrator-logout-on-jwt-rotation", "update dean-orchestrator-migration", "update dean-postgres-secrets-writer",
      "update dean-redis-files-writer",
    ]);
    await workspace.up();
    expect(await healthyThroughNginx()).toMatchObject({ status: "healthy" });
    expect(await psql(`${RENAMED}-postgres`, "SELECT note FROM kept_by_destroy")).toBe("written before destroy");
    const containers = (await remainingInstanceObjects(RENAMED)).containers;
    expect(containers.filter((container) => !container.includes("-orchestrator-"))).toEqual([`${RENAMED}-backup`, `${RENAMED}-nginx`, `${RENAMED}-postgres`, `${RENAMED}-redis`]);
    expect(containers.filter((container) => container.includes("-orchestrator-"))).toEqual([
      expect.stringMatching(new RegExp(`^${RENAMED}-orchestrator-1-[0-9a-f]{7}$`)),
      expect.stringMatching(new RegExp(`^${RENAMED}-orchestrator-2-[0-9a-f]{7}$`)),
    ]);
    // The old replicas are gone (deleted after the new ones were up); the volumes keep the
    // name and labels they were created with.
    expect(await remainingInstanceObjects(INSTANCE)).toEqual({ containers: [], networks: [], volumes: DATA_VOLUMES });
    await workspace.up(["--expect-no-changes"]);
  });
});
