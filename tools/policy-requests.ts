import * as path from "node:path";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import type { Struct as StructMessage } from "google-protobuf/google/protobuf/struct_pb";
import type { DeclaredResource } from "./mock-program";

/**
 * Builds the Analyzer requests the Pulumi engine would send for the resources a program
 * declared, from tools/mock-program's records. What the engine sends, read from pulumi/pulumi
 * (pkg/resource/deploy/step_generator.go and sdk/go/common/resource/plugin/analyzer_plugin.go):
 *
 * - Analyze, once per resource before it is created or updated: the resource's *inputs*,
 *   marshalled with MarshalOptions{KeepUnknowns, KeepSecrets, SkipInternalKeys}, so a secret
 *   input travels as the secret envelope {"4dabf...": "1b47...", "value": <plain value>};
 *   options protect, ignoreChanges, deleteBeforeReplace(+Defined), additionalSecretOutputs,
 *   aliases, customTimeouts, parent; and the resource's provider (type, urn, name, inputs).
 * - AnalyzeStack, once at the end: every resource's *outputs*, marshalled the same way, plus
 *   parent, dependencies and property dependencies. An output is secret where its input was
 *   and where additionalSecretOutputs names it.
 * - retainOnDelete is in no analyzer message (AnalyzerResourceOptions has no such field).
 *
 * Mock values are always known, so no unknown sentinels are sent. The mock records only a
 * boolean deleteBeforeReplace, so "defined" is sent exactly when it is true.
 */

export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

// google-protobuf as @pulumi/pulumi's generated messages load it: one instance, one Struct class.
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [pulumiDir] })) as { Struct: typeof StructMessage };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A deep copy in what a protobuf Struct can hold: undefined values are left out, as the engine drops them. */
function toJson(value: unknown): Json | undefined {
  if (value === undefined || typeof value === "function" || typeof value === "symbol") return undefined;
  if (value === null || typeof value === "boolean" || typeof value === "number" || typeof value === "string") return value;
  if (Array.isArray(value)) return value.map((item) => toJson(item) ?? null);
  const result: { [key: string]: Json } = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    const converted = toJson(inner);
    // The engine's SkipInternalKeys drops `__`-prefixed keys such as __defaults.
    if (converted !== undefined && !key.startsWith("__")) result[key] = converted;
  }
  return result;
}

/** Replaces the value at a dotted path (`uploads.1.content`) with the engine's secret envelope. */
function wrapSecret(root: { [key: string]: Json }, dottedPath: string): void {
  const segments = dottedPath.split(".");
  let container: Json = root;
  for (const segment of segments.slice(0, -1)) {
    if (container === null || typeof container !== "object") return;
    container = Array.isArray(container) ? container[Number(segment)] : container[segment];
  }
  const last = segments[segments.length - 1];
  if (container === null || typeof container !== "object") return;
  if (Array.isArray(container)) {
    const index = Number(last);
    if (index < container.length) container[index] = { [SECRET_SIG_KEY]: SECRET_SIG, value: container[index] };
  } else if (last in container) {
    container[last] = { [SECRET_SIG_KEY]: SECRET_SIG, value: container[last] };
  }
}

/** Properties as the engine marshals them: plain JSON with secret paths enveloped. */
export function marshalProperties(values: Readonly<Record<string, unknown>>, secretPaths: readonly string[]): StructMessage {
  const json = (toJson(values) ?? {}) as { [key: string]: Json };
  // Innermost first, so an enclosing secret wraps an already wrapped inner one.
  const paths = [...new Set(secretPaths)].sort((a, b) => b.split(".").length - a.split(".").length);
  for (const secretPath of paths) wrapSecret(json, secretPath);
  return Struct.fromJavaScript(json);
}

/** Output paths the engine would mark secret: secret inputs still present, and additionalSecretOutputs. */
function outputSecretPaths(resource: DeclaredResource): string[] {
  return [...resource.secretInputPaths, ...resource.additionalSecretOutputs];
}

function resourceOptions(resource: DeclaredResource): analyzer.AnalyzerResourceOptions {
  const options = new analyzer.AnalyzerResourceOptions();
  options.setProtect(resource.protect);
  options.setIgnorechangesList([]);
  options.setDeletebeforereplace(resource.deleteBeforeReplace);
  options.setDeletebeforereplacedefined(resource.deleteBeforeReplace);
  options.setAdditionalsecretoutputsList([...new Set(resource.additionalSecretOutputs)]);
  options.setAliasesList([]);
  options.setCustomtimeouts(new analyzer.AnalyzerResourceOptions.CustomTimeouts());
  options.setParent(resource.parent);
  return options;
}

/** Resources by URN, for provider references (`<provider urn>::<id>`). */
export type ResourceIndex = ReadonlyMap<string, DeclaredResource>;

export function indexResources(resources: readonly DeclaredResource[]): ResourceIndex {
  return new Map(resources.map((resource) => [resource.urn, resource]));
}

function providerOf(resource: DeclaredResource, index: ResourceIndex): analyzer.AnalyzerProviderResource | undefined {
  if (!resource.provider) return undefined;
  const provider = index.get(resource.provider.slice(0, resource.provider.lastIndexOf("::")));
  if (!provider) return undefined;
  const message = new analyzer.AnalyzerProviderResource();
  message.setType(provider.type);
  message.setUrn(provider.urn);
  message.setName(provider.name);
  message.setProperties(marshalProperties(provider.inputs, provider.secretInputPaths));
  return message;
}

export function analyzeRequest(resource: DeclaredResource, index: ResourceIndex): analyzer.AnalyzeRequest {
  const request = new analyzer.AnalyzeRequest();
  request.setType(resource.type);
  request.setUrn(resource.urn);
  request.setName(resource.name);
  request.setProperties(marshalProperties(resource.inputs, resource.secretInputPaths));
  request.setOptions(resourceOptions(resource));
  const provider = providerOf(resource, index);
  if (provider) request.setProvider(provider);
  return request;
}

export function analyzeStackRequest(resources: readonly DeclaredResource[]): analyzer.AnalyzeStackRequest {
  const index = indexResources(resources);
  const request = new analyzer.AnalyzeStackRequest();
  request.setResourcesList(resources.map((resource) => {
    const message = new analyzer.AnalyzerResource();
    message.setType(resource.type);
    message.setUrn(resource.urn);
    message.setName(resource.name);
    message.setProperties(marshalProperties(resource.state, outputSecretPaths(resource)));
    message.setOptions(resourceOptions(resource));
    const provider = providerOf(resource, index);
    if (provider) message.setProvider(provider);
    message.setParent(resource.parent);
    message.setDependenciesList([...resource.dependencies]);
    for (const [property, urns] of Object.entries(resource.propertyDependencies)) {
      const dependencies = new analyzer.AnalyzerPropertyDependencies();
      dependencies.setUrnsList([...urns]);
      message.getPropertydependenciesMap().set(property, dependencies);
    }
    return message;
  }));
  return request;
}
