import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import {
  type Directive, effectiveAll, effectiveOne, httpDirectives, isProxied, type LocationContext, locations, NginxSyntaxError, parseNginxConf,
} from "../lib/nginx-conf";
import { asList, asRecord, asString, COMMAND, CONTAINER, describe, known, serviceOf } from "../lib/resources";
import { configSchema, readSettings, type Settings, type SettingValues } from "../lib/settings";

const settings = {
  confPath: { type: "string", minLength: 1, default: "/etc/nginx/nginx.conf", description: "Path of an nginx configuration a container uploads." },
  confVariable: {
    type: "string",
    minLength: 1,
    default: "DEAN_NGINX_CONF",
    description: "Environment variable of the command that writes nginx's configuration releases into its config volume (components/nginx.ts).",
  },
  releaseConfPath: {
    type: "string",
    minLength: 1,
    default: "/etc/nginx/dean/current/nginx.conf",
    description: "The nginx.conf of the live release, which an nginx container that uploads none must run (`nginx -c <path>`).",
  },
  status: { type: "integer", minimum: 400, maximum: 599, default: 429, description: "Status a rate-limited request must get (limit_req_status)." },
  unlimitedLocations: {
    type: "array",
    items: { type: "string", minLength: 1 },
    default: ["= /health"],
    description: "Locations (their arguments, e.g. \"= /health\") that may proxy without a rate limit.",
  },
} as const satisfies Settings;

/** nginx answers rate-limited requests with 503 unless told otherwise. */
const NGINX_DEFAULT_LIMIT_STATUS = "503";

/** The text of the uploaded file, from `content` or `contentBase64`. */
function uploadedFile(props: Readonly<Record<string, unknown>>, path: string): string | undefined {
  for (const entry of asList(props.uploads)) {
    const upload = asRecord(entry);
    if (asString(upload?.file) !== path) continue;
    const content = asString(upload?.content);
    if (content !== undefined) return content;
    const base64 = asString(upload?.contentBase64);
    if (base64 !== undefined) return Buffer.from(base64, "base64").toString("utf8");
  }
  return undefined;
}

function where(context: LocationContext): string {
  const listen = context.server.block?.find((directive) => directive.name === "listen")?.args[0];
  return `location ${context.location.args.join(" ")}${listen ? ` (server on ${listen})` : ""}`;
}

function zoneOf(limitReq: Directive): string | undefined {
  return limitReq.args.find((arg) => arg.startsWith("zone="))?.slice("zone=".length);
}

/** Problems of one proxied location: no limit, an undefined zone, a dry run, the wrong status. */
function locationProblems(context: LocationContext, zones: ReadonlySet<string>, status: number): string[] {
  const limits = effectiveAll(context, "limit_req");
  if (limits.length === 0) return [`${where(context)} proxies to the API without a limit_req`];
  const problems: string[] = [];
  for (const zone of limits.map(zoneOf)) {
    if (zone === undefined || !zones.has(zone)) problems.push(`${where(context)} uses limit_req zone ${zone ?? "(none)"}, which no limit_req_zone defines`);
  }
  if (effectiveOne(context, "limit_req_dry_run")?.args[0] === "on") problems.push(`${where(context)} only dry-runs its limit (limit_req_dry_run on)`);
  const answered = effectiveOne(context, "limit_req_status")?.args[0] ?? NGINX_DEFAULT_LIMIT_STATUS;
  if (answered !== String(status)) problems.push(`${where(context)} answers limited requests with ${answered}, not ${status}`);
  return problems;
}

type Config = SettingValues<typeof settings>;

/** The `-c` argument of an nginx container's command, if any. */
function confArgument(props: Readonly<Record<string, unknown>>): string | undefined {
  const command = asList(known(() => props.command)).map((word) => asString(word) ?? "");
  const index = command.indexOf("-c");
  return index >= 0 ? command[index + 1] : undefined;
}

/**
 * The rendered nginx.conf this resource carries, or a violation when it is an nginx container
 * whose configuration the pack cannot see. Resource inputs are known at a preview; a
 * command's `environment` output is not, so the command's own inputs are read.
 */
function confOf(args: ResourceValidationArgs, config: Config): { readonly where: string; readonly text: string } | { readonly missing: string } | undefined {
  if (args.type === COMMAND) {
    const text = asString(asRecord(known(() => args.props.environment))?.[config.confVariable]);
    return text === undefined ? undefined : { where: `environment ${config.confVariable}`, text };
  }
  if (args.type !== CONTAINER || serviceOf(args.props) !== "nginx") return undefined;
  const uploaded = uploadedFile(args.props, config.confPath);
  if (uploaded !== undefined) return { where: config.confPath, text: uploaded };
  // The release command carries the text and is checked on its own.
  if (confArgument(args.props) === config.releaseConfPath) return undefined;
  return {
    missing: `${describe(args)} neither uploads ${config.confPath} nor runs the live release (nginx -c ${config.releaseConfPath}), so its rate limits cannot be verified. ` +
      "Fix: deliver the configuration the program's nginx component renders.",
  };
}

/** The runbook's DDoS response depends on per-IP limits being in force on every API route. */
export const nginxRateLimit: ResourceValidationPolicy = {
  name: "nginx-rate-limit",
  description: "nginx rate-limits every proxied API route (limit_req on a defined zone) and rejects with status 429.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: configSchema(settings),
  remediationSteps: "Keep dean:nginx.rateLimit set; the rendered nginx.conf must carry limit_req_zone, limit_req on every proxied location and limit_req_status 429.",
  validateResource: (args, reportViolation) => {
    const config = readSettings(settings, args.getConfig());
    const source = confOf(args, config);
    if (source === undefined) return;
    if ("missing" in source) {
      reportViolation(source.missing);
      return;
    }
    const label = `${describe(args)} (${source.where})`;
    let conf: Directive[];
    try {
      conf = parseNginxConf(source.text);
    } catch (error) {
      if (!(error instanceof NginxSyntaxError)) throw error;
      reportViolation(`${label}: the nginx.conf does not parse (${error.message}). Fix: render it with the program's nginx renderer.`);
      return;
    }
    const zones = new Set(httpDirectives(conf, "limit_req_zone").flatMap((zone) => {
      const name = zone.args.find((arg) => arg.startsWith("zone="))?.slice("zone=".length).split(":")[0];
      return name ? [name] : [];
    }));
    const proxied = locations(conf).filter((context) => isProxied(context.location) && !config.unlimitedLocations.includes(context.location.args.join(" ")));
    const problems = proxied.flatMap((context) => locationProblems(context, zones, config.status));
    if (problems.length > 0) {
      reportViolation(`${label}: ${problems.join("; ")}. Fix: keep dean:nginx.rateLimit on; every proxied location needs limit_req on a limit_req_zone, with limit_req_status ${config.status}.`);
    }
  },
};
