import { diffConfig, touchedKeys } from "../../../ops/config/diff";
import { describeChange, renderConfigChanges } from "../../../ops/format/config-diff";
import type { ConfigValues } from "../../../ops/ports";

const before: ConfigValues = {
  "dean:images": { value: { orchestrator: "dean-local/orchestrator:1.0.1", redis: "redis:7.2.7-bookworm" }, secret: false },
  "dean:nginx": { value: { blockedIps: ["10.0.0.1"], maintenance: false }, secret: false },
  "dean:tlsKey": { value: "old-key", secret: true },
  "pulumi:tags": { value: { system: "dean" }, secret: false },
};

describe("config diff", () => {
  it("reports each changed field at its path, lists whole, secrets without values, Pulumi's own keys not at all", () => {
    const after: ConfigValues = {
      "dean:images": { value: { orchestrator: "dean-local/orchestrator:1.0.0", redis: "redis:7.2.7-bookworm" }, secret: false },
      "dean:nginx": { value: { blockedIps: [], maintenance: false }, secret: false },
      "dean:tlsKey": { value: "new-key", secret: true },
      "dean:rotation": { value: { jwt: 1 }, secret: false },
      "pulumi:tags": { value: { system: "other" }, secret: false },
    };
    const changes = diffConfig(before, after);
    expect(changes.map(describeChange)).toEqual([
      "dean:images.orchestrator: dean-local/orchestrator:1.0.1 -> dean-local/orchestrator:1.0.0",
      "dean:nginx.blockedIps: [\"10.0.0.1\"] -> []",
      "dean:rotation.jwt: (unset) -> 1",
      "dean:tlsKey: [secret] changed",
    ]);
    expect(renderConfigChanges(changes)).not.toContain("new-key");
    expect(renderConfigChanges(changes)).not.toContain("old-key");
    expect(touchedKeys(changes)).toEqual(["dean:images", "dean:nginx", "dean:rotation", "dean:tlsKey"]);
  });

  it("finds nothing between equal configs", () => {
    expect(diffConfig(before, structuredClone(before))).toEqual([]);
    expect(renderConfigChanges([])).toContain("no config changes");
  });

  it("reports a removed secret without its value", () => {
    const after = { ...before };
    delete (after as Record<string, unknown>)["dean:tlsKey"];
    expect(diffConfig(before, after).map(describeChange)).toEqual(["dean:tlsKey: [secret] removed"]);
  });
});
