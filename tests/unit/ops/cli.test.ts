import { parseArgs } from "../../../ops/args";
import { refused } from "../../../ops/errors";
import { World } from "./fakes";

describe("dean-ops command line", () => {
  it("takes global flags anywhere on the line", () => {
    expect(parseArgs(["--stack", "prod", "scale", "3", "--yes"], "/project")).toEqual({ options: { stack: "prod", cwd: "/project", yes: true }, help: false, command: "scale", args: ["3"] });
    expect(parseArgs(["rollback", "--to", "4", "--stack=prod", "--cwd", "/srv/dean", "-y"], "/project")).toEqual({ options: { stack: "prod", cwd: "/srv/dean", yes: true }, help: false, command: "rollback", args: ["--to", "4"] });
    expect(parseArgs([], "/project").options.stack).toBe("dev");
  });

  it("refuses a flag without its value", () => {
    expect(() => parseArgs(["status", "--stack"], "/p")).toThrow("--stack needs a value");
    expect(() => parseArgs(["status", "--cwd", "--yes"], "/p")).toThrow("--cwd needs a value");
    expect(() => parseArgs(["status", "--stack", "a b"], "/p")).toThrow(/--stack must be a stack name/);
  });

  it("--help lists every command and exits 0 without touching the stack", async () => {
    const world = new World();
    expect(await world.run("--help")).toBe(0);
    for (const name of ["status", "history", "upgrade", "rollback", "scale", "rotate", "maintenance", "isolate", "block", "unblock", "backup"]) {
      expect(world.console.text).toContain(`  ${name}`);
    }
    expect(world.calls).toEqual([]);
  });

  it("no command or an unknown one exits 2 with the usage", async () => {
    const world = new World();
    expect(await world.run()).toBe(2);
    expect(await world.run("deploy")).toBe(2);
    expect(world.console.errorText).toContain("unknown command \"deploy\"");
    expect(world.calls).toEqual([]);
  });

  it.each([["maintenance", "on"], ["rollback"], ["backup", "restore", "x.dump"]])("without a terminal or --yes, %s is refused before anything is read or written", async (...argv) => {
    const world = new World();
    world.console.interactive = false;
    expect(await world.run(...argv)).toBe(2);
    expect(world.console.errorText).toContain("stdin is not a terminal: pass --yes");
    expect(world.calls).toEqual([{ op: "preflight" }, { op: "connect" }]);
  });

  it("a question that fails (the terminal went away) puts the config back", async () => {
    const world = new World();
    const before = world.stack.config;
    world.console.confirm = async () => {
      throw refused("cannot ask for confirmation: stdin is not a terminal; pass --yes to apply without asking");
    };
    expect(await world.run("maintenance", "on")).toBe(2);
    expect(world.stack.config).toEqual(before);
    expect(world.calls.map((call) => call.op)).toEqual(expect.arrayContaining(["setPaths", "preview", "replaceConfig"]));
    expect(world.calls.map((call) => call.op)).not.toContain("up");
  });

  it("an unexpected error exits 1 with its message", async () => {
    const world = new World();
    world.stack.history = async () => {
      throw new Error("cannot open stack dev: pulumi: command not found");
    };
    expect(await world.run("history")).toBe(1);
    expect(world.console.errorText).toBe("error: cannot open stack dev: pulumi: command not found");
  });
});
