import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_DIR } from "./fakes";

// The issue's own reproduction: `npm run ops -- scale 0 --yes` on a host without the Pulumi
// CLI printed "spawn pulumi ENOENT" and exited 1, as if the stack might have changed.

describe("bin/dean-ops.js on a host without the Pulumi CLI", () => {
  let empty: string;
  beforeAll(() => {
    empty = fs.mkdtempSync(path.join(os.tmpdir(), "dean-ops-bare-host-"));
  });
  afterAll(() => fs.rmSync(empty, { recursive: true, force: true }));

  function deanOps(...args: string[]): { status: number | null; stderr: string } {
    // Nothing on PATH, an empty home: no CLI, no login, no backend.
    const env = { PATH: empty, HOME: empty };
    const result = spawnSync(process.execPath, [path.join(PROJECT_DIR, "bin/dean-ops.js"), ...args], { env, encoding: "utf8" });
    return { status: result.status, stderr: result.stderr };
  }

  it("refuses a bad argument first (exit 2), naming it", () => {
    const { status, stderr } = deanOps("scale", "0", "--yes");
    expect(stderr).toContain("error: dean-ops scale: <replicas> \"0\" is refused: dean:orchestrator.replicas must be a whole number between 1 and 50; nothing was changed");
    expect(status).toBe(2);
  });

  it("then names the missing CLI and backend (exit 2), and never spawns pulumi", () => {
    const { status, stderr } = deanOps("scale", "3", "--yes");
    expect(stderr).toContain("error: stack dev cannot be worked on here; nothing was attempted, nothing was changed. Missing:\n  - the Pulumi CLI: there is no pulumi on PATH\n  - a Pulumi backend");
    expect(stderr).not.toContain("ENOENT");
    expect(status).toBe(2);
  });
});
