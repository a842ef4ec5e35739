import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isImageId, unpinnedReason } from "../lib/image-ref";
import { asString, CONTAINER, describe, known, REMOTE_IMAGE, serviceOf } from "../lib/resources";
import { configSchema, readSettings, type Settings } from "../lib/settings";

const settings = {
  requireDigest: { type: "boolean", default: false, description: "Require name@sha256:<digest> references, not only version tags." },
} as const satisfies Settings;

/**
 * An unpinned image changes under a running stack: `pulumi up` would then deploy something
 * nobody reviewed, and a rollback could not return to what ran before.
 */
export const pinnedImages: ResourceValidationPolicy = {
  name: "pinned-images",
  description: "Images are pinned by a version tag or a digest, never `latest` or no tag.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: configSchema(settings),
  remediationSteps: "Pin the reference in dean:images.<service>, e.g. postgres:15.10-bookworm or postgres@sha256:<digest>.",
  validateResource: (args, reportViolation) => {
    // RemoteImage carries the reference; containers use the resolved image ID unless they name an image directly.
    // A container's image not known at preview is the ID of an image resource not pulled yet,
    // and that resource's reference is checked here by itself.
    const reference = known(() => (args.type === REMOTE_IMAGE ? asString(args.props.name) : args.type === CONTAINER ? asString(args.props.image) : undefined));
    if (reference === undefined || isImageId(reference)) return;
    const { requireDigest } = readSettings(settings, args.getConfig());
    const reason = unpinnedReason(reference, requireDigest);
    if (reason === undefined) return;
    const configKey = args.type === CONTAINER && serviceOf(args.props) ? `dean:images.${serviceOf(args.props)}` : "dean:images";
    reportViolation(`${describe(args)}: image \`${reference}\` is not pinned: ${reason}. Fix: pin a version tag or digest in ${configKey} (e.g. name:1.2.3 or name@sha256:<digest>).`);
  },
};
