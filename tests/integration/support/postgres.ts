import { execFileSync } from "node:child_process";
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { freePort, isAlive, startProcess, stopPid, waitFor, waitUntilListening, type RunningProcess } from "./processes";

interface OsUser {
  readonly uid: number;
  readonly gid: number;
}

/** PostgreSQL refuses to run as root: as root the cluster runs as the `postgres` OS user. */
function clusterOwner(): OsUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const entry = readFileSync("/etc/passwd", "utf8").split("\n").find((line) => line.startsWith("postgres:"));
  if (entry === undefined) throw new Error("running as root needs a `postgres` OS user to own the scratch cluster");
  const [, , uid, gid] = entry.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * A throw-away PostgreSQL cluster in a temp dir, listening on a free 127.0.0.1 port with
 * password (scram) authentication, so clients prove they take PGPASSWORD from the environment.
 */
export class ScratchPostgres {
  readonly superuser = "postgres";

  private constructor(
    readonly binDir: string,
    readonly password: string,
    readonly dir: string,
    readonly port: number,
    private readonly server: RunningProcess,
  ) {}

  static async start(binDir: string): Promise<ScratchPostgres> {
    const owner = clusterOwner();
    const dir = mkdtempSync(path.join(os.tmpdir(), "dean-pg-"));
    const superuserPassword = `scratch-${process.pid}-${Date.now()}`;
    const passwordFile = path.join(dir, "superuser-password");
    writeFileSync(passwordFile, `${superuserPassword}\n`, { mode: 0o600 });
    if (owner) {
      chownSync(dir, owner.uid, owner.gid);
      chownSync(passwordFile, owner.uid, owner.gid);
    }
    const dataDir = path.join(dir, "data");
    execFileSync(
      path.join(binDir, "initdb"),
      ["-D", dataDir, "-U", "postgres", `--pwfile=${passwordFile}`, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"],
      { stdio: "pipe", timeout: 60_000, cwd: dir, ...owner },
    );
    const port = await freePort();
    const server = startProcess(
      path.join(binDir, "postgres"),
      ["-D", dataDir, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=30"],
      { cwd: dir, logPrefix: path.join(dir, "postgres"), ...owner },
    );
    const cluster = new ScratchPostgres(binDir, superuserPassword, dir, port, server);
    try {
      await waitUntilListening(server, [port], "the scratch PostgreSQL", 30_000);
      await waitFor("the scratch PostgreSQL to accept queries", async () => ((await cluster.query("postgres", "SELECT 1")).length === 1 ? true : undefined), 30_000, 200);
    } catch (error) {
      await cluster.stop();
      throw new Error(`${(error as Error).message}\n${server.output()}`);
    }
    return cluster;
  }

  /** libpq environment for `database` as the superuser; PATH puts PostgreSQL 15's programs first. */
  env(database: string, overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: `${this.binDir}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      HOME: this.dir,
      PGHOST: "127.0.0.1",
      PGPORT: String(this.port),
      PGUSER: this.superuser,
      PGPASSWORD: this.password,
      PGDATABASE: database,
      ...overrides,
    };
  }

  async query<R extends object = Record<string, unknown>>(database: string, sql: string, params: unknown[] = [], user = this.superuser, password = this.password): Promise<R[]> {
    const client = new Client({ host: "127.0.0.1", port: this.port, user, password, database, connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  /** Fast shutdown (SIGINT) by PID, bounded, then the temp dir goes. */
  async stop(): Promise<void> {
    if (isAlive(this.server.pid)) await stopPid(this.server.pid, "SIGINT", 15_000);
    rmSync(this.dir, { recursive: true, force: true });
  }

  serverOutput(): string {
    return this.server.output();
  }
}
