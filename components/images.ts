import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config";

export interface ImagesArgs {
  /** Pinned references, validated by the config schema. */
  readonly images: StackConfig["images"];
}

/** Resolved image IDs: a container is replaced when its image's ID changes. */
export interface ResolvedImage {
  /** The pinned reference from config, e.g. `dean/orchestrator:1.0.1`. */
  readonly ref: string;
  /** The image ID on the Docker host. */
  readonly id: pulumi.Output<string>;
}

/**
 * One RemoteImage per service image. The Docker provider uses an image already present on
 * the host before pulling, so locally built images work without a registry.
 */
export class DeanImages extends pulumi.ComponentResource {
  public readonly orchestrator: ResolvedImage;
  /** Postgres server and the backup job (same major version for pg_dump). */
  public readonly postgres: ResolvedImage;
  public readonly redis: ResolvedImage;
  public readonly nginx: ResolvedImage;

  constructor(name: string, args: ImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dean:images:Images", name, {}, opts);
    const resolve = (service: keyof StackConfig["images"]): ResolvedImage => {
      const ref = args.images[service];
      // keepLocally: removing or upgrading a stack must never delete an image a rollback needs.
      const image = new docker.RemoteImage(`${name}-${service}`, { name: ref, keepLocally: true }, { parent: this });
      return { ref, id: image.imageId };
    };
    this.orchestrator = resolve("orchestrator");
    this.postgres = resolve("postgres");
    this.redis = resolve("redis");
    this.nginx = resolve("nginx");
    this.registerOutputs({});
  }
}
