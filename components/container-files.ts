import { createHash } from "node:crypto";
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { type ContainerContext, dockerName, HELPER_PIDS_LIMIT, LABEL_INSTANCE, LABEL_SERVICE, labels, shellQuote } from "./container-defaults";
import { type FileToWrite, renderFilesWriterScript } from "./render/container-files";

/**
 * Files a service container reads (its configuration, its scripts, a secret), on a small
 * volume of their own that the container mounts read-only. Its root filesystem is read-only,
 * and Docker copies `uploads` only onto a volume there; written by a command, a secret arrives
 * on stdin and never in the container's definition.
 *
 * A change of the files reaches the service as an upload's did: the writer is replaced (its
 * trigger is a digest of the files), and the container, which names it in `replaceWith`, is
 * replaced with it. The running container sees the new files in the meantime (each is renamed
 * into place, so a process reading the old one keeps a whole copy).
 */

/**
 * Where the scripts a service's operators and the program run are mounted: on the PATH of
 * every image (`docker exec <container> dean-redis-cli` works) and empty in the local images and
 * in the official postgres and redis images (their Dockerfiles install into /usr/local/bin), so
 * the mount hides nothing.
 */
export const SERVICE_FILES_DIR = "/usr/local/sbin";

/** Where the writer mounts the volume. */
const WRITER_DIR = "/dean-files";

export interface PlainFile {
  /** File name in the volume. */
  readonly name: string;
  readonly content: string;
  readonly executable?: boolean;
}

export interface SecretFile {
  /** File name in the volume. */
  readonly name: string;
  /** The secret, written readable by `owner` only. */
  readonly content: pulumi.Input<string>;
  /** `user[:group]` of the service's image. */
  readonly owner: string;
}

export interface ContainerFilesArgs {
  readonly context: ContainerContext;
  /** dean.service of the container that mounts the files. */
  readonly service: string;
  /** Docker name part of the volume, e.g. `redis-files`. */
  readonly volumePart: string;
  /** The service's image ID: the writer needs only `sh` and coreutils, which it has. */
  readonly image: pulumi.Input<string>;
  readonly files: readonly PlainFile[];
  readonly secret?: SecretFile;
}

export interface ContainerFiles {
  readonly volume: docker.Volume;
  /** Writes the files; the container depends on it and names it in `replaceWith`. */
  readonly writer: command.local.Command;
}

/** NAME of the writer's environment variable that carries a file, e.g. DEAN_FILE_REDIS_CONF. */
export function fileVariable(name: string): string {
  return `DEAN_FILE_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/** A digest of the plain files' names, modes and text: the writer's trigger. */
export function filesDigest(files: readonly PlainFile[]): string {
  const hash = createHash("sha256");
  for (const file of files) hash.update(JSON.stringify([file.name, file.executable === true, file.content]));
  return hash.digest("hex");
}

/** The volume and the command that writes the files into it, before the container starts. */
export function containerFiles(name: string, args: ContainerFilesArgs, opts: { readonly parent: pulumi.Resource }): ContainerFiles {
  const { context, files, secret } = args;
  const variables = files.map((file) => fileVariable(file.name));
  if (new Set(variables).size !== variables.length) throw new Error(`${name}: two files map to one environment variable (${variables.join(", ")})`);
  const toWrite: FileToWrite[] = files.map((file, index) => ({ name: file.name, mode: file.executable ? "0755" : "0644", from: { variable: variables[index] } }));
  if (secret) toWrite.push({ name: secret.name, mode: "0400", from: "stdin", owner: secret.owner });
  const script = renderFilesWriterScript(WRITER_DIR, toWrite);

  // Rendered files or a copy of a secret kept in the state, no data: deleted with the stack.
  const volume = new docker.Volume(name, { name: dockerName(context, args.volumePart), labels: labels(context, args.service) }, { parent: opts.parent });

  const writer = new command.local.Command(`${name}-writer`, {
    // Off every network, read-only but for the volume, root with no capability beyond chown.
    create: pulumi.all([volume.name, args.image]).apply(([volumeName, image]) => [
      "docker run --rm -i --network none --read-only",
      `--cpus 0.5 --memory 64m --pids-limit ${HELPER_PIDS_LIMIT} --security-opt no-new-privileges:true --cap-drop ALL${secret ? " --cap-add CHOWN" : ""}`,
      `--label ${LABEL_INSTANCE}=${context.instanceName} --label ${LABEL_SERVICE}=${args.service}-files`,
      ...variables.map((variable) => `-e ${variable}`),
      `--mount type=volume,source=${volumeName},target=${WRITER_DIR}`,
      `--entrypoint sh ${image} -c ${shellQuote(script)}`,
    ].join(" ")),
    environment: Object.fromEntries(files.map((file, index) => [variables[index], file.content])),
    stdin: secret ? pulumi.secret(secret.content) : "",
    triggers: secret ? [filesDigest(files), pulumi.secret(secret.content)] : [filesDigest(files)],
    logging: "stderr",
  }, { parent: opts.parent, dependsOn: [volume], additionalSecretOutputs: secret ? ["stdin"] : [] });

  return { volume, writer };
}

/** How the container mounts the files: read-only, so the service cannot change what it runs. */
export function filesMount(files: ContainerFiles, containerPath: string): docker.types.input.ContainerVolume {
  return { volumeName: files.volume.name, containerPath, readOnly: true };
}
