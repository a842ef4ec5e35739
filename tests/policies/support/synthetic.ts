import type { DeclaredResource } from "../../../tools/mock-program";

/** Small hand-made stacks, for what the real program cannot show (a secret sent as plain text, ...). */

export function declared(type: string, name: string, inputs: Record<string, unknown>, options: Partial<DeclaredResource> = {}): DeclaredResource {
  return {
    urn: `urn:pulumi:test::dean::${type}::${name}`,
    type,
    name,
    custom: true,
    inputs,
    secretInputPaths: [],
    state: { ...inputs },
    parent: "",
    dependencies: [],
    propertyDependencies: {},
    provider: "",
    protect: false,
    retainOnDelete: false,
    deleteBeforeReplace: false,
    deleteBeforeReplaceDefined: false,
    additionalSecretOutputs: [],
    importId: "",
    ignoreChanges: [],
    replaceWith: [],
    ...options,
  };
}

export function labels(service: string, environment = "prod", extra: Record<string, string> = {}): { label: string; value: string }[] {
  return Object.entries({ "dean.instance": "t", "dean.service": service, "dean.managed-by": "pulumi", "dean.environment": environment, ...extra })
    .map(([label, value]) => ({ label, value }));
}

/** A container that passes every resource rule unless told otherwise. */
export function container(name: string, service: string, inputs: Record<string, unknown> = {}, options: Partial<DeclaredResource> = {}): DeclaredResource {
  return declared("docker:index/container:Container", name, {
    labels: labels(service),
    image: `sha256:${"0".repeat(64)}`,
    memory: 256,
    cpus: "1",
    restart: "unless-stopped",
    healthcheck: { tests: ["CMD", "true"] },
    logDriver: "json-file",
    logOpts: { "max-size": "10m", "max-file": "3" },
    ...inputs,
  }, options);
}

export const GENERATED_PASSWORD = "Generated0123456789abcdef";

export function generatedPassword(name = "password"): DeclaredResource {
  return declared("random:index/randomPassword:RandomPassword", name, { length: 25 }, {
    state: { length: 25, result: GENERATED_PASSWORD },
    additionalSecretOutputs: ["result"],
  });
}
