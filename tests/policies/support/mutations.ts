import type { DeclaredResource } from "../../../tools/mock-program";

/**
 * Deliberately broken variants of the resources the real program declared. Each edit applies
 * to a deep copy, to inputs (what Analyze sees) and state (what AnalyzeStack sees) alike.
 */

export const CONTAINER = "docker:index/container:Container";
export const VOLUME = "docker:index/volume:Volume";
export const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
export const COMMAND = "command:local:Command";

type Props = Record<string, unknown>;
export type Draft = {
  -readonly [K in keyof DeclaredResource]: DeclaredResource[K];
} & { inputs: Props; state: Props; secretInputPaths: string[]; additionalSecretOutputs: string[] };
export type Select = (resource: DeclaredResource) => boolean;

export function labelsOf(props: Props): Record<string, string> {
  const labels = (props.labels ?? []) as { label: string; value: string }[];
  return Object.fromEntries(labels.map(({ label, value }) => [label, value]));
}

export const service = (name: string): Select => (resource) => resource.type === CONTAINER && labelsOf(resource.inputs)["dean.service"] === name;
export const named = (name: string): Select => (resource) => resource.name === name;
export const ofType = (type: string): Select => (resource) => resource.type === type;

/** Copies the resources, editing those selected; throws when nothing matches (a stale mutation). */
export function mutate(resources: readonly DeclaredResource[], select: Select, edit: (draft: Draft) => void): DeclaredResource[] {
  let matched = 0;
  const result = resources.map((resource) => {
    if (!select(resource)) return resource;
    matched++;
    const draft = structuredClone(resource) as Draft;
    edit(draft);
    return draft;
  });
  if (matched === 0) throw new Error("the mutation matched no resource");
  return result;
}

/** Sets (or, with undefined, removes) a property in both inputs and state. */
export function setProp(draft: Draft, key: string, value: unknown): void {
  const edit = (props: Props): Props => {
    const rest = Object.fromEntries(Object.entries(props).filter(([name]) => name !== key));
    return value === undefined ? rest : { ...rest, [key]: structuredClone(value) };
  };
  draft.inputs = edit(draft.inputs);
  draft.state = edit(draft.state);
}

export function setLabel(draft: Draft, label: string, value: string | undefined): void {
  const labels = ((draft.inputs.labels ?? []) as { label: string; value: string }[]).filter((entry) => entry.label !== label);
  setProp(draft, "labels", value === undefined ? labels : [...labels, { label, value }]);
}

/** A container's envs replaced by literals typed into the program: no resource's output flows into them. */
export function setLiteralEnvs(draft: Draft, envs: string[]): void {
  setProp(draft, "envs", envs);
  draft.propertyDependencies = { ...draft.propertyDependencies, envs: [] };
}

/** Replaces (or adds) NAME=value in a container's envs. */
export function setEnv(draft: Draft, name: string, value: string): void {
  const envs = ((draft.inputs.envs ?? []) as string[]).filter((entry) => !entry.startsWith(`${name}=`));
  setProp(draft, "envs", [...envs, `${name}=${value}`]);
}

export function envOf(resource: DeclaredResource): Record<string, string> {
  const envs = (resource.inputs.envs ?? []) as string[];
  return Object.fromEntries(envs.map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]));
}

/** The "container without limits". */
export function withoutLimits(resources: readonly DeclaredResource[], select: Select): DeclaredResource[] {
  return mutate(resources, select, (draft) => {
    for (const key of ["memory", "memoryReservation", "memorySwap", "cpus", "cpuShares"]) setProp(draft, key, undefined);
  });
}

/** Orchestrator replicas copied from the first until there are `count`, as raising dean:orchestrator.replicas would. */
export function withReplicas(resources: readonly DeclaredResource[], count: number): DeclaredResource[] {
  const replicas = resources.filter(service("orchestrator"));
  const first = replicas[0];
  if (!first) throw new Error("no orchestrator replica to copy");
  const base = first.name.replace(/-\d+$/, "");
  const extra = Array.from({ length: Math.max(0, count - replicas.length) }, (_, offset) => {
    const index = replicas.length + offset + 1;
    const draft = structuredClone(first) as Draft;
    draft.name = `${base}-${index}`;
    draft.urn = first.urn.replace(/::[^:]+$/, `::${draft.name}`);
    setLabel(draft, "dean.replica", String(index));
    draft.state.name = `${draft.name}-mock`;
    return draft;
  });
  const last = resources.lastIndexOf(replicas[replicas.length - 1]);
  return [...resources.slice(0, last + 1), ...extra, ...resources.slice(last + 1)];
}

/** Pool settings of every replica, e.g. the runbook's 8 workers x (20 + 40). */
/** The labels the program repeats the connection-budget settings in (components/orchestrator.ts). */
export const BUDGET_LABELS: Readonly<Record<string, string>> = {
  UVICORN_WORKERS: "dean.db-budget.workers",
  DATABASE_POOL_SIZE: "dean.db-budget.pool-size",
  DATABASE_MAX_OVERFLOW: "dean.db-budget.max-overflow",
};

/** Replicas with other pool settings, as the program declares them: the environment and its labels. */
export function withPools(resources: readonly DeclaredResource[], env: Record<string, string>): DeclaredResource[] {
  return mutate(resources, service("orchestrator"), (draft) => {
    for (const [name, value] of Object.entries(env)) {
      setEnv(draft, name, value);
      if (BUDGET_LABELS[name]) setLabel(draft, BUDGET_LABELS[name], value);
    }
  });
}

/** The "backups off in production": what dean:backup.enabled false declares (no backup component). */
export function withoutBackups(resources: readonly DeclaredResource[]): DeclaredResource[] {
  const backup = resources.find((resource) => resource.type === "dean:ops:Backup");
  if (!backup) throw new Error("no backup component");
  return resources.filter((resource) => resource !== backup && resource.parent !== backup.urn);
}

/** nginx.conf without any rate limiting directive. */
export function withoutRateLimit(resources: readonly DeclaredResource[]): DeclaredResource[] {
  return editNginxConf(resources, (conf) => conf.split("\n").filter((line) => !/\blimit_req/.test(line)).join("\n"));
}

/** The command that writes nginx's configuration release (components/nginx.ts) carries the rendered text in its environment. */
const NGINX_CONF_VARIABLE = "DEAN_NGINX_CONF";
const nginxRelease: Select = (resource) => resource.type === COMMAND && typeof (resource.inputs.environment as Props | undefined)?.[NGINX_CONF_VARIABLE] === "string";

export function editNginxConf(resources: readonly DeclaredResource[], edit: (conf: string) => string): DeclaredResource[] {
  return mutate(resources, nginxRelease, (draft) => {
    const environment = draft.inputs.environment as Props;
    setProp(draft, "environment", { ...environment, [NGINX_CONF_VARIABLE]: edit(String(environment[NGINX_CONF_VARIABLE])) });
  });
}

export function nginxConf(resources: readonly DeclaredResource[]): string {
  const release = resources.find(nginxRelease);
  return String((release?.inputs.environment as Props | undefined)?.[NGINX_CONF_VARIABLE] ?? "");
}

/** An nginx container that runs the image's own nginx.conf: neither uploaded nor the release's. */
export function withUncheckedNginxConf(resources: readonly DeclaredResource[]): DeclaredResource[] {
  return mutate(resources, service("nginx"), (draft) => setProp(draft, "command", ["nginx", "-g", "daemon off;"]));
}
