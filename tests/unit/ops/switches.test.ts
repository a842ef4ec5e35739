import { withSettings, World } from "./fakes";

describe("dean-ops maintenance and isolate", () => {
  it("maintenance on: dean:nginx.maintenance becomes true (a boolean), /health is checked through nginx", async () => {
    const world = new World();
    expect(await world.run("maintenance", "on", "--yes")).toBe(0);
    expect(world.changes[0]).toEqual({ op: "setPaths", values: { "dean:nginx.maintenance": "true" } });
    expect(world.setting("dean:nginx", "maintenance")).toBe(true);
    expect(world.calls).toContainEqual({ op: "httpGet", url: "https://localhost:8443/health" });
    expect(world.console.text).toContain("Maintenance mode is on");
  });

  it("maintenance off when it is off already changes nothing", async () => {
    const world = new World();
    expect(await world.run("maintenance", "off", "--yes")).toBe(0);
    expect(world.changes).toEqual([]);
  });

  it("refuses anything but on or off", async () => {
    const world = new World();
    expect(await world.run("maintenance", "yes")).toBe(2);
    expect(world.console.errorText).toContain("dean-ops maintenance: expected on or off (got \"yes\")");
  });

  it("isolate on: no published port, so the HTTP check is skipped rather than failed", async () => {
    const world = new World();
    expect(await world.run("isolate", "on", "--yes")).toBe(0);
    expect(world.setting("dean:nginx", "isolate")).toBe(true);
    expect(world.calls.some((call) => call.op === "httpGet")).toBe(false);
    expect(world.console.text).toContain("skipped: isolated: no port is published");
    expect(world.console.text).toContain("`dean-ops isolate off` restores access");
  });

  it("isolate off publishes again and probes the public URL", async () => {
    const world = new World(withSettings(new World().stack.config, { "dean:nginx": { isolate: true } }));
    expect(await world.run("isolate", "off", "--yes")).toBe(0);
    expect(world.setting("dean:nginx", "isolate")).toBe(false);
    expect(world.calls).toContainEqual({ op: "httpGet", url: "https://localhost:8443/health" });
  });
});
