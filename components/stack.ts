import * as pulumi from "@pulumi/pulumi";
import { DeanBackup } from "./backup";
import type { StackConfig } from "./config";
import type { ContainerContext } from "./container-defaults";
import { DeanImages } from "./images";
import { DeanNetwork } from "./network";
import { DeanNginx, publicUrl } from "./nginx";
import { DeanOrchestrator, logoutOnJwtRotation, ORCHESTRATOR_ALIAS } from "./orchestrator";
import { DeanPostgres, POSTGRES_ALIAS, POSTGRES_PORT } from "./postgres";
import { DeanRedis, REDIS_ALIAS, REDIS_PORT, retireOldRedisPasswords } from "./redis";
import { DeanSecrets } from "./secrets";
import { type TlsSource, tlsSource } from "./tls";

/** How operators on the Docker host reach Postgres (secret: it holds passwords). */
export interface StackConnection {
  readonly postgres: {
    readonly host: string;
    readonly port: number;
    readonly database: string;
    readonly user: string;
    readonly password: string;
    readonly superuser: string;
    readonly superuserPassword: string;
  };
}

/** Docker container names, for dean-ops and the runbook's `docker exec` commands. */
export interface ContainerNames {
  readonly postgres: string;
  readonly redis: string;
  readonly nginx: string;
  /** Empty when backups are disabled. */
  readonly backup: string;
  readonly orchestrator: string[];
}

export interface DeanStackArgs {
  /** The validated config. */
  readonly config: StackConfig;
  /** dean:tlsCertificate / dean:tlsKey, read as secrets by index.ts when set. */
  readonly tlsSecrets: { readonly certificate?: pulumi.Output<string>; readonly key?: pulumi.Output<string> };
}

/** Logical name of the one DeanStack a program declares; every resource name starts with it. */
export const STACK_RESOURCE_NAME = "dean";

/** The whole DEAN stack: wires the components, nothing else. */
export class DeanStack extends pulumi.ComponentResource {
  public readonly publicUrl: string;
  public readonly orchestratorImage: string;
  public readonly replicas: number;
  /** Dump taken before the current orchestrator image rolled out ("none" with backups off). */
  public readonly lastPreUpgradeBackup: pulumi.Output<string>;
  /** Connection details for operators (secret). */
  public readonly connection: pulumi.Output<StackConnection>;
  public readonly containers: pulumi.Output<ContainerNames>;

  constructor(name: string, args: DeanStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dean:stack:DeanStack", name, {}, opts);
    const cfg = args.config;
    const child = { parent: this };
    const context: ContainerContext = { instanceName: cfg.instanceName, environment: cfg.environment, logging: cfg.logging };
    const production = cfg.environment === "prod";

    const images = new DeanImages(`${name}-images`, { images: cfg.images }, child);
    const network = new DeanNetwork(`${name}-network`, { context }, child);
    const secrets = new DeanSecrets(`${name}-secrets`, { rotation: cfg.rotation }, child);

    const postgres = new DeanPostgres(`${name}-postgres`, {
      context,
      settings: cfg.postgres,
      image: images.postgres.id,
      backendNetwork: network.backend.name,
      hostAccessNetwork: network.hostAccess.name,
      superuserPassword: secrets.postgresSuperuserPassword,
      appPassword: secrets.databasePassword,
      protectData: production,
    }, child);

    const redis = new DeanRedis(`${name}-redis`, {
      context,
      settings: cfg.redis,
      image: images.redis.id,
      backendNetwork: network.backend.name,
      password: secrets.redisPassword,
    }, child);

    const backup = cfg.backup.enabled
      ? new DeanBackup(`${name}-backup`, {
        context,
        settings: cfg.backup,
        image: images.postgres.id,
        backendNetwork: network.backend.name,
        database: postgres.database.name,
        superuser: cfg.postgres.superuser,
        superuserPassword: secrets.postgresSuperuserPassword,
        orchestratorImage: images.orchestrator.id,
        orchestratorImageRef: images.orchestrator.ref,
        protectData: production,
        databaseReady: postgres.ready,
      }, child)
      : undefined;

    const databaseUrl = pulumi.secret(pulumi.interpolate`postgresql://${cfg.postgres.user}:${secrets.databasePassword}@${POSTGRES_ALIAS}:${POSTGRES_PORT}/${cfg.postgres.database}`);
    const redisUrl = pulumi.secret(pulumi.interpolate`redis://:${secrets.redisPassword}@${REDIS_ALIAS}:${REDIS_PORT}/0`);

    const orchestrator = new DeanOrchestrator(`${name}-orchestrator`, {
      context,
      settings: cfg.orchestrator,
      image: images.orchestrator.id,
      backendNetwork: network.backend.name,
      frontendNetwork: network.frontend.name,
      databaseUrl,
      redisUrl,
      jwtSecretKey: secrets.jwtSecretKey,
      jwtRotation: cfg.rotation.jwt,
      redisRotation: cfg.rotation.redis,
      migrationDependsOn: [...postgres.ready, ...redis.ready, ...(backup ? [backup.preUpgrade] : [])],
    }, child);

    const tls: TlsSource = tlsSource(`${name}-nginx`, cfg.nginx, args.tlsSecrets, child);
    const nginx = new DeanNginx(`${name}-nginx`, {
      context,
      settings: cfg.nginx,
      image: images.nginx.id,
      frontendNetwork: network.frontend.name,
      upstreamServers: orchestrator.replicas.map((replica) => replica.name),
      upstreamPort: cfg.orchestrator.port,
      replicaAlias: ORCHESTRATOR_ALIAS,
      tls,
    }, child);

    // Steps that stop the replicas of an old credential wait until nginx has been reloaded
    // without them: by then no new request reaches them.
    const drained = [...orchestrator.ready, nginx.reload];
    // Once every replica runs with the current Redis password, the previous one goes.
    retireOldRedisPasswords(`${name}-redis-old-passwords-retired`, {
      context,
      redis,
      password: secrets.redisPassword,
      rotation: cfg.rotation.redis,
      replicas: drained,
    }, { parent: redis });
    logoutOnJwtRotation(`${name}-orchestrator-logout-on-jwt-rotation`, {
      context,
      jwtRotation: cfg.rotation.jwt,
      redisContainerName: redis.container.name,
      replicas: drained,
    }, { parent: orchestrator });

    this.publicUrl = publicUrl(cfg.nginx);
    this.orchestratorImage = cfg.images.orchestrator;
    this.replicas = cfg.orchestrator.replicas;
    this.lastPreUpgradeBackup = backup ? backup.preUpgradeBackup : pulumi.output("none (backups are disabled)");
    this.connection = pulumi.secret(pulumi.all([secrets.databasePassword, secrets.postgresSuperuserPassword]).apply(([appPassword, superuserPassword]): StackConnection => ({
      postgres: {
        host: "127.0.0.1",
        port: cfg.postgres.hostPort,
        database: cfg.postgres.database,
        user: cfg.postgres.user,
        password: appPassword,
        superuser: cfg.postgres.superuser,
        superuserPassword,
      },
    })));
    this.containers = pulumi.all([
      postgres.container.name,
      redis.container.name,
      nginx.container.name,
      backup ? backup.container.name : "",
      pulumi.all(orchestrator.replicas.map((replica) => replica.name)),
    ]).apply(([postgresName, redisName, nginxName, backupName, replicaNames]): ContainerNames => ({
      postgres: postgresName, redis: redisName, nginx: nginxName, backup: backupName, orchestrator: replicaNames,
    }));
    this.registerOutputs({
      publicUrl: this.publicUrl,
      orchestratorImage: this.orchestratorImage,
      replicas: this.replicas,
      lastPreUpgradeBackup: this.lastPreUpgradeBackup,
      containers: this.containers,
    });
  }
}
