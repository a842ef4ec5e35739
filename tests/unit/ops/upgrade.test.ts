import { imageRepository, resolveImage } from "../../../ops/commands/upgrade";
import { preUpgradeDump, World } from "./fakes";

const DIGEST = `sha256:${"ab".repeat(32)}`;

describe("image references", () => {
  it("finds the repository behind tags, digests and registry ports", () => {
    expect(imageRepository("dean-local/orchestrator:1.0.0")).toBe("dean-local/orchestrator");
    expect(imageRepository(`dean-local/orchestrator@${DIGEST}`)).toBe("dean-local/orchestrator");
    expect(imageRepository("registry.local:5000/dean-local/orchestrator")).toBe("registry.local:5000/dean-local/orchestrator");
    expect(imageRepository("registry.local:5000/dean-local/orchestrator:2.0")).toBe("registry.local:5000/dean-local/orchestrator");
  });

  it("applies a bare tag or digest to the deployed repository and keeps full references", () => {
    expect(resolveImage("dean-local/orchestrator:1.0.0", "1.0.1")).toBe("dean-local/orchestrator:1.0.1");
    expect(resolveImage("dean-local/orchestrator:1.0.0", DIGEST)).toBe(`dean-local/orchestrator@${DIGEST}`);
    expect(resolveImage("dean-local/orchestrator:1.0.0", "other/orchestrator:3.0")).toBe("other/orchestrator:3.0");
  });
});

describe("dean-ops upgrade", () => {
  it("sets dean:images.orchestrator by path (the rest of dean:images stays) and reports the pre-upgrade backup", async () => {
    const world = new World();
    expect(await world.run("upgrade", "1.0.1", "--yes")).toBe(0);
    expect(world.changes[0]).toEqual({ op: "setPaths", values: { "dean:images.orchestrator": "dean-local/orchestrator:1.0.1" } });
    expect(world.stack.config["dean:images"].value).toEqual({
      orchestrator: "dean-local/orchestrator:1.0.1",
      postgres: "dean-local/postgres:15",
      redis: "dean-local/redis:7",
      nginx: "dean-local/nginx:sid",
    });
    expect(world.changes[1]).toMatchObject({ op: "up", message: "dean-ops upgrade 1.0.1" });
    expect(world.console.text).toContain(`Pre-upgrade backup: ${preUpgradeDump("dean-local/orchestrator:1.0.1")}`);
  });

  it("pins by digest", async () => {
    const world = new World();
    expect(await world.run("upgrade", DIGEST, "--yes")).toBe(0);
    expect(world.setting("dean:images", "orchestrator")).toBe(`dean-local/orchestrator@${DIGEST}`);
  });

  it("does nothing when that image is already configured", async () => {
    const world = new World();
    expect(await world.run("upgrade", "1.0.0", "--yes")).toBe(0);
    expect(world.changes).toEqual([]);
  });

  it("on failure points at rollback with --restore-db, since migrations may have run", async () => {
    const world = new World();
    world.stack.failUp = () => "command:local:Command dean-orchestrator-migration creating failed: exit status 1";
    expect(await world.run("upgrade", "1.0.1", "--yes")).toBe(1);
    expect(world.console.errorText).toContain("dean-ops rollback --restore-db --stack dev also restores the pre-upgrade backup");
    expect(world.stack.updates.at(-1)?.result).toBe("failed");
  });
});
