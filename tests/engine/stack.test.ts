import https from "node:https";
import path from "node:path";
import { removeInstanceObjects, remainingInstanceObjects } from "../e2e/harness/cleanup";
import { missingPrerequisite } from "../e2e/harness/engine-check";
import { describeWithPrerequisite } from "../support/prerequisites";
import { waitFor } from "../support/wait";
import { EngineWorkspace, missingEngine } from "./support/workspace";

/**
 * The program deployed by the real Pulumi engine: `pulumi up`, `preview`, `refresh`, `stack
 * history` and `destroy` of the CLI built by engine/build.sh, with its resource plugins, on the
 * local Docker engine. What the mock runtime and the deploy harness can only model is checked
 * here against the real thing: that an unchanged stack stays unchanged, which steps a change
 * plans, what the history records, and what destroy leaves behind.
 */

jest.setTimeout(600_000);

const STACK = "engine";
const CONFIG = path.join(__dirname, "Pulumi.engine.yaml");
const INSTANCE = "dean-engine";
const HTTPS_PORT = 28443;
const IMAGES = ["dean-local/orchestrator:1.0.0", "dean-local/postgres:15", "dean-local/redis:7", "dean-local/nginx:1.22"];

interface PreviewStep {
  readonly op: string;
  readonly urn: string;
}

/** GET /health through nginx on the published port (the stack's certificate is self-signed). */
function health(): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get({ host: "127.0.0.1", port: HTTPS_PORT, path: "/health", rejectUnauthorized: false, timeout: 10_000 }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("timeout", () => request.destroy(new Error("GET /health timed out")));
    request.on("error", reject);
  });
}

async function healthyThroughNginx(): Promise<{ status: string; version: string }> {
  return waitFor("GET /health through nginx to answer 200", async () => {
    const answer = await health().catch(() => undefined);
    return answer?.status === 200 ? (JSON.parse(answer.body) as { status: string; version: string }) : undefined;
  }, 120_000, 1000);
}

/** The steps `pulumi preview --json` plans, in the engine's order, as "op name" for resources that change. */
async function plannedSteps(workspace: EngineWorkspace): Promise<string[]> {
  const preview = await workspace.ok(["preview", "--json", "--stack", STACK]);
  const steps = (JSON.parse(preview.stdout) as { steps?: PreviewStep[] }).steps ?? [];
  return steps.filter((step) => step.op !== "same").map((step) => `${step.op} ${step.urn.split("::").pop() ?? step.urn}`);
}

async function plannedChanges(workspace: EngineWorkspace): Promise<string[]> {
  return (await plannedSteps(workspace)).sort();
}

describeWithPrerequisite("the program on the real Pulumi engine", missingEngine() ?? missingPrerequisite(IMAGES), () => {
  let workspace: EngineWorkspace;

  beforeAll(async () => {
    await removeInstanceObjects(INSTANCE);
    workspace = await EngineWorkspace.create(STACK, CONFIG);
  });

  afterAll(async () => {
    await workspace?.dispose();
    await removeInstanceObjects(INSTANCE);
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

  test("4. scaling 1 -> 2 plans one new replica and nothing else; the API keeps answering", async () => {
    await workspace.setConfig("dean:orchestrator.replicas", "2");
    expect(await plannedChanges(workspace)).toEqual(["create dean-engine-orchestrator-2"]);
    await workspace.up();
    expect(await healthyThroughNginx()).toMatchObject({ status: "healthy" });
    expect(await workspace.outputs()).toMatchObject({ replicas: 2 });
    await workspace.up(["--expect-no-changes"]);
  });

  test("5. an upgrade 1.0.0 -> 1.0.1: pre-upgrade backup and migration re-run, each replica replaced create-first, the new version answers", async () => {
    await workspace.setConfig("dean:images.orchestrator", "dean-local/orchestrator:1.0.1");
    const steps = await plannedSteps(workspace);
    expect([...steps].sort()).toEqual([
      "replace dean-engine-backup-pre-upgrade",
      "replace dean-engine-images-orchestrator",
      "replace dean-engine-orchestrator-1",
      "replace dean-engine-orchestrator-2",
      "replace dean-engine-orchestrator-migration",
    ]);
    const { stdout } = await workspace.up();
    // Create-first, as the engine ran it: each replacement replica is created (and healthy:
    // the provider waits) before the container it replaces is deleted.
    for (const replica of ["dean-engine-orchestrator-1", "dean-engine-orchestrator-2"]) {
      const created = stdout.search(new RegExp(`docker:index:Container ${replica} created replacement`));
      const deleted = stdout.search(new RegExp(`docker:index:Container ${replica} deleted original`));
      expect([created > -1, deleted > -1, created < deleted]).toEqual([true, true, true]);
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
    await workspace.ok(["destroy", "--yes", "--skip-preview", "--stack", STACK]);
    const left = await remainingInstanceObjects(INSTANCE);
    expect(left).toEqual({ containers: [], networks: [], volumes: ["dean-engine-backups", "dean-engine-pgdata", "dean-engine-redis-data"] });
  });
});
