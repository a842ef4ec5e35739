import { devConfig, entry, withSettings, World } from "./fakes";

describe("dean-ops status", () => {
  it("shows what is deployed and passes when every check passes, hiding secret outputs", async () => {
    const world = new World();
    expect(await world.run("status")).toBe(0);
    const text = world.console.text;
    expect(text).toContain("deployed image     dean-local/orchestrator:1.0.0");
    expect(text).toContain("replicas           1");
    expect(text).toContain("connection: [secret]");
    expect(text).not.toContain("app-password");
    expect(text).toMatch(/ok {4}last update: v1 update succeeded at 2025-06-11 /);
    expect(text).toContain("ok    GET /health: https://localhost:8443/health -> HTTP 200");
    expect(text).toContain("ok    newest good backup: scheduled-dean_production-20250615T020000Z.dump, 1h 0m old (limit 12h 0m)");
    const inspected = world.calls.flatMap((call) => (call.op === "inspect" ? [call.container] : []));
    expect(inspected.sort()).toEqual(["dean-dev-backup", "dean-dev-nginx", "dean-dev-postgres", "dean-dev-redis", "orchestrator-1-abc"]);
    expect(world.calls).toContainEqual({ op: "exec", container: "dean-dev-backup", command: ["cat", "/backups/status.json"] });
    expect(world.changes).toEqual([]);
  });

  it.each([
    ["an unhealthy container", (world: World) => { world.docker.states["dean-dev-postgres"] = { health: "unhealthy" }; }, "FAIL  container postgres: dean-dev-postgres running, unhealthy"],
    ["a stopped container", (world: World) => { world.docker.states["dean-dev-nginx"] = { status: "exited" }; }, "FAIL  container nginx: dean-dev-nginx is exited"],
    ["a missing container", (world: World) => { world.docker.states["dean-dev-redis"] = { exists: false, status: "missing" }; }, "FAIL  container redis: dean-dev-redis does not exist"],
    ["/health not answering 200", (world: World) => { world.docker.http = { status: 502, body: "" }; }, "FAIL  GET /health: https://localhost:8443/health -> HTTP 502"],
    ["/health unreachable", (world: World) => { world.docker.http = new Error("connect ECONNREFUSED 127.0.0.1:8443"); }, "FAIL  GET /health: https://localhost:8443/health: connect ECONNREFUSED"],
    ["a backup older than two intervals", (world: World) => { world.docker.backupAgeSeconds = 13 * 3600; }, "FAIL  newest good backup: scheduled-dean_production-20250615T020000Z.dump, 13h 0m old (limit 12h 0m)"],
    ["no verified backup", (world: World) => { world.docker.backupAgeSeconds = null; }, "FAIL  newest good backup: no verified dump yet (last run: success)"],
  ])("exits 1 on %s", async (_name, breakIt, line) => {
    const world = new World();
    breakIt(world);
    expect(await world.run("status")).toBe(1);
    expect(world.console.text).toContain(line);
    expect(world.console.text).toContain("UNHEALTHY");
  });

  it("exits 1 when the last update failed", async () => {
    const world = new World(devConfig(), [entry(1, devConfig()), { ...entry(2, devConfig(), "failed"), message: "dean-ops upgrade 1.0.1" }]);
    expect(await world.run("status")).toBe(1);
    expect(world.console.text).toMatch(/FAIL {2}last update: v2 update failed at .* \(dean-ops upgrade 1\.0\.1\)/);
  });

  it("lists config changes that were set but not deployed", async () => {
    const world = new World();
    world.stack.config = withSettings(world.stack.config, { "dean:orchestrator": { replicas: 4 } });
    expect(await world.run("status")).toBe(0);
    expect(world.console.text).toContain("Config changed since v1 and not deployed yet:\n  dean:orchestrator.replicas: 1 -> 4");
  });

  it("skips the HTTP check of an isolated stack", async () => {
    const world = new World(withSettings(devConfig(), { "dean:nginx": { isolate: true } }));
    expect(await world.run("status")).toBe(0);
    expect(world.calls.some((call) => call.op === "httpGet")).toBe(false);
  });

  it("exits 1 for a stack that was never deployed", async () => {
    const world = new World(devConfig(), []);
    expect(await world.run("status")).toBe(1);
    expect(world.console.text).toContain("FAIL  last update: none: the stack has never been updated");
    expect(world.console.text).toContain("FAIL  stack outputs: no `containers` output");
  });
});
