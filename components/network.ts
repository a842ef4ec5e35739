import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { type ContainerContext, dockerName, labels } from "./container-defaults";

export interface NetworkArgs {
  /** Instance name and logging shared by the stack's containers. */
  readonly context: ContainerContext;
}

/**
 * The stack's networks. `backend` is internal (no route out): Postgres, Redis, backups and
 * the orchestrator. `frontend` joins nginx to the orchestrator. `hostAccess` exists only so
 * Postgres can be published on 127.0.0.1 for the postgresql provider: Docker cannot publish
 * a port of a container that sits on internal networks alone.
 */
export class DeanNetwork extends pulumi.ComponentResource {
  public readonly backend: docker.Network;
  public readonly frontend: docker.Network;
  public readonly hostAccess: docker.Network;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dean:network:Network", name, {}, opts);
    const networkLabels = labels(args.context, "network");
    this.backend = new docker.Network(`${name}-backend`, {
      name: dockerName(args.context, "backend"),
      driver: "bridge",
      internal: true,
      labels: networkLabels,
    }, { parent: this });
    this.frontend = new docker.Network(`${name}-frontend`, {
      name: dockerName(args.context, "frontend"),
      driver: "bridge",
      labels: networkLabels,
    }, { parent: this });
    this.hostAccess = new docker.Network(`${name}-host-access`, {
      name: dockerName(args.context, "host-access"),
      driver: "bridge",
      labels: networkLabels,
    }, { parent: this });
    this.registerOutputs({ backend: this.backend.name, frontend: this.frontend.name, hostAccess: this.hostAccess.name });
  }
}
