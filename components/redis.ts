import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { RedisSettings } from "./config";
import { type ContainerContext, dockerName, serviceContainerDefaults } from "./container-defaults";
import { dataVolume } from "./data-volume";
import { renderRedisConf } from "./render/redis-conf";

/** Name the orchestrator uses for Redis on the backend network. */
export const REDIS_ALIAS = "redis";
export const REDIS_PORT = 6379;
export const REDIS_CONF_PATH = "/usr/local/etc/redis/redis.conf";

export interface RedisArgs {
  readonly context: ContainerContext;
  /** Validated redis settings. */
  readonly settings: RedisSettings;
  /** Image ID of the redis image. */
  readonly image: pulumi.Input<string>;
  /** Internal network shared with the orchestrator. */
  readonly backendNetwork: pulumi.Input<string>;
  /** requirepass (secret). */
  readonly password: pulumi.Input<string>;
}

/** Redis with a rendered redis.conf; reachable only on the internal backend network. */
export class DeanRedis extends pulumi.ComponentResource {
  public readonly volume: docker.Volume;
  public readonly container: docker.Container;

  constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dean:data:Redis", name, {}, opts);
    const { context, settings } = args;
    const password = pulumi.output(args.password);

    // Append-only data (sessions, auth keys) survives a replaced container.
    this.volume = dataVolume(`${name}-data`, context, "redis", "redis-data", { parent: this });

    this.container = new docker.Container(`${name}-server`, {
      ...serviceContainerDefaults(context, "redis", settings.resources),
      name: dockerName(context, "redis"),
      image: args.image,
      command: ["redis-server", REDIS_CONF_PATH],
      uploads: [{ file: REDIS_CONF_PATH, content: pulumi.secret(password.apply((pw) => renderRedisConf(settings, pw))) }],
      // redis-cli reads REDISCLI_AUTH, so the healthcheck and `docker exec redis-cli`
      // authenticate without the password on a command line.
      envs: pulumi.secret(password.apply((pw) => [`REDISCLI_AUTH=${pw}`])),
      volumes: [{ volumeName: this.volume.name, containerPath: "/data" }],
      networksAdvanced: [{ name: args.backendNetwork, aliases: [REDIS_ALIAS] }],
      healthcheck: {
        tests: ["CMD-SHELL", "redis-cli -h 127.0.0.1 ping | grep -q PONG"],
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
    }, { parent: this, deleteBeforeReplace: true, additionalSecretOutputs: ["envs", "uploads"] });

    this.registerOutputs({ containerName: this.container.name });
  }
}
