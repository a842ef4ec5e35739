import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { evaluateProgram, type ProgramEvaluation } from "../../tools/mock-program";
import { parseArguments, UsageError } from "../../tools/policy-args";
import type { PolicyRun } from "../../tools/policy-engine";
import { formatTable } from "../../tools/policy-report";
import { EXIT_ERROR, PROJECT_DIR, runPolicyCheck } from "../../tools/policy-run";
import type { PulumiConfigMap } from "../../tools/stack-config-file";

/** `npm run policy`: the command end to end once, its error paths in-process. */

interface Captured {
  code: number;
  out: string;
  err: string;
}

async function runInProcess(options: Parameters<typeof runPolicyCheck>[0]): Promise<Captured> {
  const captured = { code: 0, out: "", err: "" };
  // Each evaluation needs a fresh module registry (tools/mock-program.ts).
  const evaluate = async (stack: string, config: PulumiConfigMap) => {
    let evaluation: ProgramEvaluation | undefined;
    await jest.isolateModulesAsync(async () => {
      evaluation = await evaluateProgram({ projectDir: PROJECT_DIR, stack, config });
    });
    if (!evaluation) throw new Error("not evaluated");
    return evaluation;
  };
  captured.code = await runPolicyCheck(options, { out: (text) => (captured.out += text), err: (text) => (captured.err += text), evaluate });
  return captured;
}

describe("npm run policy, end to end", () => {
  let result: Captured;
  beforeAll(async () => {
    // What `npm run policy` runs (tsx), with the fast launcher so the suite's time does not depend on ts-node's cache.
    const args = ["--require", require.resolve("tsx/cjs"), "tools/policy-check.ts", "--stack", "prod", "--config", "policies/config/prod.json", "--json", "--launcher", "tsx"];
    result = await new Promise<Captured>((resolve) => {
      execFile(process.execPath, args, { cwd: PROJECT_DIR, timeout: 120_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? -1) : 0, out: stdout, err: stderr });
      });
    });
  });

  test("evaluates prod, runs the pack on every resource and prints JSON; the exit code follows mandatory violations", () => {
    const report = JSON.parse(result.out) as { resources: number; policyPack: { policies: string[] }; violations: { level: string }[]; summary: { mandatory: number } };
    expect(report.resources).toBeGreaterThan(30);
    expect(report.policyPack.policies).toHaveLength(16);
    expect(report.summary.mandatory).toBe(report.violations.filter((v) => v.level === "mandatory").length);
    expect(result.code).toBe(report.summary.mandatory > 0 ? 1 : 0);
  });

  test("prod passes the stricter production config: exit 0", () => {
    expect(JSON.parse(result.out).violations.filter((v: { level: string }) => v.level === "mandatory")).toEqual([]);
    expect(result.code).toBe(0);
  });
});

describe("npm run policy, when something is wrong", () => {
  let scratch: string;
  beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dean-policy-check-"));
  });
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  test("a bad stack config prints the program's ConfigError, not a stack trace, and exits 2", async () => {
    fs.writeFileSync(path.join(scratch, "Pulumi.broken.yaml"), "config:\n  dean:environment: prod\n  dean:orchestrator:\n    replicas: 0\n  dean:postgres:\n    maxConections: 300\n");
    const result = await runInProcess({ stack: "broken", projectDir: scratch });
    expect(result.code).toBe(EXIT_ERROR);
    expect(result.err).toContain("Invalid stack config (2 problems):");
    expect(result.err).toContain("dean:orchestrator.replicas must be a whole number between 1 and 50 (got 0)");
    expect(result.err).toContain("dean:postgres.maxConections is not a known setting of dean:postgres (did you mean maxConnections?)");
    expect(result.err).not.toMatch(/\n\s+at /);
    expect(result.out).toBe("");
  });

  test("a bad policy config file exits 2 with the problem, before anything is evaluated", async () => {
    const file = path.join(scratch, "policy.json");
    fs.writeFileSync(file, `{ "connection-budget": "strict" }`);
    const result = await runInProcess({ stack: "prod", configFile: file });
    expect(result.code).toBe(EXIT_ERROR);
    expect(result.err).toBe(`Invalid policy pack config ${file} (1 problem):\n  - connection-budget: "strict" is not an enforcement level (advisory, mandatory, remediate, disabled)\n`);
  });

  test("--stack-file evaluates that file under the stack's name", async () => {
    const file = path.join(scratch, "what-if.yaml");
    fs.writeFileSync(file, "config:\n  dean:orchestrator:\n    replicas: 0\n");
    const result = await runInProcess({ stack: "prod", stackFile: file, projectDir: scratch });
    expect(result.code).toBe(EXIT_ERROR);
    expect(result.err).toContain("dean:orchestrator.replicas must be a whole number between 1 and 50 (got 0)");
  });

  // Issue 10: each of these used to evaluate as a dev stack and print PASS.
  test.each([
    ["an empty stack file", "", "dean:environment is required"],
    ["`config:` left empty", "config:\n", "dean:environment is required"],
    ["a namespace typo", "config:\n  daen:environment: prod\n", "daen:environment is in the namespace daen, which nothing in this stack reads (dean, pulumi, command, docker, postgresql, random are): did you mean dean:environment?"],
    ["settings outside `config:`", "dean:environment: prod\n", "dean:environment is at the top level of the file: stack settings belong under `config:`"],
    ["a prototype key", "config:\n  dean:environment: prod\n  dean:__proto__:\n    nginx:\n      maintenance: true\n", "dean:__proto__ is not a known setting"],
  ])("%s exits 2 with the key, never PASS", async (_label, text, expected) => {
    const file = path.join(scratch, "what-if.yaml");
    fs.writeFileSync(file, text);
    const result = await runInProcess({ stack: "prod", stackFile: file, projectDir: scratch });
    expect(result.code).toBe(EXIT_ERROR);
    expect(result.err).toContain(expected);
    expect(result.err).not.toMatch(/\n\s+at |ZodError/);
    expect(result.out).not.toContain("PASS");
  });

  test("--stack-file naming a directory says so, with the path", async () => {
    const result = await runInProcess({ stack: "prod", stackFile: scratch, projectDir: scratch });
    expect(result.code).toBe(EXIT_ERROR);
    expect(result.err).toBe(`stack config file ${scratch} is a directory; name the Pulumi.<stack>.yaml file inside it\n`);
  });

  test("a stack without a config file exits 2", async () => {
    const result = await runInProcess({ stack: "nowhere", projectDir: scratch });
    expect(result.code).toBe(EXIT_ERROR);
    expect(result.err).toMatch(/Pulumi\.nowhere\.yaml does not exist/);
  });

  test("arguments: --stack is required, values may be inline, unknown flags are refused", () => {
    expect(parseArguments(["--stack=prod", "--json"])).toEqual({ stack: "prod", stackFile: undefined, configFile: undefined, json: true, launcher: "pulumi" });
    expect(parseArguments(["--stack", "dev", "--config", "c.json", "--launcher", "tsx"])).toEqual({ stack: "dev", stackFile: undefined, configFile: "c.json", json: false, launcher: "tsx" });
    expect(parseArguments(["--stack", "prod", "--stack-file", "/tmp/what-if.yaml"])).toMatchObject({ stack: "prod", stackFile: "/tmp/what-if.yaml" });
    expect(parseArguments(["--help"])).toBe("help");
    expect(() => parseArguments([])).toThrow(new UsageError("--stack is required"));
    expect(() => parseArguments(["--stack"])).toThrow(new UsageError("--stack needs a value"));
    expect(() => parseArguments(["--stack", "prod", "--verbose"])).toThrow(new UsageError("unknown argument --verbose"));
    expect(() => parseArguments(["--stack", "prod", "--launcher", "docker"])).toThrow(/--launcher must be one of pulumi, tsx/);
  });
});

describe("the table", () => {
  const run: PolicyRun = {
    packName: "dean-policies",
    packVersion: "0.1.0",
    policies: ["nginx-rate-limit", "connection-budget", "container-hardening"].map((name) => ({ name, enforcementLevel: "mandatory", properties: {}, required: [] })),
    analyzed: 3,
    diagnostics: [
      { policy: "container-hardening", level: "advisory", severity: "low", urn: "urn:pulumi:prod::dean::t::app", message: "could be harder", description: "" },
      { policy: "connection-budget", level: "mandatory", severity: "critical", urn: "urn:pulumi:prod::dean::t::db", message: "over budget", description: "" },
      { policy: "nginx-rate-limit", level: "mandatory", severity: "high", urn: "", message: "no limit", description: "" },
    ],
  };

  test("lists rule, resource, message and level, mandatory first in pack order, then a summary", () => {
    expect(formatTable(run, "prod")).toBe([
      "LEVEL      RULE                 RESOURCE  MESSAGE",
      "mandatory  nginx-rate-limit     (stack)   no limit",
      "mandatory  connection-budget    db        over budget",
      "advisory   container-hardening  app       could be harder",
      "",
      "Stack prod: 3 resources checked against 3 policies of dean-policies 0.1.0: 2 mandatory violations, 1 advisory finding.",
      "FAIL: mandatory policies are violated; fix the program or its config before deploying.",
      "",
    ].join("\n"));
  });

  test("a run with only advisory findings passes", () => {
    const advisoryOnly = { ...run, diagnostics: run.diagnostics.filter((d) => d.level === "advisory") };
    expect(formatTable(advisoryOnly, "dev").trimEnd().split("\n").slice(-1)).toEqual(["PASS"]);
  });
});
