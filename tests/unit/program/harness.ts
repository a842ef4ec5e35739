import * as path from "node:path";
import { type DeclaredResource, evaluateProgram, type ProgramEvaluation } from "../../../tools/mock-program";
import { readStackConfigFile, stackFilePath, toPulumiConfigMap } from "../../../tools/stack-config-file";

// Each evaluation loads a fresh Pulumi runtime, which adds its own process exit hooks.
process.setMaxListeners(100);

export const PROJECT_DIR = path.resolve(__dirname, "../../..");

export const CONTAINER = "docker:index/container:Container";
export const VOLUME = "docker:index/volume:Volume";
export const NETWORK = "docker:index/network:Network";
export const COMMAND = "command:local:Command";
export const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";

/** Config overrides: `{ orchestrator: { replicas: 3 } }` merges into `dean:orchestrator`. */
export type Overrides = Record<string, unknown>;

/** One evaluation of the real program, with lookups the tests share. */
export class StackProgram {
  constructor(readonly evaluation: ProgramEvaluation) {}

  get resources(): readonly DeclaredResource[] {
    return this.evaluation.resources;
  }

  ofType(type: string): DeclaredResource[] {
    return this.resources.filter((resource) => resource.type === type);
  }

  /** Containers carrying the `dean.service` label, by name (registration order is async). */
  containers(service: string): DeclaredResource[] {
    return this.ofType(CONTAINER)
      .filter((container) => labelsOf(container)["dean.service"] === service)
      .sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
  }

  container(service: string): DeclaredResource {
    const found = this.containers(service);
    if (found.length !== 1) throw new Error(`expected one ${service} container, found ${found.length}`);
    return found[0];
  }

  named(name: string): DeclaredResource {
    const found = this.resources.find((resource) => resource.name === name);
    if (!found) throw new Error(`no resource named ${name}; have: ${this.resources.map((r) => r.name).join(", ")}`);
    return found;
  }

  output(name: string): unknown {
    return this.evaluation.outputs[name]?.value;
  }
}

export function labelsOf(resource: DeclaredResource): Record<string, string> {
  const labels = (resource.inputs.labels ?? []) as { label: string; value: string }[];
  return Object.fromEntries(labels.map(({ label, value }) => [label, value]));
}

/** KEY -> VALUE of a container's `envs`. */
export function envOf(container: DeclaredResource): Record<string, string> {
  const envs = (container.inputs.envs ?? []) as string[];
  return Object.fromEntries(envs.map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function deepMerge(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) merged[key] = deepMerge(base[key], value);
  return merged;
}

/**
 * Evaluates index.ts with a shipped stack file (`dev`, `prod`) plus overrides, in a fresh
 * module registry so every run starts from a clean Pulumi runtime.
 */
export async function runStack(stack: string, overrides: Overrides = {}, secrets: Record<string, string> = {}): Promise<StackProgram> {
  const file = readStackConfigFile(stackFilePath(PROJECT_DIR, stack));
  const structured: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(file.values)) structured[key] = parseJson(text);
  for (const [name, value] of Object.entries(overrides)) structured[`dean:${name}`] = deepMerge(structured[`dean:${name}`], value);
  const config = toPulumiConfigMap(structured);
  for (const [name, value] of Object.entries(secrets)) {
    config.values[`dean:${name}`] = value;
    config.secretKeys.push(`dean:${name}`);
  }
  let evaluation: ProgramEvaluation | undefined;
  await jest.isolateModulesAsync(async () => {
    evaluation = await evaluateProgram({ projectDir: PROJECT_DIR, stack, config });
  });
  if (!evaluation) throw new Error("the program was not evaluated");
  return new StackProgram(evaluation);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
