import { Client, escapeIdentifier as ident, escapeLiteral as literal } from "pg";
import { type ApplyContext, noInPlaceUpdate, type ResourceHandler } from "./handler";
import { InputReader } from "./inputs";
import type { AppliedResource, Registration } from "./resource";

/**
 * The explicit postgresql provider and the objects the program creates through it, applied
 * with the SQL the postgresql provider issues. Each operation opens one connection with the
 * provider's settings (the engine hands a provider its inputs as strings) and closes it.
 */

export const POSTGRES_PROVIDER = "pulumi:providers:postgresql";
export const ROLE = "postgresql:index/role:Role";
export const DATABASE = "postgresql:index/database:Database";
export const EXTENSION = "postgresql:index/extension:Extension";
export const GRANT = "postgresql:index/grant:Grant";
export const GRANT_ROLE = "postgresql:index/grantRole:GrantRole";

const PROVIDER_KEYS = ["host", "port", "username", "password", "database", "sslmode", "superuser", "connectTimeout", "maxConnections"];

interface ProviderSettings {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly connectTimeoutSeconds: number;
}

function providerSettings(type: string, name: string, values: Record<string, unknown>): ProviderSettings {
  const inputs = InputReader.of(type, name, values, PROVIDER_KEYS);
  if (inputs.string("sslmode") !== "disable") throw inputs.refuse("sslmode", "must be disable (the e2e Postgres has no TLS)");
  // The provider's pool size: the harness holds one connection at a time, within any limit.
  if (inputs.has("maxConnections") && inputs.numericString("maxConnections") < 1) throw inputs.refuse("maxConnections", "must be at least 1");
  if (!inputs.booleanString("superuser")) throw inputs.refuse("superuser", "must be true (the harness issues superuser SQL)");
  return {
    host: inputs.string("host"),
    port: inputs.numericString("port"),
    user: inputs.string("username"),
    password: inputs.string("password"),
    database: inputs.string("database"),
    connectTimeoutSeconds: inputs.has("connectTimeout") ? inputs.numericString("connectTimeout") : 180,
  };
}

/** Runs statements on one connection to `database` (default: the provider's database). */
async function withConnection(context: ApplyContext, registration: Pick<Registration, "provider">, statements: (client: Client) => Promise<void>, database?: string): Promise<void> {
  const provider = context.provider(registration.provider);
  const settings = providerSettings(provider.type, provider.name, provider.inputs);
  const client = new Client({
    host: settings.host,
    port: settings.port,
    user: settings.user,
    password: settings.password,
    database: database ?? settings.database,
    connectionTimeoutMillis: settings.connectTimeoutSeconds * 1000,
    ssl: false,
  });
  await client.connect();
  try {
    await statements(client);
  } finally {
    await client.end();
  }
}

interface Statement {
  readonly text: string;
  readonly values?: readonly unknown[];
}

/** In a transaction, as the provider applies a grant's revoke-then-grant. */
async function transaction(client: Client, statements: readonly Statement[]): Promise<void> {
  await client.query("BEGIN");
  try {
    for (const statement of statements) await client.query(statement.text, statement.values ? [...statement.values] : undefined);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  }
}

/**
 * The provider's advisory locks (pgLockDatabase, pgLockRole): grants that touch the same
 * catalog row at once fail with "tuple concurrently updated", so it serializes them per
 * database and per role, held until the transaction ends.
 */
const lockDatabase = (database: string): Statement => ({ text: "SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_database WHERE datname = $1", values: [database] });
const lockRole = (role: string): Statement => ({ text: "SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_roles WHERE rolname = $1", values: [role] });

export const postgresProviderHandler: ResourceHandler = {
  validate: (registration) => void providerSettings(registration.type, registration.name, registration.inputs),
  // Like the real provider, nothing connects until a resource needs it.
  create: async (registration) => ({ outputs: {}, physicalId: registration.name }),
  update: async (_previous, registration) => ({ outputs: {}, physicalId: registration.name }),
  delete: async () => undefined,
};

const ROLE_KEYS = ["name", "login", "password", "superuser", "createDatabase", "createRole"];

function roleAttributes(registration: Registration | AppliedResource): { name: string; attributes: string } {
  const inputs = InputReader.of(registration.type, registration.name, registration.inputs, ROLE_KEYS);
  const flag = (key: string, yes: string, no: string): string => (inputs.optionalBoolean(key) ? yes : no);
  const password = inputs.optionalString("password");
  const attributes = [
    flag("login", "LOGIN", "NOLOGIN"),
    flag("superuser", "SUPERUSER", "NOSUPERUSER"),
    flag("createDatabase", "CREATEDB", "NOCREATEDB"),
    flag("createRole", "CREATEROLE", "NOCREATEROLE"),
    password === undefined ? "PASSWORD NULL" : `PASSWORD ${literal(password)}`,
  ].join(" ");
  return { name: inputs.string("name"), attributes };
}

export const roleHandler: ResourceHandler = {
  validate: (registration) => void roleAttributes(registration),
  create: async (registration, context) => {
    const role = roleAttributes(registration);
    // With `import` the role exists already (the bootstrap made it): the engine reads it and
    // the provider's update sets the attributes the program declares.
    const statement = registration.importId ? `ALTER ROLE ${ident(role.name)} WITH ${role.attributes}` : `CREATE ROLE ${ident(role.name)} WITH ${role.attributes}`;
    await withConnection(context, registration, async (client) => void (await client.query(statement)));
    return { outputs: { name: role.name }, physicalId: role.name };
  },
  // A new password (or another attribute) is ALTER ROLE in place; the planner refuses a rename.
  update: async (_previous, registration, context) => {
    const role = roleAttributes(registration);
    await withConnection(context, registration, async (client) => void (await client.query(`ALTER ROLE ${ident(role.name)} WITH ${role.attributes}`)));
    return { outputs: { name: role.name }, physicalId: role.name };
  },
  delete: async (resource, context) => {
    const name = ident(resource.physicalId);
    await withConnection(context, resource, async (client) => {
      await client.query(`REASSIGN OWNED BY ${name} TO CURRENT_USER`);
      await client.query(`DROP OWNED BY ${name}`);
      await client.query(`DROP ROLE IF EXISTS ${name}`);
    });
  },
};

function databaseInputs(registration: Registration) {
  const inputs = InputReader.of(registration.type, registration.name, registration.inputs, ["name", "owner", "encoding", "template"]);
  return { name: inputs.string("name"), owner: inputs.optionalString("owner"), encoding: inputs.optionalString("encoding"), template: inputs.optionalString("template") };
}

export const databaseHandler: ResourceHandler = {
  validate: (registration) => void databaseInputs(registration),
  create: async (registration, context) => {
    const database = databaseInputs(registration);
    if (registration.importId) {
      // Adopted as the engine imports: it must exist, with the declared owner.
      await withConnection(context, registration, async (client) => {
        const found = await client.query<{ owner: string }>("SELECT pg_catalog.pg_get_userbyid(datdba) AS owner FROM pg_catalog.pg_database WHERE datname = $1", [database.name]);
        if (found.rows.length === 0) throw new Error(`${registration.name}: resource '${database.name}' does not exist`);
        if (database.owner && found.rows[0]?.owner !== database.owner) await client.query(`ALTER DATABASE ${ident(database.name)} OWNER TO ${ident(database.owner)}`);
      });
      return { outputs: { name: database.name }, physicalId: database.name };
    }
    const clauses = [
      database.owner ? `OWNER ${ident(database.owner)}` : "",
      database.encoding ? `ENCODING ${literal(database.encoding)}` : "",
      database.template ? `TEMPLATE ${ident(database.template)}` : "",
    ].filter((clause) => clause !== "");
    await withConnection(context, registration, async (client) => void (await client.query(`CREATE DATABASE ${ident(database.name)} ${clauses.join(" ")}`)));
    return { outputs: { name: database.name }, physicalId: database.name };
  },
  update: noInPlaceUpdate(DATABASE),
  delete: async (resource, context) => {
    await withConnection(context, resource, async (client) => void (await client.query(`DROP DATABASE IF EXISTS ${ident(resource.physicalId)} WITH (FORCE)`)));
  },
};

function extensionInputs(registration: Registration | AppliedResource) {
  const inputs = InputReader.of(registration.type, registration.name, registration.inputs, ["name", "database"]);
  return { name: inputs.string("name"), database: inputs.string("database") };
}

export const extensionHandler: ResourceHandler = {
  validate: (registration) => void extensionInputs(registration),
  create: async (registration, context) => {
    const extension = extensionInputs(registration);
    await withConnection(context, registration, async (client) => void (await client.query(`CREATE EXTENSION IF NOT EXISTS ${ident(extension.name)}`)), extension.database);
    return { outputs: { name: extension.name, database: extension.database }, physicalId: `${extension.database}.${extension.name}` };
  },
  update: noInPlaceUpdate(EXTENSION),
  delete: async (resource, context) => {
    const extension = extensionInputs(resource);
    await withConnection(context, resource, async (client) => void (await client.query(`DROP EXTENSION IF EXISTS ${ident(extension.name)}`)), extension.database);
  },
};

const DATABASE_PRIVILEGES = ["CREATE", "CONNECT", "TEMPORARY", "TEMP", "ALL"];

function grantInputs(registration: Registration | AppliedResource) {
  const inputs = InputReader.of(registration.type, registration.name, registration.inputs, ["database", "role", "objectType", "privileges"]);
  if (inputs.string("objectType") !== "database") throw inputs.refuse("objectType", "must be database (the only object type the program grants on)");
  const privileges = inputs.stringArray("privileges");
  const unknown = privileges.filter((privilege) => !DATABASE_PRIVILEGES.includes(privilege));
  if (unknown.length > 0) throw inputs.refuse("privileges", `holds privileges a database does not have: ${unknown.join(", ")}`);
  const role = inputs.string("role");
  const database = inputs.string("database");
  return {
    database: ident(database),
    // `public` is the PUBLIC pseudo-role, a keyword rather than a role name.
    grantee: role === "public" ? "PUBLIC" : ident(role),
    privileges,
    locks: [lockDatabase(database), lockRole(role)],
  };
}

export const grantHandler: ResourceHandler = {
  validate: (registration) => void grantInputs(registration),
  // The provider revokes everything first, so the role ends with exactly `privileges` ([] = none).
  create: async (registration, context) => {
    const grant = grantInputs(registration);
    const statements = [...grant.locks, { text: `REVOKE ALL PRIVILEGES ON DATABASE ${grant.database} FROM ${grant.grantee}` }];
    if (grant.privileges.length > 0) statements.push({ text: `GRANT ${grant.privileges.join(", ")} ON DATABASE ${grant.database} TO ${grant.grantee}` });
    await withConnection(context, registration, (client) => transaction(client, statements));
    return { outputs: {}, physicalId: `${grant.grantee}@${grant.database}` };
  },
  update: noInPlaceUpdate(GRANT),
  delete: async (resource, context) => {
    const grant = grantInputs(resource);
    await withConnection(context, resource, (client) => transaction(client, [...grant.locks, { text: `REVOKE ALL PRIVILEGES ON DATABASE ${grant.database} FROM ${grant.grantee}` }]));
  },
};

function grantRoleInputs(registration: Registration | AppliedResource) {
  const inputs = InputReader.of(registration.type, registration.name, registration.inputs, ["role", "grantRole"]);
  const role = inputs.string("role");
  return { role: ident(role), grantRole: ident(inputs.string("grantRole")), locks: [lockRole(role)] };
}

export const grantRoleHandler: ResourceHandler = {
  validate: (registration) => void grantRoleInputs(registration),
  create: async (registration, context) => {
    const grant = grantRoleInputs(registration);
    await withConnection(context, registration, (client) => transaction(client, [...grant.locks, { text: `GRANT ${grant.grantRole} TO ${grant.role}` }]));
    return { outputs: {}, physicalId: `${grant.grantRole}>${grant.role}` };
  },
  update: noInPlaceUpdate(GRANT_ROLE),
  delete: async (resource, context) => {
    const grant = grantRoleInputs(resource);
    await withConnection(context, resource, (client) => transaction(client, [...grant.locks, { text: `REVOKE ${grant.grantRole} FROM ${grant.role}` }]));
  },
};
