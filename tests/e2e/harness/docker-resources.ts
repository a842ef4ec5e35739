import { docker, isNotFound } from "./docker-client";
import { noInPlaceUpdate, type ResourceHandler } from "./handler";
import { InputReader } from "./inputs";
import type { Registration } from "./resource";

/** RemoteImage, Network and Volume: the Docker objects besides containers. */

export const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
export const NETWORK = "docker:index/network:Network";
export const VOLUME = "docker:index/volume:Volume";

function labelMap(inputs: InputReader): Record<string, string> {
  return Object.fromEntries(inputs.blocks("labels", ["label", "value"]).map((label) => [label.string("label"), label.string("value")]));
}

function imageInputs(registration: Registration): { name: string } {
  const inputs = InputReader.of(registration.type, registration.name, registration.inputs, ["name", "keepLocally"]);
  // Deleting would remove an image a rollback needs; the harness never removes images.
  if (inputs.optionalBoolean("keepLocally") !== true) throw inputs.refuse("keepLocally", "must be true (the harness never deletes images)");
  return { name: inputs.string("name") };
}

/**
 * The provider uses an image already present on the host before pulling; no registry is
 * reachable here, so a missing local image is an error that says how to build it.
 */
export const remoteImageHandler: ResourceHandler = {
  validate: (registration) => void imageInputs(registration),
  create: async (registration) => {
    const { name } = imageInputs(registration);
    let info;
    try {
      info = await docker().getImage(name).inspect();
    } catch (error) {
      if (isNotFound(error)) throw new Error(`image ${name} is not on the Docker host; build the local images with: bash scripts/setup-test-host.sh`, { cause: error });
      throw error;
    }
    return { outputs: { imageId: info.Id, repoDigest: info.RepoDigests?.[0] ?? "" }, physicalId: info.Id };
  },
  update: noInPlaceUpdate(REMOTE_IMAGE),
  delete: async () => undefined,
};

function networkInputs(registration: Registration) {
  const inputs = InputReader.of(registration.type, registration.name, registration.inputs, ["name", "driver", "internal", "labels"]);
  return { Name: inputs.string("name"), Driver: inputs.optionalString("driver") ?? "bridge", Internal: inputs.optionalBoolean("internal") ?? false, Labels: labelMap(inputs) };
}

export const networkHandler: ResourceHandler = {
  validate: (registration) => void networkInputs(registration),
  create: async (registration) => {
    const options = networkInputs(registration);
    const network = await docker().createNetwork({ ...options, CheckDuplicate: true });
    return { outputs: { name: options.Name }, physicalId: network.id };
  },
  update: noInPlaceUpdate(NETWORK),
  delete: async (resource) => {
    try {
      await docker().getNetwork(resource.physicalId).remove();
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  },
};

function volumeInputs(registration: Registration) {
  const inputs = InputReader.of(registration.type, registration.name, registration.inputs, ["name", "labels"]);
  return { Name: inputs.string("name"), Labels: labelMap(inputs) };
}

export const volumeHandler: ResourceHandler = {
  validate: (registration) => void volumeInputs(registration),
  create: async (registration) => {
    const options = volumeInputs(registration);
    await docker().createVolume(options);
    return { outputs: { name: options.Name }, physicalId: options.Name };
  },
  update: noInPlaceUpdate(VOLUME),
  delete: async (resource) => {
    try {
      await docker().getVolume(resource.physicalId).remove();
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  },
};
