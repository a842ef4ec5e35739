import { Client } from "pg";

/** Where a stack publishes PostgreSQL on the host's loopback, and its application database. */
export interface PublishedPostgres {
  readonly port: number;
  readonly database: string;
}

/** Whether `user` logs in with `password` over TCP on 127.0.0.1; false only for a refused password. */
export async function loginWorks(postgres: PublishedPostgres, user: string, password: string): Promise<boolean> {
  const client = new Client({ host: "127.0.0.1", port: postgres.port, user, password, database: postgres.database, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch (error) {
    if (/password authentication failed/.test(String(error))) return false;
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}
