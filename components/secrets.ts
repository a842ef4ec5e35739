import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { StackConfig } from "./config";

export interface SecretsArgs {
  /** Rotation counters: bumping one regenerates exactly that credential. */
  readonly rotation: StackConfig["rotation"];
}

/**
 * Generated credentials. Letters and digits only, so they are safe in connection URLs
 * and shell words without escaping. Each is wrapped in pulumi.secret explicitly: the
 * random provider marks them secret, but relying on that alone would leave a plain value
 * wherever an engine (or the mock runtime) ignores additionalSecretOutputs.
 */
export class DeanSecrets extends pulumi.ComponentResource {
  /** Bootstrap superuser password. Not rotated by a counter: initdb bakes it into the data volume. */
  public readonly postgresSuperuserPassword: pulumi.Output<string>;
  /** The application role's password (rotated with ALTER ROLE by the postgresql provider). */
  public readonly databasePassword: pulumi.Output<string>;
  public readonly redisPassword: pulumi.Output<string>;
  /** HS256 signing key of the orchestrator's JWTs. */
  public readonly jwtSecretKey: pulumi.Output<string>;

  constructor(name: string, args: SecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dean:security:Secrets", name, {}, opts);
    const generate = (part: string, length: number, rotation?: number) =>
      pulumi.secret(new random.RandomPassword(`${name}-${part}`, {
        length,
        special: false,
        minUpper: 2,
        minLower: 2,
        minNumeric: 2,
        keepers: rotation === undefined ? undefined : { rotation: String(rotation) },
      }, { parent: this, additionalSecretOutputs: ["result"] }).result);

    this.postgresSuperuserPassword = generate("postgres-superuser", 32);
    this.databasePassword = generate("database", 32, args.rotation.database);
    this.redisPassword = generate("redis", 32, args.rotation.redis);
    this.jwtSecretKey = generate("jwt", 64, args.rotation.jwt);
    this.registerOutputs({});
  }
}
