import { withSettings, World } from "./fakes";

const listed = () => new World(withSettings(new World().stack.config, { "dean:nginx": { blockedIps: ["198.51.100.1", "203.0.113.0/24", "192.0.2.9"] } }));

describe("dean-ops block and unblock", () => {
  it("block appends the address to dean:nginx.blockedIps by index", async () => {
    const world = new World();
    expect(await world.run("block", "203.0.113.7", "--yes")).toBe(0);
    expect(world.changes[0]).toEqual({ op: "setPaths", values: { "dean:nginx.blockedIps[0]": "203.0.113.7" } });
    expect(world.setting("dean:nginx", "blockedIps")).toEqual(["203.0.113.7"]);
    expect(world.setting("dean:nginx", "httpsPort")).toBe(8443);
  });

  it("block adds after the entries already there, and accepts a CIDR range", async () => {
    const world = listed();
    expect(await world.run("block", "10.0.0.0/8", "--yes")).toBe(0);
    expect(world.setting("dean:nginx", "blockedIps")).toEqual(["198.51.100.1", "203.0.113.0/24", "192.0.2.9", "10.0.0.0/8"]);
  });

  it("block of an address already blocked changes nothing", async () => {
    const world = listed();
    expect(await world.run("block", "192.0.2.9", "--yes")).toBe(0);
    expect(world.changes).toEqual([]);
  });

  it("unblock removes exactly that entry by path, keeping the others in order", async () => {
    const world = listed();
    expect(await world.run("unblock", "203.0.113.0/24", "--yes")).toBe(0);
    expect(world.changes[0]).toEqual({ op: "removePaths", paths: ["dean:nginx.blockedIps[1]"] });
    expect(world.setting("dean:nginx", "blockedIps")).toEqual(["198.51.100.1", "192.0.2.9"]);
  });

  it("unblock of an address that is not blocked is refused, listing what is", async () => {
    const world = listed();
    expect(await world.run("unblock", "10.9.9.9", "--yes")).toBe(2);
    expect(world.console.errorText).toContain("10.9.9.9 is not in dean:nginx.blockedIps (blocked: 198.51.100.1, 203.0.113.0/24, 192.0.2.9); nothing was changed");
    expect(world.changes).toEqual([]);
  });
});
