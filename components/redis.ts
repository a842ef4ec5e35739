import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { RedisSettings } from "./config";
import { containerFiles, filesMount, SERVICE_FILES_DIR } from "./container-files";
import { type ContainerContext, dockerName, serviceContainerDefaults } from "./container-defaults";
import { dataVolume } from "./data-volume";
import { pidsLimit } from "./pids-limit";
import { renderRedisConf } from "./render/redis-conf";
import {
  aclAddPassword,
  aclFileIn,
  aclKeepOnlyPassword,
  type RedisCredentialPaths,
  renderRedisAclApplier,
  renderRedisCliWrapper,
  renderRedisStartScript,
} from "./render/redis-credentials";
import { LABEL_REDIS_ROTATION, stopReplicasWithout } from "./stale-replicas";

/** Name the orchestrator uses for Redis on the backend network. */
export const REDIS_ALIAS = "redis";
export const REDIS_PORT = 6379;
/** The files volume (container-files.ts) holds redis.conf beside the scripts. */
const REDIS_CONF = "redis.conf";
const REDIS_CLI = "dean-redis-cli";
const REDIS_ACL_APPLIER = "dean-redis-acl";
const REDIS_START = "dean-redis-start";
export const REDIS_CONF_PATH = `${SERVICE_FILES_DIR}/${REDIS_CONF}`;
/** redis-cli as the admin user, for operators too: `docker exec <redis> dean-redis-cli info` (it is on the PATH). */
export const REDIS_CLI_PATH = `${SERVICE_FILES_DIR}/${REDIS_CLI}`;
const REDIS_ACL_APPLIER_PATH = `${SERVICE_FILES_DIR}/${REDIS_ACL_APPLIER}`;
const REDIS_START_PATH = `${SERVICE_FILES_DIR}/${REDIS_START}`;
/** On the data volume: ACL users and the admin password outlive a replaced container. */
const REDIS_CREDENTIALS: RedisCredentialPaths = { stateDir: "/data/acl", port: REDIS_PORT, cliPath: REDIS_CLI_PATH };

export interface RedisArgs {
  readonly context: ContainerContext;
  /** Validated redis settings. */
  readonly settings: RedisSettings;
  /** Image ID of the redis image. */
  readonly image: pulumi.Input<string>;
  /** Internal network shared with the orchestrator. */
  readonly backendNetwork: pulumi.Input<string>;
  /** The application's password (secret). */
  readonly password: pulumi.Input<string>;
}

/** Runs the ACL commands on stdin inside the Redis container. */
const applyAcl = (containerName: pulumi.Input<string>) => pulumi.interpolate`docker exec -i ${containerName} ${REDIS_ACL_APPLIER_PATH}`;

/**
 * Redis with a rendered redis.conf; reachable only on the internal backend network. Its
 * password is not part of the container: a step adds it to the ACL beside the previous one
 * (see render/redis-credentials.ts), and `retireOldRedisPasswords` removes the previous one
 * once the replicas use the new. Rotating it therefore never restarts Redis. Its root
 * filesystem is read-only: Redis writes only its data volume (data, append-only file, ACL).
 */
export class DeanRedis extends pulumi.ComponentResource {
  public readonly volume: docker.Volume;
  public readonly container: docker.Container;
  /** Sets the container's PIDs limit. */
  public readonly pidsLimit: command.local.Command;
  /** Adds the current password to the application user (keeping the previous one). */
  public readonly passwordAdded: command.local.Command;
  /** What a client of Redis must wait for. */
  public readonly ready: pulumi.Resource[];

  constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dean:data:Redis", name, {}, opts);
    const { context, settings } = args;

    // Append-only data (sessions, auth keys) and the ACL file survive a replaced container.
    this.volume = dataVolume(`${name}-data`, context, "redis", "redis-data", { parent: this });

    const files = containerFiles(`${name}-files`, {
      context,
      service: "redis",
      volumePart: "redis-files",
      image: args.image,
      files: [
        { name: REDIS_CONF, content: renderRedisConf(settings, aclFileIn(REDIS_CREDENTIALS.stateDir)) },
        { name: REDIS_START, content: renderRedisStartScript(REDIS_CREDENTIALS), executable: true },
        { name: REDIS_CLI, content: renderRedisCliWrapper(REDIS_CREDENTIALS), executable: true },
        { name: REDIS_ACL_APPLIER, content: renderRedisAclApplier(REDIS_CREDENTIALS), executable: true },
      ],
    }, { parent: this });

    this.container = new docker.Container(`${name}-server`, {
      ...serviceContainerDefaults(context, "redis", settings.resources),
      name: dockerName(context, "redis"),
      image: args.image,
      // The start script prepares the ACL file as root, then hands over to the image's
      // entrypoint, which gives /data to the redis user and drops to it.
      command: [REDIS_START_PATH, "docker-entrypoint.sh", "redis-server", REDIS_CONF_PATH],
      volumes: [
        { volumeName: this.volume.name, containerPath: "/data" },
        filesMount(files, SERVICE_FILES_DIR),
      ],
      networksAdvanced: [{ name: args.backendNetwork, aliases: [REDIS_ALIAS] }],
      healthcheck: {
        tests: ["CMD-SHELL", `${REDIS_CLI_PATH} ping | grep -q PONG`],
        interval: "5s",
        timeout: "3s",
        retries: 5,
        startPeriod: "10s",
      },
      wait: true,
      waitTimeout: 120,
      // Time to write the append-only file before the engine kills it.
      stopTimeout: 30,
      destroyGraceSeconds: 30,
    }, { parent: this, deleteBeforeReplace: true, dependsOn: [files.writer], replaceWith: [files.writer] });
    this.pidsLimit = pidsLimit(`${name}-pids-limit`, this.container, settings.resources.pidsLimit, { parent: this });

    // Also after a replaced container: the ACL file on the volume may predate this password.
    this.passwordAdded = new command.local.Command(`${name}-password-added`, {
      create: applyAcl(this.container.name),
      stdin: pulumi.secret(pulumi.output(args.password).apply(aclAddPassword)),
      triggers: [this.container.id, pulumi.secret(args.password)],
      logging: "stderr",
    }, { parent: this, dependsOn: [this.container], additionalSecretOutputs: ["stdin"] });

    this.ready = [this.container, this.pidsLimit, this.passwordAdded];
    this.registerOutputs({ containerName: this.container.name });
  }
}

export interface RedisPasswordRetirementArgs {
  readonly context: ContainerContext;
  readonly redis: DeanRedis;
  /** The current password (secret): after this step the only one. */
  readonly password: pulumi.Input<string>;
  /** The counter the replicas using `password` are labelled with. */
  readonly rotation: number;
  /** The replicas using `password` (and the steps that complete them): they must be running before the old one goes. */
  readonly replicas: pulumi.Resource[];
}

/**
 * The end of a Redis password rotation: stops the replicas of the previous password (Pulumi
 * would delete them only at the end of the update) and leaves the current password the only
 * one. Runs again whenever the password or the container changes; with nothing to retire it
 * stops nothing and sets the same password.
 */
export function retireOldRedisPasswords(name: string, args: RedisPasswordRetirementArgs, opts: pulumi.CustomResourceOptions): command.local.Command {
  return new command.local.Command(name, {
    // stdin carries the ACL commands: only the last line may read it.
    create: pulumi.interpolate`set -e
{
${stopReplicasWithout(args.context, LABEL_REDIS_ROTATION, String(args.rotation))}
} < /dev/null
${applyAcl(args.redis.container.name)}`,
    stdin: pulumi.secret(pulumi.output(args.password).apply(aclKeepOnlyPassword)),
    triggers: [args.redis.container.id, pulumi.secret(args.password)],
    logging: "stderr",
  }, { ...opts, dependsOn: [...args.replicas, args.redis.passwordAdded], additionalSecretOutputs: ["stdin"] });
}
