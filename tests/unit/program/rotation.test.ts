import { isDeepStrictEqual } from "node:util";
import type { DeclaredResource } from "../../../tools/mock-program";
import { runStack, type StackProgram } from "./harness";

/** Names of the resources whose inputs differ between two evaluations. */
function changedResources(before: StackProgram, after: StackProgram): string[] {
  const key = (resource: DeclaredResource) => `${resource.type}::${resource.name}`;
  const previous = new Map(before.resources.map((resource) => [key(resource), resource]));
  return after.resources
    .filter((resource) => !isDeepStrictEqual(previous.get(key(resource))?.inputs, resource.inputs))
    .map((resource) => resource.name)
    .sort();
}

const replicas = ["dean-orchestrator-1", "dean-orchestrator-2", "dean-orchestrator-3"];

describe("secret rotation", () => {
  let baseline: StackProgram;
  beforeAll(async () => {
    baseline = await runStack("prod");
  });

  it("evaluating the same config twice changes nothing", async () => {
    expect(changedResources(baseline, await runStack("prod"))).toEqual([]);
  });

  it("jwt: a new key, the replicas that use it, the migration's recorded env, and the logout", async () => {
    const rotated = await runStack("prod", { rotation: { jwt: 1 } });
    expect(changedResources(baseline, rotated)).toEqual(["dean-orchestrator-logout-on-jwt-rotation", "dean-orchestrator-migration", ...replicas, "dean-secrets-jwt"].sort());
    expect(rotated.named("dean-secrets-jwt").state.result).not.toBe(baseline.named("dean-secrets-jwt").state.result);
    // The migration records the new env with a no-op update: it only re-runs on a new image.
    expect(rotated.named("dean-orchestrator-migration").inputs).toMatchObject({ update: "true", triggers: baseline.named("dean-orchestrator-migration").inputs.triggers });
  });

  it("database: a new password set on the role with ALTER ROLE, not on the server container", async () => {
    const rotated = await runStack("prod", { rotation: { database: 1 } });
    expect(changedResources(baseline, rotated)).toEqual(["dean-orchestrator-migration", ...replicas, "dean-postgres-app-role", "dean-secrets-database"].sort());
    expect(rotated.named("dean-postgres-app-role").inputs.password).toBe(rotated.named("dean-secrets-database").state.result);
  });

  it("redis: the new password added to the ACL, the replicas' REDIS_URL, the old one retired; the server container untouched", async () => {
    const rotated = await runStack("prod", { rotation: { redis: 1 } });
    expect(changedResources(baseline, rotated)).toEqual([
      "dean-orchestrator-migration", ...replicas, "dean-redis-old-passwords-retired", "dean-redis-password-added", "dean-secrets-redis",
    ].sort());
  });

  it("an image upgrade re-runs the pre-upgrade backup and migration and replaces the replicas", async () => {
    const upgraded = await runStack("prod", { images: { orchestrator: "dean/orchestrator:1.0.1" } });
    expect(changedResources(baseline, upgraded)).toEqual(["dean-backup-pre-upgrade", "dean-images-orchestrator", "dean-orchestrator-migration", ...replicas].sort());
    expect(upgraded.output("lastPreUpgradeBackup")).toContain("orchestrator-1.0.1");
  });

  it("scaling changes only the replica set, and the nginx release that lists them", async () => {
    const scaled = await runStack("prod", { orchestrator: { replicas: 2 } });
    const names = scaled.containers("orchestrator").map((replica) => replica.name);
    expect(names).toEqual(["dean-orchestrator-1", "dean-orchestrator-2"]);
    expect(changedResources(baseline, scaled)).toEqual(["dean-nginx-config-release"]);
    // The replica and the command that sets its PIDs limit.
    expect(baseline.resources.length - scaled.resources.length).toBe(2);
  });

  it("a new PIDs limit re-runs the command that sets it, and changes no container", async () => {
    const raised = await runStack("prod", { redis: { resources: { pidsLimit: 256 } } });
    expect(changedResources(baseline, raised)).toEqual(["dean-redis-pids-limit"]);
    expect(raised.named("dean-redis-pids-limit").inputs.create).toBe('docker update --pids-limit 256 "$DEAN_CONTAINER"');
  });

  it("a changed redis.conf changes only its writer, whose replacement replaces the container (replaceWith)", async () => {
    const changed = await runStack("prod", { redis: { maxmemoryMiB: 1024 } });
    expect(changedResources(baseline, changed)).toEqual(["dean-redis-files-writer"]);
    const writer = changed.named("dean-redis-files-writer");
    // A new trigger replaces the writer (an update alone would not replace the container).
    expect(writer.inputs.triggers).not.toEqual(baseline.named("dean-redis-files-writer").inputs.triggers);
    expect(changed.container("redis").replaceWith).toEqual([writer.urn]);
  });

  it("maintenance mode and the deny list change only nginx's configuration release, not its container", async () => {
    const maintenance = await runStack("prod", { nginx: { maintenance: true } });
    expect(changedResources(baseline, maintenance)).toEqual(["dean-nginx-config-release"]);
    const blocked = await runStack("prod", { nginx: { blockedIps: ["198.51.100.7"] } });
    expect(changedResources(baseline, blocked)).toEqual(["dean-nginx-config-release"]);
  });
});
