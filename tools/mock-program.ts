import { createHash } from "node:crypto";
import * as path from "node:path";
import type * as pulumiModule from "@pulumi/pulumi";
import type { PulumiConfigMap } from "./stack-config-file";

/**
 * Evaluates the Pulumi program under Pulumi's mock runtime and records every resource it
 * declares: inputs, which inputs were sent as secrets, options and dependencies. Used by the
 * unit tests and the offline policy check: a fast gate that needs no Pulumi engine
 * (docs/architecture.md, "Testing tiers").
 */

/** One resource as the program registered it. */
export interface DeclaredResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  /** Inputs as plain values (secrets unwrapped). */
  readonly inputs: Record<string, unknown>;
  /** Dotted paths of the inputs the program sent as secrets, e.g. `envs` or `uploads.1.content`. */
  readonly secretInputPaths: readonly string[];
  /** What the mock engine answered: inputs plus computed outputs. */
  readonly state: Record<string, unknown>;
  readonly parent: string;
  /** URNs this resource depends on (dependsOn and input dependencies). */
  readonly dependencies: readonly string[];
  /** Per input: the URNs whose outputs flowed into it. */
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
  readonly provider: string;
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  readonly deleteBeforeReplace: boolean;
  /** Whether the program set deleteBeforeReplace at all: unset, the provider's default applies. */
  readonly deleteBeforeReplaceDefined: boolean;
  readonly additionalSecretOutputs: readonly string[];
  /** The `import` option: the ID of an existing resource to adopt ("" when not set). */
  readonly importId: string;
  readonly ignoreChanges: readonly string[];
  /** URNs whose replacement replaces this resource too (the `replaceWith` option). */
  readonly replaceWith: readonly string[];
}

/** The program threw; `registered` is what it had declared by then. */
export class ProgramFailure extends Error {
  constructor(readonly cause: unknown, readonly registered: readonly Omit<DeclaredResource, "state" | "urn">[]) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = "ProgramFailure";
  }
}

/** A stack output: its value and whether it is a secret. */
export interface StackOutput {
  readonly value: unknown;
  readonly secret: boolean;
}

export interface ProgramEvaluation {
  readonly resources: readonly DeclaredResource[];
  readonly outputs: Record<string, StackOutput>;
}

export interface EvaluateOptions {
  /** Directory holding Pulumi.yaml and index.ts. */
  readonly projectDir: string;
  readonly stack: string;
  readonly config: PulumiConfigMap;
}

/** What a mock sees of a resource registration. */
export interface MockedResourceArgs {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
}

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const PROJECT = "dean";

/** Minimal view of the gRPC request the mock monitor receives. */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProvider(): string;
  getProtect(): boolean;
  getRetainondelete(): boolean;
  getDeletebeforereplace(): boolean;
  getDeletebeforereplacedefined(): boolean;
  getDependenciesList(): string[];
  getAdditionalsecretoutputsList(): string[];
  getImportid(): string;
  getIgnorechangesList(): string[];
  getReplaceWithList(): string[];
  getPropertydependenciesMap(): { forEach(callback: (entry: { getUrnsList(): string[] }, key: string) => void): void };
  getObject(): { toJavaScript(): Record<string, unknown> };
}

interface MockMonitorClass {
  prototype: { registerResource(request: RegisterRequest, callback: unknown): Promise<void> };
}

/** Runs the program once. Call it in a fresh module registry (jest.isolateModulesAsync) per run. */
export async function evaluateProgram(options: EvaluateOptions): Promise<ProgramEvaluation> {
  // Loaded here, not at the top, so each isolated registry gets its own runtime.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pulumi = require("@pulumi/pulumi") as typeof pulumiModule;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks") as { MockMonitor: MockMonitorClass };

  const registrations = new Map<string, Omit<DeclaredResource, "state" | "urn">>();
  const states = new Map<string, Record<string, unknown>>();
  const original = MockMonitor.prototype.registerResource;
  MockMonitor.prototype.registerResource = function (this: unknown, request: RegisterRequest, callback: unknown) {
    const raw = request.getObject().toJavaScript();
    const dependencies = new Set(request.getDependenciesList());
    const propertyDependencies: Record<string, string[]> = {};
    request.getPropertydependenciesMap().forEach((entry, key) => {
      propertyDependencies[key] = entry.getUrnsList().filter((urn) => urn !== "");
      entry.getUrnsList().forEach((urn) => dependencies.add(urn));
    });
    const key = `${request.getType()}::${request.getName()}`;
    registrations.set(key, {
      type: request.getType(),
      name: request.getName(),
      custom: request.getCustom(),
      inputs: unwrapSecrets(raw) as Record<string, unknown>,
      secretInputPaths: secretPaths(raw, ""),
      parent: request.getParent(),
      dependencies: [...dependencies].filter((urn) => urn !== ""),
      propertyDependencies,
      provider: request.getProvider(),
      protect: request.getProtect(),
      retainOnDelete: request.getRetainondelete(),
      deleteBeforeReplace: request.getDeletebeforereplace(),
      deleteBeforeReplaceDefined: request.getDeletebeforereplacedefined(),
      additionalSecretOutputs: request.getAdditionalsecretoutputsList(),
      importId: request.getImportid(),
      ignoreChanges: request.getIgnorechangesList(),
      replaceWith: request.getReplaceWithList(),
    });
    return original.call(this, request, callback);
  };

  // A resource whose (real or fake) creation fails rejects this, so no caller waits forever
  // for outputs that will never resolve.
  let reportFailure: (error: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => { reportFailure = reject; });
  failed.catch(() => undefined);
  const inFlight = new Set<Promise<unknown>>();

  try {
    await pulumi.runtime.setMocks({
      newResource: (args) => {
        const creation = (async () => {
          const key = `${args.type}::${args.name}`;
          const registration = registrations.get(key);
          if (!registration) throw new Error(`${key} was not seen by the monitor`);
          try {
            const state = { ...args.inputs, ...defaultComputedState(args) };
            states.set(key, state);
            return { id: `${args.name}-id`, state };
          } catch (error) {
            reportFailure(new Error(`${key}: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
            throw error;
          }
        })();
        inFlight.add(creation);
        void creation.finally(() => inFlight.delete(creation)).catch(() => undefined);
        return creation;
      },
      call: (args) => args.inputs,
    }, PROJECT, options.stack, false);
    pulumi.runtime.setAllConfig(options.config.values, options.config.secretKeys);

    let program: Record<string, unknown>;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      program = require(path.join(options.projectDir, "index.ts")) as Record<string, unknown>;
    } catch (error) {
      await settle(() => registrations.size, inFlight);
      throw new ProgramFailure(error, [...registrations.values()]);
    }
    const outputs: Record<string, StackOutput> = {};
    for (const [name, value] of Object.entries(program)) {
      const output: pulumiModule.Output<unknown> = pulumi.output(value as pulumiModule.Input<unknown>);
      outputs[name] = {
        value: await Promise.race([new Promise((resolve) => output.apply(resolve)), failed]),
        secret: await pulumi.isSecret(output),
      };
    }
    await Promise.race([settle(() => registrations.size, inFlight), failed]);
    return {
      resources: [...registrations.entries()].map(([key, registration]) => ({
        ...registration,
        urn: urnOf(registration.parent, registration.type, registration.name, options.stack),
        state: states.get(key) ?? {},
      })),
      outputs,
    };
  } finally {
    MockMonitor.prototype.registerResource = original;
  }
}

/**
 * Waits until every registration has been answered and none has been added for a few
 * ticks. Bounded by the creations themselves: each real creation has its own timeout.
 */
async function settle(count: () => number, inFlight: ReadonlySet<Promise<unknown>>): Promise<void> {
  let stableTicks = 0;
  let last = -1;
  for (let tick = 0; tick < 100000 && stableTicks < 5; tick++) {
    await Promise.allSettled([...inFlight]);
    await new Promise((resolve) => setTimeout(resolve, 2));
    stableTicks = inFlight.size === 0 && count() === last ? stableTicks + 1 : 0;
    last = count();
  }
}

function urnOf(parent: string, type: string, name: string, stack: string): string {
  const qualifiedType = parent ? `${parent.split("::")[2].split("$").pop()}$${type}` : type;
  return `urn:pulumi:${stack}::${PROJECT}::${qualifiedType}::${name}`;
}

function isSecretEnvelope(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

function unwrapSecrets(value: unknown): unknown {
  if (isSecretEnvelope(value)) return unwrapSecrets(value.value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, unwrapSecrets(inner)]));
  }
  return value;
}

function secretPaths(value: unknown, prefix: string): string[] {
  if (isSecretEnvelope(value)) return [prefix];
  const children: [string, unknown][] = Array.isArray(value)
    ? value.map((inner, index) => [String(index), inner])
    : typeof value === "object" && value !== null ? Object.entries(value) : [];
  return children.flatMap(([key, inner]) => secretPaths(inner, prefix ? `${prefix}.${key}` : key));
}

function shortHash(text: string, length = 12): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** Outputs the real providers compute, faked deterministically. */
function defaultComputedState(args: MockedResourceArgs): Record<string, unknown> {
  const inputs = args.inputs;
  switch (args.type) {
    case "docker:index/remoteImage:RemoteImage":
      return { imageId: `sha256:${shortHash(String(inputs.name), 64)}`, repoDigest: `${String(inputs.name)}@sha256:${shortHash(String(inputs.name), 64)}` };
    case "docker:index/container:Container":
      return { name: inputs.name ?? `${args.name}-${shortHash(args.name, 7)}` };
    case "docker:index/network:Network":
    case "docker:index/volume:Volume":
      return { name: inputs.name ?? args.name };
    case "random:index/randomPassword:RandomPassword": {
      const keepers = (inputs.keepers ?? {}) as Record<string, unknown>;
      const seed = `${args.name}:${JSON.stringify(keepers)}`;
      return { result: `Mock${shortHash(seed, Number(inputs.length ?? 16) - 4)}` };
    }
    case "command:local:Command":
      return { stdout: mockCommandStdout(String(inputs.create ?? "")), stderr: "" };
    default:
      return {};
  }
}

function mockCommandStdout(create: string): string {
  if (create.includes("openssl req")) {
    return "-----BEGIN PRIVATE KEY-----\nMOCKKEY\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nMOCKCERT\n-----END CERTIFICATE-----\n";
  }
  const preUpgrade = /dean-backup pre-upgrade (\S+)/.exec(create);
  if (preUpgrade) return `dumping...\npre-upgrade-mock-20260101T000000Z-${preUpgrade[1]}.dump\n`;
  return "";
}
