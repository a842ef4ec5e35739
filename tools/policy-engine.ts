import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import type { DeclaredResource } from "./mock-program";
import {
  type EnforcementLevelName, type PolicyMetadata, type PolicyPackConfig, reconcilePolicyPackConfig, type SettingSchema,
} from "./policy-config";
import type { PolicyPackHost } from "./policy-pack-host";
import { analyzeRequest, analyzeStackRequest, indexResources, marshalProperties } from "./policy-requests";
import type { PulumiConfigMap } from "./stack-config-file";

/**
 * The engine's side of a policy check, in the engine's order: ConfigureStack, GetAnalyzerInfo
 * (done when the pack starts), Configure with the reconciled config, Analyze for every
 * resource, AnalyzeStack for the whole stack. No Remediate pass: the pack has no remediations.
 */

export interface PolicyDiagnostic {
  readonly policy: string;
  readonly level: EnforcementLevelName;
  readonly severity: string;
  /** The resource the violation is about; empty for a stack-wide one. */
  readonly urn: string;
  /** What the policy reported (the policy's description is separate). */
  readonly message: string;
  readonly description: string;
}

export interface PolicyRun {
  readonly packName: string;
  readonly packVersion: string;
  readonly policies: readonly PolicyMetadata[];
  /** Resources sent to Analyze (and, together, to AnalyzeStack). */
  readonly analyzed: number;
  readonly diagnostics: readonly PolicyDiagnostic[];
}

export interface PolicyRunOptions {
  readonly stack: string;
  readonly project: string;
  /** The stack's config, passed to ConfigureStack as the engine does. */
  readonly stackConfig?: PulumiConfigMap;
  /** A parsed `--policy-pack-config` file, and its name for error messages. */
  readonly policyConfig?: PolicyPackConfig;
  readonly policyConfigSource?: string;
}

const LEVEL_NAMES: Readonly<Record<number, EnforcementLevelName>> = {
  [analyzer.EnforcementLevel.ADVISORY]: "advisory",
  [analyzer.EnforcementLevel.MANDATORY]: "mandatory",
  [analyzer.EnforcementLevel.REMEDIATE]: "remediate",
  [analyzer.EnforcementLevel.DISABLED]: "disabled",
};
const LEVEL_VALUES: Readonly<Record<EnforcementLevelName, analyzer.EnforcementLevel>> = {
  advisory: analyzer.EnforcementLevel.ADVISORY,
  mandatory: analyzer.EnforcementLevel.MANDATORY,
  remediate: analyzer.EnforcementLevel.REMEDIATE,
  disabled: analyzer.EnforcementLevel.DISABLED,
};
const SEVERITY_NAMES: Readonly<Record<number, string>> = {
  [analyzer.PolicySeverity.POLICY_SEVERITY_LOW]: "low",
  [analyzer.PolicySeverity.POLICY_SEVERITY_MEDIUM]: "medium",
  [analyzer.PolicySeverity.POLICY_SEVERITY_HIGH]: "high",
  [analyzer.PolicySeverity.POLICY_SEVERITY_CRITICAL]: "critical",
};

/** Policies, levels and setting schemas as GetAnalyzerInfo describes them. */
export function policyMetadata(info: analyzer.AnalyzerInfo): PolicyMetadata[] {
  return info.getPoliciesList().map((policy) => {
    const schema = policy.getConfigschema();
    return {
      name: policy.getName(),
      enforcementLevel: LEVEL_NAMES[policy.getEnforcementlevel()] ?? "advisory",
      properties: (schema?.getProperties()?.toJavaScript() ?? {}) as Record<string, SettingSchema>,
      required: schema?.getRequiredList() ?? [],
    };
  });
}

/** The pack's own initial config (the third argument of `new PolicyPack`). */
function initialConfig(info: analyzer.AnalyzerInfo): PolicyPackConfig {
  const config: Record<string, { enforcementLevel?: EnforcementLevelName; properties: Record<string, unknown> }> = {};
  info.getInitialconfigMap().forEach((entry, name) => {
    config[name] = { enforcementLevel: LEVEL_NAMES[entry.getEnforcementlevel()], properties: entry.getProperties()?.toJavaScript() ?? {} };
  });
  return config;
}

function stackConfigureRequest(options: PolicyRunOptions): analyzer.AnalyzerStackConfigureRequest {
  const request = new analyzer.AnalyzerStackConfigureRequest();
  request.setStack(options.stack);
  request.setProject(options.project);
  request.setDryRun(true);
  for (const [key, value] of Object.entries(options.stackConfig?.values ?? {})) request.getConfigMap().set(key, value);
  request.setConfigSecretKeysList([...(options.stackConfig?.secretKeys ?? [])]);
  return request;
}

function diagnosticsOf(response: analyzer.AnalyzeResponse, defaultUrn: string): PolicyDiagnostic[] {
  return response.getDiagnosticsList().map((diagnostic) => {
    const description = diagnostic.getDescription();
    const message = diagnostic.getMessage();
    return {
      policy: diagnostic.getPolicyname(),
      level: LEVEL_NAMES[diagnostic.getEnforcementlevel()] ?? "advisory",
      severity: SEVERITY_NAMES[diagnostic.getSeverity()] ?? "",
      // A resource policy's violation is about the resource analyzed, as the engine reports it.
      urn: diagnostic.getUrn() || defaultUrn,
      message: message.startsWith(`${description}\n`) ? message.slice(description.length + 1) : message,
      description,
    };
  });
}

/** Runs every policy of the pack on the resources, through the pack's Analyzer server. */
export async function runPolicies(host: PolicyPackHost, resources: readonly DeclaredResource[], options: PolicyRunOptions): Promise<PolicyRun> {
  await host.configureStack(stackConfigureRequest(options));
  const policies = policyMetadata(host.info);
  const reconciled = reconcilePolicyPackConfig(policies, initialConfig(host.info), options.policyConfig ?? {}, options.policyConfigSource ?? "(none)");
  const configure = new analyzer.ConfigureAnalyzerRequest();
  for (const [name, entry] of reconciled) {
    const policyConfig = new analyzer.PolicyConfig();
    policyConfig.setEnforcementlevel(LEVEL_VALUES[entry.enforcementLevel]);
    policyConfig.setProperties(marshalProperties(entry.properties, []));
    configure.getPolicyconfigMap().set(name, policyConfig);
  }
  await host.configure(configure);

  const index = indexResources(resources);
  const perResource = await Promise.all(resources.map(async (resource) => diagnosticsOf(await host.analyze(analyzeRequest(resource, index)), resource.urn)));
  const stack = diagnosticsOf(await host.analyzeStack(analyzeStackRequest(resources)), "");
  return {
    packName: host.info.getName(),
    packVersion: host.info.getVersion(),
    policies,
    analyzed: resources.length,
    diagnostics: [...perResource.flat(), ...stack],
  };
}
