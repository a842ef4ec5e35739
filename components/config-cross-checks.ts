import { type StackConfig } from "./config-schema";
import { connectionBudget } from "./connection-budget";
import { MAX_COMMON_NAME_LENGTH } from "./dns-name";

/** Checks that span keys. Each runs when the sections it reads parsed on their own. */

/** Secret config keys: read with getSecret, never part of the plain schema. */
export const SECRET_KEYS = ["tlsCertificate", "tlsKey"] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];

/** Secret keys that must be encrypted in the stack file: the certificate is public, the key is not. */
const MUST_BE_ENCRYPTED: readonly SecretKey[] = ["tlsKey"];

/** What is known of the secret keys: which are set, and which of those are stored in plain text. */
export interface SecretKeyState {
  readonly set: ReadonlySet<SecretKey>;
  readonly plain: ReadonlySet<SecretKey>;
}

/** A problem found by a check across keys: the key it is reported on, its value, why. */
export interface CrossFieldProblem {
  readonly path: readonly PropertyKey[];
  readonly value: unknown;
  readonly message: string;
  /** For secrets: say what was given without echoing it. */
  readonly shown?: string;
}

type Sections = Partial<StackConfig>;

/**
 * Processes and threads the PIDs limits must leave room for, measured on the local images:
 * under load each uvicorn worker runs 41 threads (its main thread and the 40 of the thread pool
 * that runs FastAPI's synchronous endpoints); Postgres runs a process per connection beside
 * about 20 of its own (checkpointer, writers, autovacuum and parallel workers, WAL senders).
 * The margins hold the supervisor, healthchecks and `docker exec` sessions.
 */
const PIDS_PER_UVICORN_WORKER = 48;
const ORCHESTRATOR_PIDS_MARGIN = 16;
const POSTGRES_PIDS_BESIDE_CONNECTIONS = 48;

/** The smallest PIDs limit Postgres may have with `maxConnections` (a process per connection). */
export function postgresPidsFloor(maxConnections: number): number {
  return maxConnections + POSTGRES_PIDS_BESIDE_CONNECTIONS;
}

/** The smallest PIDs limit that cannot starve the service its settings describe, and why. */
function pidsLimitFloor(service: "orchestrator" | "postgres", cfg: Sections): { readonly floor: number; readonly reason: string } | undefined {
  if (service === "orchestrator" && cfg.orchestrator) {
    const { workers } = cfg.orchestrator;
    return { floor: workers * PIDS_PER_UVICORN_WORKER + ORCHESTRATOR_PIDS_MARGIN, reason: `orchestrator.workers ${workers} x ${PIDS_PER_UVICORN_WORKER} threads + ${ORCHESTRATOR_PIDS_MARGIN}` };
  }
  if (service === "postgres" && cfg.postgres) {
    const { maxConnections } = cfg.postgres;
    return { floor: postgresPidsFloor(maxConnections), reason: `a process per connection (postgres.maxConnections ${maxConnections}) + ${POSTGRES_PIDS_BESIDE_CONNECTIONS} of Postgres' own` };
  }
  return undefined;
}

function resourceProblems(cfg: Sections): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  for (const service of ["orchestrator", "postgres", "redis", "nginx", "backup"] as const) {
    const r = cfg[service]?.resources;
    if (!r) continue;
    if (r.reservedCpus > r.cpus) {
      problems.push({ path: [service, "resources", "reservedCpus"], value: r.reservedCpus, message: `must not exceed ${service}.resources.cpus (${r.cpus})` });
    }
    if (r.reservedMemoryMiB > r.memoryMiB) {
      problems.push({ path: [service, "resources", "reservedMemoryMiB"], value: r.reservedMemoryMiB, message: `must not exceed ${service}.resources.memoryMiB (${r.memoryMiB})` });
    }
    const pids = service === "orchestrator" || service === "postgres" ? pidsLimitFloor(service, cfg) : undefined;
    if (pids && r.pidsLimit < pids.floor) {
      problems.push({ path: [service, "resources", "pidsLimit"], value: r.pidsLimit, message: `must be at least ${pids.floor}: ${pids.reason}` });
    }
  }
  return problems;
}

function postgresProblems(cfg: Sections): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  if (cfg.orchestrator && cfg.postgres) {
    const budget = connectionBudget({ orchestrator: cfg.orchestrator, postgres: cfg.postgres });
    if (budget.total > budget.maxConnections) {
      problems.push({ path: ["postgres", "maxConnections"], value: budget.maxConnections, message: `is below the connection budget: ${budget.explanation}; lower orchestrator.replicas, workers, dbPoolSize or dbMaxOverflow, or raise postgres.maxConnections` });
    }
  }
  if (cfg.postgres && cfg.postgres.superuser === cfg.postgres.user) {
    problems.push({ path: ["postgres", "user"], value: cfg.postgres.user, message: "must differ from postgres.superuser: the application role is not a superuser" });
  }
  return problems;
}

interface PublishedPort {
  readonly path: readonly [string, string];
  readonly port: number;
  readonly address: string;
}

/** Host ports the stack publishes (nginx's even when isolated: turning isolation off must work). */
function publishedPorts(cfg: Sections): PublishedPort[] {
  const ports: PublishedPort[] = [];
  if (cfg.nginx) {
    ports.push({ path: ["nginx", "httpPort"], port: cfg.nginx.httpPort, address: cfg.nginx.bindAddress });
    ports.push({ path: ["nginx", "httpsPort"], port: cfg.nginx.httpsPort, address: cfg.nginx.bindAddress });
  }
  if (cfg.postgres) ports.push({ path: ["postgres", "hostPort"], port: cfg.postgres.hostPort, address: "127.0.0.1" });
  const direct = cfg.orchestrator?.directHostPort;
  if (direct !== undefined) ports.push({ path: ["orchestrator", "directHostPort"], port: direct, address: "127.0.0.1" });
  return ports;
}

/** Two services cannot publish one port on overlapping addresses (0.0.0.0 overlaps every address). */
function portProblems(cfg: Sections): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  const ports = publishedPorts(cfg);
  ports.forEach((later, index) => {
    const earlier = ports.slice(0, index).find((other) =>
      other.port === later.port && (other.address === later.address || other.address === "0.0.0.0" || later.address === "0.0.0.0"));
    if (earlier) {
      problems.push({ path: later.path, value: later.port, message: `must differ from ${earlier.path.join(".")}: both would publish port ${later.port} on ${later.address === "0.0.0.0" ? earlier.address : later.address}` });
    }
  });
  return problems;
}

function tlsProblems(cfg: Sections, secrets: SecretKeyState): CrossFieldProblem[] {
  if (!cfg.nginx) return [];
  const problems: CrossFieldProblem[] = [];
  const tls = cfg.nginx.tls;
  for (const key of ["certificatePath", "keyPath"] as const) {
    if (tls.mode === "hostFiles" && !tls[key]) {
      problems.push({ path: ["nginx", "tls", key], value: tls[key], message: "is required when nginx.tls.mode is hostFiles" });
    } else if (tls.mode !== "hostFiles" && tls[key]) {
      problems.push({ path: ["nginx", "tls", key], value: tls[key], message: `is only used when nginx.tls.mode is hostFiles (mode is ${tls.mode})` });
    }
  }
  for (const key of SECRET_KEYS) {
    const secret = { path: [key], value: undefined, shown: "a value, not shown" };
    if (tls.mode === "secretConfig" && !secrets.set.has(key)) {
      problems.push({ path: [key], value: undefined, message: `is required when nginx.tls.mode is secretConfig: pulumi config set --secret dean:${key} < file.pem` });
    } else if (tls.mode !== "secretConfig" && secrets.set.has(key)) {
      const source = tls.mode === "hostFiles" ? `nginx reads the ${key === "tlsKey" ? "key from nginx.tls.keyPath" : "certificate from nginx.tls.certificatePath"} on the Docker host` : "the certificate is made by openssl";
      problems.push({ ...secret, message: `is ignored: nginx.tls.mode is ${tls.mode} (${source}); remove it with pulumi config rm dean:${key}` });
    }
    if (secrets.plain.has(key) && MUST_BE_ENCRYPTED.includes(key)) {
      problems.push({ ...secret, shown: "plain text, not shown", message: `must be a secret, encrypted in the stack file: pulumi config rm dean:${key}, then pulumi config set --secret dean:${key} < privkey.pem (and replace the key: it has been stored in plain text)` });
    }
  }
  if (tls.mode === "selfSigned" && cfg.nginx.serverName.length > MAX_COMMON_NAME_LENGTH) {
    problems.push({ path: ["nginx", "serverName"], value: cfg.nginx.serverName, message: `must be at most ${MAX_COMMON_NAME_LENGTH} characters when nginx.tls.mode is selfSigned: the certificate carries it as its CN, which openssl limits to ${MAX_COMMON_NAME_LENGTH}` });
  }
  return problems;
}

/** Every problem that only shows when keys are read together. */
export function crossFieldProblems(cfg: Sections, secrets: SecretKeyState): CrossFieldProblem[] {
  return [...resourceProblems(cfg), ...postgresProblems(cfg), ...portProblems(cfg), ...tlsProblems(cfg, secrets)];
}
