import { Client, type QueryResultRow } from "pg";
import type { EngineStack } from "./engine-stack";

/** SQL against the stack's Postgres through its published loopback port, as operators run it. */

export interface Credentials {
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

interface ConnectionOutput {
  readonly postgres: { host: string; port: number; database: string; user: string; password: string; superuser: string; superuserPassword: string };
}

export function connectionOf(stack: EngineStack): ConnectionOutput["postgres"] {
  return (stack.outputs.connection as ConnectionOutput).postgres;
}

/** The application role on the application database (the current password from the outputs). */
export function appCredentials(stack: EngineStack): Credentials {
  const connection = connectionOf(stack);
  return { user: connection.user, password: connection.password, database: connection.database };
}

export function superuserCredentials(stack: EngineStack, database = "postgres"): Credentials {
  const connection = connectionOf(stack);
  return { user: connection.superuser, password: connection.superuserPassword, database };
}

export async function query<Row extends QueryResultRow>(stack: EngineStack, credentials: Credentials, sql: string, parameters: readonly unknown[] = []): Promise<Row[]> {
  const connection = connectionOf(stack);
  const client = new Client({ host: "127.0.0.1", port: connection.port, ...credentials, connectionTimeoutMillis: 10_000, ssl: false });
  await client.connect();
  try {
    return (await client.query<Row>(sql, [...parameters])).rows;
  } finally {
    await client.end();
  }
}

/** Row count and a checksum of every evolution trial, to compare data before and after. */
export async function trialsFingerprint(stack: EngineStack): Promise<{ rows: number; checksum: string }> {
  const [row] = await query<{ rows: string; checksum: string | null }>(stack, appCredentials(stack),
    `SELECT count(*) AS rows, md5(string_agg(concat_ws('|', id, pattern_id, fitness_score, status, created_at), ',' ORDER BY id)) AS checksum FROM evolution_trials`);
  return { rows: Number(row.rows), checksum: row.checksum ?? "" };
}
