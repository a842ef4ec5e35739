import * as fs from "node:fs";
import * as path from "node:path";
import { type Environment, type Missing, setting } from "./prerequisite";

/** The backend the CLI will use, and where that came from (for the messages). */
export interface Backend {
  readonly url: string;
  readonly source: string;
  /** file://, s3:// and the like: state without the Pulumi service (passphrase secrets by default). */
  readonly selfManaged: boolean;
}

interface Credentials {
  /** The backend `pulumi login` selected last. */
  readonly current?: string;
  readonly hasAccessToken: boolean;
}

/** ~/.pulumi/credentials.json (under PULUMI_HOME when set): what `pulumi login` recorded. */
function readCredentials(environment: Environment): Credentials {
  const file = path.join(setting(environment, "PULUMI_HOME") ?? path.join(environment.home, ".pulumi"), "credentials.json");
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
    if (typeof parsed !== "object" || parsed === null) return { hasAccessToken: false };
    const current = "current" in parsed && typeof parsed.current === "string" && parsed.current !== "" ? parsed.current : undefined;
    const tokens = "accessTokens" in parsed && typeof parsed.accessTokens === "object" && parsed.accessTokens !== null ? Object.keys(parsed.accessTokens) : [];
    return { current, hasAccessToken: tokens.length > 0 };
  } catch {
    return { hasAccessToken: false };
  }
}

function projectBackendUrl(project: Readonly<Record<string, unknown>>): string | undefined {
  const backend = project.backend;
  return typeof backend === "object" && backend !== null && "url" in backend && typeof backend.url === "string" && backend.url !== "" ? backend.url : undefined;
}

/**
 * The directory of a file:// backend (`~` is the home directory, as the CLI reads it), or
 * undefined for a relative one: the CLI resolves that from where it runs, which is not checked.
 */
function stateDirectory(url: string, environment: Environment): string | undefined {
  const location = url.slice("file://".length).split("?")[0];
  if (location === "~" || location.startsWith("~/")) return path.join(environment.home, location.slice(1));
  return path.isAbsolute(location) ? location : undefined;
}

/**
 * The CLI's own order: PULUMI_BACKEND_URL, then Pulumi.yaml's backend.url, then the last
 * `pulumi login`. Without any, it would try the Pulumi service, which needs a token.
 */
function resolveBackend(environment: Environment, project: Readonly<Record<string, unknown>>, credentials: Credentials): Omit<Backend, "selfManaged"> | undefined {
  const fromEnv = setting(environment, "PULUMI_BACKEND_URL");
  if (fromEnv) return { url: fromEnv, source: "PULUMI_BACKEND_URL" };
  const fromProject = projectBackendUrl(project);
  if (fromProject) return { url: fromProject, source: "backend.url in Pulumi.yaml" };
  if (credentials.current) return { url: credentials.current, source: "pulumi login" };
  if (setting(environment, "PULUMI_ACCESS_TOKEN")) return { url: "https://api.pulumi.com", source: "PULUMI_ACCESS_TOKEN" };
  return undefined;
}

/**
 * Checks what can be checked without the network: that there is a backend at all, that a
 * file:// backend's directory exists (else the stack cannot be there), and that a service
 * backend has a token (the CLI would otherwise try an interactive login). Cloud storage
 * credentials are left to the CLI.
 */
export function checkBackend(environment: Environment, project: Readonly<Record<string, unknown>>): { backend?: Backend; missing?: Missing } {
  const credentials = readCredentials(environment);
  const resolved = resolveBackend(environment, project, credentials);
  if (!resolved) {
    return { missing: {
      what: "a Pulumi backend: PULUMI_BACKEND_URL is not set, Pulumi.yaml names none and pulumi login has not been run",
      fix: "export PULUMI_BACKEND_URL=file://<directory holding the stack state> (state on this host), or run pulumi login <backend URL>",
    } };
  }
  const backend = { ...resolved, selfManaged: !/^https?:\/\//.test(resolved.url) };
  if (resolved.url.startsWith("file://")) {
    const directory = stateDirectory(resolved.url, environment);
    if (directory !== undefined && !fs.existsSync(directory)) {
      return { backend, missing: { what: `the backend directory ${directory} (${resolved.source}: ${resolved.url}) does not exist, so the stack cannot be there`, fix: "point PULUMI_BACKEND_URL at the directory that holds the stack state, or run pulumi login <its URL>" } };
    }
  } else if (!backend.selfManaged && !setting(environment, "PULUMI_ACCESS_TOKEN") && !credentials.hasAccessToken) {
    return { backend, missing: { what: `an access token for ${resolved.url} (${resolved.source})`, fix: `run pulumi login ${resolved.url}, or export PULUMI_ACCESS_TOKEN=<token>` } };
  }
  return { backend };
}
