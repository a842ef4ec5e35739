import { durationSeconds, parseStackConfig, type BackupSettings } from "../../components/config";
import { renderBackupScript, shellQuote, type BackupScriptInput } from "../../components/render/backup-script";

const dev = (): BackupSettings => parseStackConfig({ environment: "dev", backup: { interval: "1h", retentionDays: 2, minKeep: 2, verify: "list" } }).backup;
const prod = (): BackupSettings =>
  parseStackConfig({ environment: "prod", backup: { interval: "24h", hostPath: "/backups/dean", retentionDays: 14, minKeep: 7, verify: "restore" } }).backup;

const input = (backup: BackupSettings, backupDir = "/backups"): BackupScriptInput => ({ backup, intervalSeconds: durationSeconds(backup.interval), backupDir });

/** The readonly NAME=value constants of the rendered header. */
function constants(script: string): Record<string, string> {
  return Object.fromEntries([...script.matchAll(/^readonly ([A-Z_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
}

/** The subcommands of the `case $command in` dispatch. */
function subcommands(script: string): string[] {
  const dispatch = script.slice(script.indexOf("case $command in"), script.indexOf("esac", script.indexOf("case $command in")));
  return [...dispatch.matchAll(/^\s{4}([a-z|\s-]+)\)/gm)].flatMap((m) => m[1].split("|").map((word) => word.trim()));
}

describe.each([
  ["dev-like", dev()],
  ["prod-like", prod()],
])("renderBackupScript, %s", (_, backup) => {
  const script = renderBackupScript(input(backup));
  const values = constants(script);

  test("is a strict bash script", () => {
    expect(script.startsWith("#!/usr/bin/env bash\n")).toBe(true);
    expect(script).toMatch(/^set -euo pipefail$/m);
    expect(script).toMatch(/^umask 077$/m);
  });

  test("bakes in the configured schedule, retention and verification", () => {
    expect(values).toMatchObject({
      BACKUP_DIR: "'/backups'",
      SCHEDULE_ENABLED: "true",
      INTERVAL_SECONDS: String(durationSeconds(backup.interval)),
      RETENTION_DAYS: String(backup.retentionDays),
      MIN_KEEP: String(backup.minKeep),
      VERIFY_MODE: backup.verify,
      FAILURE_RETRY_SECONDS: String(Math.min(600, durationSeconds(backup.interval))),
    });
  });

  test("the healthcheck limit is two intervals", () => {
    expect(script).toContain("limit=$((2 * INTERVAL_SECONDS))");
  });

  test("holds no credential: the connection comes from the libpq environment only", () => {
    expect(script).not.toMatch(/PGPASSWORD=|password=|--password|-W\b/i);
    expect(script).not.toMatch(/\b(postgres(ql)?):\/\//);
    // Every psql/pg_dump/pg_restore/pg_isready call leaves host, port, user and password to the environment.
    expect(script).not.toMatch(/\b(psql|pg_dump|pg_restore|pg_isready)\b[^\n]*\s(-h|-U|-p|--host|--username|--port)\b/);
    expect(script).toContain('"$\u007bPGDATABASE:-}"');
  });

  test("implements every subcommand", () => {
    expect(subcommands(script).sort()).toEqual(["--help", "-h", "healthcheck", "help", "list", "now", "pre-upgrade", "prune", "restore", "run", "verify"].sort());
  });

  test("dumps in custom format to a temp name, renamed once verified", () => {
    expect(script).toContain('pg_dump --format=custom --no-password --file="$partial"');
    expect(script).toContain('partial="$BACKUP_DIR/.$name.partial"');
    expect(script).toContain('mv -f -- "$partial" "$BACKUP_DIR/$name"');
    expect(script).toMatch(/name="\$kind-\$\{database\/\/\[\^A-Za-z0-9_\]\/_\}-\$stamp\$\{label:\+-\$label\}\.dump"/);
    expect(script).toContain("date -u +%Y%m%dT%H%M%SZ");
  });

  test("restores with --clean --if-exists --exit-on-error --single-transaction", () => {
    expect(script).toMatch(/pg_restore --clean --if-exists --exit-on-error --single-transaction/);
    expect(script).toContain('scratch="dean_verify_$$"');
  });

  test("bounds its waits and long-running commands", () => {
    expect(values.DB_WAIT_SECONDS).toMatch(/^\d+$/);
    expect(script).toContain('timeout --kill-after=60 "$OPERATION_TIMEOUT_SECONDS"');
    expect(script).toContain("trap on_stop TERM INT");
    expect(script).toMatch(/sleep "\$1" &\n\s+SLEEP_PID=\$!/);
  });

  test("carries no TypeScript leftovers", () => {
    expect(script).not.toContain("$\\{");
    expect(script).not.toMatch(/\bundefined\b|\[object Object\]|NaN/);
  });
});

describe("renderBackupScript, settings", () => {
  test("backup.enabled false keeps the container idle for manual and pre-upgrade dumps", () => {
    const script = renderBackupScript(input(parseStackConfig({ environment: "dev", backup: { enabled: false } }).backup));
    expect(constants(script).SCHEDULE_ENABLED).toBe("false");
  });

  test("the backup dir is shell-quoted", () => {
    expect(constants(renderBackupScript(input(prod(), "/backups/dean"))).BACKUP_DIR).toBe("'/backups/dean'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });

  test.each([
    [{ intervalSeconds: 0 }, /intervalSeconds must be a whole number/],
    [{ intervalSeconds: 1.5 }, /intervalSeconds must be a whole number/],
    [{ backupDir: "backups" }, /backupDir must be an absolute directory path/],
    [{ backupDir: "/" }, /backupDir must be an absolute directory path/],
    [{ backupDir: "/backups/" }, /backupDir must be an absolute directory path/],
    [{ backupDir: "/with space" }, /backupDir must be an absolute directory path/],
    [{ backupDir: "/it's" }, /backupDir must be an absolute directory path/],
  ])("refuses %j", (override, message) => {
    expect(() => renderBackupScript({ ...input(dev()), ...override })).toThrow(message);
  });
});
