import * as fs from "node:fs";
import * as path from "node:path";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import type { PolicyDiagnostic } from "../../tools/policy-engine";
import { policyMetadata } from "../../tools/policy-engine";
import { parsePolicyPackConfig, PolicyConfigError, reconcilePolicyPackConfig, SUPPORTED_KEYWORDS, validate } from "../../tools/policy-config";
import type { PolicyPackHost } from "../../tools/policy-pack-host";
import { analyzeRequest, indexResources, SECRET_SIG, SECRET_SIG_KEY } from "../../tools/policy-requests";
import { policies } from "../../policies/policies";
import { check, ofPolicy, POLICIES_DIR, startTestPack } from "./support/pack";
import { container, declared, GENERATED_PASSWORD, generatedPassword, labels } from "./support/synthetic";

/**
 * What reaches a policy through the analyzer protocol, and how config reaches the pack. Hand-made
 * resources: the question is the protocol, not the program.
 */

let pack: PolicyPackHost;

beforeAll(async () => {
  pack = await startTestPack();
});

afterAll(async () => {
  await pack?.close();
});

const postgresWithPassword = (options: { secret: boolean; declared: boolean }) => container("db", "postgres", { envs: [`POSTGRES_PASSWORD=${GENERATED_PASSWORD}`] }, {
  secretInputPaths: options.secret ? ["envs"] : [],
  additionalSecretOutputs: options.declared ? ["envs"] : [],
});

describe("secrets", () => {
  test("a secret input travels in the engine's secret envelope, and @pulumi/policy unwraps it before any policy runs", () => {
    const resource = postgresWithPassword({ secret: true, declared: true });
    const request = analyzeRequest(resource, indexResources([resource]));
    expect(request.getProperties()?.toJavaScript().envs).toEqual({ [SECRET_SIG_KEY]: SECRET_SIG, value: [`POSTGRES_PASSWORD=${GENERATED_PASSWORD}`] });
    // The function the analyzer server runs on every request before calling validateResource.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { deserializeProperties } = require("@pulumi/policy/deserialize") as { deserializeProperties(props: unknown, proxySecrets: boolean): Record<string, unknown> };
    expect(deserializeProperties(request.getProperties(), false).envs).toEqual([`POSTGRES_PASSWORD=${GENERATED_PASSWORD}`]);
  });

  test("whether the input was secret cannot change a verdict; the additionalSecretOutputs declaration does", async () => {
    const verdicts: Record<string, string[]> = {};
    for (const secret of [true, false]) {
      for (const isDeclared of [true, false]) {
        const run = await check(pack, [generatedPassword(), postgresWithPassword({ secret, declared: isDeclared })]);
        verdicts[`secret=${secret} declared=${isDeclared}`] = ofPolicy(run, "credentials-declared-secret").map((d) => d.message);
      }
    }
    expect(verdicts["secret=true declared=true"]).toEqual([]);
    expect(verdicts["secret=false declared=true"]).toEqual([]);
    expect(verdicts["secret=true declared=false"]).toEqual([expect.stringContaining("does not declare `envs` secret")]);
    expect(verdicts["secret=false declared=false"]).toEqual(verdicts["secret=true declared=false"]);
  });

  test("a credential is accepted when it is a generator's output, refused otherwise", async () => {
    expect(ofPolicy(await check(pack, [generatedPassword(), postgresWithPassword({ secret: true, declared: true })]), "credentials-generated")).toEqual([]);
    const withoutGenerator = await check(pack, [postgresWithPassword({ secret: true, declared: true })]);
    expect(ofPolicy(withoutGenerator, "credentials-generated").map((d) => d.message)).toEqual([expect.stringContaining("POSTGRES_PASSWORD in `envs` is not the output of a generated secret")]);
  });
});

describe("resource options", () => {
  const stackWithVolume = (options: { protect: boolean; retainOnDelete: boolean; label: boolean }) => [
    container("db", "postgres", { volumes: [{ volumeName: "pgdata", containerPath: "/var/lib/postgresql/data" }] }),
    declared("docker:index/volume:Volume", "pgdata", { name: "pgdata", labels: labels("postgres", "prod", options.label ? { "dean.retain-on-delete": "true" } : {}) }, {
      protect: options.protect,
      retainOnDelete: options.retainOnDelete,
    }),
  ];
  const retention = async (options: Parameters<typeof stackWithVolume>[0]) => ofPolicy(await check(pack, stackWithVolume(options)), "data-volume-retained").map((d) => d.message);

  test("the analyzer protocol has a field for protect and none for retainOnDelete", () => {
    const fields = Object.keys(new analyzer.AnalyzerResourceOptions().toObject()).map((field) => field.toLowerCase());
    expect(fields).toContain("protect");
    expect(fields.filter((field) => field.includes("retain"))).toEqual([]);
  });

  test("protect reaches the policies: an unprotected production volume is refused, a protected one is not", async () => {
    expect(await retention({ protect: true, retainOnDelete: true, label: true })).toEqual([]);
    expect(await retention({ protect: false, retainOnDelete: true, label: true })).toEqual([expect.stringContaining("not protected in production")]);
  });

  test("retainOnDelete does not: without the label the option alone is invisible, so the volume is refused", async () => {
    expect(await retention({ protect: true, retainOnDelete: true, label: false })).toEqual([expect.stringContaining("not marked retained on delete")]);
  });

  test("a volume a data service mounts read-only holds none of its data (its files, a secret): it need not be retained", async () => {
    const data = { volumeName: "pgdata", containerPath: "/var/lib/postgresql/data" };
    const stack = (mounts: object[]) => [
      container("db", "postgres", { volumes: mounts }),
      declared("docker:index/volume:Volume", "pgdata", { name: "pgdata", labels: labels("postgres", "prod", { "dean.retain-on-delete": "true" }) }, { protect: true, retainOnDelete: true }),
      declared("docker:index/volume:Volume", "secrets", { name: "secrets", labels: labels("postgres") }),
    ];
    const verdict = async (mounts: object[]) => ofPolicy(await check(pack, stack(mounts)), "data-volume-retained").map((d) => d.message);
    expect(await verdict([data, { volumeName: "secrets", containerPath: "/run/secrets", readOnly: true }])).toEqual([]);
    expect(await verdict([data, { volumeName: "secrets", containerPath: "/run/secrets" }])).toEqual([expect.stringMatching(/^secrets \(postgres\) holds postgres data of db: it is not marked retained on delete/)]);
    // A Postgres mounting only read-only volumes has nowhere to keep its data.
    expect(await verdict([{ ...data, readOnly: true }])).toEqual([expect.stringContaining("db (postgres) mounts no writable volume")]);
  });
});

describe("policy config", () => {
  const overBudget = [
    container("db", "postgres", { command: ["postgres", "-c", "max_connections=20"] }),
    container("app", "orchestrator", { envs: ["UVICORN_WORKERS=1", "DATABASE_POOL_SIZE=10", "DATABASE_MAX_OVERFLOW=10"] }),
  ];
  const budget = async (config: Parameters<typeof parsePolicyPackConfig>[0]): Promise<PolicyDiagnostic[]> =>
    ofPolicy(await check(pack, overBudget, { config: parsePolicyPackConfig(config, "test.json") }), "connection-budget");

  test("settings and enforcement levels reach the pack through Configure", async () => {
    const [byDefault] = await budget("{}");
    expect(byDefault.level).toBe("mandatory");
    expect(byDefault.message).toContain("1 replica x 1 worker x (10 pool + 10 overflow) = 20 + 2 backup + 5 admin reserve + 3 superuser reserved = 30 > max_connections 20.");
    expect((await budget(`{ "connection-budget": { "adminReserve": 0, "backupConnections": 0 } }`))[0].message).toContain("= 23 > max_connections 20");
    expect((await budget(`{ "connection-budget": "advisory" }`)).map((d) => d.level)).toEqual(["advisory"]);
    expect(await budget(`{ "all": "disabled" }`)).toEqual([]);
  });

  test("a bad config is refused with every problem named, as a PolicyConfigError", () => {
    const metadata = policyMetadata(pack.info);
    const given = parsePolicyPackConfig(`{ "conection-budget": "advisory", "log-rotation": { "maxFiles": 0, "maxSizeMB": 3 } }`, "bad.json");
    expect(() => reconcilePolicyPackConfig(metadata, {}, given, "bad.json")).toThrow(PolicyConfigError);
    try {
      reconcilePolicyPackConfig(metadata, {}, given, "bad.json");
    } catch (error) {
      expect((error as PolicyConfigError).problems).toEqual([
        "conection-budget is not a policy of this pack (did you mean connection-budget?)",
        "log-rotation.maxFiles must be at least 1 (got 0)",
        "log-rotation.maxSizeMB is not a setting of log-rotation (did you mean maxSizeMiB?); it has boundedDrivers, maxFiles, maxSizeMiB",
      ]);
    }
    expect(() => parsePolicyPackConfig(`{ "log-rotation": "strict" }`, "bad.json")).toThrow(/"strict" is not an enforcement level/);
    expect(() => parsePolicyPackConfig("{ nope", "bad.json")).toThrow(/bad\.json.*is not JSON/s);
  });

  test("the stricter production config shipped with the pack is valid", () => {
    const file = path.join(POLICIES_DIR, "config", "prod.json");
    const reconciled = reconcilePolicyPackConfig(policyMetadata(pack.info), {}, parsePolicyPackConfig(fs.readFileSync(file, "utf8"), file), file);
    expect(reconciled.get("production-backups")?.properties).toMatchObject({ minRetentionDays: 14, verifyModes: ["restore"] });
  });
});

describe("the pack as GetAnalyzerInfo describes it", () => {
  test("it serves the exported policies array, each with a description, a severity and a level", () => {
    expect(pack.info.getName()).toBe("dean-policies");
    expect(pack.info.getPoliciesList().map((policy) => policy.getName())).toEqual(policies.map((policy) => policy.name));
    for (const policy of pack.info.getPoliciesList()) {
      expect(policy.getDescription()).not.toBe("");
      expect(policy.getSeverity()).not.toBe(analyzer.PolicySeverity.POLICY_SEVERITY_UNSPECIFIED);
      const expectedLevel = policy.getName() === "container-hardening" ? analyzer.EnforcementLevel.ADVISORY : analyzer.EnforcementLevel.MANDATORY;
      expect([policy.getName(), policy.getEnforcementlevel()]).toEqual([policy.getName(), expectedLevel]);
    }
  });

  test("every setting has a default that its own schema accepts, in the schema subset the offline check validates", () => {
    for (const policy of policyMetadata(pack.info)) {
      for (const [key, schema] of Object.entries(policy.properties)) {
        expect(Object.keys(schema).filter((keyword) => !SUPPORTED_KEYWORDS.includes(keyword))).toEqual([]);
        expect(schema.default).toBeDefined();
        expect(validate(schema, schema.default, `${policy.name}.${key}`)).toEqual([]);
      }
    }
  });
});
