import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { APP_DATABASE_MARK, APP_ROLE_MARK, renderPostgresBootstrapSql, type PostgresBootstrapNames } from "../../components/render/postgres-bootstrap-sql";
import { describeWithBinaries, findBinary, POSTGRES_BIN_DIR } from "./support/binaries";
import { ScratchPostgres } from "./support/postgres";
import { runCaptured, type Captured } from "./support/processes";

jest.setTimeout(120_000);

const NAMES: PostgresBootstrapNames = { superuser: "postgres", user: "dean_app", database: "dean_data" };

interface RoleRow { oid: number; rolcanlogin: boolean; description: string | null }
interface DatabaseRow { oid: number; owner: string; encoding: string; description: string | null }

/**
 * The postgres bootstrap script against a real PostgreSQL 15: what a first deploy, a second
 * run, a redeploy onto data retained by `pulumi destroy` (new superuser password), and a
 * renamed role or database do to the server.
 */
describeWithBinaries(
  "the postgres bootstrap SQL against a real PostgreSQL 15",
  { initdb: findBinary("initdb", [POSTGRES_BIN_DIR]), postgres: findBinary("postgres", [POSTGRES_BIN_DIR]), psql: findBinary("psql", [POSTGRES_BIN_DIR]) },
  (bin) => {
    let cluster: ScratchPostgres;
    let dir: string;
    /** The superuser password the server has now (the bootstrap changes it). */
    let current: string;

    beforeAll(async () => {
      cluster = await ScratchPostgres.start(path.dirname(bin.postgres));
      current = cluster.password;
      dir = mkdtempSync(path.join(os.tmpdir(), "dean-bootstrap-"));
    });

    afterAll(async () => {
      await cluster?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** Runs the script as the container's psql would, authenticated with the current password. */
    const bootstrap = async (names: PostgresBootstrapNames, newPassword: string): Promise<Captured> => {
      const file = path.join(dir, "bootstrap.sql");
      writeFileSync(file, renderPostgresBootstrapSql(names, newPassword), { mode: 0o600 });
      return runCaptured(bin.psql, ["--no-psqlrc", "--quiet", "--username", names.superuser, "--dbname", "postgres", "--file", file], {
        env: cluster.env("postgres", { PGPASSWORD: current }),
        timeoutMs: 60_000,
      });
    };
    const asSuperuser = <R extends object>(sql: string, params: unknown[] = [], database = "postgres") =>
      cluster.query<R>(database, sql, params, "postgres", current);
    const role = async (): Promise<RoleRow | undefined> => (await asSuperuser<RoleRow>(
      "SELECT r.oid::int AS oid, r.rolcanlogin, pg_catalog.shobj_description(r.oid, 'pg_authid') AS description FROM pg_catalog.pg_roles r WHERE r.rolname = $1",
      [NAMES.user],
    ))[0];
    const database = async (): Promise<DatabaseRow | undefined> => (await asSuperuser<DatabaseRow>(
      `SELECT d.oid::int AS oid, pg_catalog.pg_get_userbyid(d.datdba) AS owner, pg_catalog.pg_encoding_to_char(d.encoding) AS encoding,
        pg_catalog.shobj_description(d.oid, 'pg_database') AS description FROM pg_catalog.pg_database d WHERE d.datname = $1`,
      [NAMES.database],
    ))[0];
    const superuserLogin = (password: string): Promise<boolean> =>
      cluster.query("postgres", "SELECT 1", [], "postgres", password).then(() => true, () => false);

    test("a first run sets the superuser password and creates the bare role and its database, marked", async () => {
      const run = await bootstrap(NAMES, "FirstPassword1");
      expect(run).toMatchObject({ code: 0, stderr: "" });
      expect([await superuserLogin("FirstPassword1"), await superuserLogin(current)]).toEqual([true, false]);
      current = "FirstPassword1";
      // Bare: LOGIN and the password are the postgresql provider's, after it imports the role.
      expect(await role()).toMatchObject({ rolcanlogin: false, description: APP_ROLE_MARK });
      expect(await database()).toMatchObject({ owner: NAMES.user, encoding: "UTF8", description: APP_DATABASE_MARK });
    });

    test("a second run with the same password changes nothing and succeeds", async () => {
      const [roleBefore, databaseBefore] = [await role(), await database()];
      expect(await bootstrap(NAMES, current)).toMatchObject({ code: 0, stderr: "" });
      expect([await role(), await database()]).toEqual([roleBefore, databaseBefore]);
    });

    test("after a destroy (new superuser password, retained role, database and data) it adopts what is there", async () => {
      await asSuperuser(`ALTER ROLE "${NAMES.user}" LOGIN PASSWORD 'RetainedApp1'`);
      await asSuperuser("CREATE TABLE kept (value text); INSERT INTO kept VALUES ('before destroy')", [], NAMES.database);
      const [roleBefore, databaseBefore] = [await role(), await database()];

      expect(await bootstrap(NAMES, "AfterDestroy2")).toMatchObject({ code: 0, stderr: "" });
      current = "AfterDestroy2";
      expect(await superuserLogin("AfterDestroy2")).toBe(true);
      // The same role and database (same oids), the data in place, the role's own attributes
      // left for the provider (it still logs in with its old password until the provider's update).
      expect([await role(), await database()]).toEqual([{ ...roleBefore, rolcanlogin: true }, databaseBefore]);
      expect(await asSuperuser<{ value: string }>("SELECT value FROM kept", [], NAMES.database)).toEqual([{ value: "before destroy" }]);
      expect(await cluster.query(NAMES.database, "SELECT 1 AS one", [], NAMES.user, "RetainedApp1")).toEqual([{ one: 1 }]);
    });

    test.each([
      ["dean:postgres.user", { ...NAMES, user: "renamed_app" }, NAMES.user],
      ["dean:postgres.database", { ...NAMES, database: "renamed_data" }, NAMES.database],
    ])("a changed %s is refused, naming the key and both names, before anything changes", async (key, renamed, previous) => {
      const run = await bootstrap(renamed, "NeverApplied3");
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain(`${key} is ${key.endsWith("user") ? renamed.user : renamed.database} but this server's`);
      expect(run.stderr).toContain(`is ${previous}: refusing to create an empty`);
      expect(run.stderr).toContain(`Set ${key} back to ${previous}.`);
      // The password statement comes after the checks: the server still has the old one.
      expect([await superuserLogin(current), await superuserLogin("NeverApplied3")]).toEqual([true, false]);
      const created = await asSuperuser<{ name: string }>(
        "SELECT rolname AS name FROM pg_catalog.pg_roles WHERE rolname = 'renamed_app' UNION ALL SELECT datname FROM pg_catalog.pg_database WHERE datname = 'renamed_data'",
      );
      expect(created).toEqual([]);
    });
  },
);
