import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  asString, COMMAND, commandEnv, CONTAINER, containerEnv, describe, type EnvEntry, known, type Props, type ResourceView,
} from "../lib/resources";
import { configSchema, readSettings, type Settings } from "../lib/settings";

/*
 * What a policy can see of secrets. The engine sends secret values to analyzers in the secret
 * envelope (MarshalProperties with KeepSecrets), but @pulumi/policy unwraps the envelope before
 * any validateResource/validateStack runs (deserializeProperties(props, false)): a policy gets
 * the plain value and no mark of secretness (pulumi/pulumi-policy#241). So "comes from a secret"
 * is checked by what the analyzer does see:
 *  1. the resource declares the property holding credentials in additionalSecretOutputs
 *     (a resource option the engine passes on), so its state is encrypted whatever the input;
 *  2. each credential value is the output of a generator resource (RandomPassword...) of the
 *     same stack, not a literal typed into code or a plain config value.
 */

const credentialNamePattern = {
  type: "string",
  minLength: 1,
  default: "(PASSWORD|PASSWD|PASS|SECRET|SECRET_KEY|TOKEN|API_KEY|PRIVATE_KEY|ACCESS_KEY|AUTH|CREDENTIALS?)$",
  description: "Case-insensitive regular expression for environment variable names that hold a credential.",
} as const;

const declaredSettings = { credentialNamePattern } as const satisfies Settings;
const generatedSettings = {
  credentialNamePattern,
  generatorTypes: {
    type: "array",
    items: { type: "string", minLength: 1 },
    default: [
      "random:index/randomPassword:RandomPassword",
      "random:index/randomString:RandomString",
      "random:index/randomBytes:RandomBytes",
      "random:index/randomId:RandomId",
    ],
    description: "Resource types whose outputs count as generated secrets.",
  },
} as const satisfies Settings;

/** `scheme://user:password@host`: the password part, if any. */
function urlPassword(value: string): string | undefined {
  const userInfo = /^[a-z][a-z0-9+.-]*:\/\/([^/?#@\s]*)@/i.exec(value)?.[1];
  const colon = userInfo?.indexOf(":") ?? -1;
  if (userInfo === undefined || colon < 0 || colon === userInfo.length - 1) return undefined;
  const password = userInfo.slice(colon + 1);
  try {
    return decodeURIComponent(password);
  } catch {
    return password;
  }
}

interface Credential {
  readonly name: string;
  /** The secret part: the whole value, or the password of a URL. */
  readonly secret: string;
}

function credentials(env: readonly EnvEntry[], namePattern: RegExp): Credential[] {
  return env.flatMap(({ name, value }) => {
    const password = urlPassword(value);
    if (password !== undefined) return [{ name, secret: password }];
    return namePattern.test(name) ? [{ name, secret: value }] : [];
  });
}

/** The environment a resource passes to a process, and the property it lives in. */
function environmentOf(resource: Pick<ResourceView, "type" | "props">): { property: string; env: EnvEntry[] } | undefined {
  if (resource.type === CONTAINER) return { property: "envs", env: containerEnv(resource.props) };
  if (resource.type === COMMAND) return { property: "environment", env: commandEnv(resource.props) };
  return undefined;
}

/** `-e NAME=value` / `--env NAME=value` in a command line: visible to anyone running `ps`. */
function commandLineCredentials(props: Props, namePattern: RegExp): string[] {
  // An unknown command line is built from other resources' outputs, not typed-in credentials;
  // the engine checks it again, known, before it runs.
  const lines = ["create", "update", "delete"].map((key) => known(() => asString(props[key])) ?? "");
  const flags = /(?:^|\s)(?:-e|--env)(?:\s+|=)([A-Za-z_][A-Za-z0-9_]*)=(\S+)/g;
  return lines.flatMap((line) => [...line.matchAll(flags)]
    .filter(([, name, value]) => namePattern.test(name) || urlPassword(value) !== undefined)
    .map(([, name]) => name));
}

function pattern(text: string): RegExp {
  try {
    return new RegExp(text, "i");
  } catch (error) {
    throw new Error(`policy setting credentialNamePattern is not a valid regular expression: ${(error as Error).message}`);
  }
}

export const credentialsDeclaredSecret: ResourceValidationPolicy = {
  name: "credentials-declared-secret",
  description: "A resource that passes credentials in its environment declares that property secret (additionalSecretOutputs), and no credential is put on a command line.",
  enforcementLevel: "mandatory",
  severity: "critical",
  configSchema: configSchema(declaredSettings),
  remediationSteps: "Pass credentials as secret outputs and add the property (envs, environment) to the resource's additionalSecretOutputs; pass them to commands through the environment, never as -e NAME=value.",
  validateResource: (args, reportViolation) => {
    const { credentialNamePattern: names } = readSettings(declaredSettings, args.getConfig());
    const namePattern = pattern(names);
    const environment = environmentOf(args);
    if (environment) {
      const found = credentials(environment.env, namePattern);
      if (found.length > 0 && !args.opts.additionalSecretOutputs.includes(environment.property)) {
        reportViolation(
          `${describe(args)} passes credentials in \`${environment.property}\` (${found.map((c) => c.name).join(", ")}) but does not declare \`${environment.property}\` secret. ` +
          `Policies cannot see whether an input was a secret, so the declaration is required: add additionalSecretOutputs: ["${environment.property}"] to its resource options and pass the values as secrets.`,
        );
      }
    }
    if (args.type === COMMAND) {
      const onCommandLine = commandLineCredentials(args.props, namePattern);
      if (onCommandLine.length > 0) {
        reportViolation(`${describe(args)} puts ${onCommandLine.join(", ")} on a command line, where \`ps\` and the update log show it. Fix: pass \`-e NAME\` without a value and set NAME in the command's environment.`);
      }
    }
  },
};

/** Every string output of the generator resources: what a generated credential must equal. */
function generatedValues(resources: readonly ResourceView[], generatorTypes: readonly string[]): Set<string> {
  const values = new Set<string>();
  for (const resource of resources) {
    if (!generatorTypes.includes(resource.type)) continue;
    for (const value of Object.keys(resource.props).map((key) => known(() => resource.props[key]))) {
      // Short strings (keepers, flags) are not secrets and could match by accident.
      if (typeof value === "string" && value.length >= 8) values.add(value);
    }
  }
  return values;
}

/** Generators whose output is not known yet: new or replaced by this update (a rotation). */
function pendingGenerators(resources: readonly PolicyResource[], generatorTypes: readonly string[]): Set<string> {
  return new Set(resources
    .filter((resource) => generatorTypes.includes(resource.type) && Object.keys(resource.props).some((key) => known(() => resource.props[key]) === undefined))
    .map((resource) => resource.urn));
}

export const credentialsGenerated: StackValidationPolicy = {
  name: "credentials-generated",
  description: "Every credential passed in an environment (passwords, secrets, keys, tokens, passwords in URLs) is the output of a generated secret in the stack, never a literal or a plain config value.",
  enforcementLevel: "mandatory",
  severity: "critical",
  configSchema: configSchema(generatedSettings),
  remediationSteps: "Generate the credential with @pulumi/random (RandomPassword) and pass its result as a secret output.",
  validateStack: (args, reportViolation) => {
    const config = readSettings(generatedSettings, args.getConfig());
    const namePattern = pattern(config.credentialNamePattern);
    const generated = generatedValues(args.resources, config.generatorTypes);
    const regenerating = pendingGenerators(args.resources, config.generatorTypes);
    for (const resource of args.resources) {
      const environment = known(() => environmentOf(resource));
      if (!environment) continue;
      // At the preview of a rotation the new secret is not known yet, and the environment
      // built from it may still show the old one, which no generator holds any more: it
      // comes from a generated secret all the same. Checked again, known, during the update.
      const sources = resource.propertyDependencies[environment.property] ?? [];
      if (sources.some((source) => regenerating.has(source.urn))) continue;
      const plain = credentials(environment.env, namePattern).filter((credential) => !generated.has(credential.secret));
      if (plain.length > 0) {
        // The value itself is never printed: it may be a real password.
        reportViolation(
          `${describe(resource)}: ${plain.map((c) => c.name).join(", ")} in \`${environment.property}\` ${plain.length === 1 ? "is" : "are"} not the output of a generated secret (${config.generatorTypes.join(", ")}): a literal or plain config value ends up in code, stack files and logs. ` +
          "Fix: generate it with @pulumi/random and pass the result (a secret output).",
          resource.urn,
        );
      }
    }
  },
};
