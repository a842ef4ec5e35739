/**
 * The SQL the postgres bootstrap runs over the container's local socket (psql on stdin) after
 * the server is healthy and before the postgresql provider connects.
 *
 * Why it exists: `pulumi destroy` keeps the data volume, the application role and its
 * database. A later `pulumi up` generates a new superuser password, but initdb does not run on
 * a volume that already holds a cluster, so the server still has the old one; and the retained
 * role and database already exist, so creating them would fail. This script makes both hold
 * whatever the stack looks like: the superuser gets the stack's password, the role and the
 * database are created when missing, and the program then imports them (a no-op for objects
 * already in the stack's state) so the provider manages their attributes and password.
 *
 * It also marks the role and the database with a comment. A missing role or database while a
 * marked one exists under another name means `dean:postgres.user` or `dean:postgres.database`
 * changed on a stack with data: creating an empty one beside the data would silently point
 * the orchestrator at nothing, so the script refuses, naming the key and both values.
 */

export interface PostgresBootstrapNames {
  /** `dean:postgres.superuser`: the role initdb created; its password is set here. */
  readonly superuser: string;
  /** `dean:postgres.user`: the application role. */
  readonly user: string;
  /** `dean:postgres.database`: the application database. */
  readonly database: string;
}

/** Comments that mark the stack's own role and database (one stack per server). */
export const APP_ROLE_MARK = "dean-infra application role";
export const APP_DATABASE_MARK = "dean-infra application database";

/** An SQL identifier in double quotes. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** An SQL string literal in single quotes (standard_conforming_strings is on since 9.1). */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * A PL/pgSQL block that raises when `wanted` is missing while an object carrying `mark`
 * exists under another name. Runs before anything is created, so a refusal changes nothing.
 */
function renamedObjectCheck(kind: "role" | "database", key: string, wanted: string, mark: string): string {
  const [catalog, nameColumn, classId] = kind === "role"
    ? ["pg_catalog.pg_roles", "rolname", "pg_catalog.pg_authid"]
    : ["pg_catalog.pg_database", "datname", "pg_catalog.pg_database"];
  return [
    "DO $check$",
    "DECLARE previous text;",
    "BEGIN",
    `  IF EXISTS (SELECT FROM ${catalog} WHERE ${nameColumn} = ${quoteLiteral(wanted)}) THEN RETURN; END IF;`,
    `  SELECT o.${nameColumn} INTO previous FROM ${catalog} o`,
    `    JOIN pg_catalog.pg_shdescription d ON d.objoid = o.oid AND d.classoid = ${quoteLiteral(classId)}::regclass`,
    `    WHERE d.description = ${quoteLiteral(mark)} ORDER BY 1 LIMIT 1;`,
    "  IF previous IS NOT NULL THEN",
    `    RAISE EXCEPTION '${key} is % but this server''s ${kind} is %: refusing to create an empty ${kind} beside the data', ${quoteLiteral(wanted)}, previous`,
    `      USING HINT = format('Set ${key} back to %s. Renaming is done by hand (ALTER ${kind.toUpperCase()} ... RENAME TO ..., with the orchestrator stopped), then the key changed to match.', previous);`,
    "  END IF;",
    "END",
    "$check$;",
  ].join("\n");
}

/**
 * The bootstrap script. The text holds the superuser password: callers pass it as a secret
 * (the command's stdin), never on a command line or in a log.
 */
export function renderPostgresBootstrapSql(names: PostgresBootstrapNames, superuserPassword: string): string {
  if (superuserPassword.length === 0) throw new Error("renderPostgresBootstrapSql: the superuser password must not be empty");
  const role = quoteIdentifier(names.user);
  const database = quoteIdentifier(names.database);
  return [
    "-- Rendered by dean-infra (components/render/postgres-bootstrap-sql.ts).",
    "\\set ON_ERROR_STOP on",
    // The statement below carries a password: keep it out of the server log whatever the
    // server's logging settings are (this session only; needs the superuser, which we are).
    "SET log_statement = 'none';",
    "SET log_min_duration_statement = -1;",
    renamedObjectCheck("role", "dean:postgres.user", names.user, APP_ROLE_MARK),
    renamedObjectCheck("database", "dean:postgres.database", names.database, APP_DATABASE_MARK),
    `ALTER ROLE ${quoteIdentifier(names.superuser)} WITH PASSWORD ${quoteLiteral(superuserPassword)};`,
    // Bare: login, password and the other attributes are the postgresql provider's to set.
    `SELECT format('CREATE ROLE %I', ${quoteLiteral(names.user)}) WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${quoteLiteral(names.user)}) \\gexec`,
    `COMMENT ON ROLE ${role} IS ${quoteLiteral(APP_ROLE_MARK)};`,
    // What the postgresql provider's Database would create: template0, UTF8, owned by the role.
    `SELECT format('CREATE DATABASE %I OWNER %I TEMPLATE template0 ENCODING %L', ${quoteLiteral(names.database)}, ${quoteLiteral(names.user)}, 'UTF8') WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = ${quoteLiteral(names.database)}) \\gexec`,
    `COMMENT ON DATABASE ${database} IS ${quoteLiteral(APP_DATABASE_MARK)};`,
    "",
  ].join("\n");
}
