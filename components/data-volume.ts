import * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import { type ContainerContext, dockerName, retainedVolumeLabels } from "./container-defaults";

/**
 * Inputs a data volume keeps from its creation. Both are ForceNew in the Docker provider, and
 * both derive from config that may change on a live stack (`dean:instanceName` names every
 * Docker object, `dean:environment` labels it): a replacement would leave the data in the
 * retained old volume and give the servers a new, empty one. Ignored, the volume keeps its
 * first name and labels, and the containers, which mount it by its output name, follow it.
 */
export const DATA_VOLUME_FIXED_INPUTS = ["name", "labels"];

export interface DataVolumeOptions {
  readonly parent: pulumi.Resource;
  /** Production: protected as well as retained. */
  readonly protect?: boolean;
}

/** A volume holding a service's data: never deleted by Pulumi, never replaced by a config change. */
export function dataVolume(resourceName: string, context: ContainerContext, service: string, part: string, options: DataVolumeOptions): docker.Volume {
  return new docker.Volume(resourceName, {
    name: dockerName(context, part),
    labels: retainedVolumeLabels(context, service),
  }, { parent: options.parent, retainOnDelete: true, protect: options.protect, ignoreChanges: DATA_VOLUME_FIXED_INPUTS });
}
