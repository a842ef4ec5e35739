import { historyRows } from "../../../ops/commands/history";
import { devConfig, entry, withSettings, World } from "./fakes";

const v1 = devConfig();
const v2 = withSettings(v1, { "dean:orchestrator": { replicas: 3 } });
const v3 = withSettings(v2, { "dean:images": { orchestrator: "dean-local/orchestrator:1.0.1" } });

describe("dean-ops history", () => {
  it("one row per operation, newest first: version, time, result, image, replicas, config changes", () => {
    const rows = historyRows([entry(1, v1), entry(2, v2), entry(3, v3, "failed"), entry(4, v3, "succeeded", "refresh")]);
    expect(rows).toEqual([
      ["v4", "2025-06-11 08:00:00Z", "refresh succeeded", "dean-local/orchestrator:1.0.1", "3", "-"],
      ["v3", "2025-06-11 07:00:00Z", "failed", "dean-local/orchestrator:1.0.1", "3", "dean:images.orchestrator: dean-local/orchestrator:1.0.0 -> dean-local/orchestrator:1.0.1"],
      ["v2", "2025-06-11 06:00:00Z", "succeeded", "dean-local/orchestrator:1.0.0", "3", "dean:orchestrator.replicas: 1 -> 3"],
      ["v1", "2025-06-11 05:00:00Z", "succeeded", "dean-local/orchestrator:1.0.0", "1", "(first recorded operation)"],
    ]);
  });

  it("shows ? for a recorded config the current schema rejects", () => {
    const [row] = historyRows([entry(1, withSettings(v1, { "dean:orchestrator": { replicas: 99 } }))]);
    expect(row.slice(3, 5)).toEqual(["?", "?"]);
  });

  it("prints the table with headers", async () => {
    const world = new World(v2, [entry(1, v1), entry(2, v2)]);
    expect(await world.run("history")).toBe(0);
    expect(world.console.text).toMatch(/^VERSION +STARTED \(UTC\) +RESULT +IMAGE +REPLICAS +CONFIG CHANGES$/m);
    expect(world.console.text).toMatch(/^v2 +2025-06-11 06:00:00Z +succeeded +dean-local\/orchestrator:1\.0\.0 +3 +dean:orchestrator\.replicas: 1 -> 3$/m);
  });

  it("says so when there is no history", async () => {
    const world = new World(v1, []);
    expect(await world.run("history")).toBe(0);
    expect(world.console.text).toContain("has no history yet");
  });
});
