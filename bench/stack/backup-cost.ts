import { Client } from "pg";
import type { EngineStack } from "../../tools/stack-driver/engine-stack";
import { execIn, execOk } from "../../tools/stack-driver/docker-exec";
import { Backups } from "../../tools/stack-driver/backups";
import { connectionOf, superuserCredentials } from "../../tools/stack-driver/postgres";
import type { BackupResult, BackupRun } from "../results";
import { progress } from "./bench-stack";

/**
 * Benchmark 5: the backup job's dump of a ~1 GB application database against a bare
 * `pg_dump -Fc` of the same data, both in the backup container (same image, limits and disk),
 * and the time of a verify-by-restore (`dean-backup verify`).
 */

/** Longest one dump, restore or generation statement may take. */
const OPERATION_TIMEOUT_MS = 30 * 60_000;
const ROWS_PER_INSERT = 250_000;
const BARE_DUMP = "/backups/.bench-bare.dump";

/**
 * Rows shaped like trial results: a key, a hash, a score, a status, a payload that is partly
 * repetitive (compressible) and partly random, a timestamp; with a primary key index, so the
 * restore rebuilds an index like a real one would.
 */
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS bench_payload (
  id bigint PRIMARY KEY, pattern text NOT NULL, fitness double precision NOT NULL,
  status text NOT NULL, payload text NOT NULL, created_at timestamptz NOT NULL)`;
const INSERT_ROWS = `INSERT INTO bench_payload
  SELECT g, md5(g::text), random(), (ARRAY['pending','running','completed'])[1 + g % 3],
         repeat(md5((g * 31)::text), 3) || md5(random()::text) || md5(random()::text),
         now() - g * interval '1 second'
  FROM generate_series($1::bigint, $2::bigint) AS g`;

/** Fills the application database with bench_payload rows until it holds at least `targetBytes`. */
async function fillDatabase(stack: EngineStack, targetBytes: number): Promise<{ databaseBytes: number; rows: number }> {
  const connection = connectionOf(stack);
  const client = new Client({ host: "127.0.0.1", port: connection.port, ...superuserCredentials(stack, connection.database), ssl: false, statement_timeout: OPERATION_TIMEOUT_MS });
  await client.connect();
  try {
    await client.query(CREATE_TABLE);
    const size = async () => Number((await client.query<{ bytes: string }>("SELECT pg_database_size(current_database()) AS bytes")).rows[0].bytes);
    let rows = Number((await client.query<{ rows: string }>("SELECT count(*) AS rows FROM bench_payload")).rows[0].rows);
    // Bounded: 200 inserts of 250k rows is far more than 1 GB.
    for (let chunk = 0; chunk < 200 && (await size()) < targetBytes; chunk++) {
      await client.query(INSERT_ROWS, [rows + 1, rows + ROWS_PER_INSERT]);
      rows += ROWS_PER_INSERT;
    }
    await client.query("VACUUM ANALYZE bench_payload");
    await client.query("CHECKPOINT");
    return { databaseBytes: await size(), rows };
  } finally {
    await client.end();
  }
}

async function timed<T>(action: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await action();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, value };
}

async function fileBytes(container: string, file: string): Promise<number> {
  return Number((await execOk(container, ["stat", "-c", "%s", file])).trim());
}

async function bareDump(container: string): Promise<{ seconds: number; bytes: number }> {
  const { seconds, value } = await timed(() => execIn(container, ["pg_dump", "--format=custom", "--no-password", `--file=${BARE_DUMP}`], { timeoutMs: OPERATION_TIMEOUT_MS }));
  if (value.exitCode !== 0) throw new Error(`bare pg_dump exited ${value.exitCode}: ${value.stderr}`);
  const bytes = await fileBytes(container, BARE_DUMP);
  await execOk(container, ["rm", "-f", BARE_DUMP]);
  return { seconds, bytes };
}

async function jobDump(backups: Backups, label: string): Promise<{ seconds: number; bytes: number; verifySeconds: number }> {
  const job = await timed(() => backups.run(["now", label], OPERATION_TIMEOUT_MS));
  if (job.value.exitCode !== 0) throw new Error(`dean-backup now exited ${job.value.exitCode}: ${job.value.stderr}`);
  const name = job.value.stdout.trimEnd().split("\n").pop() ?? "";
  const file = `/backups/${name}`;
  const verify = await timed(() => backups.run(["verify", name], OPERATION_TIMEOUT_MS));
  if (verify.value.exitCode !== 0) throw new Error(`dean-backup verify ${name} exited ${verify.value.exitCode}: ${verify.value.stderr}`);
  const bytes = await fileBytes(backups.container, file);
  await execOk(backups.container, ["rm", "-f", file, `${file}.ok`]);
  return { seconds: job.seconds, bytes, verifySeconds: verify.seconds };
}

export async function measureBackupCost(stack: EngineStack, runs: number, targetMiB: number): Promise<BackupResult> {
  progress(`backup cost: filling the database to ${targetMiB} MiB`);
  const filled = await fillDatabase(stack, targetMiB * 2 ** 20);
  progress(`backup cost: ${(filled.databaseBytes / 2 ** 20).toFixed(0)} MiB in ${filled.rows} rows`);
  const backups = new Backups((stack.outputs.containers as { backup: string }).backup);
  const results: BackupRun[] = [];
  for (let run = 1; run <= runs; run++) {
    // Alternating the order keeps page-cache warmth from favouring one side.
    const bareFirst = run % 2 === 1;
    const bare = bareFirst ? await bareDump(backups.container) : undefined;
    const job = await jobDump(backups, `bench-${run}`);
    const bareAfter = bare ?? (await bareDump(backups.container));
    const dumpSeconds = job.seconds - job.verifySeconds;
    results.push({
      bareSeconds: bareAfter.seconds,
      bareBytes: bareAfter.bytes,
      jobSeconds: job.seconds,
      jobBytes: job.bytes,
      verifySeconds: job.verifySeconds,
      dumpRatio: dumpSeconds / bareAfter.seconds,
      jobRatio: job.seconds / bareAfter.seconds,
    });
    progress(`backup cost run ${run}: bare ${bareAfter.seconds.toFixed(1)} s, job ${job.seconds.toFixed(1)} s, verify ${job.verifySeconds.toFixed(1)} s`);
  }
  return { databaseBytes: filled.databaseBytes, tableRows: filled.rows, runs: results };
}
