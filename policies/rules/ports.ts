import type { ResourceValidationPolicy } from "@pulumi/policy";
import { asList, asNumber, asRecord, asString, CONTAINER, describe, serviceOf } from "../lib/resources";
import { configSchema, readSettings, type Settings } from "../lib/settings";

const settings = {
  publicServices: {
    type: "array",
    items: { type: "string", minLength: 1 },
    default: ["nginx"],
    description: "Services (dean.service) allowed to publish ports on a non-loopback address. Postgres and Redis never are.",
  },
} as const satisfies Settings;

/** The data services: reachable from outside the host, they are one leaked password from a breach. */
const NEVER_PUBLIC = new Set(["postgres", "redis"]);

function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === "::1" || address === "localhost";
}

/** Only the edge (nginx, with TLS and rate limits) faces the network; everything else stays on the host. */
export const publishedPorts: ResourceValidationPolicy = {
  name: "published-ports",
  description: "Only nginx may publish a port on a non-loopback address; Postgres and Redis never do.",
  enforcementLevel: "mandatory",
  severity: "critical",
  configSchema: configSchema(settings),
  remediationSteps: "Publish the port on 127.0.0.1 (ip: \"127.0.0.1\") or not at all; route external traffic through nginx.",
  validateResource: (args, reportViolation) => {
    if (args.type !== CONTAINER) return;
    const { publicServices } = readSettings(settings, args.getConfig());
    const service = serviceOf(args.props) ?? "";
    for (const entry of asList(args.props.ports)) {
      const port = asRecord(entry) ?? {};
      // Docker binds every interface when no address is given.
      const address = asString(port.ip) || "0.0.0.0";
      if (isLoopback(address)) continue;
      const mapping = `${address}:${asNumber(port.external) ?? "<random>"}->${asNumber(port.internal) ?? "?"}`;
      if (NEVER_PUBLIC.has(service)) {
        reportViolation(`${describe(args)} publishes ${mapping}: ${service} must never be reachable beyond the Docker host. Fix: publish it on 127.0.0.1 only (ip: "127.0.0.1"), or not at all.`);
      } else if (!publicServices.includes(service)) {
        reportViolation(`${describe(args)} publishes ${mapping}: only ${publicServices.join(", ")} may publish on a non-loopback address. Fix: bind it to 127.0.0.1 and route external traffic through nginx.`);
      }
    }
  },
};
