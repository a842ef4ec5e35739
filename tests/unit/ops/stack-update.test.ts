import type { UpdateSummary } from "@pulumi/pulumi/automation";
import { toStackUpdate } from "../../../ops/adapters/pulumi-config";
import { numbered } from "../../../ops/adapters/pulumi-stack";

/** What dean-ops reads of a `pulumi stack history` entry (the Automation API's UpdateSummary). */
describe("a history entry as dean-ops reads it", () => {
  const summary: UpdateSummary = {
    kind: "update",
    startTime: new Date("2026-12-03T10:00:00Z"),
    endTime: new Date("2026-12-03T10:01:00Z"),
    message: "dean-ops scale 3",
    environment: { "exec.kind": "cli", "git.head": "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", "git.dirty": "false" },
    config: { "dean:orchestrator": { value: "{\"replicas\":3}", secret: false } },
    result: "succeeded",
    version: 7,
    resourceChanges: { create: 1, same: 40 },
  };

  it("records the program's git commit when the update ran from a checkout", () => {
    expect(toStackUpdate(summary)).toMatchObject({ version: 7, programCommit: "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", resourceChanges: { create: 1, same: 40 } });
  });

  it("has no commit when the update did not run from a checkout", () => {
    expect(toStackUpdate({ ...summary, environment: { "exec.kind": "cli" } })).not.toHaveProperty("programCommit");
  });
});

describe("history versions", () => {
  const at = (minute: number) => new Date(Date.UTC(2026, 11, 3, 10, minute));
  const update = (version: number, minute: number) => ({
    version, kind: "update" as const, result: "succeeded" as const, startTime: at(minute), message: `at ${minute}`, config: {}, unreadableSecrets: [], resourceChanges: {},
  });

  it("numbers a self-managed backend's entries (all version 0) in order, oldest 1", () => {
    const entries = numbered([update(0, 30), update(0, 10), update(0, 20)]);
    expect(entries.map((entry) => `${entry.version} ${entry.message}`)).toEqual(["1 at 10", "2 at 20", "3 at 30"]);
  });

  it("keeps the numbers a backend records", () => {
    expect(numbered([update(7, 30), update(6, 10)]).map((entry) => entry.version)).toEqual([7, 6]);
  });
});
