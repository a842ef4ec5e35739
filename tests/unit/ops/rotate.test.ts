import { withSettings, World } from "./fakes";

describe("dean-ops rotate", () => {
  it("jwt: bumps dean:rotation.jwt, then verifies that no auth:* key is left in Redis", async () => {
    const world = new World();
    // The program's logout step (components/orchestrator.ts) ran during the update.
    world.docker.authKeys = ["auth:alice", "auth:bob"];
    world.stack.onUp = () => {
      world.docker.authKeys = [];
    };
    expect(await world.run("rotate", "jwt", "--yes")).toBe(0);
    expect(world.changes[0]).toEqual({ op: "setPaths", values: { "dean:rotation.jwt": "1" } });
    const execs = world.calls.flatMap((call) => (call.op === "exec" && call.container === "dean-dev-redis" ? [call.command.join(" ")] : []));
    expect(execs).toEqual(["dean-redis-cli --scan --pattern auth:*"]);
    expect(world.console.text).toContain("Logout verified: no auth:* keys are left in Redis.");
  });

  it("jwt: flushes the auth:* keys the update left behind, after the update, and checks again", async () => {
    const world = new World();
    world.docker.authKeys = ["auth:alice", "auth:bob"];
    expect(await world.run("rotate", "jwt", "--yes")).toBe(0);
    const ops = world.calls.flatMap((call) => (call.op === "up" ? ["up"] : call.op === "exec" && call.container === "dean-dev-redis" ? [call.command[0]] : []));
    expect(ops).toEqual(["up", "dean-redis-cli", "sh", "dean-redis-cli"]);
    expect(world.docker.authKeys).toEqual([]);
    expect(world.console.text).toContain("2 auth:* key(s) are still in Redis; removing them.");
  });

  it("jwt: exits 1 with the manual command when the keys cannot be removed", async () => {
    const world = new World();
    world.docker.authKeys = ["auth:alice"];
    world.docker.unlinkWorks = false;
    expect(await world.run("rotate", "jwt", "--yes")).toBe(1);
    expect(world.console.errorText).toContain("the logout is incomplete: 1 auth:* key(s) remain in Redis (NOAUTH Authentication required.)");
    expect(world.console.errorText).toContain("docker exec dean-dev-redis sh -c");
  });

  it("all: bumps every counter from its current value in one update, and checks the logout", async () => {
    const world = new World(withSettings(new World().stack.config, { "dean:rotation": { jwt: 2, database: 5, redis: 0 } }));
    expect(await world.run("rotate", "all", "--yes")).toBe(0);
    expect(world.changes[0]).toEqual({ op: "setPaths", values: { "dean:rotation.jwt": "3", "dean:rotation.database": "6", "dean:rotation.redis": "1" } });
    expect(world.changes.filter((call) => call.op === "up")).toHaveLength(1);
    expect(world.calls.some((call) => call.op === "exec" && call.container === "dean-dev-redis")).toBe(true);
  });

  it("database: no logout check (sessions stay valid)", async () => {
    const world = new World();
    expect(await world.run("rotate", "database", "--yes")).toBe(0);
    expect(world.setting("dean:rotation", "database")).toBe(1);
    expect(world.calls.some((call) => call.op === "exec" && call.container === "dean-dev-redis")).toBe(false);
  });

  it("refuses an unknown credential", async () => {
    const world = new World();
    expect(await world.run("rotate", "tls", "--yes")).toBe(2);
    expect(world.console.errorText).toContain("expected jwt or database or redis or all (got \"tls\")");
    expect(world.calls).toEqual([]);
  });
});
