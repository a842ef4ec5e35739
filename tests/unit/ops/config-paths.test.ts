import { applyPathRemovals, applyPathSets, parseConfigPath, typedPathValue } from "../../../ops/config/paths";
import { applyWrite, pathWrite, restoreWrite } from "../../../ops/config/write";
import type { ConfigValues } from "../../../ops/ports";

const base: ConfigValues = {
  "dean:environment": { value: "dev", secret: false },
  "dean:nginx": { value: { httpsPort: 8443, blockedIps: ["10.0.0.1", "10.0.0.2", "10.0.0.3"] }, secret: false },
  "dean:tlsKey": { value: "-----BEGIN KEY-----", secret: true },
};

describe("config paths (pulumi config set/rm --path semantics)", () => {
  it("parses a key with object fields and list indexes", () => {
    expect(parseConfigPath("dean:nginx.blockedIps[2]")).toEqual({ key: "dean:nginx", segments: ["blockedIps", 2] });
    expect(parseConfigPath("dean:environment")).toEqual({ key: "dean:environment", segments: [] });
    expect(() => parseConfigPath("nginx.blockedIps")).toThrow(/not a config path/);
  });

  it("types values like the CLI: booleans and whole numbers, leading zeros stay text", () => {
    expect(typedPathValue("true")).toBe(true);
    expect(typedPathValue("false")).toBe(false);
    expect(typedPathValue("3")).toBe(3);
    expect(typedPathValue("-2")).toBe(-2);
    expect(typedPathValue("007")).toBe("007");
    expect(typedPathValue("0.5")).toBe("0.5");
    expect(typedPathValue("10.0.0.1")).toBe("10.0.0.1");
  });

  it("sets a field inside an object without touching its siblings, creating missing objects", () => {
    const result = applyPathSets(base, { "dean:nginx.maintenance": "true", "dean:rotation.jwt": "1" });
    expect(result["dean:nginx"].value).toEqual({ httpsPort: 8443, blockedIps: ["10.0.0.1", "10.0.0.2", "10.0.0.3"], maintenance: true });
    expect(result["dean:rotation"]).toEqual({ value: { jwt: 1 }, secret: false });
    expect(base["dean:nginx"].value).not.toHaveProperty("maintenance");
  });

  it("appends at the index after the last entry and refuses a gap", () => {
    expect((applyPathSets(base, { "dean:nginx.blockedIps[3]": "10.0.0.9" })["dean:nginx"].value as { blockedIps: string[] }).blockedIps).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.9"]);
    expect(() => applyPathSets(base, { "dean:nginx.blockedIps[5]": "10.0.0.9" })).toThrow(/array index out of range/);
  });

  it("removes list entries in the order given, each shifting the ones after it", () => {
    const result = applyPathRemovals(base, ["dean:nginx.blockedIps[2]", "dean:nginx.blockedIps[0]"]);
    expect((result["dean:nginx"].value as { blockedIps: string[] }).blockedIps).toEqual(["10.0.0.2"]);
    expect(applyPathRemovals(base, ["dean:environment"])).not.toHaveProperty("dean:environment");
    expect(applyPathRemovals(base, ["dean:missing.field"])).toEqual(base);
  });

  it("a replace write keeps secrecy and removes keys; restoreWrite puts recorded values back", () => {
    const replaced = applyWrite(base, { kind: "replace", values: { "dean:tlsKey": { value: "new", secret: true } }, remove: ["dean:environment"] });
    expect(replaced["dean:tlsKey"]).toEqual({ value: "new", secret: true });
    expect(replaced).not.toHaveProperty("dean:environment");
    expect(restoreWrite(base, ["dean:tlsKey", "dean:added"])).toEqual({ kind: "replace", values: { "dean:tlsKey": base["dean:tlsKey"] }, remove: ["dean:added"] });
    expect(applyWrite(base, pathWrite({ "dean:nginx.httpsPort": "9443" }))["dean:nginx"].value).toMatchObject({ httpsPort: 9443 });
  });
});
