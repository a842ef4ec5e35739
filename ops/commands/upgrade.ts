import { pathWrite } from "../config/write";
import { applyChange } from "../workflow/apply-change";
import { type Command, positional } from "./command";

/** The repository part of an image reference: without its tag and digest. */
export function imageRepository(reference: string): string {
  const withoutDigest = reference.split("@")[0];
  const colon = withoutDigest.lastIndexOf(":");
  // A colon before the last slash is a registry port, not a tag.
  return colon > withoutDigest.lastIndexOf("/") ? withoutDigest.slice(0, colon) : withoutDigest;
}

/**
 * The image an upgrade argument names: a bare tag (`1.0.1`) or digest (`sha256:...`) applies
 * to the image deployed now; anything with a repository is taken as a full reference.
 */
export function resolveImage(current: string, requested: string): string {
  if (requested.startsWith("sha256:")) return `${imageRepository(current)}@${requested}`;
  if (/[/:@]/.test(requested)) return requested;
  return `${imageRepository(current)}:${requested}`;
}

/** The runbook's minor upgrade: new image in config; the program backs up, migrates, replaces replicas. */
export const upgrade: Command = {
  name: "upgrade",
  usage: "<image-tag-or-digest>",
  summary: "set the orchestrator image (dean:images.orchestrator) and update: pre-upgrade backup, migrations, new replicas",
  run(ctx, args) {
    const [requested] = positional(upgrade, args, 1);
    let image = requested;
    return applyChange(ctx, {
      what: `upgrade the orchestrator to ${requested}`,
      message: `dean-ops upgrade ${requested}`,
      build: (settings) => {
        image = resolveImage(settings.images.orchestrator, requested);
        // `latest` and unpinned references are refused by the schema, with its reason.
        return pathWrite({ "dean:images.orchestrator": image });
      },
      recovery: [
        `if the migrations ran before the failure, dean-ops rollback --restore-db --stack ${ctx.stack.stackName} also restores the pre-upgrade backup`,
      ],
      done: (outputs) =>
        `Upgraded to ${image}. Pre-upgrade backup: ${outputs.lastPreUpgradeBackup ?? "(no output)"}; ` +
        `dean-ops rollback --restore-db restores it together with the previous image.`,
    });
  },
};
