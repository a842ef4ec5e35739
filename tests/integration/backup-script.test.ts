import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseStackConfig } from "../../components/config";
import { renderBackupScript } from "../../components/render/backup-script";
import { age, ageDump, APP_DATABASE, APP_ROLE, createAppDatabase, DAY, dumpName, fakeDump, tableChecksums } from "./support/backup-fixtures";
import { describeWithBinaries, findBinary, POSTGRES_BIN_DIR } from "./support/binaries";
import { ScratchPostgres } from "./support/postgres";
import { exitOf, runCaptured, startProcess, stopPid, waitFor, type Captured, type RunningProcess } from "./support/processes";

jest.setTimeout(120_000);

const HOUR = 3600;
const DUMP_NAME = /^(scheduled|manual|pre-upgrade)-dean_production-\d{8}T\d{6}Z(-[A-Za-z0-9._-]+)?\.dump$/;

interface Status {
  newestGoodDump: string | null;
  newestGoodDumpTime: string | null;
  newestGoodDumpEpoch: number | null;
  lastResult: "success" | "failure";
  lastDump: string | null;
  lastRunTime: string;
  lastError: string | null;
}

const pg = { bin: (name: string): string | undefined => findBinary(name, [POSTGRES_BIN_DIR]) };

describeWithBinaries(
  "dean-backup against a real PostgreSQL 15",
  {
    bash: findBinary("bash"),
    touch: findBinary("touch"),
    initdb: pg.bin("initdb"),
    postgres: pg.bin("postgres"),
    pg_dump: pg.bin("pg_dump"),
    pg_restore: pg.bin("pg_restore"),
    psql: pg.bin("psql"),
    pg_isready: pg.bin("pg_isready"),
  },
  (bin) => {
    let cluster: ScratchPostgres;
    let root: string;
    const background: RunningProcess[] = [];

    /** Renders the script for a fresh backup dir (the dir is baked into the script, as in the container). */
    const install = (name: string, backup: Record<string, unknown> = {}, intervalSeconds = HOUR): { script: string; dir: string } => {
      const dir = path.join(root, name, "backups");
      mkdirSync(dir, { recursive: true });
      const settings = parseStackConfig({ environment: "dev", backup: { interval: "1h", retentionDays: 7, minKeep: 3, verify: "restore", ...backup } }).backup;
      const script = path.join(root, name, "dean-backup");
      writeFileSync(script, renderBackupScript({ backup: settings, intervalSeconds, backupDir: dir }), { mode: 0o755 });
      return { script, dir };
    };

    const run = (script: string, args: readonly string[], env: Record<string, string> = {}): Promise<Captured> =>
      runCaptured(bin.bash, [script, ...args], { env: cluster.env(APP_DATABASE, env), timeoutMs: 120_000 });

    const lastLine = (text: string): string => text.trimEnd().split("\n").pop() ?? "";
    const readStatus = (dir: string): Status => JSON.parse(readFileSync(path.join(dir, "status.json"), "utf8")) as Status;
    const marker = (dir: string, name: string): Record<string, string> =>
      Object.fromEntries(readFileSync(path.join(dir, `${name}.ok`), "utf8").trim().split("\n").map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]));
    const scratchDatabases = async (): Promise<string[]> =>
      (await cluster.query<{ datname: string }>("postgres", "SELECT datname FROM pg_database WHERE datname LIKE 'dean_verify_%'")).map((row) => row.datname);

    beforeAll(async () => {
      root = mkdtempSync(path.join(os.tmpdir(), "dean-backup-"));
      cluster = await ScratchPostgres.start(path.dirname(bin.postgres));
      await createAppDatabase(cluster);
    });

    afterAll(async () => {
      for (const running of background) await stopPid(running.pid, "SIGKILL");
      await cluster?.stop();
      if (root) rmSync(root, { recursive: true, force: true });
    });

    test("the script holds no credential; the connection comes from the environment", () => {
      const { script } = install("no-secrets");
      const text = readFileSync(script, "utf8");
      expect(text).not.toContain(cluster.password);
      expect(text).not.toMatch(/PGPASSWORD=/);
    });

    test("the rendered script is valid bash (and shellcheck-clean where shellcheck is installed)", async () => {
      const { script } = install("lint");
      const syntax = await runCaptured(bin.bash, ["-n", script]);
      expect([syntax.code, syntax.stderr]).toEqual([0, ""]);
      const shellcheck = findBinary("shellcheck");
      if (shellcheck === undefined) {
        // scripts/setup-test-host.sh installs it; in CI its absence is a failure, not a skip.
        if (process.env.CI === "true") throw new Error("shellcheck is not installed (Debian package shellcheck)");
        console.warn("shellcheck is not installed: the rendered dean-backup was only checked with bash -n");
        return;
      }
      const lint = await runCaptured(shellcheck, ["--shell=bash", "--severity=style", script]);
      expect([lint.code, lint.stdout]).toEqual([0, ""]);
    });

    test("with scheduled dumps disabled the healthcheck passes and says why", async () => {
      const { script } = install("disabled", { enabled: false });
      const result = await run(script, ["healthcheck"]);
      expect([result.code, result.stdout.trim()]).toEqual([0, "healthy: scheduled dumps are disabled"]);
    });

    describe("dumps, verification, listing and restore", () => {
      let script: string;
      let dir: string;
      let manual: string;
      let preUpgrade: string;

      beforeAll(() => {
        ({ script, dir } = install("main"));
      });

      test("`now` takes a verified dump and prints its name as the last line", async () => {
        const result = await run(script, ["now", "before maintenance!"]);
        expect(result.code).toBe(0);
        manual = lastLine(result.stdout);
        expect(manual).toMatch(DUMP_NAME);
        expect(manual).toMatch(/^manual-dean_production-\d{8}T\d{6}Z-before_maintenance_\.dump$/);
        expect(statSync(path.join(dir, manual)).mode & 0o777).toBe(0o600);
        const checked = marker(dir, manual);
        expect(checked).toMatchObject({ verify: "restore", source_tables: "4", restored_tables: "4" });
        expect(checked.sha256).toMatch(/^[0-9a-f]{64}$/);
        expect(await scratchDatabases()).toEqual([]);
        expect(readdirSync(dir).filter((file) => file.startsWith("."))).toEqual([]);
      });

      test("status.json names the newest good dump", () => {
        const status = readStatus(dir);
        expect(status).toMatchObject({ newestGoodDump: manual, lastResult: "success", lastDump: manual, lastError: null });
        const mtime = Math.floor(statSync(path.join(dir, manual)).mtimeMs / 1000);
        expect(status.newestGoodDumpEpoch).toBe(mtime);
        expect(status.newestGoodDumpTime).toBe(new Date(mtime * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"));
      });

      test("`pre-upgrade <label>` sanitises the label into the name", async () => {
        const result = await run(script, ["pre-upgrade", "dean/orchestrator:1.0.1"]);
        expect(result.code).toBe(0);
        preUpgrade = lastLine(result.stdout);
        expect(preUpgrade).toMatch(/^pre-upgrade-dean_production-\d{8}T\d{6}Z-dean_orchestrator_1\.0\.1\.dump$/);
        expect(existsSync(path.join(dir, `${preUpgrade}.ok`))).toBe(true);
        expect(readStatus(dir).newestGoodDump).toBe(preUpgrade);
      });

      test("`pre-upgrade` without a label is a usage error", async () => {
        const result = await run(script, ["pre-upgrade"]);
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(/needs a label/);
      });

      test("`list` shows every dump newest first: name, bytes, UTC time, verified", async () => {
        await ageDump(dir, manual, 60);
        const unverified = dumpName("manual", 30, "copied-in");
        writeFileSync(path.join(dir, unverified), "not checked yet\n");
        await age(path.join(dir, unverified), 30);
        const result = await run(script, ["list"]);
        expect(result.code).toBe(0);
        const rows = result.stdout.trim().split("\n").map((line) => line.split("\t"));
        expect(rows.map((row) => row[0])).toEqual([preUpgrade, unverified, manual]);
        for (const [name, size, time] of rows) {
          expect(Number(size)).toBe(statSync(path.join(dir, name)).size);
          expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        }
        expect(rows.map((row) => row[3])).toEqual(["yes", "no", "yes"]);
        rmSync(path.join(dir, unverified));
      });

      test("`verify` checks the newest dump by default, or the one named", async () => {
        const newest = await run(script, ["verify"]);
        expect(newest.code).toBe(0);
        expect(newest.stdout).toContain(`verified ${preUpgrade}`);
        const named = await run(script, ["verify", manual]);
        expect(named.code).toBe(0);
        expect(await scratchDatabases()).toEqual([]);
      });

      test("`verify` marks a good dump that had no marker (copied back from off-site), counting tables from its contents", async () => {
        const copied = dumpName("manual", 15, "offsite");
        writeFileSync(path.join(dir, copied), readFileSync(path.join(dir, manual)));
        const result = await run(script, ["verify", copied]);
        expect(result.code).toBe(0);
        expect(marker(dir, copied)).toMatchObject({ verify: "restore", source_tables: "4", restored_tables: "4" });
        rmSync(path.join(dir, copied));
        rmSync(path.join(dir, `${copied}.ok`));
      });

      test("`verify` fails on an unreadable dump", async () => {
        const broken = dumpName("manual", 10, "truncated");
        writeFileSync(path.join(dir, broken), readFileSync(path.join(dir, manual)).subarray(0, 200));
        const result = await run(script, ["verify", broken]);
        expect(result.code).not.toBe(0);
        expect(result.stdout).toContain(`FAILED ${broken}`);
        expect(existsSync(path.join(dir, `${broken}.ok`))).toBe(false);
        rmSync(path.join(dir, broken));
      });

      test("`verify` fails on a dump changed since it was verified, and unmarks it", async () => {
        const tampered = dumpName("manual", 20, "tampered");
        const bytes = readFileSync(path.join(dir, manual));
        bytes[bytes.length - 10] ^= 0xff;
        writeFileSync(path.join(dir, tampered), bytes);
        writeFileSync(path.join(dir, `${tampered}.ok`), readFileSync(path.join(dir, `${manual}.ok`)));
        const result = await run(script, ["verify", tampered]);
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/changed since it was verified/);
        expect(existsSync(path.join(dir, `${tampered}.ok`))).toBe(false);
        rmSync(path.join(dir, tampered));
      });

      test("`restore --into` a new database gives identical rows, owned by the application role", async () => {
        const result = await run(script, ["restore", manual, "--into", "dean_restored"]);
        expect(result.code).toBe(0);
        expect(lastLine(result.stdout)).toBe(`restored ${manual} into dean_restored: 4 tables in schema public`);
        expect(await tableChecksums(cluster, "dean_restored")).toEqual(await tableChecksums(cluster, APP_DATABASE));
        const owners = await cluster.query<{ tableowner: string }>("dean_restored", "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'");
        expect(owners).toEqual([{ tableowner: APP_ROLE }]);
      });

      test("`restore` into an existing database replaces its contents", async () => {
        await cluster.query("dean_restored", "DELETE FROM runs WHERE id > 10; UPDATE agents SET name = 'changed'");
        const result = await run(script, ["restore", path.join(dir, manual), "--into", "dean_restored"]);
        expect(result.code).toBe(0);
        expect(await tableChecksums(cluster, "dean_restored")).toEqual(await tableChecksums(cluster, APP_DATABASE));
      });

      test("`restore` without --into rolls the application database back to the dump", async () => {
        const atDump = await tableChecksums(cluster, "dean_restored");
        await cluster.query(APP_DATABASE, "DELETE FROM runs WHERE id % 2 = 0; INSERT INTO agents (name) VALUES ('after the dump')");
        expect(await tableChecksums(cluster, APP_DATABASE)).not.toEqual(atDump);
        const result = await run(script, ["restore", manual]);
        expect(result.code).toBe(0);
        expect(lastLine(result.stdout)).toBe(`restored ${manual} into ${APP_DATABASE}: 4 tables in schema public`);
        expect(await tableChecksums(cluster, APP_DATABASE)).toEqual(atDump);
      });

      test("`restore` refuses files that are missing or outside the backup dir", async () => {
        const outside = path.join(root, manual);
        writeFileSync(outside, readFileSync(path.join(dir, manual)));
        const cases: ReadonlyArray<[readonly string[], RegExp]> = [
          [["restore", "manual-dean_production-20000101T000000Z.dump"], /no such dump/],
          [["restore", outside], /refusing .*only dumps directly inside/],
          [["restore", path.join(dir, "..", "..", manual)], /refusing/],
          [["restore", "/etc/hostname"], /refusing|no such dump/],
          [["restore", manual, "--into", "bad-name;drop"], /SQL identifier/],
          [["restore"], /needs a dump file/],
        ];
        for (const [args, message] of cases) {
          const result = await run(script, args);
          expect([args.join(" "), result.code === 0, message.test(result.stderr)]).toEqual([args.join(" "), false, true]);
        }
      });

      test("a failed dump leaves no file behind and is recorded in status.json", async () => {
        const before = readdirSync(dir).sort();
        const result = await run(script, ["now"], { PGPASSWORD: "wrong-password" });
        expect(result.code).toBe(1);
        expect(result.stdout).toBe("");
        expect(readdirSync(dir).sort()).toEqual(before);
        const status = readStatus(dir);
        expect(status).toMatchObject({ lastResult: "failure", newestGoodDump: preUpgrade });
        expect(status.lastError).toMatch(/dean_production/);
      });

      test("`help` explains the commands", async () => {
        const result = await run(script, ["help"]);
        expect(result.code).toBe(0);
        for (const command of ["run", "now", "pre-upgrade", "list", "verify", "restore", "prune", "healthcheck"]) {
          expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
        }
      });
    });

    test("verify mode `list` checks the archive without restoring it", async () => {
      const { script, dir } = install("list-mode", { verify: "list" });
      const result = await run(script, ["now"]);
      expect(result.code).toBe(0);
      const checked = marker(dir, lastLine(result.stdout));
      expect(checked).toMatchObject({ verify: "list", source_tables: "4", restored_tables: "" });
    });

    describe("healthcheck", () => {
      test("unhealthy without a dump, healthy after one, unhealthy once it is older than 2 intervals", async () => {
        const { script, dir } = install("health", {}, HOUR);
        const empty = await run(script, ["healthcheck"]);
        expect(empty.code).toBe(1);
        expect(empty.stdout).toMatch(/no verified dump/);

        const dump = lastLine((await run(script, ["now"])).stdout);
        const fresh = await run(script, ["healthcheck"]);
        expect([fresh.code, fresh.stdout]).toEqual([0, expect.stringMatching(/^healthy/)]);

        await ageDump(dir, dump, 2 * HOUR + 60);
        const stale = await run(script, ["healthcheck"]);
        expect(stale.code).toBe(1);
        expect(stale.stdout).toMatch(new RegExp(`unhealthy: the newest verified dump ${dump.replace(/\./g, "\\.")} is \\d+s old \\(limit 7200s\\)`));

        // An unverified newer file does not count.
        writeFileSync(path.join(dir, dumpName("manual", 0)), "unverified\n");
        expect((await run(script, ["healthcheck"])).code).toBe(1);

        await ageDump(dir, dump, 2 * HOUR - 60);
        expect((await run(script, ["healthcheck"])).code).toBe(0);
      });

      test("a verified dump whose bytes change afterwards no longer counts, even under the same name and mtime second", async () => {
        const { script, dir } = install("health-overwritten", {}, HOUR);
        const dump = lastLine((await run(script, ["now"])).stdout);
        expect((await run(script, ["healthcheck"])).code).toBe(0);
        const file = path.join(dir, dump);
        const { mtime } = statSync(file);

        // Same name, other bytes, the modification time put back to the verified second.
        writeFileSync(file, "overwritten after verification\n");
        utimesSync(file, mtime, mtime);
        const overwritten = await run(script, ["healthcheck"]);
        expect([overwritten.code, overwritten.stdout]).toEqual([1, "unhealthy: no verified dump in " + dir + "\n"]);
        const listed = await run(script, ["list"]);
        expect(listed.stdout.split("\t")[3]?.trim()).toBe("no");
        const verified = await run(script, ["verify", dump]);
        expect([verified.code, verified.stdout.trim()]).toEqual([1, `FAILED ${dump}`]);
        expect(verified.stderr).toMatch(/changed since it was verified \(sha256 [0-9a-f]{64}, recorded [0-9a-f]{64}; size and mtime \d+ [\d.]+, recorded \d+ [\d.]+\)/);
        expect(existsSync(`${file}.ok`)).toBe(false);
      });

      test("a dump only touched after verification (same bytes) is unverified until verify checks every byte again", async () => {
        const { script, dir } = install("health-touched", {}, HOUR);
        const dump = lastLine((await run(script, ["now"])).stdout);
        await age(path.join(dir, dump), 60);
        expect((await run(script, ["healthcheck"])).code).toBe(1);
        const verified = await run(script, ["verify", dump]);
        expect(verified.code).toBe(0);
        expect(verified.stderr).toMatch(/was touched since it was verified .* its bytes match the recorded sha256/);
        expect((await run(script, ["healthcheck"])).code).toBe(0);
      });

      test("markers of an earlier dean-backup (no size and mtime) are adopted at start when the sha256 still matches", async () => {
        const { script, dir } = install("legacy-markers", { enabled: false }, HOUR);
        const intact = lastLine((await run(script, ["now", "intact"])).stdout);
        const altered = lastLine((await run(script, ["now", "altered"])).stdout);
        for (const name of [intact, altered]) {
          const marker = path.join(dir, `${name}.ok`);
          writeFileSync(marker, readFileSync(marker, "utf8").replace(/^(size|mtime)=.*\n/gm, ""));
        }
        writeFileSync(path.join(dir, altered), "altered while the old marker vouched for it\n");
        const before = await run(script, ["list"]);
        expect(before.stdout.trim().split("\n").map((row) => row.split("\t")[3])).toEqual(["no", "no"]);

        // The scheduler adopts markers before it idles (scheduled dumps are disabled here).
        const running = startProcess(bin.bash, [script, "run"], { env: cluster.env(APP_DATABASE), logPrefix: path.join(root, "legacy-markers", "log") });
        background.push(running);
        await waitFor("the scheduler to idle", () => (/scheduled dumps are disabled/.test(running.output()) ? true : undefined), 30_000, 100);
        process.kill(running.pid, "SIGTERM");
        expect(await exitOf(running.child, 30_000)).toBe(0);
        expect(running.output()).toContain(`recorded the size and modification time of ${intact} in its marker`);
        expect(running.output()).toContain(`warning: ${altered} does not match the sha256 its marker recorded`);
        const rows = (await run(script, ["list"])).stdout.trim().split("\n").map((row) => row.split("\t"));
        expect(Object.fromEntries(rows.map((row) => [row[0], row[3]]))).toEqual({ [intact]: "yes", [altered]: "no" });
      });
    });

    describe("retention (prune)", () => {
      const files = (dir: string): string[] => readdirSync(dir).sort();

      test("old verified dumps go, the minKeep newest stay, leftovers older than a day go", async () => {
        const { script, dir } = install("prune", { retentionDays: 7, minKeep: 3 });
        const keep = [dumpName("scheduled", 1 * DAY), dumpName("manual", 2 * DAY, "x"), dumpName("scheduled", 10 * DAY)];
        const expire = [dumpName("pre-upgrade", 11 * DAY, "v1.0.0"), dumpName("scheduled", 12 * DAY)];
        for (const [i, name] of [...keep, ...expire].entries()) await fakeDump(dir, name, [1, 2, 10, 11, 12][i] * DAY, true);
        const recentUnverified = dumpName("manual", 2 * HOUR, "in-progress");
        const oldUnverified = dumpName("scheduled", 2 * DAY, "stale");
        await fakeDump(dir, recentUnverified, 2 * HOUR, false);
        await fakeDump(dir, oldUnverified, 2 * DAY, false);
        const leftovers = [`.${dumpName("scheduled", 3 * DAY)}.partial`, `${dumpName("scheduled", 3 * DAY, "gone")}.ok`, ".status.json.AbC123"];
        for (const name of leftovers) {
          writeFileSync(path.join(dir, name), "leftover\n");
          await age(path.join(dir, name), 3 * DAY);
        }
        const freshPartial = `.${dumpName("scheduled", 60)}.partial`;
        writeFileSync(path.join(dir, freshPartial), "being written\n");
        // Files that are not the script's own stay, however old.
        for (const name of ["offsite-copy.dump", "README.txt"]) {
          writeFileSync(path.join(dir, name), "operator's\n");
          await age(path.join(dir, name), 30 * DAY);
        }

        const result = await run(script, ["prune"]);
        expect(result.code).toBe(0);
        expect(files(dir)).toEqual(
          [...keep.flatMap((name) => [name, `${name}.ok`]), recentUnverified, freshPartial, "offsite-copy.dump", "README.txt"].sort(),
        );
      });

      test("when every dump is old, the minKeep newest are kept", async () => {
        const { script, dir } = install("prune-old", { retentionDays: 7, minKeep: 3 });
        const ages = [20, 21, 22, 23, 24].map((days) => days * DAY);
        const names = ages.map((seconds) => dumpName("scheduled", seconds));
        for (const [i, name] of names.entries()) await fakeDump(dir, name, ages[i], true);
        expect((await run(script, ["prune"])).code).toBe(0);
        expect(files(dir)).toEqual(names.slice(0, 3).flatMap((name) => [name, `${name}.ok`]).sort());
      });

      test("the newest good dump is never deleted, even with minKeep 1 and a newer unverified file", async () => {
        const { script, dir } = install("prune-newest", { retentionDays: 1, minKeep: 1 });
        const newestGood = dumpName("pre-upgrade", 40 * DAY, "v0.9");
        const older = dumpName("scheduled", 41 * DAY);
        const unverified = dumpName("manual", HOUR);
        await fakeDump(dir, newestGood, 40 * DAY, true);
        await fakeDump(dir, older, 41 * DAY, true);
        await fakeDump(dir, unverified, HOUR, false);
        expect((await run(script, ["prune"])).code).toBe(0);
        expect(files(dir)).toEqual([newestGood, `${newestGood}.ok`, unverified].sort());
      });

      test("dumps within the retention period all stay, beyond minKeep", async () => {
        const { script, dir } = install("prune-recent", { retentionDays: 7, minKeep: 2 });
        const names = [1, 2, 3, 4, 5].map((days) => dumpName("scheduled", days * DAY));
        for (const [i, name] of names.entries()) await fakeDump(dir, name, (i + 1) * DAY, true);
        expect((await run(script, ["prune"])).code).toBe(0);
        expect(files(dir)).toHaveLength(10);
      });
    });

    describe("run (the container's main process)", () => {
      test("dumps at start and every interval, and prunes", async () => {
        const { script, dir } = install("run", { retentionDays: 1, minKeep: 1 }, 2);
        const stale = dumpName("scheduled", 5 * DAY);
        await fakeDump(dir, stale, 5 * DAY, true);
        const running = startProcess(bin.bash, [script, "run"], { env: cluster.env(APP_DATABASE), logPrefix: path.join(root, "run", "log") });
        background.push(running);
        const scheduled = (): string[] => readdirSync(dir).filter((name) => DUMP_NAME.test(name) && name !== stale && existsSync(path.join(dir, `${name}.ok`)));
        await waitFor("two scheduled dumps", () => (scheduled().length >= 2 ? true : undefined), 60_000, 200);
        expect(scheduled().every((name) => name.startsWith("scheduled-"))).toBe(true);
        await waitFor("the stale dump to be pruned", () => (existsSync(path.join(dir, stale)) ? undefined : true), 30_000, 200);
        expect(readStatus(dir).lastResult).toBe("success");
        await stopPid(running.pid);
      });

      test("TERM during the wait between dumps ends it at once and leaves nothing behind", async () => {
        // An hour between dumps: once the first dump is pruned the process can only be asleep,
        // so exiting within the bound below (far below an hour) proves the wait was interrupted.
        const { script, dir } = install("run-stop", { retentionDays: 1, minKeep: 1 }, HOUR);
        const running = startProcess(bin.bash, [script, "run"], { env: cluster.env(APP_DATABASE), logPrefix: path.join(root, "run-stop", "log") });
        background.push(running);
        await waitFor("the first dump and prune", () => (/prune: removed/.test(running.output()) ? true : undefined), 60_000, 100);
        process.kill(running.pid, "SIGTERM");
        expect(await exitOf(running.child, 30_000)).toBe(0);
        expect(running.output()).toMatch(/stop requested/);
        expect(await scratchDatabases()).toEqual([]);
        expect(readdirSync(dir).filter((name) => name.endsWith(".partial"))).toEqual([]);
      });
    });
  },
);
