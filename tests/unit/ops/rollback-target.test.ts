import { OpsError } from "../../../ops/errors";
import { selectRollbackTarget } from "../../../ops/history/select";
import type { StackUpdate } from "../../../ops/ports";
import { devConfig, entry } from "./fakes";

const config = devConfig();

function refusal(history: StackUpdate[], to?: number): OpsError {
  try {
    selectRollbackTarget(history, "dev", to);
  } catch (error) {
    if (error instanceof OpsError) return error;
    throw error;
  }
  throw new Error("a target was selected");
}

describe("rollback target selection", () => {
  it("defaults to the newest successful update before the current one", () => {
    const { current, target } = selectRollbackTarget([entry(1, config), entry(2, config), entry(3, config)], "dev");
    expect([current.version, target.version]).toEqual([3, 2]);
  });

  it("skips failed updates and refreshes between them", () => {
    const history = [entry(1, config), entry(2, config), entry(3, config, "failed"), entry(4, config, "succeeded", "refresh"), entry(5, config, "failed")];
    const { current, target } = selectRollbackTarget(history, "dev");
    expect(current.version).toBe(5);
    expect(target.version).toBe(2);
  });

  it("undoes a successful update that came after a failed one", () => {
    const { current, target } = selectRollbackTarget([entry(1, config), entry(2, config, "failed"), entry(3, config)], "dev");
    expect([current.version, target.version]).toEqual([3, 1]);
  });

  it("refuses when there is no earlier update, or no earlier successful one", () => {
    expect(refusal([entry(1, config)]).message).toBe("stack dev has no successful update before the current one, v1 (update, succeeded): there is nothing to roll back to");
    expect(refusal([entry(1, config, "failed"), entry(2, config)]).message).toContain("no successful update before the current one, v2");
    expect(refusal([]).message).toContain("has no update in its history");
    expect(refusal([entry(1, config)]).exitCode).toBe(2);
  });

  it("takes --to when it names a successful earlier update", () => {
    const { target } = selectRollbackTarget([entry(1, config), entry(2, config), entry(3, config)], "dev", 1);
    expect(target.version).toBe(1);
  });

  it("refuses --to that is not in the history, naming what is", () => {
    const error = refusal([entry(1, config), entry(2, config), entry(3, config)], 42);
    expect(error.message).toBe("version 42 is not in the history of stack dev (it has versions 1 to 3); successful earlier updates: v2, v1; see dean-ops history");
  });

  it("refuses --to pointing at a failed update, a refresh, or the current update", () => {
    const history = [entry(1, config), entry(2, config, "failed"), entry(3, config, "succeeded", "refresh"), entry(4, config)];
    expect(refusal(history, 2).message).toContain("v2 did not succeed (failed)");
    expect(refusal(history, 3).message).toContain("v3 is a refresh, not an update");
    expect(refusal(history, 4).message).toContain("v4 is the current update");
  });
});
