import { devConfig, withSettings, World } from "./fakes";

describe("dean-ops scale", () => {
  it("sets dean:orchestrator.replicas by path, previews, updates with it, then checks every replica", async () => {
    const world = new World();
    expect(await world.run("scale", "3", "--yes")).toBe(0);
    expect(world.changes).toEqual([
      { op: "setPaths", values: { "dean:orchestrator.replicas": "3" } },
      expect.objectContaining({ op: "up", message: "dean-ops scale 3" }),
    ]);
    expect(world.setting("dean:orchestrator", "replicas")).toBe(3);
    const ops = world.calls.map((call) => call.op);
    expect(ops.indexOf("preview")).toBeLessThan(ops.indexOf("up"));
    const inspected = world.calls.flatMap((call) => (call.op === "inspect" ? [call.container] : []));
    expect(inspected).toEqual(expect.arrayContaining(["orchestrator-1-abc", "orchestrator-2-abc", "orchestrator-3-abc"]));
    expect(world.console.text).toContain("dean:orchestrator.replicas: 1 -> 3");
  });

  it("refuses a replica count that breaks the connection budget, with the arithmetic", async () => {
    const world = new World();
    expect(await world.run("scale", "20", "--yes")).toBe(2);
    expect(world.console.errorText).toContain("dean:postgres.maxConnections is below the connection budget: 20 replicas x 2 workers x (5 pool + 2 overflow) = 280");
    expect(world.changes).toEqual([]);
  });

  it("asks before applying and, on no, puts the config back and deploys nothing", async () => {
    const world = new World();
    const before = world.stack.config;
    world.console.answers = [false];
    expect(await world.run("scale", "2")).toBe(3);
    expect(world.console.questions).toEqual(["Apply this to stack dev?"]);
    expect(world.stack.config).toEqual(before);
    expect(world.calls.map((call) => call.op)).not.toContain("up");
    expect(world.changes.map((call) => call.op)).toEqual(["setPaths", "replaceConfig"]);
  });

  it("applies after a yes", async () => {
    const world = new World();
    world.console.answers = [true];
    expect(await world.run("scale", "2")).toBe(0);
    expect(world.stack.updates.map((update) => update.result)).toEqual(["succeeded", "succeeded"]);
  });

  it("puts the config back when the preview fails", async () => {
    const world = new World();
    const before = world.stack.config;
    world.stack.failPreview = "error: policy violation: connection-budget";
    expect(await world.run("scale", "2", "--yes")).toBe(1);
    expect(world.stack.config).toEqual(before);
    expect(world.console.errorText).toContain("the preview failed, so the config was put back and nothing was deployed: error: policy violation");
    expect(world.calls.map((call) => call.op)).not.toContain("up");
  });

  it("exits 1 with what to do next when the update fails", async () => {
    const world = new World();
    world.stack.failUp = () => "docker:index/container:Container orchestrator-2 creating failed: timeout waiting for healthy";
    expect(await world.run("scale", "2", "--yes")).toBe(1);
    expect(world.console.errorText).toContain("error: the update failed: docker:index/container:Container orchestrator-2");
    expect(world.console.errorText).toContain("dean-ops rollback --stack dev re-applies the config of the last successful update");
    expect(world.calls.map((call) => call.op)).not.toContain("inspect");
  });

  it("exits 1 when the stack is unhealthy after the update, after waiting for it to settle", async () => {
    const world = new World();
    world.docker.states["orchestrator-2-abc"] = { health: "unhealthy" };
    expect(await world.run("scale", "2", "--yes")).toBe(1);
    expect(world.console.text).toContain("FAIL  container orchestrator 2: orchestrator-2-abc running, unhealthy");
    expect(world.console.errorText).toContain("the update finished but the stack is unhealthy");
    expect(world.clock.now().getTime() - new Date("2025-06-15T08:00:00Z").getTime()).toBeGreaterThanOrEqual(120_000);
  });

  it("changes nothing when the stack already has that many replicas", async () => {
    const world = new World();
    expect(await world.run("scale", "1", "--yes")).toBe(0);
    expect(world.console.text).toContain("Nothing to change");
    expect(world.changes).toEqual([]);
  });

  it("refuses to operate on a stack whose current config is already invalid, saying so", async () => {
    const world = new World();
    // Set by hand (pulumi config set) after the last update.
    world.stack.config = withSettings(devConfig(), { "dean:redis": { evictionPolicy: "sometimes" } });
    expect(await world.run("scale", "2", "--yes")).toBe(2);
    expect(world.console.errorText).toContain("the current config of stack dev is invalid; fix it (pulumi config) before running operations:\n  - dean:redis.evictionPolicy must be one of");
    expect(world.changes).toEqual([]);
  });

  it("insists on exactly one argument", async () => {
    const world = new World();
    expect(await world.run("scale", "--yes")).toBe(2);
    expect(world.console.errorText).toContain("usage: dean-ops scale <replicas>");
    expect(world.calls).toEqual([]);
  });
});
