import { devConfig, withSettings, World } from "./fakes";

const DUMP = "manual-dean_production-20250615T070000Z-before-change.dump";

function withDumps(): World {
  const world = new World();
  world.docker.dumps = [{ name: DUMP, verified: true }, { name: "scheduled-dean_production-20250615T020000Z.dump", verified: false }];
  return world;
}

function execs(world: World): string[] {
  return world.calls.flatMap((call) => (call.op === "exec" ? [`${call.container}: ${call.command.join(" ")}`] : []));
}

describe("dean-ops backup", () => {
  it("now: runs dean-backup now in the backup container and names the dump", async () => {
    const world = new World();
    expect(await world.run("backup", "now", "before-change")).toBe(0);
    expect(execs(world)).toEqual(["dean-dev-backup: dean-backup now before-change"]);
    expect(world.console.text).toContain("Stored and verified: manual-dean_production-20250615T080000Z.dump");
    expect(world.changes).toEqual([]);
  });

  it("now: exits 1 when the dump fails", async () => {
    const world = new World();
    world.docker.backupResults.now = { exitCode: 1, stdout: "", stderr: "dean-backup[7] error: pg_dump of dean_production failed\n" };
    expect(await world.run("backup", "now")).toBe(1);
    expect(world.console.errorText).toContain("the backup failed (exit 1): dean-backup[7] error: pg_dump of dean_production failed");
  });

  it("list: a table of the dumps, unverified ones marked", async () => {
    const world = withDumps();
    expect(await world.run("backup", "list")).toBe(0);
    expect(world.console.text).toMatch(/NAME +BYTES +FINISHED \(UTC\) +VERIFIED/);
    expect(world.console.text).toMatch(new RegExp(`${DUMP} +1024 +2025-06-15T07:00:00Z +yes`));
    expect(world.console.text).toMatch(/scheduled-dean_production-20250615T020000Z\.dump +1024 +2025-06-15T07:00:00Z +NO/);
  });

  it("verify: passes the dump name and fails with the script's exit code", async () => {
    const world = withDumps();
    expect(await world.run("backup", "verify", DUMP)).toBe(0);
    expect(execs(world)).toEqual([`dean-dev-backup: dean-backup verify ${DUMP}`]);
    world.docker.backupResults.verify = { exitCode: 1, stdout: `FAILED ${DUMP}\n`, stderr: "pg_restore cannot read it\n" };
    expect(await world.run("backup", "verify", DUMP)).toBe(1);
    expect(world.console.errorText).toContain(`verification of ${DUMP} failed (exit 1): pg_restore cannot read it`);
  });

  it("restore: checks the name against the list, asks, then restores", async () => {
    const world = withDumps();
    world.console.answers = [true];
    expect(await world.run("backup", "restore", DUMP)).toBe(0);
    expect(execs(world)).toEqual(["dean-dev-backup: dean-backup list", `dean-dev-backup: dean-backup restore ${DUMP}`]);
    expect(world.console.questions).toEqual([`Restore ${DUMP} into the application database?`]);
  });

  it("restore: --into restores into another database", async () => {
    const world = withDumps();
    expect(await world.run("backup", "restore", DUMP, "--into", "dean_inspect", "--yes")).toBe(0);
    expect(execs(world)).toContain(`dean-dev-backup: dean-backup restore ${DUMP} --into dean_inspect`);
  });

  it.each([
    [["restore", "no-such.dump"], "there is no dump named no-such.dump in dean-dev-backup"],
    [["restore"], "restore needs a dump name"],
    [["restore", DUMP, "--into", "bad name"], "--into must name a database (an SQL identifier), got \"bad name\""],
    [["shred"], "unknown action \"shred\""],
    [["toString"], "unknown action \"toString\""],
    [[], "missing action"],
  ])("refuses %j without restoring anything", async (args, message) => {
    const world = withDumps();
    expect(await world.run("backup", ...args, "--yes")).toBe(2);
    expect(world.console.errorText).toContain(message);
    expect(execs(world).filter((line) => line.includes(" restore "))).toEqual([]);
  });

  it("restore: on no, restores nothing", async () => {
    const world = withDumps();
    world.console.answers = [false];
    expect(await world.run("backup", "restore", DUMP)).toBe(3);
    expect(execs(world)).toEqual(["dean-dev-backup: dean-backup list"]);
  });

  it("is refused when the stack has backups disabled", async () => {
    const world = new World(withSettings(devConfig(), { "dean:backup": { enabled: false } }));
    expect(await world.run("backup", "list")).toBe(2);
    expect(world.console.errorText).toContain("backups are disabled in stack dev (dean:backup.enabled is false)");
    expect(execs(world)).toEqual([]);
  });
});
