import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { OrchestratorSettings } from "./config";
import { type ContainerContext, labels, serviceContainerDefaults, shellQuote, tmpfsOptions } from "./container-defaults";
import { pidsLimit } from "./pids-limit";
import { REDIS_CLI_PATH } from "./redis";
import { LABEL_JWT_ROTATION, LABEL_REDIS_ROTATION, stopReplicasWithout } from "./stale-replicas";

/**
 * Name every replica answers to on the frontend network. nginx reaches the replicas by their
 * own names (DeanNginx's upstreamServers) and uses this one only to resend a request the
 * upstream gave up on before any replica received it (render/nginx-resend.ts).
 */
export const ORCHESTRATOR_ALIAS = "orchestrator";

export interface OrchestratorArgs {
  readonly context: ContainerContext;
  /** Validated orchestrator settings. */
  readonly settings: OrchestratorSettings;
  /** Image ID: a change replaces every replica (after the migration). */
  readonly image: pulumi.Input<string>;
  readonly backendNetwork: pulumi.Input<string>;
  readonly frontendNetwork: pulumi.Input<string>;
  /** postgresql://... with the application role's password (secret). */
  readonly databaseUrl: pulumi.Input<string>;
  /** redis://... with the password (secret). */
  readonly redisUrl: pulumi.Input<string>;
  /** HS256 signing key (secret). */
  readonly jwtSecretKey: pulumi.Input<string>;
  /** JWT rotation counter, labelled on each replica for the logout (logoutOnJwtRotation). */
  readonly jwtRotation: number;
  /** Redis password rotation counter, labelled on each replica for the old password's retirement. */
  readonly redisRotation: number;
  /** What the migration waits for: the database objects and the pre-upgrade backup. */
  readonly migrationDependsOn: pulumi.Input<pulumi.Resource>[];
}

/** Processes a migration may start: ample for Python and alembic, fatal to a fork bomb. */
const MIGRATION_PIDS_LIMIT = 256;

/**
 * The only path a replica (and the migration) may write, its root filesystem being read-only:
 * the stand-in writes nothing, but the Python stack's temporary files go there (Starlette
 * spools an upload above 1 MiB to a temporary file).
 */
const ORCHESTRATOR_TMP = "/tmp";
const ORCHESTRATOR_TMP_MIB = 64;

/**
 * A replica's logical name. Replicas are created before the ones they replace, so Docker names
 * them by Pulumi's autonaming (logical name plus a random suffix); this is the one logical name
 * that carries `dean:instanceName`, so that their Docker names do too, like every other Docker
 * object of the stack. They hold no data: a new instance name creates new replicas before the
 * old ones are deleted, where every stateful resource keeps its logical name.
 */
export function replicaResourceName(context: ContainerContext, index: number): string {
  return `${context.instanceName}-orchestrator-${index}`;
}

/**
 * The settings that bound a replica's database connections, as labels beside the environment.
 * The environment holds secrets, and at a preview (first deploy, rotation) a value built from
 * a password not generated yet is unknown; the Docker provider treats `envs` as a set, so the
 * whole list is unknown then. The labels stay known, so the connection-budget policy decides
 * on them before anything is deployed (and checks they match the environment once known).
 */
export function connectionBudgetLabels(settings: OrchestratorSettings): docker.types.input.ContainerLabel[] {
  return [
    { label: "dean.db-budget.workers", value: String(settings.workers) },
    { label: "dean.db-budget.pool-size", value: String(settings.dbPoolSize) },
    { label: "dean.db-budget.max-overflow", value: String(settings.dbMaxOverflow) },
  ];
}

/** Plain (non-secret) environment of a replica, from config. */
export function orchestratorSettingsEnv(settings: OrchestratorSettings): string[] {
  return [
    `PORT=${settings.port}`,
    "HOST=0.0.0.0",
    `UVICORN_WORKERS=${settings.workers}`,
    `MAX_WORKERS=${settings.maxWorkers}`,
    `ENABLE_CACHE=${settings.enableCache}`,
    `CACHE_TTL=${settings.cacheTtlSeconds}`,
    `DATABASE_POOL_SIZE=${settings.dbPoolSize}`,
    `DATABASE_MAX_OVERFLOW=${settings.dbMaxOverflow}`,
    `DATABASE_POOL_TIMEOUT=${settings.dbPoolTimeoutSeconds}`,
  ];
}

/** The orchestrator is a Python service: probe /health with the interpreter it already has. */
export function healthProbe(port: number): string[] {
  const script = `import sys, urllib.request; r = urllib.request.urlopen("http://127.0.0.1:${port}/health", timeout=4); sys.exit(0 if r.status == 200 else 1)`;
  return ["CMD", "python", "-c", script];
}

/**
 * The orchestrator: a migration job run once per image change, then N replicas that nginx
 * reaches by their container names. Replicas are auto-named so Pulumi can create each new one
 * (and wait for it to be healthy) before deleting the old one.
 */
export class DeanOrchestrator extends pulumi.ComponentResource {
  public readonly migration: command.local.Command;
  public readonly replicas: docker.Container[];
  /** The replicas and the commands that set their PIDs limits: what must be done before the old ones go. */
  public readonly ready: pulumi.Resource[];

  constructor(name: string, args: OrchestratorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dean:app:Orchestrator", name, {}, opts);
    const { context, settings } = args;
    const secretEnv = { DATABASE_URL: args.databaseUrl, REDIS_URL: args.redisUrl, JWT_SECRET_KEY: args.jwtSecretKey };

    // Secrets reach `docker run` through its environment (`-e NAME` without a value),
    // never on the command line, where `ps` would show them.
    const passEnv = Object.keys(secretEnv).map((key) => `-e ${key}`).join(" ");
    // The one-off container gets the replicas' limits and hardening: a runaway migration
    // must not starve the database it is migrating.
    const limits = `--cpus ${settings.resources.cpus} --memory ${settings.resources.memoryMiB}m --pids-limit ${MIGRATION_PIDS_LIMIT} ` +
      `--read-only --tmpfs ${ORCHESTRATOR_TMP}:${tmpfsOptions(ORCHESTRATOR_TMP_MIB)} --security-opt no-new-privileges:true --cap-drop ALL`;
    const migrationCommand = pulumi.interpolate`docker run --rm --network ${args.backendNetwork} --label dean.instance=${context.instanceName} --label dean.service=migration ${limits} ${passEnv} ${args.image} ${settings.migrationCommand.map(shellQuote).join(" ")}`;
    this.migration = new command.local.Command(`${name}-migration`, {
      create: migrationCommand,
      environment: pulumi.secret(pulumi.all(secretEnv)),
      // Only a new image re-runs migrations. A rotated credential changes `environment`;
      // the no-op update records it (for the next image) without migrating again.
      triggers: [args.image],
      update: "true",
      logging: "stdoutAndStderr",
    }, {
      parent: this,
      dependsOn: args.migrationDependsOn,
      // Secret already; declared too because policies cannot see input secretness.
      additionalSecretOutputs: ["environment"],
    });

    const envs = pulumi.secret(pulumi.all(secretEnv).apply((secrets) => [
      ...Object.entries(secrets).map(([key, value]) => `${key}=${value}`),
      ...orchestratorSettingsEnv(settings),
    ]));

    this.replicas = [];
    this.ready = [];
    for (let index = 1; index <= settings.replicas; index++) {
      const replica = new docker.Container(replicaResourceName(context, index), {
        ...serviceContainerDefaults(context, "orchestrator", settings.resources),
        labels: [
          ...labels(context, "orchestrator"),
          { label: "dean.replica", value: String(index) },
          // Which JWT key it signs with: the logout below stops the replicas of an older one.
          { label: LABEL_JWT_ROTATION, value: String(args.jwtRotation) },
          // Which Redis password it uses: the old one is retired once no running replica does.
          { label: LABEL_REDIS_ROTATION, value: String(args.redisRotation) },
          ...connectionBudgetLabels(settings),
        ],
        image: args.image,
        envs,
        tmpfs: { [ORCHESTRATOR_TMP]: tmpfsOptions(ORCHESTRATOR_TMP_MIB) },
        networksAdvanced: [
          { name: args.backendNetwork },
          // nginx reaches each replica by its container name (see DeanNginx's upstreamServers).
          { name: args.frontendNetwork, aliases: [ORCHESTRATOR_ALIAS] },
        ],
        ports: index === 1 && settings.directHostPort !== undefined
          ? [{ internal: settings.port, external: settings.directHostPort, ip: "127.0.0.1" }]
          : [],
        healthcheck: { tests: healthProbe(settings.port), interval: "10s", timeout: "5s", retries: 3, startPeriod: "20s" },
        wait: true,
        waitTimeout: settings.healthTimeoutSeconds,
        // The service needs no Linux capability: it binds an unprivileged port.
        capabilities: { drops: ["ALL"] },
        stopTimeout: 30,
        destroyGraceSeconds: 30,
      }, {
        parent: this,
        dependsOn: [this.migration],
        additionalSecretOutputs: ["envs"],
        // The Docker provider replaces containers delete-first unless a resource says otherwise;
        // a replica must be created and healthy before the one it replaces goes. Only replica 1
        // with a direct host port goes first: two containers cannot publish the same port.
        deleteBeforeReplace: index === 1 && settings.directHostPort !== undefined,
      });
      // Named by index, not by the instance name the replica's own logical name carries.
      const limit = pidsLimit(`${name}-replica-${index}-pids-limit`, replica, settings.resources.pidsLimit, { parent: this });
      this.replicas.push(replica);
      this.ready.push(replica, limit);
    }

    this.registerOutputs({ replicas: this.replicas.map((replica) => replica.name) });
  }
}

export interface JwtLogoutArgs {
  readonly context: ContainerContext;
  /** The counter the current replicas are labelled with. */
  readonly jwtRotation: number;
  /** Redis container whose `auth:*` keys are flushed. */
  readonly redisContainerName: pulumi.Input<string>;
  /** What must be done first: the replicas of the new key, and nginx reloaded without the old ones. */
  readonly replicas: pulumi.Resource[];
}

/**
 * The runbook's "force logout": sessions signed with the old key are removed once every replica
 * runs with the new one, after the replicas of the old key are stopped (they would go on signing
 * sessions with it until the end of the update). They are told apart by their JWT rotation
 * label, so its trigger changes only with the counter: scaling or an upgrade never logs anyone out.
 */
export function logoutOnJwtRotation(name: string, args: JwtLogoutArgs, opts: pulumi.CustomResourceOptions): command.local.Command {
  return new command.local.Command(name, {
    create: pulumi.interpolate`set -e
${stopReplicasWithout(args.context, LABEL_JWT_ROTATION, String(args.jwtRotation))}
docker exec ${args.redisContainerName} sh -c '${REDIS_CLI_PATH} --scan --pattern "auth:*" | xargs -r -n 500 ${REDIS_CLI_PATH} unlink > /dev/null'`,
    // Only a new counter (a replacement) runs it. Its text also names the instance and the
    // Redis container, and a change of those alone must not log everybody out.
    update: "true",
    triggers: [args.jwtRotation],
  }, { ...opts, dependsOn: args.replicas });
}
