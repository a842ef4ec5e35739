import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PulumiStack } from "../../../ops/adapters/pulumi-stack";
import { runDeanOps } from "../../../ops/main";
import type { ConfigValues } from "../../../ops/ports";
import { type EngineRule, FakeEngine } from "./fake-engine";
import { devConfig, FakeClock, FakeConsole, FakeDocker, FakeProgram, PROJECT_DIR, withSettings } from "./fakes";

// The real adapter and Automation API, run against a fake `pulumi` (fake-engine.ts).

const CURRENT_TLS_KEY = "-----BEGIN PRIVATE KEY-----current-4f1c9a-----END PRIVATE KEY-----";
const RECORDED_TLS_KEY = "-----BEGIN PRIVATE KEY-----recorded-7d2e5b-----END PRIVATE KEY-----";
const WRITE_FAILS = "error: could not save Pulumi.dev.yaml: read-only file system\n";
/** What would show that a command line or CommandResult.toString() was printed. */
const LEAK_MARKERS = ["--secret", "--stack", "set-all", "Command failed", "code:", "stdout:", "stderr:", "err?:"];

/** Config in the shape `pulumi config --json` and `stack history --json` print it. */
function cliConfig(config: ConfigValues): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).map(([key, entry]) => [
    key,
    typeof entry.value === "string" ? { value: entry.value, secret: entry.secret } : { value: JSON.stringify(entry.value), objectValue: entry.value, secret: entry.secret },
  ]));
}

/** The dev stack with its certificate from secret config, as a rotated key leaves it. */
function withTlsKey(value: string): ConfigValues {
  const tls = withSettings(devConfig(), { "dean:nginx": { tls: { mode: "secretConfig" } } });
  return { ...tls, "dean:tlsCertificate": { value: "-----BEGIN CERTIFICATE-----cert-----END CERTIFICATE-----", secret: true }, "dean:tlsKey": { value, secret: true } };
}

function historyEntry(version: number, config: ConfigValues): Record<string, unknown> {
  const startTime = new Date(Date.UTC(2025, 5, 15, version)).toISOString();
  return { version, kind: "update", result: "succeeded", startTime, endTime: startTime, message: "", environment: {}, config: cliConfig(config), resourceChanges: { same: 20 } };
}

/** A stack whose recorded v1 has another TLS key than the current config, as after a rotation. */
const ROTATED_STACK: readonly EngineRule[] = [
  { command: ["config", "--show-secrets"], stdout: JSON.stringify(cliConfig(withTlsKey(CURRENT_TLS_KEY))) },
  { command: ["stack", "history"], stdout: JSON.stringify([historyEntry(2, withTlsKey(CURRENT_TLS_KEY)), historyEntry(1, withTlsKey(RECORDED_TLS_KEY))]) },
];

describe("PulumiStack against a fake Pulumi CLI", () => {
  let engine: FakeEngine | undefined;
  const start = (rules: readonly EngineRule[]) => {
    engine = new FakeEngine(rules);
    return { engine, stack: new PulumiStack("dev", PROJECT_DIR, { pulumiRoot: engine.root }) };
  };

  afterEach(() => engine?.remove());

  it("writes secret values on stdin, never on a command line", async () => {
    const { engine, stack } = start([]);
    await stack.replaceConfig({ "dean:tlsKey": { value: RECORDED_TLS_KEY, secret: true }, "dean:nginx": { value: { maintenance: true }, secret: false } }, ["dean:tlsCertificate"]);
    const calls = engine.calls().filter((call) => call.args[0] === "config");
    expect(calls.map((call) => call.args.slice(0, 3))).toEqual([["config", "set-all", "--stack"], ["config", "set", "dean:tlsKey"], ["config", "rm-all", "--stack"]]);
    expect(calls[1]).toEqual({ args: ["config", "set", "dean:tlsKey", "--secret", "--stack", "dev", "--non-interactive"], input: `${RECORDED_TLS_KEY}\n` });
    expect(JSON.stringify(engine.calls().map((call) => call.args))).not.toContain("recorded-7d2e5b");
    expect(calls[0].args.join(" ")).toContain("\"objectValue\":{\"maintenance\":true}");
  });

  it("a rollback whose secret write fails prints the CLI's stderr only: no secret, no command line", async () => {
    const { engine } = start([...ROTATED_STACK, { command: ["config", "set"], stderr: WRITE_FAILS, exitCode: 1 }, { command: ["config", "set-all"], stderr: WRITE_FAILS, exitCode: 1 }]);
    const console = new FakeConsole();
    const clock = new FakeClock();
    const code = await runDeanOps(["rollback", "--yes"], {
      console,
      clock,
      preflight: () => undefined,
      connect: () => ({ stack: new PulumiStack("dev", PROJECT_DIR, { pulumiRoot: engine.root }), docker: new FakeDocker([], clock), program: new FakeProgram() }),
      defaultCwd: PROJECT_DIR,
    });
    expect(code).toBe(1);
    expect(console.errorText).toBe("error: cannot write the stack config: error: could not save Pulumi.dev.yaml: read-only file system");
    // The secret did reach the engine (on stdin), and the operator saw the change, masked.
    expect(engine.calls().some((call) => call.input.includes("recorded-7d2e5b"))).toBe(true);
    expect(console.text).toContain("dean:tlsKey: [secret] changed");
    const everything = `${console.text}\n${console.errorText}`;
    for (const secret of ["recorded-7d2e5b", "current-4f1c9a"]) expect(everything).not.toContain(secret);
    for (const marker of LEAK_MARKERS) expect(console.errorText).not.toContain(marker);
  });

  it("a CLI that fails without a word is reported by its exit code, not by its command line", async () => {
    const { stack } = start([{ command: ["config", "--show-secrets"], exitCode: 3 }]);
    const failure = stack.getConfig();
    await expect(failure).rejects.toThrow("cannot read the stack config: pulumi failed with exit code 3 without an error message");
    const message = await failure.catch((error: unknown) => String(error));
    for (const marker of [...LEAK_MARKERS, "--show-secrets"]) expect(message).not.toContain(marker);
  });

  it("a stack that does not exist is refused (exit 2), nothing having changed", async () => {
    const { stack } = start([{ command: ["stack", "select"], stderr: "error: no stack named 'dev' found\n", exitCode: 255 }]);
    await expect(stack.history()).rejects.toMatchObject({ exitCode: 2, message: `stack dev does not exist in the backend of ${PROJECT_DIR}; nothing was changed` });
  });

  it("a CLI that cannot be started is refused (exit 2) with the spawn error, not a command line", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "dean-ops-no-engine-"));
    try {
      const stack = new PulumiStack("dev", PROJECT_DIR, { pulumiRoot: root });
      const failure = stack.getConfig();
      await expect(failure).rejects.toMatchObject({ exitCode: 2 });
      const message = await failure.catch((error: unknown) => String(error));
      expect(message).toContain(`cannot open stack dev in ${PROJECT_DIR}; nothing was changed: the Pulumi CLI could not be started (spawn ${path.join(root, "bin/pulumi")} ENOENT)`);
      expect(message).not.toContain("Command failed");
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
