import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { evaluateProgram, type ProgramEvaluation } from "../../tools/mock-program";
import { COMMAND, runShell } from "./harness/command-resources";
import { CONTAINER, containerSpec } from "./harness/container-spec";
import { goDurationNanoseconds } from "./harness/durations";
import { handlerFor } from "./harness/handlers";
import { UnsupportedInput } from "./harness/inputs";
import { deletionOrder } from "./harness/planner/delete-order";
import { planChange, UnsupportedChange } from "./harness/planner/diff";
import { DATABASE, POSTGRES_PROVIDER, ROLE } from "./harness/postgres-resources";
import { generatePassword } from "./harness/random-resources";
import type { AppliedResource, Registration } from "./harness/resource";
import { E2E_STACK, e2eConfig } from "./harness/stack-config";
import { singleFileTar } from "./harness/tar";

/**
 * The deploy harness's own logic, without a Docker engine: the allow-lists against what the
 * program really declares, the provider mappings, the planner, deletion order, and the small
 * formats (tar, Go durations, passwords) it produces for the engine.
 */

function registration(type: string, name: string, inputs: Record<string, unknown>, extra: Partial<Registration> = {}): Registration {
  return {
    urn: `urn:pulumi:e2e::dean::${type}::${name}`, type, name, custom: true, inputs, secretInputPaths: [], parent: "",
    dependencies: [], provider: "", protect: false, retainOnDelete: false, deleteBeforeReplace: false, deleteBeforeReplaceDefined: false, additionalSecretOutputs: [], importId: "", ignoreChanges: [], ...extra,
  };
}

function applied(from: Registration, outputs: Record<string, unknown> = {}): AppliedResource {
  return { ...from, outputs, physicalId: from.name };
}

describe("the deploy harness against the program's declarations (mock runtime, no engine)", () => {
  let evaluation: ProgramEvaluation;
  beforeAll(async () => {
    await jest.isolateModulesAsync(async () => {
      evaluation = await evaluateProgram({ projectDir: path.resolve(__dirname, "../.."), stack: E2E_STACK, config: e2eConfig() });
    });
  });
  const declared = (name: string): Registration => {
    const found = evaluation.resources.find((resource) => resource.name === name);
    if (!found) throw new Error(`the program declares no ${name}`);
    return found;
  };

  test("every custom resource the program declares passes its type's allow-list", () => {
    const custom = evaluation.resources.filter((resource) => resource.custom);
    expect(custom.length).toBeGreaterThan(25);
    for (const resource of custom) handlerFor(resource.type, resource.name).validate(resource);
  });

  test("a container maps to the Engine API with the Docker provider's units and wiring", () => {
    const spec = containerSpec(declared("dean-postgres-server"));
    expect(spec.create.HostConfig).toMatchObject({
      NanoCpus: 0.5e9,
      Memory: 256 * 1024 * 1024,
      MemorySwap: 256 * 1024 * 1024,
      ShmSize: 256 * 1024 * 1024,
      RestartPolicy: { Name: "unless-stopped" },
      SecurityOpt: ["no-new-privileges:true"],
      PortBindings: { "5432/tcp": [{ HostIp: "127.0.0.1", HostPort: "15433" }] },
      Binds: ["dean-e2e-pgdata:/var/lib/postgresql/data"],
      NetworkMode: "dean-e2e-backend",
    });
    expect(spec.create.Healthcheck).toMatchObject({ Interval: 5e9, Timeout: 5e9, Retries: 6, StartPeriod: 30e9 });
    expect(spec.create.NetworkingConfig).toEqual({ EndpointsConfig: { "dean-e2e-backend": { Aliases: ["postgres"] } } });
    expect(spec.extraNetworks).toEqual([{ name: "dean-e2e-host-access", aliases: [] }]);
    expect(spec).toMatchObject({ name: "dean-e2e-postgres", mustRun: true, wait: true, waitTimeoutSeconds: 180 });
    // Upload modes as the provider sets them: explicit permissions, else 0744 if executable.
    const nginxUploads = containerSpec(declared("dean-nginx-server")).uploads;
    expect(nginxUploads.find((upload) => upload.file.endsWith("privkey.pem"))?.mode).toBe(0o600);
    expect(nginxUploads.find((upload) => upload.file.endsWith("nginx.conf"))?.mode).toBe(0o644);
    expect(containerSpec(declared("dean-backup-job")).uploads[0].mode).toBe(0o744);
    // Replicas are auto-named: no name input.
    expect(containerSpec(declared("dean-e2e-orchestrator-1")).name).toBeUndefined();
  });

  test("an input outside the allow-list fails loudly, naming the type, the resource and the key", () => {
    const nginx = declared("dean-nginx-server");
    const withInputs = (inputs: Record<string, unknown>) => ({ ...nginx, inputs: { ...nginx.inputs, ...inputs } });
    expect(() => containerSpec(withInputs({ privileged: true }))).toThrow(new UnsupportedInput(CONTAINER, "dean-nginx-server", "privileged", "is not in the harness's allow-list (name, image, command, envs, labels, restart, cpus, cpuShares, memory, memoryReservation, memorySwap, logDriver, logOpts, securityOpts, capabilities, ports, volumes, networksAdvanced, healthcheck, uploads, shmSize, stopSignal, stopTimeout, destroyGraceSeconds, mustRun, wait, waitTimeout)"));
    expect(() => containerSpec(withInputs({ uploads: [{ file: "/x", source: "/etc/passwd" }] }))).toThrow(/dean-nginx-server: input uploads\[0\]\.source is not in the harness's allow-list/);
    expect(() => containerSpec(withInputs({ healthcheck: { tests: ["NONE"], startInterval: "1s" } }))).toThrow(/input healthcheck\.startInterval is not in/);
    expect(() => containerSpec(withInputs({ healthcheck: { tests: ["NONE"], interval: "5 s" } }))).toThrow(/input healthcheck\.interval .* not a Go duration/);
    const command = declared("dean-orchestrator-migration");
    expect(() => handlerFor(COMMAND, command.name).validate({ ...command, inputs: { ...command.inputs, delete: "true" } })).toThrow(/command:local:Command dean-orchestrator-migration: input delete is not in/);
    expect(() => handlerFor("docker:index/service:Service", "swarm")).toThrow(/does not support this resource type/);
  });
});

describe("the planner decides like the providers", () => {
  const container = registration(CONTAINER, "web", { image: "sha256:a", envs: ["A=1"] });
  const command = registration(COMMAND, "migrate", { create: "migrate", update: "true", environment: { URL: "a" }, triggers: ["sha256:a"] });
  const role = registration(ROLE, "app-role", { name: "app", password: "one", login: true });

  test("unchanged inputs are left alone; a component is never changed", () => {
    expect(planChange(applied(container), container)).toBe("same");
    expect(planChange(applied(container), { ...container, custom: false, inputs: {} })).toBe("same");
  });

  test("any Docker input change replaces; a command's triggers replace, its other inputs update", () => {
    expect(planChange(applied(container), { ...container, inputs: { ...container.inputs, envs: ["A=2"] } })).toBe("replace");
    expect(planChange(applied(command), { ...command, inputs: { ...command.inputs, triggers: ["sha256:b"] } })).toBe("replace");
    expect(planChange(applied(command), { ...command, inputs: { ...command.inputs, environment: { URL: "b" } } })).toBe("update");
  });

  test("a role's password is ALTER ROLE in place; a rename or a database change is refused", () => {
    expect(planChange(applied(role), { ...role, inputs: { ...role.inputs, password: "two" } })).toBe("update");
    expect(() => planChange(applied(role), { ...role, inputs: { ...role.inputs, name: "renamed" } })).toThrow(UnsupportedChange);
    const database = registration(DATABASE, "db", { name: "a", owner: "app" });
    expect(() => planChange(applied(database), { ...database, inputs: { name: "a", owner: "other" } })).toThrow(/ALTER DATABASE/);
    const provider = registration(POSTGRES_PROVIDER, "pg", { port: "1" });
    expect(planChange(applied(provider), { ...provider, inputs: { port: "2" } })).toBe("update");
  });

  test("deletion goes in reverse dependency order, through providers and parents", () => {
    const provider = applied(registration(POSTGRES_PROVIDER, "pg", {}, { dependencies: [] }));
    const server = applied(registration(CONTAINER, "server", {}));
    const providerOnServer = { ...provider, dependencies: [server.urn] };
    const grant = applied(registration(ROLE, "grant", {}, { provider: `${provider.urn}::pg-id` }));
    const child = applied(registration(COMMAND, "child", {}, { parent: grant.urn }));
    expect(deletionOrder([server, providerOnServer, grant, child]).map((resource) => resource.name)).toEqual(["child", "grant", "pg", "server"]);
  });
});

describe("what the harness produces for the engine", () => {
  test("passwords honour length, the class minimums and special=false", () => {
    for (let draw = 0; draw < 200; draw++) {
      const password = generatePassword({ length: 32, special: false, minUpper: 2, minLower: 2, minNumeric: 2 });
      expect(password).toMatch(/^[A-Za-z0-9]{32}$/);
      expect(password.replace(/[^A-Z]/g, "").length).toBeGreaterThanOrEqual(2);
      expect(password.replace(/[^a-z]/g, "").length).toBeGreaterThanOrEqual(2);
      expect(password.replace(/[^0-9]/g, "").length).toBeGreaterThanOrEqual(2);
    }
  });

  test("Go durations become nanoseconds; anything else is refused", () => {
    expect(goDurationNanoseconds("5s")).toBe(5e9);
    expect(goDurationNanoseconds("1m30s")).toBe(90e9);
    expect(goDurationNanoseconds("250ms")).toBe(250e6);
    expect(() => goDurationNanoseconds("5")).toThrow(/not a Go duration/);
  });

  test("an upload archive is a valid ustar file with the path, mode and content asked for", () => {
    const directory = mkdtempSync(path.join(os.tmpdir(), "dean-e2e-tar-"));
    try {
      const archive = path.join(directory, "upload.tar");
      const deepPath = `/usr/share/${"nested/".repeat(20)}maintenance.html`;
      writeFileSync(archive, singleFileTar({ path: deepPath, content: Buffer.from("<h1>down</h1>\n"), mode: 0o600 }));
      const listing = spawnSync("tar", ["-tvf", archive], { encoding: "utf8" });
      expect(listing.status).toBe(0);
      expect(listing.stdout).toMatch(new RegExp(`^-rw------- root/root +14 .* ${deepPath.slice(1)}\\n$`));
      const content = spawnSync("tar", ["-xOf", archive], { encoding: "utf8" });
      expect(content.stdout).toBe("<h1>down</h1>\n");
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  test("commands get real pipes, lose one trailing newline, and fail with their stderr", async () => {
    // openssl -keyout /dev/stdout reopens its stdout, which only works on a pipe.
    expect(await runShell("reopen", "printf 'key\\n' > /dev/stdout; printf 'cert\\n\\n' > /dev/stdout", {})).toEqual({ stdout: "key\ncert\n", stderr: "" });
    expect(await runShell("env", "printf '%s' \"$DEAN_E2E_VALUE\"", { DEAN_E2E_VALUE: "from environment" })).toEqual({ stdout: "from environment", stderr: "" });
    await expect(runShell("failing", "echo secret-output; echo 'what went wrong' >&2; exit 3", {})).rejects.toThrow(/^failing: "echo secret-output; .*" exited with code 3:\nwhat went wrong$/);
  });
});
