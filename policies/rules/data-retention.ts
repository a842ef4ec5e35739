import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { asList, asRecord, asString, containersOf, describe, isProductionStack, LABEL, labelsOf, VOLUME } from "../lib/resources";
import { configSchema, readSettings, type Settings } from "../lib/settings";

const settings = {
  dataServices: {
    type: "array",
    items: { type: "string", minLength: 1 },
    default: ["postgres", "backup"],
    description: "Services (dean.service) whose mounted volumes hold data that must outlive the stack.",
  },
} as const satisfies Settings;

/**
 * Named volumes and host paths a container mounts writable: what it mounts read-only (its
 * configuration, scripts, a secret) cannot hold data it writes.
 */
function writableMountsOf(props: Readonly<Record<string, unknown>>): { volumes: string[]; hostPaths: string[] } {
  const volumes: string[] = [];
  const hostPaths: string[] = [];
  for (const entry of asList(props.volumes)) {
    const volume = asRecord(entry);
    if (volume?.readOnly === true) continue;
    const name = asString(volume?.volumeName);
    const host = asString(volume?.hostPath);
    if (name) volumes.push(name);
    if (host) hostPaths.push(host);
  }
  for (const entry of asList(props.mounts)) {
    const mount = asRecord(entry);
    if (mount?.readOnly === true) continue;
    const source = asString(mount?.source);
    if (source && asString(mount?.type) === "volume") volumes.push(source);
    if (source && asString(mount?.type) === "bind") hostPaths.push(source);
  }
  return { volumes, hostPaths };
}

/**
 * Losing the Postgres volume loses the database. The analyzer protocol carries `protect` but not
 * `retainOnDelete`, so the program states retention with the dean.retain-on-delete label, set
 * beside the option; this rule reads that label and, in production, the protect option.
 */
export const dataVolumeRetained: StackValidationPolicy = {
  name: "data-volume-retained",
  description: "The volumes holding Postgres data (and backups), those its containers mount writable, are retained on delete, and protected in production.",
  enforcementLevel: "mandatory",
  severity: "critical",
  configSchema: configSchema(settings),
  remediationSteps: "Create the data volume with retainOnDelete: true (protect: true in production) and the dean.retain-on-delete=true label.",
  validateStack: (args, reportViolation) => {
    const { dataServices } = readSettings(settings, args.getConfig());
    const production = isProductionStack(args.resources);
    const volumes = new Map<string, PolicyResource>();
    for (const resource of args.resources) {
      const name = resource.type === VOLUME ? asString(resource.props.name) : undefined;
      if (name) volumes.set(name, resource);
    }
    const reported = new Set<string>();
    for (const service of dataServices) {
      for (const container of containersOf(args.resources, service)) {
        const mounts = writableMountsOf(container.props);
        if (service === "postgres" && mounts.volumes.length === 0 && mounts.hostPaths.length === 0) {
          reportViolation(`${describe(container)} mounts no writable volume: its data has nowhere to live but the container's own layer, which goes with the container. Fix: mount a retained volume at its data directory.`, container.urn);
        }
        // A volume this stack does not declare is not Pulumi's to delete.
        for (const volume of mounts.volumes.flatMap((name) => volumes.get(name) ?? [])) {
          if (reported.has(volume.urn)) continue;
          reported.add(volume.urn);
          const problems: string[] = [];
          if (labelsOf(volume.props)[LABEL.retainOnDelete] !== "true") problems.push(`it is not marked retained on delete (${LABEL.retainOnDelete}=true with the retainOnDelete option)`);
          if (production && !volume.opts.protect) problems.push("it is not protected in production (protect: true)");
          if (problems.length > 0) {
            reportViolation(`${describe(volume)} holds ${service} data of ${container.name}: ${problems.join("; ")}. Fix: create it with retainOnDelete: true${production ? " and protect: true" : ""} and label it ${LABEL.retainOnDelete}=true.`, volume.urn);
          }
        }
      }
    }
  },
};
