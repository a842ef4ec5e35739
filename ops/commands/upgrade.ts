import { imageSchema } from "../config/schemas";
import { pathWrite } from "../config/write";
import { applyChange } from "../workflow/apply-change";
import { checkConfigArgument, positional } from "./arguments";
import type { Command } from "./command";

/**
 * Stands in for the deployed repository while the arguments are checked, before the config
 * is read: a bare tag or digest is judged as part of a reference, and the schema's verdict on
 * the tag does not depend on the repository (which the current config has already passed).
 */
const STAND_IN_REPOSITORY = "repository";

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
  parse(args) {
    const [requested] = positional(upgrade, args, 1);
    // `latest`, unpinned and malformed references are refused here, in the schema's words.
    const argument = { name: "<image-tag-or-digest>", setting: "dean:images.orchestrator", schema: imageSchema };
    checkConfigArgument(upgrade, argument, requested, resolveImage(STAND_IN_REPOSITORY, requested));
    return (ctx) => {
      let image = requested;
      return applyChange(ctx, {
        what: `upgrade the orchestrator to ${requested}`,
        message: `dean-ops upgrade ${requested}`,
        build: (settings) => {
          image = resolveImage(settings.images.orchestrator, requested);
          return pathWrite({ "dean:images.orchestrator": image });
        },
        recovery: [
          `if the migrations ran before the failure, dean-ops rollback --restore-db --stack ${ctx.stack.stackName} also restores the pre-upgrade backup`,
        ],
        done: (outputs) =>
          `Upgraded to ${image}. Pre-upgrade backup: ${outputs.lastPreUpgradeBackup ?? "(no output)"}; ` +
          `dean-ops rollback --restore-db restores it together with the previous image.`,
      });
    };
  },
};
