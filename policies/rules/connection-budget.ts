import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { asList, containerEnvironment, containersOf, describe, LABEL, labelsOf } from "../lib/resources";
import { configSchema, readSettings, type Settings } from "../lib/settings";

const settings = {
  backupConnections: { type: "integer", minimum: 0, default: 2, description: "Connections the backup job may hold at once (pg_dump plus a verify-by-restore session)." },
  adminReserve: { type: "integer", minimum: 0, default: 5, description: "Connections kept free for operators (psql, dean-ops)." },
} as const satisfies Settings;

/** PostgreSQL's own defaults, when the server command does not set them. */
const POSTGRES_DEFAULTS: Readonly<Record<string, number>> = { max_connections: 100, superuser_reserved_connections: 3, reserved_connections: 0 };

/** `postgres -c name=value` (also `-cname=value` and `--name=value`) as a map. */
function serverSettings(command: readonly unknown[]): Map<string, string> {
  const words = command.map((word) => String(word));
  const settingsFound = new Map<string, string>();
  const add = (assignment: string) => {
    const equals = assignment.indexOf("=");
    if (equals > 0) settingsFound.set(assignment.slice(0, equals).replace(/-/g, "_"), assignment.slice(equals + 1));
  };
  words.forEach((word, index) => {
    if (word === "-c" && index + 1 < words.length) add(words[index + 1]);
    else if (word.startsWith("-c") && word.length > 2) add(word.slice(2));
    else if (word.startsWith("--")) add(word.slice(2));
  });
  return settingsFound;
}

function serverSetting(found: Map<string, string>, name: string): { value: number; isDefault: boolean } | undefined {
  const text = found.get(name);
  if (text === undefined) return { value: POSTGRES_DEFAULTS[name], isDefault: true };
  return /^\d+$/.test(text) ? { value: Number(text), isDefault: false } : undefined;
}

/** What one replica's worker processes can open: each holds its own SQLAlchemy pool. */
interface ReplicaDemand {
  readonly workers: number;
  readonly pool: number;
  readonly overflow: number;
}

const REPLICA_ENV = { workers: "UVICORN_WORKERS", pool: "DATABASE_POOL_SIZE", overflow: "DATABASE_MAX_OVERFLOW" } as const;
const REPLICA_LABEL = { workers: LABEL.budgetWorkers, pool: LABEL.budgetPoolSize, overflow: LABEL.budgetMaxOverflow } as const;
const MINIMUM = { workers: 1, pool: 1, overflow: 0 } as const;

/**
 * A replica's workers and pool sizes. The environment is what the service reads; it holds
 * secrets too, and at a preview of a first deploy or a rotation it is not known yet (the Docker
 * provider sends `envs` as one set), so the program repeats the three settings as labels,
 * which are known: the budget is decided on them then, and they must match the environment
 * whenever both are known.
 */
function replicaDemand(replica: PolicyResource): ReplicaDemand | string[] {
  const environment = containerEnvironment(replica.props);
  const env = new Map(environment.entries.map(({ name, value }) => [name, value]));
  const labels = labelsOf(replica.props);
  const problems: string[] = [];
  const read = (key: keyof ReplicaDemand): number => {
    const [name, label] = [REPLICA_ENV[key], REPLICA_LABEL[key]];
    const fromEnv = env.get(name);
    const fromLabel = labels[label];
    if (fromEnv !== undefined && fromLabel !== undefined && fromEnv !== fromLabel) {
      problems.push(`${name} is \`${fromEnv}\` but its label ${label} says \`${fromLabel}\``);
    }
    const text = fromEnv ?? fromLabel;
    if (text === undefined) {
      problems.push(environment.unknown > 0 ? `${name} is not known at preview and the label ${label} is missing` : `${name} is not set`);
    } else if (!/^\d+$/.test(text) || Number(text) < MINIMUM[key]) {
      problems.push(`${name} is \`${text}\``);
    }
    return Number(text);
  };
  const demand = { workers: read("workers"), pool: read("pool"), overflow: read("overflow") };
  return problems.length > 0 ? problems : demand;
}

/** `3 replicas x 8 workers x (20 pool + 40 overflow) = 1440`, one term per distinct replica shape. */
function orchestratorTerms(demands: readonly ReplicaDemand[]): { total: number; text: string } {
  const groups = new Map<string, { demand: ReplicaDemand; count: number }>();
  for (const demand of demands) {
    const key = `${demand.workers}/${demand.pool}/${demand.overflow}`;
    groups.set(key, { demand, count: (groups.get(key)?.count ?? 0) + 1 });
  }
  const terms = [...groups.values()].map(({ demand, count }) => ({
    connections: count * demand.workers * (demand.pool + demand.overflow),
    text: `${count} replica${count === 1 ? "" : "s"} x ${demand.workers} worker${demand.workers === 1 ? "" : "s"} x (${demand.pool} pool + ${demand.overflow} overflow)`,
  }));
  const total = terms.reduce((sum, term) => sum + term.connections, 0);
  if (terms.length === 1) return { total, text: `${terms[0].text} = ${total}` };
  return { total, text: `(${terms.map((term) => `${term.text} = ${term.connections}`).join(" + ")}) = ${total}` };
}

/**
 * SQLAlchemy pools live per process, so every uvicorn worker of every replica can open
 * pool + overflow connections (docs/architecture.md, "The connection budget"); the runbook's "too many
 * connections" incident is exactly this sum exceeding max_connections.
 */
export const connectionBudget: StackValidationPolicy = {
  name: "connection-budget",
  description: "replicas x workers x (pool + overflow) + backup + admin reserve + superuser reserved connections fit within Postgres max_connections.",
  enforcementLevel: "mandatory",
  severity: "critical",
  configSchema: configSchema(settings),
  remediationSteps: "Lower dean:orchestrator.replicas, workers, dbPoolSize or dbMaxOverflow, or raise dean:postgres.maxConnections.",
  validateStack: (args, reportViolation) => {
    const config = readSettings(settings, args.getConfig());
    const postgres = containersOf(args.resources, "postgres");
    if (postgres.length === 0) args.notApplicable("the stack has no Postgres container");
    const demands: ReplicaDemand[] = [];
    for (const replica of containersOf(args.resources, "orchestrator")) {
      const demand = replicaDemand(replica);
      if (Array.isArray(demand)) {
        reportViolation(`${describe(replica)}: its database connections cannot be bounded: ${demand.join(", ")}. Fix: set ${Object.values(REPLICA_ENV).join(", ")} to whole numbers (dean:orchestrator.workers, dbPoolSize, dbMaxOverflow), with the labels ${Object.values(REPLICA_LABEL).join(", ")} equal to them.`, replica.urn);
      } else {
        demands.push(demand);
      }
    }
    for (const server of postgres) {
      const found = serverSettings(asList(server.props.command));
      const maxConnections = serverSetting(found, "max_connections");
      const superuserReserved = serverSetting(found, "superuser_reserved_connections");
      const reserved = serverSetting(found, "reserved_connections");
      if (!maxConnections || !superuserReserved || !reserved) {
        reportViolation(`${describe(server)}: max_connections, superuser_reserved_connections and reserved_connections in its command must be whole numbers (command: ${asList(server.props.command).join(" ")}).`, server.urn);
        continue;
      }
      const orchestrator = orchestratorTerms(demands);
      const total = orchestrator.total + config.backupConnections + config.adminReserve + superuserReserved.value + reserved.value;
      const fits = total <= maxConnections.value;
      const arithmetic = `${orchestrator.text} + ${config.backupConnections} backup + ${config.adminReserve} admin reserve + ${superuserReserved.value} superuser reserved` +
        `${reserved.value > 0 ? ` + ${reserved.value} reserved` : ""} = ${total} ${fits ? "<=" : ">"} max_connections ${maxConnections.value}${maxConnections.isDefault ? " (PostgreSQL's default)" : ""}`;
      if (!fits) {
        reportViolation(`${describe(server)}: connection budget exceeded: ${arithmetic}. Fix: lower dean:orchestrator.replicas, workers, dbPoolSize or dbMaxOverflow (each worker process holds its own pool), or raise dean:postgres.maxConnections.`, server.urn);
      }
    }
  },
};
