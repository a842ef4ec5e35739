import { readFileSync, writeFileSync } from "node:fs";
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

let fixtureNames = 0;

/**
 * A dump's file name for a given age, in the script's naming scheme. Every name carries a
 * label unique to this process, so a fixture never takes the name of a dump the script
 * itself writes in the same second (the script's own dumps have no label or the operator's).
 */
export function dumpName(kind: "scheduled" | "manual" | "pre-upgrade", ageSeconds: number, label = "fixture"): string {
  const stamp = new Date(Date.now() - ageSeconds * 1000).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
  fixtureNames += 1;
  return `${kind}-${APP_DATABASE}-${stamp}-${label}.${fixtureNames}.dump`;
}

/** Sets a file's mtime `ageSeconds` in the past with touch -d, as an operator would. */
export async function age(file: string, ageSeconds: number): Promise<void> {
  const epoch = Math.floor(Date.now() / 1000) - ageSeconds;
  const result = await runCaptured("touch", ["-d", `@${epoch}`, file], { timeoutMs: 10_000 });
  if (result.code !== 0) throw new Error(`touch -d failed on ${file}: ${result.stderr}`);
}

/** "size mtime" of a file exactly as the script's file_identity prints it. */
async function fileIdentity(file: string): Promise<string> {
  const result = await runCaptured("stat", ["-c", "%s %.9Y", "--", file], { timeoutMs: 10_000 });
  if (result.code !== 0) throw new Error(`stat failed on ${file}: ${result.stderr}`);
  return result.stdout.trim();
}

/** Replaces (or adds) the size and mtime lines of a dump's marker with the dump's own. */
async function recordIdentity(dir: string, name: string): Promise<void> {
  const marker = path.join(dir, `${name}.ok`);
  const [size, mtime] = (await fileIdentity(path.join(dir, name))).split(" ");
  const kept = readFileSync(marker, "utf8").split("\n").filter((line) => line !== "" && !/^(size|mtime)=/.test(line));
  writeFileSync(marker, [...kept, `size=${size}`, `mtime=${mtime}`, ""].join("\n"));
}

/**
 * Ages a verified dump as if it had been written and verified `ageSeconds` ago: its mtime and
 * the mtime its marker recorded move together (moving only the file's would unverify it).
 */
export async function ageDump(dir: string, name: string, ageSeconds: number): Promise<void> {
  await age(path.join(dir, name), ageSeconds);
  await recordIdentity(dir, name);
}

/** A stand-in dump file with a verification marker (prune only reads names, markers and mtimes). */
export async function fakeDump(dir: string, name: string, ageSeconds: number, verified: boolean): Promise<void> {
  writeFileSync(path.join(dir, name), "stand-in dump\n");
  await age(path.join(dir, name), ageSeconds);
  if (verified) {
    writeFileSync(path.join(dir, `${name}.ok`), "verified_at=2024-01-01T00:00:00Z\nverify=list\n");
    await recordIdentity(dir, name);
    await age(path.join(dir, `${name}.ok`), ageSeconds);
  }
}

export const DAY = 86_400;
