import { UnknownValueError } from "@pulumi/policy";

/**
 * What the rules read of a resource, and the conventions of the DEAN program they rely on.
 * Policies never import program code (docs/architecture.md): everything here is read from the resource
 * properties and options the Pulumi engine sends to the analyzer.
 */

export const CONTAINER = "docker:index/container:Container";
export const VOLUME = "docker:index/volume:Volume";
export const NETWORK = "docker:index/network:Network";
export const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
export const COMMAND = "command:local:Command";

/** Labels the program puts on every container, volume and network (README "Labels"). */
export const LABEL = {
  instance: "dean.instance",
  service: "dean.service",
  managedBy: "dean.managed-by",
  environment: "dean.environment",
  /** Set on data volumes: the analyzer protocol carries `protect` but not `retainOnDelete`. */
  retainOnDelete: "dean.retain-on-delete",
  backupIntervalSeconds: "dean.backup.interval-seconds",
  backupRetentionDays: "dean.backup.retention-days",
  backupMinKeep: "dean.backup.min-keep",
  backupVerify: "dean.backup.verify",
  /** On replicas, beside UVICORN_WORKERS, DATABASE_POOL_SIZE and DATABASE_MAX_OVERFLOW. */
  budgetWorkers: "dean.db-budget.workers",
  budgetPoolSize: "dean.db-budget.pool-size",
  budgetMaxOverflow: "dean.db-budget.max-overflow",
} as const;

/** `dean.environment` of a production stack. */
export const PRODUCTION = "prod";

export type Props = Readonly<Record<string, unknown>>;

/** The part of a resource the rules use; both ResourceValidationArgs and PolicyResource fit. */
export interface ResourceView {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly props: Props;
  readonly opts: { readonly protect: boolean; readonly additionalSecretOutputs: readonly string[] };
}

export function asRecord(value: unknown): Props | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Props) : undefined;
}

export function asList(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Numbers arrive as numbers, but Docker takes some (cpus, log options) as strings. */
export function asNumber(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

/** Docker labels (`[{ label, value }]`) as a map. */
export function labelsOf(props: Props): Readonly<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const entry of asList(props.labels)) {
    const record = asRecord(entry);
    const label = asString(record?.label);
    if (label !== undefined) result[label] = asString(record?.value) ?? "";
  }
  return result;
}

export function serviceOf(props: Props): string | undefined {
  return labelsOf(props)[LABEL.service];
}

export function isProduction(props: Props): boolean {
  return labelsOf(props)[LABEL.environment] === PRODUCTION;
}

/** `name (service)`, the way every message names a resource. */
export function describe(resource: Pick<ResourceView, "name" | "props">): string {
  const service = serviceOf(resource.props);
  return service ? `${resource.name} (${service})` : resource.name;
}

export interface EnvEntry {
  readonly name: string;
  readonly value: string;
}

/**
 * A value, or undefined while the engine cannot know it: at a preview, what is computed from
 * another resource's output that does not exist yet (a generated password, an image ID).
 * @pulumi/policy throws on reading an unknown, and a rule that lets it throw does not run at
 * all ("can't run policy ... during preview"); reading around it lets the rule decide on what
 * is known. The engine analyzes each resource again with known inputs before it changes it.
 */
export function known<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (error instanceof UnknownValueError) return undefined;
    throw error;
  }
}

/** The known elements of a list property (an unknown list has none). */
export function knownElements(props: Props, key: string): { readonly elements: unknown[]; readonly unknown: number } {
  const list = known(() => props[key]);
  if (list === undefined) return { elements: [], unknown: 1 };
  const all = asList(list);
  const elements: unknown[] = [];
  let unknown = 0;
  // Index by index: iterating the list as a whole would stop at its first unknown element.
  for (let index = 0; index < all.length; index++) {
    const element = known(() => all[index]);
    if (element === undefined) unknown++;
    else elements.push(element);
  }
  return { elements, unknown };
}

/** A container's known `envs` (`NAME=value` strings), and how many entries are not known yet. */
export function containerEnvironment(props: Props): { readonly entries: EnvEntry[]; readonly unknown: number } {
  const { elements, unknown } = knownElements(props, "envs");
  const entries = elements.flatMap((entry) => {
    const text = asString(entry);
    if (text === undefined) return [];
    const equals = text.indexOf("=");
    return equals < 0 ? [{ name: text, value: "" }] : [{ name: text.slice(0, equals), value: text.slice(equals + 1) }];
  });
  return { entries, unknown };
}

/** A container's known `envs` entries. */
export function containerEnv(props: Props): EnvEntry[] {
  return containerEnvironment(props).entries;
}

/** A local Command's `environment` map, the entries whose value is known. */
export function commandEnv(props: Props): EnvEntry[] {
  const environment = known(() => asRecord(props.environment)) ?? {};
  return Object.keys(environment).flatMap((name) => {
    const value = known(() => environment[name]);
    return value === undefined ? [] : [{ name, value: asString(value) ?? "" }];
  });
}

/** One-off containers (`rm`, `attach`, or not required to keep running) are jobs, not services. */
export function isLongRunning(props: Props): boolean {
  return props.rm !== true && props.attach !== true && props.mustRun !== false;
}

/** Containers of one `dean.service`. */
export function containersOf<T extends Pick<ResourceView, "type" | "props">>(resources: readonly T[], service: string): T[] {
  return resources.filter((resource) => resource.type === CONTAINER && serviceOf(resource.props) === service);
}

/** A stack is held to production rules when any of its Docker objects is labelled `prod`. */
export function isProductionStack(resources: readonly Pick<ResourceView, "type" | "props">[]): boolean {
  return resources.some((resource) => [CONTAINER, VOLUME, NETWORK].includes(resource.type) && isProduction(resource.props));
}
