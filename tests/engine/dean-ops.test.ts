import path from "node:path";
import { removeInstanceObjects } from "../../tools/stack-driver/cleanup";
import { missingPrerequisite } from "../../tools/stack-driver/prerequisites";
import type { Captured } from "../../tools/stack-driver/run";
import { runCaptured } from "../../tools/stack-driver/run";
import { EngineWorkspace, missingEngine } from "../../tools/stack-driver/workspace";
import { describeWithPrerequisite } from "../support/prerequisites";
import { getThroughNginx, healthyThroughNginx } from "./support/health";
import { loginWorks as loginWorksOn } from "./support/postgres-login";

/**
 * dean-ops against a real stack: every command through the Automation API and the real engine
 * (file backend, passphrase), each update with the policy pack on its preview and its update.
 * One stack, changed in order: scale, a change the pack refuses, upgrade, rotation,
 * maintenance, block/unblock, backups, history, and a full rollback across all of them.
 */

jest.setTimeout(600_000);

/** The stack is called e2e as in the README's `npm run ops -- <command> --stack e2e`; its own backend and instance keep it apart from the e2e tier's. */
const STACK = "e2e";
const CONFIG = path.join(__dirname, "Pulumi.ops.yaml");
const INSTANCE = "dean-ops";
const HTTPS_PORT = 28543;
const POSTGRES_PORT = 15534;
const DATABASE = "dean_engine";
const DEAN_OPS = path.resolve(__dirname, "../../bin/dean-ops.js");
const IMAGES = ["dean-local/orchestrator:1.0.0", "dean-local/orchestrator:1.0.1", "dean-local/postgres:15", "dean-local/redis:7", "dean-local/nginx:sid"];
/** A documentation address (RFC 5737): only written into the deny list, never contacted. */
const ATTACKER = "203.0.113.9";

interface Connection {
  readonly user: string;
  readonly password: string;
}

describeWithPrerequisite("dean-ops on a real stack (Automation API, real engine, policy pack)", missingEngine() ?? missingPrerequisite(IMAGES), () => {
  let workspace: EngineWorkspace;
  let firstVersion = 0;

  /** `dean-ops <args> --stack e2e --cwd <project> --yes`, with the workspace's engine, backend and passphrase. */
  const ops = (...args: string[]): Promise<Captured> =>
    workspace.exec(process.execPath, [DEAN_OPS, ...args, "--stack", STACK, "--cwd", workspace.dir, "--yes"]);
  const opsOk = async (...args: string[]): Promise<string> => {
    const result = await ops(...args);
    if (result.code !== 0) throw new Error(`dean-ops ${args.join(" ")} exited with ${result.code}\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  };
  const outputs = () => workspace.outputs();
  const connection = async (): Promise<Connection> => ((await outputs()).connection as { postgres: Connection }).postgres;
  const updates = async (): Promise<number> => {
    const history = JSON.parse((await workspace.ok(["stack", "history", "--json", "--stack", STACK])).stdout) as { kind: string }[];
    return history.filter((entry) => entry.kind === "update").length;
  };
  const loginWorks = (user: string, password: string) => loginWorksOn({ port: POSTGRES_PORT, database: DATABASE }, user, password);
  const nginxConf = async (): Promise<string> => (await runCaptured("docker", ["exec", `${INSTANCE}-nginx`, "cat", "/etc/nginx/dean/current/nginx.conf"])).stdout;

  beforeAll(async () => {
    await removeInstanceObjects(INSTANCE);
    workspace = await EngineWorkspace.create(STACK, CONFIG);
    await workspace.up();
    firstVersion = await updates();
  });

  afterAll(async () => {
    await workspace?.dispose();
    await removeInstanceObjects(INSTANCE);
  });

  test("status reads the deployed stack and its checks", async () => {
    const status = await opsOk("status");
    expect(status).toMatch(/deployed image {5}dean-local\/orchestrator:1\.0\.0/);
    expect(status).toMatch(/replicas {11}1/);
    expect(status).toContain("Healthy.");
  });

  test("scale 2 is one update with the pack; the API keeps answering", async () => {
    await opsOk("scale", "2");
    expect(await outputs()).toMatchObject({ replicas: 2 });
    expect(await healthyThroughNginx(HTTPS_PORT)).toMatchObject({ status: "healthy" });
  });

  test("a change the policy pack refuses (connection budget) is refused at the preview, and nothing changes", async () => {
    const before = await updates();
    const refused = await ops("scale", "11");
    expect(refused.code).not.toBe(0);
    expect(`${refused.stdout}${refused.stderr}`).toMatch(/\[mandatory\].*connection-budget/);
    expect(await updates()).toBe(before);
    expect(await outputs()).toMatchObject({ replicas: 2 });
    expect((await runCaptured("docker", ["ps", "-q", "--filter", `label=dean.instance=${INSTANCE}`, "--filter", "label=dean.service=orchestrator"])).stdout.trim().split("\n")).toHaveLength(2);
    // The stack's config file is back to what is deployed: the refused value was not kept.
    expect(await opsOk("status")).not.toContain("not deployed yet");
  });

  test("upgrade 1.0.1: pre-upgrade backup, migration, new replicas; the new version answers", async () => {
    await opsOk("upgrade", "dean-local/orchestrator:1.0.1");
    expect(await healthyThroughNginx(HTTPS_PORT)).toMatchObject({ version: "1.0.1" });
    expect(String((await outputs()).lastPreUpgradeBackup)).toMatch(/-orchestrator-1\.0\.1\.dump$/);
  });

  test("rotate database: a new password, the old one refused, the API healthy", async () => {
    const before = await connection();
    await opsOk("rotate", "database");
    const after = await connection();
    expect(after.password).not.toBe(before.password);
    expect([await loginWorks(after.user, after.password), await loginWorks(before.user, before.password)]).toEqual([true, false]);
    expect(await healthyThroughNginx(HTTPS_PORT)).toMatchObject({ status: "healthy" });
  });

  test("maintenance on serves the maintenance page while /health answers; off reopens", async () => {
    await opsOk("maintenance", "on");
    expect((await getThroughNginx(HTTPS_PORT, "/api/evolution/trials")).status).toBe(503);
    expect((await getThroughNginx(HTTPS_PORT)).status).toBe(200);
    await opsOk("maintenance", "off");
    expect((await getThroughNginx(HTTPS_PORT, "/api/evolution/trials")).status).toBe(401);
  });

  test("block writes the address into nginx's deny list; unblock removes it", async () => {
    await opsOk("block", ATTACKER);
    expect(await nginxConf()).toContain(`deny ${ATTACKER};`);
    await opsOk("unblock", ATTACKER);
    expect(await nginxConf()).not.toContain(ATTACKER);
  });

  test("backup now takes a verified dump that backup list shows", async () => {
    const taken = await opsOk("backup", "now");
    const name = /(manual-\S+\.dump)/.exec(taken)?.[1];
    expect(name).toBeDefined();
    expect(await opsOk("backup", "list")).toContain(String(name));
  });

  test("history numbers every update (the file backend records no versions) with the config change it applied", async () => {
    const history = await opsOk("history");
    const changes = [
      "(first recorded operation)",
      "dean:orchestrator.replicas: 1 -> 2",
      "dean:images.orchestrator: dean-local/orchestrator:1.0.0 -> dean-local/orchestrator:1.0.1",
      "dean:rotation.database: (unset) -> 1",
      "dean:nginx.maintenance: (unset) -> true",
      "dean:nginx.maintenance: true -> false",
      `dean:nginx.blockedIps: (unset) -> ["${ATTACKER}"]`,
      `dean:nginx.blockedIps: ["${ATTACKER}"] -> []`,
    ];
    changes.forEach((change, index) => {
      const line = history.split("\n").find((candidate) => candidate.startsWith(`v${firstVersion + index} `));
      expect(line).toContain(change);
    });
    // The refused scale is no update.
    expect(history).not.toContain("-> 11");
  });

  test("rollback re-applies the previous update's config: the address unblocked last is blocked again", async () => {
    const rolledBack = await opsOk("rollback");
    expect(rolledBack).toContain(`dean:nginx.blockedIps: [] -> ["${ATTACKER}"]`);
    expect(rolledBack).toContain("Credentials: unchanged");
    expect(await nginxConf()).toContain(`deny ${ATTACKER};`);
  });

  test("rollback --restore-db to the first deploy, across scale, upgrade and rotation: old image and data, today's credentials", async () => {
    const credentials = await connection();
    const rolledBack = await opsOk("rollback", "--to", String(firstVersion), "--restore-db");
    expect(rolledBack).toContain("Credentials: kept: dean:rotation stays");
    expect(rolledBack).toMatch(/Program: v\d+ recorded no git commit/);
    expect(await healthyThroughNginx(HTTPS_PORT)).toMatchObject({ status: "healthy", version: "1.0.0" });
    expect(await outputs()).toMatchObject({ replicas: 1, orchestratorImage: "dean-local/orchestrator:1.0.0" });
    // No new secret: the rotated password still logs in, nobody was logged out by the rollback.
    expect(await connection()).toEqual(credentials);
    expect(await loginWorks(credentials.user, credentials.password)).toBe(true);
    expect((await getThroughNginx(HTTPS_PORT, "/api/evolution/trials")).status).toBe(401);
  });
});
