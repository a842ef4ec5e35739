import { demultiplex, docker } from "./docker-client";
import { execIn, execOk } from "./docker-exec";

/** The backup container's `dean-backup` CLI and files, as operators use them. */

export interface Dump {
  readonly name: string;
  readonly bytes: number;
  /** When the dump finished (the file's mtime), epoch ms. */
  readonly time: number;
  readonly verified: boolean;
}

export interface BackupStatus {
  readonly newestGoodDump: string | null;
  readonly lastResult: "success" | "failure";
  readonly lastRunTime: string;
  readonly lastError: string | null;
}

export class Backups {
  constructor(readonly container: string) {}

  /** `dean-backup list`: newest first. */
  async list(): Promise<Dump[]> {
    const out = await execOk(this.container, ["dean-backup", "list"]);
    return out.split("\n").filter((line) => line.trim() !== "").map((line) => {
      const [name, bytes, time, verified] = line.split("\t");
      return { name, bytes: Number(bytes), time: Date.parse(time), verified: verified === "yes" };
    });
  }

  async status(): Promise<BackupStatus> {
    return JSON.parse(await execOk(this.container, ["cat", "/backups/status.json"])) as BackupStatus;
  }

  /** A `key=value` of a dump's .ok marker (what its verification checked). */
  async marker(name: string): Promise<Record<string, string>> {
    const text = await execOk(this.container, ["cat", `/backups/${name}.ok`]);
    return Object.fromEntries(text.split("\n").filter((line) => line.includes("=")).map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]));
  }

  /** What the scheduled job (`dean-backup run`, the container's main process) logged. */
  async jobLog(): Promise<string> {
    const raw = await docker().getContainer(this.container).logs({ stdout: true, stderr: true, follow: false });
    const { stdout, stderr } = demultiplex(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)));
    return `${stdout}${stderr}`;
  }

  /** Runs `dean-backup <args>`; stdout, stderr and exit code. */
  run(args: readonly string[], timeoutMs = 120_000) {
    return execIn(this.container, ["dean-backup", ...args], { timeoutMs });
  }

  /** The last stdout line of a successful `dean-backup <args>` (the file name for now/pre-upgrade). */
  async lastLine(args: readonly string[]): Promise<string> {
    const result = await this.run(args);
    if (result.exitCode !== 0) throw new Error(`dean-backup ${args.join(" ")} exited with ${result.exitCode}:\n${result.stderr}`);
    return result.stdout.trimEnd().split("\n").pop() ?? "";
  }

  /**
   * Makes every dump look written (and verified) at `when`, e.g. "3 days ago": the file's mtime
   * and the mtime its marker recorded move together, since a marker vouches only for a file
   * whose size and mtime are still those it recorded.
   */
  async age(when: string): Promise<void> {
    const script = [
      'for dump in /backups/*.dump; do',
      '  touch -d "$1" "$dump"',
      '  if [ -f "$dump.ok" ]; then',
      '    sed -i "s/^mtime=.*/mtime=$(stat -c %.9Y "$dump")/" "$dump.ok"',
      '    touch -d "$1" "$dump.ok"',
      '  fi',
      'done',
    ].join("\n");
    await execOk(this.container, ["sh", "-c", script, "age", when]);
  }

  /** The alembic revision recorded in a dump's data (which schema the dump holds). */
  async alembicRevisionIn(name: string): Promise<string> {
    const sql = await execOk(this.container, ["pg_restore", "--data-only", "--table=alembic_version", "--file=-", `/backups/${name}`]);
    const match = /COPY public\.alembic_version[^\n]*\n([^\n]*)\n/.exec(sql);
    if (!match) throw new Error(`${name} holds no alembic_version row:\n${sql}`);
    return match[1].trim();
  }
}
