import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import type { PostgresSettings } from "./config";
import { containerFiles, filesMount } from "./container-files";
import { type ContainerContext, dockerName, serviceContainerDefaults, shellQuote, tmpfsOptions } from "./container-defaults";
import { dataVolume } from "./data-volume";
import { pidsLimit } from "./pids-limit";
import { renderPostgresBootstrapSql } from "./render/postgres-bootstrap-sql";

/** Name the other containers use for Postgres on the backend network. */
export const POSTGRES_ALIAS = "postgres";
export const POSTGRES_PORT = 5432;
const DATA_DIR = "/var/lib/postgresql/data";
/** Where the secrets volume is mounted (Docker's secrets path), read-only. */
const SECRETS_DIR = "/run/secrets";
const SUPERUSER_PASSWORD = "dean-postgres-superuser-password";
/** Where the initdb superuser password reaches the server container. */
export const SUPERUSER_PASSWORD_FILE = `${SECRETS_DIR}/${SUPERUSER_PASSWORD}`;
/**
 * What the server writes besides its data volume, its root filesystem being read-only: its
 * socket and lock file, and the entrypoint's temporary pg_hba.conf while initdb runs.
 */
const POSTGRES_TMPFS: Readonly<Record<string, string>> = {
  "/var/run/postgresql": tmpfsOptions(1),
  "/tmp": tmpfsOptions(16),
};

export interface PostgresArgs {
  readonly context: ContainerContext;
  /** Validated postgres settings. */
  readonly settings: PostgresSettings;
  /** Image ID of the postgres image. */
  readonly image: pulumi.Input<string>;
  /** Internal network shared with the orchestrator and the backup job. */
  readonly backendNetwork: pulumi.Input<string>;
  /** Bridge network used only to publish the port on 127.0.0.1. */
  readonly hostAccessNetwork: pulumi.Input<string>;
  /** Bootstrap superuser password (secret). */
  readonly superuserPassword: pulumi.Input<string>;
  /** Application role password (secret); changing it runs ALTER ROLE. */
  readonly appPassword: pulumi.Input<string>;
  /** Production: the data volume and database are protected as well as retained. */
  readonly protectData: boolean;
}

/** Server arguments (`postgres -c name=value`); every limit the runbook tunes by hand. */
export function postgresServerArgs(settings: PostgresSettings): string[] {
  const parameters: Record<string, string> = {
    max_connections: String(settings.maxConnections),
    superuser_reserved_connections: String(settings.superuserReservedConnections),
    shared_preload_libraries: "pg_stat_statements",
    "pg_stat_statements.track": "all",
    password_encryption: "scram-sha-256",
    idle_session_timeout: `${settings.idleSessionTimeoutSeconds}s`,
    idle_in_transaction_session_timeout: `${settings.idleInTransactionTimeoutSeconds}s`,
    log_min_duration_statement: "1000ms",
    listen_addresses: "*",
  };
  return ["postgres", ...Object.entries(parameters).flatMap(([name, value]) => ["-c", `${name}=${value}`])];
}

/**
 * PostgreSQL: data volume, server container (read-only root filesystem; the initdb password
 * on a secrets volume), a bootstrap over the container's local socket (superuser password;
 * role and database created when missing, for `pulumi up` after a destroy), and through an
 * explicit postgresql provider the application role and database (imported), the
 * pg_stat_statements extension and grants.
 */
export class DeanPostgres extends pulumi.ComponentResource {
  public readonly volume: docker.Volume;
  public readonly container: docker.Container;
  /** Sets the container's PIDs limit. */
  public readonly pidsLimit: command.local.Command;
  /** Superuser password, and the role and database created when missing (see the renderer). */
  public readonly bootstrap: command.local.Command;
  public readonly provider: postgresql.Provider;
  public readonly role: postgresql.Role;
  public readonly database: postgresql.Database;
  public readonly extension: postgresql.Extension;
  /** The resources a client of the application database must wait for. */
  public readonly ready: pulumi.Resource[];

  constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dean:data:Postgres", name, {}, opts);
    const { settings, context } = args;

    // Losing this volume loses the database: never deleted by Pulumi, protected in prod.
    this.volume = dataVolume(`${name}-data`, context, "postgres", "pgdata", { parent: this, protect: args.protectData });

    // The initdb password, on a volume of its own: Docker copies no upload into a read-only
    // root filesystem, and an environment variable would stay visible to `docker inspect`.
    const secrets = containerFiles(`${name}-secrets`, {
      context,
      service: "postgres",
      volumePart: "postgres-secrets",
      image: args.image,
      files: [],
      // Read by the entrypoint as root, and by the local image's as the postgres user.
      secret: { name: SUPERUSER_PASSWORD, content: args.superuserPassword, owner: "postgres:postgres" },
    }, { parent: this });

    this.container = new docker.Container(`${name}-server`, {
      ...serviceContainerDefaults(context, "postgres", settings.resources),
      name: dockerName(context, "postgres"),
      image: args.image,
      command: postgresServerArgs(settings),
      // The image reads the initdb password from a file (its _FILE convention).
      envs: [
        `POSTGRES_USER=${settings.superuser}`,
        `POSTGRES_PASSWORD_FILE=${SUPERUSER_PASSWORD_FILE}`,
        "POSTGRES_DB=postgres",
        `PGDATA=${DATA_DIR}/pgdata`,
        "POSTGRES_HOST_AUTH_METHOD=scram-sha-256",
        "POSTGRES_INITDB_ARGS=--auth-host=scram-sha-256",
      ],
      volumes: [
        { volumeName: this.volume.name, containerPath: DATA_DIR },
        filesMount(secrets, SECRETS_DIR),
      ],
      tmpfs: POSTGRES_TMPFS,
      networksAdvanced: [
        { name: args.backendNetwork, aliases: [POSTGRES_ALIAS] },
        { name: args.hostAccessNetwork },
      ],
      // Loopback only: the postgresql provider and operators on the Docker host, nobody else.
      ports: [{ internal: POSTGRES_PORT, external: settings.hostPort, ip: "127.0.0.1" }],
      healthcheck: {
        tests: ["CMD-SHELL", `pg_isready -q -h 127.0.0.1 -U ${settings.superuser} -d postgres`],
        interval: "5s",
        timeout: "5s",
        retries: 6,
        startPeriod: "30s",
      },
      wait: true,
      waitTimeout: 180,
      shmSize: 256,
      // SIGINT is Postgres' fast shutdown: clients are disconnected, nothing is lost.
      stopSignal: "SIGINT",
      stopTimeout: 60,
      destroyGraceSeconds: 60,
    }, {
      parent: this,
      // One server per data volume and a fixed name: the old one must stop first.
      deleteBeforeReplace: true,
      dependsOn: [secrets.writer],
      replaceWith: [secrets.writer],
    });
    this.pidsLimit = pidsLimit(`${name}-pids-limit`, this.container, settings.resources.pidsLimit, { parent: this });

    // Over the local socket (trusted inside the container), so it works whatever password the
    // retained data volume holds; the script arrives on stdin, never on a command line.
    this.bootstrap = new command.local.Command(`${name}-bootstrap`, {
      create: pulumi.interpolate`docker exec -i --user postgres ${this.container.name} psql --no-psqlrc --quiet --username ${shellQuote(settings.superuser)} --dbname postgres`,
      stdin: pulumi.secret(pulumi.output(args.superuserPassword).apply((password) => renderPostgresBootstrapSql(settings, password))),
      // Runs again for a new server, a new superuser password or new names (the script itself
      // refuses a renamed role or database on a server that has data).
      triggers: [this.container.id, pulumi.secret(args.superuserPassword), settings.superuser, settings.user, settings.database],
      logging: "stderr",
    }, { parent: this, dependsOn: [this.container], additionalSecretOutputs: ["stdin"] });

    this.provider = new postgresql.Provider(`${name}-provider`, {
      host: "127.0.0.1",
      port: settings.hostPort,
      username: settings.superuser,
      password: args.superuserPassword,
      database: "postgres",
      sslmode: "disable",
      superuser: true,
      connectTimeout: 30,
      maxConnections: 4,
    }, { parent: this, dependsOn: [this.container, this.bootstrap] });
    const viaServer = { parent: this, provider: this.provider };

    this.role = new postgresql.Role(`${name}-app-role`, {
      name: settings.user,
      login: true,
      password: args.appPassword,
      superuser: false,
      createDatabase: false,
      createRole: false,
    }, {
      ...viaServer,
      // The bootstrap created it, or it outlived a destroy: adopt it. For a role already in the
      // stack's state under this name the engine does nothing.
      import: settings.user,
      dependsOn: [this.bootstrap],
      // The role owns the retained database's tables: dropping it would fail (or orphan them).
      retainOnDelete: true,
      protect: args.protectData,
      additionalSecretOutputs: ["password"],
    });

    // Dropping the database would lose its data just like the volume.
    this.database = new postgresql.Database(`${name}-database`, {
      name: settings.database,
      owner: this.role.name,
      encoding: "UTF8",
      template: "template0",
    }, { ...viaServer, import: settings.database, dependsOn: [this.bootstrap], retainOnDelete: true, protect: args.protectData });

    this.extension = new postgresql.Extension(`${name}-pg-stat-statements`, {
      name: "pg_stat_statements",
      database: this.database.name,
    }, viaServer);

    const appGrant = new postgresql.Grant(`${name}-app-connect`, {
      database: this.database.name,
      role: this.role.name,
      objectType: "database",
      privileges: ["CONNECT", "CREATE", "TEMPORARY"],
    }, viaServer);
    // Nobody but the owner (and superusers) may connect to the application database.
    const publicRevoke = new postgresql.Grant(`${name}-public-revoke`, {
      database: this.database.name,
      role: "public",
      objectType: "database",
      privileges: [],
    }, viaServer);
    // pg_stat_statements shows other roles' query text only to pg_read_all_stats members.
    const readAllStats = new postgresql.GrantRole(`${name}-app-read-all-stats`, {
      role: this.role.name,
      grantRole: "pg_read_all_stats",
    }, viaServer);

    this.ready = [this.container, this.pidsLimit, this.role, this.database, this.extension, appGrant, publicRevoke, readAllStats];
    this.registerOutputs({ containerName: this.container.name, database: this.database.name, role: this.role.name });
  }
}
