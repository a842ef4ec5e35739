import { writeFileSync } from "node:fs";
import path from "node:path";
import { runCaptured } from "./processes";
import type { ScratchPostgres } from "./postgres";

/** The application database of the fixtures and the role that owns it (as in production). */
export const APP_DATABASE = "dean_production";
export const APP_ROLE = "dean";
const APP_PASSWORD = "dean-app-password";

/** Tables of the fixture schema, checksummed row by row to compare a restore with its source. */
export const APP_TABLES = ["agents", "runs", "events", "events_2024"] as const;

/**
 * An application database shaped like the orchestrator's: owned by the application role, tables
 * created by that role (as migrations do), a partitioned table, and pg_stat_statements, which
 * the superuser creates in production.
 */
export async function createAppDatabase(pg: ScratchPostgres): Promise<void> {
  await pg.query("postgres", `CREATE ROLE ${APP_ROLE} LOGIN PASSWORD '${APP_PASSWORD}'`);
  await pg.query("postgres", `CREATE DATABASE ${APP_DATABASE} OWNER ${APP_ROLE}`);
  await pg.query(APP_DATABASE, "CREATE EXTENSION pg_stat_statements");
  const asApp = (sql: string): Promise<unknown> => pg.query(APP_DATABASE, sql, [], APP_ROLE, APP_PASSWORD);
  await asApp(`
    CREATE TABLE agents (id serial PRIMARY KEY, name text NOT NULL, fitness double precision, created_at timestamptz NOT NULL DEFAULT '2024-01-01T00:00:00Z');
    CREATE TABLE runs (id bigserial PRIMARY KEY, agent_id integer NOT NULL REFERENCES agents (id), payload jsonb NOT NULL);
    CREATE TABLE events (id integer NOT NULL, at date NOT NULL, kind text) PARTITION BY RANGE (at);
    CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE INDEX runs_agent ON runs (agent_id);
    INSERT INTO agents (name, fitness) SELECT 'agent-' || g, g * 0.5 FROM generate_series(1, 200) AS g;
    INSERT INTO runs (agent_id, payload) SELECT 1 + g % 200, jsonb_build_object('step', g, 'note', 'quote '' and \\ backslash') FROM generate_series(1, 500) AS g;
    INSERT INTO events SELECT g, DATE '2024-01-01' + g % 300, 'kind-' || g % 7 FROM generate_series(1, 300) AS g;
  `);
}

/** Row count and an order-independent checksum of every fixture table. */
export async function tableChecksums(pg: ScratchPostgres, database: string): Promise<Record<string, { rows: number; md5: string }>> {
  const result: Record<string, { rows: number; md5: string }> = {};
  for (const table of APP_TABLES) {
    const [row] = await pg.query<{ rows: string; md5: string }>(
      database,
      `SELECT count(*) AS rows, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS md5 FROM ${table} t`,
    );
    result[table] = { rows: Number(row.rows), md5: row.md5 };
  }
  return result;
}

/** A dump's file name for a given age, in the script's naming scheme. */
export function dumpName(kind: "scheduled" | "manual" | "pre-upgrade", ageSeconds: number, label?: string): string {
  const stamp = new Date(Date.now() - ageSeconds * 1000).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
  return `${kind}-${APP_DATABASE}-${stamp}${label ? `-${label}` : ""}.dump`;
}

/** Sets a file's mtime `ageSeconds` in the past with touch -d, as an operator would. */
export async function age(file: string, ageSeconds: number): Promise<void> {
  const epoch = Math.floor(Date.now() / 1000) - ageSeconds;
  const result = await runCaptured("touch", ["-d", `@${epoch}`, file], { timeoutMs: 10_000 });
  if (result.code !== 0) throw new Error(`touch -d failed on ${file}: ${result.stderr}`);
}

/** A stand-in dump file with a verification marker (prune only reads names, markers and mtimes). */
export async function fakeDump(dir: string, name: string, ageSeconds: number, verified: boolean): Promise<void> {
  writeFileSync(path.join(dir, name), "stand-in dump\n");
  if (verified) {
    writeFileSync(path.join(dir, `${name}.ok`), "verified_at=2024-01-01T00:00:00Z\nverify=list\n");
    await age(path.join(dir, `${name}.ok`), ageSeconds);
  }
  await age(path.join(dir, name), ageSeconds);
}

export const DAY = 86_400;
