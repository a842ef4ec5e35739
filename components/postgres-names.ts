/**
 * PostgreSQL names the application database and roles must not take.
 *
 * - `public`, `none`, `current_user`, `session_user`, `current_role` and anything starting with
 *   `pg_` are reserved role names or role keywords: CREATE ROLE refuses them, or the name means
 *   something else wherever a role is expected (GRANT ... TO public is everyone).
 * - `postgres`, `template0` and `template1` are the databases initdb creates: the program
 *   connects to `postgres` for administration and PostgreSQL copies `template1` into every new
 *   database, so the application's data must not live in either.
 * - `all`, `sameuser`, `samerole`, `samegroup` and `replication` are keywords of pg_hba.conf's
 *   database and user columns: a database or role of that name cannot be matched by name.
 *
 * The superuser is the one exception: the official postgres image names its bootstrap superuser
 * `postgres` unless told otherwise, and every operator expects it, so `postgres` is allowed
 * there (and only there).
 */

const RESERVED = [
  "postgres", "template0", "template1",
  "public", "none", "current_user", "session_user", "current_role",
  "all", "sameuser", "samerole", "samegroup", "replication",
];

/** The image's default superuser name, allowed for `dean:postgres.superuser`. */
export const DEFAULT_SUPERUSER = "postgres";

export type PostgresNameUse = "database" | "role" | "superuser";

/** Why `name` cannot be used as `use`, as a "must ..." phrase; undefined when it can. */
export function reservedNameProblem(name: string, use: PostgresNameUse): string | undefined {
  const allowed = use === "superuser" ? [DEFAULT_SUPERUSER] : [];
  if (allowed.includes(name)) return undefined;
  if (name.startsWith("pg_")) return "must not start with pg_ (PostgreSQL reserves it for its own roles and catalogs)";
  if (!RESERVED.includes(name)) return undefined;
  const others = RESERVED.filter((reserved) => !allowed.includes(reserved));
  return `must not be a name PostgreSQL reserves or creates itself (${others.join(", ")}, pg_*)${use === "superuser" ? "" : `; ${DEFAULT_SUPERUSER} is the superuser's and the administration database's`}`;
}
