import { BACKUP_CONNECTIONS, type StackConfig } from "./config-schema";

export interface ConnectionBudget {
  readonly orchestrator: number;
  readonly backup: number;
  readonly adminReserve: number;
  readonly superuserReserved: number;
  readonly total: number;
  readonly maxConnections: number;
  /** The arithmetic, for error messages and the README. */
  readonly explanation: string;
}

/**
 * SQLAlchemy pools live per process, so every uvicorn worker of every replica can open
 * pool + overflow connections (docs/architecture.md, "The connection budget").
 */
export function connectionBudget(cfg: Pick<StackConfig, "orchestrator" | "postgres">): ConnectionBudget {
  const o = cfg.orchestrator;
  const p = cfg.postgres;
  const orchestrator = o.replicas * o.workers * (o.dbPoolSize + o.dbMaxOverflow);
  const total = orchestrator + BACKUP_CONNECTIONS + p.adminReserve + p.superuserReservedConnections;
  const explanation =
    `${o.replicas} replicas x ${o.workers} workers x (${o.dbPoolSize} pool + ${o.dbMaxOverflow} overflow) = ${orchestrator}` +
    ` + ${BACKUP_CONNECTIONS} backup + ${p.adminReserve} admin reserve + ${p.superuserReservedConnections} superuser reserved` +
    ` = ${total} ${total > p.maxConnections ? ">" : "<="} max_connections ${p.maxConnections}`;
  return { orchestrator, backup: BACKUP_CONNECTIONS, adminReserve: p.adminReserve, superuserReserved: p.superuserReservedConnections, total, maxConnections: p.maxConnections, explanation };
}
