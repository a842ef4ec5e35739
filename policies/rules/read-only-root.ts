import type { ResourceValidationPolicy } from "@pulumi/policy";
import { CONTAINER, describe, isLongRunning, known, serviceOf } from "../lib/resources";
import { configSchema, readSettings, type Settings } from "../lib/settings";

const settings = {
  writableRootServices: {
    type: "array",
    items: { type: "string", minLength: 1 },
    default: [],
    description: "Services (dean.service) allowed a writable root filesystem. None by default: every DEAN service writes only to its volumes and tmpfs mounts.",
  },
} as const satisfies Settings;

/**
 * CIS Docker Benchmark 5.13: a service whose root filesystem is read-only cannot have its
 * binaries, configuration or scripts changed by whoever takes it over, and cannot fill the
 * Docker host's disk through its writable layer.
 */
export const readOnlyRootFilesystem: ResourceValidationPolicy = {
  name: "read-only-root-filesystem",
  description: "Every long-running container runs with a read-only root filesystem (CIS Docker Benchmark 5.13); what it writes goes to volumes or tmpfs mounts.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: configSchema(settings),
  remediationSteps: "Set readOnly: true on the container (serviceContainerDefaults does) and give the paths it writes a tmpfs mount or a volume.",
  validateResource: (args, reportViolation) => {
    if (args.type !== CONTAINER || !isLongRunning(args.props)) return;
    const { writableRootServices } = readSettings(settings, args.getConfig());
    if (writableRootServices.includes(serviceOf(args.props) ?? "")) return;
    // A literal in the program, so known at a preview; computed from another resource's output
    // it could not be checked, which is refused rather than passed.
    const readOnly = known(() => args.props.readOnly);
    if (readOnly === true) return;
    const why = readOnly === undefined && "readOnly" in args.props
      ? "whether its root filesystem is read-only is not known before the update (`readOnly` is computed), so it cannot be checked"
      : "its root filesystem is writable (`readOnly` is not true)";
    reportViolation(`${describe(args)}: ${why}. Fix: set readOnly: true and mount a tmpfs or a volume at each path it writes.`);
  },
};
