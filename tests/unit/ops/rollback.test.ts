import type { ConfigValues } from "../../../ops/ports";
import { type Call, devConfig, entry, outputsFor, preUpgradeDump, withSettings, World } from "./fakes";

const V1 = withSettings(devConfig(), { "dean:images": { orchestrator: "dean-local/orchestrator:1.0.0" } });
const V2 = withSettings(devConfig(), { "dean:images": { orchestrator: "dean-local/orchestrator:1.0.1" } });
const V3 = withSettings(devConfig(), { "dean:images": { orchestrator: "dean-local/orchestrator:1.0.2" } });

/** A stack whose last update rolled out `current` after `history`. */
function deployed(history: ReturnType<typeof entry>[], current: ConfigValues = history[history.length - 1].config): World {
  const world = new World(current, history);
  world.docker.dumps = [
    { name: preUpgradeDump("dean-local/orchestrator:1.0.1"), verified: true },
    { name: preUpgradeDump("dean-local/orchestrator:1.0.0", "20250614T070000Z"), verified: true },
  ];
  return world;
}

function ups(world: World): Extract<Call, { op: "up" }>[] {
  return world.calls.filter((call): call is Extract<Call, { op: "up" }> => call.op === "up");
}

function image(config: ConfigValues): unknown {
  const images = config["dean:images"]?.value;
  return typeof images === "object" && images !== null && !Array.isArray(images) ? images.orchestrator : undefined;
}

function maintenanceOf(config: ConfigValues): unknown {
  const nginx = config["dean:nginx"]?.value;
  return typeof nginx === "object" && nginx !== null && !Array.isArray(nginx) ? nginx.maintenance : undefined;
}

describe("dean-ops rollback", () => {
  it("re-applies the previous successful update's config as whole keys, shows the diff, and updates", async () => {
    const world = deployed([entry(1, V1), entry(2, V2)]);
    expect(await world.run("rollback", "--yes")).toBe(0);
    expect(world.changes[0]).toEqual({ op: "replaceConfig", values: { "dean:images": V1["dean:images"] }, remove: [] });
    expect(ups(world)).toHaveLength(1);
    expect(image(ups(world)[0].config)).toBe("dean-local/orchestrator:1.0.0");
    expect(ups(world)[0].message).toBe("dean-ops rollback to v1");
    expect(world.console.text).toContain("dean:images.orchestrator: dean-local/orchestrator:1.0.1 -> dean-local/orchestrator:1.0.0");
    expect(world.console.text).toContain("Rolled back to the config of v1.");
  });

  it("after a failed upgrade, goes back to the last successful update, not to the failed one", async () => {
    const world = deployed([entry(1, V1), entry(2, V2), entry(3, V3, "failed")]);
    expect(await world.run("rollback", "--yes")).toBe(0);
    expect(image(ups(world)[0].config)).toBe("dean-local/orchestrator:1.0.1");
    expect(world.console.text).toMatch(/undo {3}v3 \(.*, failed: dean-local\/orchestrator:1\.0\.2/);
  });

  it("skips a failed update in between and says it is undone too", async () => {
    const world = deployed([entry(1, V1), entry(2, V3, "failed"), entry(3, V2)]);
    expect(await world.run("rollback", "--yes")).toBe(0);
    expect(image(ups(world)[0].config)).toBe("dean-local/orchestrator:1.0.0");
    expect(world.console.text).toContain("also undone: v2 (failed)");
  });

  it("--to picks an older successful update", async () => {
    const world = deployed([entry(1, V1), entry(2, V3), entry(3, V2)]);
    expect(await world.run("rollback", "--to", "1", "--yes")).toBe(0);
    expect(image(ups(world)[0].config)).toBe("dean-local/orchestrator:1.0.0");
  });

  it.each([
    [[entry(1, V1)], [], "no successful update before the current one, v1"],
    [[entry(1, V1), entry(2, V2)], ["--to", "42"], "version 42 is not in the history of stack dev (it has versions 1 to 2)"],
    [[entry(1, V1), entry(2, V2)], ["--to", "two"], "--to needs a version number from dean-ops history (got \"two\")"],
    [[entry(1, V1), entry(2, V2)], ["--force"], "unexpected \"--force\""],
  ])("refuses with a clear error before anything changes (%#)", async (history, args, message) => {
    const world = deployed(history);
    expect(await world.run("rollback", ...args, "--yes")).toBe(2);
    expect(world.console.errorText).toContain(message);
    expect(world.changes).toEqual([]);
  });

  it("carries secret values over as secrets and never prints them", async () => {
    const withKey = (key: string, config: ConfigValues): ConfigValues => ({ ...config, "dean:tlsKey": { value: key, secret: true }, "dean:tlsCertificate": { value: "CERT", secret: true } });
    const tls = { "dean:nginx": { tls: { mode: "secretConfig" } } };
    const world = deployed([entry(1, withKey("old-private-key", withSettings(V1, tls))), entry(2, withKey("new-private-key", withSettings(V2, tls)))]);
    expect(await world.run("rollback", "--yes")).toBe(0);
    const write = world.changes[0];
    expect(write).toMatchObject({ op: "replaceConfig", values: { "dean:tlsKey": { value: "old-private-key", secret: true } } });
    expect(world.stack.config["dean:tlsKey"]).toEqual({ value: "old-private-key", secret: true });
    expect(world.console.text).toContain("dean:tlsKey: [secret] changed");
    expect(`${world.console.text}\n${world.console.errorText}`).not.toMatch(/private-key/);
  });

  it("removes keys the target did not have and leaves Pulumi's own keys alone", async () => {
    const current = { ...withSettings(V2, {}), "dean:logging": { value: { maxSize: "5m", maxFiles: 2 }, secret: false }, "pulumi:tags": { value: { system: "changed" }, secret: false } };
    const world = deployed([entry(1, V1), entry(2, current)]);
    expect(await world.run("rollback", "--yes")).toBe(0);
    expect(world.changes[0]).toEqual({ op: "replaceConfig", values: { "dean:images": V1["dean:images"] }, remove: ["dean:logging"] });
    expect(world.stack.config["pulumi:tags"].value).toEqual({ system: "changed" });
  });

  describe("credentials", () => {
    const rotated = withSettings(V2, { "dean:rotation": { database: 1, jwt: 2 } });

    it("keeps today's dean:rotation counters: an older counter would generate a new secret, not the old one", async () => {
      const world = deployed([entry(1, V1), entry(2, rotated)]);
      expect(await world.run("rollback", "--yes")).toBe(0);
      expect(world.changes[0]).toEqual({ op: "replaceConfig", values: { "dean:images": V1["dean:images"] }, remove: [] });
      expect(ups(world)[0].config["dean:rotation"]?.value).toEqual({ database: 1, jwt: 2 });
      expect(world.console.text).toContain('Credentials: kept: dean:rotation stays {"database":1,"jwt":2} (v1 recorded {}; re-applying that would generate new secrets, not the old ones: --rotation-as-recorded does it).');
    });

    it("--rotation-as-recorded re-applies the recorded counters and says they make new secrets", async () => {
      const world = deployed([entry(1, V1), entry(2, rotated)]);
      expect(await world.run("rollback", "--rotation-as-recorded", "--yes")).toBe(0);
      expect(world.changes[0]).toEqual({ op: "replaceConfig", values: { "dean:images": V1["dean:images"] }, remove: ["dean:rotation"] });
      expect(world.console.text).toContain("each counter that differs generates a NEW secret, as a rotation does; the old secrets do not come back.");
    });
  });

  describe("the program the target was deployed with", () => {
    const recorded = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b";
    const fromCommit = (version: number, config: ConfigValues) => ({ ...entry(version, config), programCommit: recorded });

    it("deploys when this checkout has the same program, and says so", async () => {
      const world = deployed([fromCommit(1, V1), entry(2, V2)]);
      expect(await world.run("rollback", "--yes")).toBe(0);
      expect(world.program.compared).toEqual([recorded]);
      expect(world.console.text).toContain("Program: the same as v1 deployed (commit 1a2b3c4d5e6f).");
    });

    it("refuses, changing nothing, when the program differs, and gives the commands to deploy it with its own", async () => {
      const world = deployed([fromCommit(1, V1), entry(2, V2)]);
      world.program.comparison = () => ({ kind: "differs", head: "ffffffffffffffff", files: ["components/nginx.ts", "index.ts"] });
      expect(await world.run("rollback", "--yes")).toBe(2);
      expect(world.console.errorText).toContain("the program here (ffffffffffff) differs from the one v1 was deployed with (1a2b3c4d5e6f) in components/nginx.ts, index.ts: its config on this program could deploy something that never ran; nothing was changed");
      expect(world.console.errorText).toContain(`git worktree add ../dean-v1 ${recorded} && cp Pulumi.dev.yaml ../dean-v1/ && (cd ../dean-v1 && npm ci)`);
      expect(world.console.errorText).toContain("dean-ops rollback --to 1 --stack dev --cwd ../dean-v1");
      expect(world.changes).toEqual([]);
    });

    it("refuses when it cannot tell (the commit is not in this checkout), and --program-as-is deploys anyway, saying so", async () => {
      const world = deployed([fromCommit(1, V1), entry(2, V2)]);
      world.program.comparison = () => ({ kind: "unknown", reason: `commit ${recorded} is not in this checkout (git fetch it first)` });
      expect(await world.run("rollback", "--yes")).toBe(2);
      expect(world.changes).toEqual([]);
      expect(await world.run("rollback", "--program-as-is", "--yes")).toBe(0);
      expect(ups(world)).toHaveLength(1);
      expect(world.console.text).toContain("deploying v1's config with the program here, as asked (--program-as-is).");
    });

    it("says when the target recorded no commit (not deployed from a git checkout) and deploys with this program", async () => {
      const world = deployed([entry(1, V1), entry(2, V2)]);
      expect(await world.run("rollback", "--yes")).toBe(0);
      expect(world.program.compared).toEqual([]);
      expect(world.console.text).toMatch(/Program: v1 recorded no git commit: its config is deployed with the program in \S+\./);
    });
  });

  it("refuses a target whose config the program would reject, writing nothing", async () => {
    const invalid = withSettings(V1, { "dean:orchestrator": { replicas: 0 } });
    const world = deployed([entry(1, invalid), entry(2, V2)]);
    expect(await world.run("rollback", "--yes")).toBe(2);
    expect(world.console.errorText).toContain("rolling back to v1 would make the stack config invalid; nothing was changed");
    expect(world.console.errorText).toContain("dean:orchestrator.replicas must be a whole number between 1 and 50 (got 0)");
    expect(world.changes).toEqual([]);
  });

  it("refuses a target whose secrets history cannot decrypt", async () => {
    const world = deployed([{ ...entry(1, V1), unreadableSecrets: ["dean:tlsKey"] }, entry(2, V2)]);
    expect(await world.run("rollback", "--yes")).toBe(2);
    expect(world.console.errorText).toContain("v1 records secret values that cannot be decrypted (dean:tlsKey)");
    expect(world.changes).toEqual([]);
  });

  it("on no, puts the current config back exactly and deploys nothing", async () => {
    const world = deployed([entry(1, V1), entry(2, V2)]);
    world.console.answers = [false];
    expect(await world.run("rollback")).toBe(3);
    expect(world.console.questions).toEqual(["Roll stack dev back to the config of v1?"]);
    expect(world.stack.config).toEqual(V2);
    expect(ups(world)).toEqual([]);
  });

  it("suggests --restore-db when the old image's migration fails against a newer database", async () => {
    const world = deployed([entry(1, V1), entry(2, V2)]);
    world.stack.failUp = () => "alembic: Can't locate revision identified by 'b7e1'";
    expect(await world.run("rollback", "--yes")).toBe(1);
    expect(world.console.errorText).toContain("the database is ahead of this image: roll back with --restore-db");
  });

  describe("--restore-db", () => {
    it("turns maintenance on, restores the undone update's pre-upgrade backup, then updates with the target config", async () => {
      const world = deployed([entry(1, V1), entry(2, V2)]);
      expect(await world.run("rollback", "--restore-db", "--yes")).toBe(0);
      const order = world.calls.flatMap((call) =>
        call.op === "up" ? [`up image=${String(image(call.config))} maintenance=${String(maintenanceOf(call.config))}`]
          : call.op === "exec" && call.command[1] === "restore" ? [`restore ${call.command[2]}`]
            : call.op === "preview" ? [`preview image=${String(image(call.config))}`] : []);
      expect(order).toEqual([
        "preview image=dean-local/orchestrator:1.0.0",
        "up image=dean-local/orchestrator:1.0.1 maintenance=true",
        `restore ${preUpgradeDump("dean-local/orchestrator:1.0.1")}`,
        "up image=dean-local/orchestrator:1.0.0 maintenance=undefined",
      ]);
      expect(world.calls.find((call) => call.op === "exec" && call.command[1] === "restore")).toMatchObject({ container: "dean-dev-backup" });
      expect(world.stack.config).toEqual(V1);
      expect(world.console.text).toContain("1. maintenance on");
      expect(world.console.text).toContain("3. apply the config of v1 (maintenance off) and update");
    });

    it("reads the dump to restore from the outputs before changing anything", async () => {
      const world = deployed([entry(1, V1), entry(2, V2)]);
      await world.run("rollback", "--restore-db", "--yes");
      const ops = world.calls.map((call) => call.op);
      expect(ops.indexOf("outputs")).toBeLessThan(ops.findIndex((op) => op === "replaceConfig" || op === "setPaths"));
    });

    it("keeps maintenance on at the end when the target config had it on", async () => {
      const onAtTarget = withSettings(V1, { "dean:nginx": { maintenance: true } });
      const world = deployed([entry(1, onAtTarget), entry(2, V2)]);
      expect(await world.run("rollback", "--restore-db", "--yes")).toBe(0);
      expect(ups(world).map((call) => maintenanceOf(call.config))).toEqual([true, true]);
      expect(world.console.text).toContain("(maintenance stays on: it was on in that config)");
    });

    it("skips the maintenance update when maintenance is on already, still restoring before the update", async () => {
      const current = withSettings(V2, { "dean:nginx": { maintenance: true } });
      const world = deployed([entry(1, V1), entry(2, current)]);
      expect(await world.run("rollback", "--restore-db", "--yes")).toBe(0);
      expect(ups(world)).toHaveLength(1);
      const ops = world.calls.flatMap((call) => (call.op === "up" ? ["up"] : call.op === "exec" && call.command[1] === "restore" ? ["restore"] : []));
      expect(ops).toEqual(["restore", "up"]);
      expect(world.console.text).toContain("Maintenance mode is already on.");
    });

    it("when the outputs do not name that image's dump (a failed update), takes the newest verified one for it", async () => {
      const world = deployed([entry(1, V1), entry(2, V2), entry(3, V3, "failed")]);
      // The failed update never registered outputs: they still describe v2.
      world.stack.currentOutputs = outputsFor(V2);
      const v3Dump = preUpgradeDump("dean-local/orchestrator:1.0.2", "20250615T075900Z");
      world.docker.dumps = [
        { name: preUpgradeDump("dean-local/orchestrator:1.0.2", "20250615T075959Z"), verified: false },
        { name: v3Dump, verified: true },
        ...world.docker.dumps,
      ];
      expect(await world.run("rollback", "--restore-db", "--yes")).toBe(0);
      expect(world.calls).toContainEqual({ op: "exec", container: "dean-dev-backup", command: ["dean-backup", "restore", v3Dump] });
    });

    it("refuses when no verified pre-upgrade backup of the undone image exists", async () => {
      const world = deployed([entry(1, V1), entry(2, V2)]);
      world.docker.dumps = [{ name: preUpgradeDump("dean-local/orchestrator:1.0.1"), verified: false }];
      expect(await world.run("rollback", "--restore-db", "--yes")).toBe(2);
      expect(world.console.errorText).toContain("there is no verified pre-upgrade backup of dean-local/orchestrator:1.0.1");
      expect(world.changes).toEqual([]);
    });

    it("refuses when the update being undone did not change the image (its backup would lose newer data)", async () => {
      const scaled = withSettings(V1, { "dean:orchestrator": { replicas: 2 } });
      const world = deployed([entry(1, V1), entry(2, scaled)]);
      expect(await world.run("rollback", "--restore-db", "--yes")).toBe(2);
      expect(world.console.errorText).toContain("v2 did not change the orchestrator image (dean-local/orchestrator:1.0.0 in both)");
      expect(world.changes).toEqual([]);
    });

    it("refuses when backups are disabled", async () => {
      const noBackups = (config: ConfigValues) => withSettings(config, { "dean:backup": { enabled: false } });
      const world = deployed([entry(1, noBackups(V1)), entry(2, noBackups(V2))]);
      expect(await world.run("rollback", "--restore-db", "--yes")).toBe(2);
      expect(world.console.errorText).toContain("backups are disabled in stack dev");
      expect(world.changes).toEqual([]);
    });

    it("stops with maintenance still on when the restore fails, and says how to get out", async () => {
      const world = deployed([entry(1, V1), entry(2, V2)]);
      world.docker.backupResults.restore = { exitCode: 1, stdout: "", stderr: "dean-backup[9] error: the restore failed and was rolled back: lock timeout\n" };
      expect(await world.run("rollback", "--restore-db", "--yes")).toBe(1);
      expect(ups(world)).toHaveLength(1);
      expect(maintenanceOf(world.stack.config)).toBe(true);
      expect(image(world.stack.config)).toBe("dean-local/orchestrator:1.0.1");
      expect(world.console.errorText).toContain("maintenance mode is still ON and the current version still runs");
      expect(world.console.errorText).toContain("dean-ops maintenance off --stack dev reopens the current version instead");
    });

    it("does not restore when the maintenance update fails", async () => {
      const world = deployed([entry(1, V1), entry(2, V2)]);
      world.stack.failUp = () => "nginx: container failed to start";
      expect(await world.run("rollback", "--restore-db", "--yes")).toBe(1);
      expect(world.calls.some((call) => call.op === "exec" && call.command[1] === "restore")).toBe(false);
      expect(world.console.errorText).toContain("the database was not restored");
    });
  });
});
