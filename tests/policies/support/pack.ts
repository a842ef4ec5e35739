import * as path from "node:path";
import type { DeclaredResource } from "../../../tools/mock-program";
import type { PolicyPackConfig } from "../../../tools/policy-config";
import { type PolicyDiagnostic, type PolicyRun, runPolicies } from "../../../tools/policy-engine";
import { type PolicyPackHost, startPolicyPack } from "../../../tools/policy-pack-host";

export const POLICIES_DIR = path.resolve(__dirname, "../../../policies");

/**
 * The pack as the engine runs it, in its own process behind its Analyzer gRPC server. The tsx
 * launcher keeps start-up at ~2 s whatever the state of ts-node's cache; the offline command's
 * default (the Pulumi CLI's own launcher) is exercised by `npm run policy` in CI.
 */
export function startTestPack(): Promise<PolicyPackHost> {
  return startPolicyPack(POLICIES_DIR, { launcher: "tsx" });
}

/** Every resource through Analyze and AnalyzeStack, with an optional policy pack config. */
export function check(pack: PolicyPackHost, resources: readonly DeclaredResource[], options: { stack?: string; config?: PolicyPackConfig } = {}): Promise<PolicyRun> {
  return runPolicies(pack, resources, { stack: options.stack ?? "prod", project: "dean", policyConfig: options.config, policyConfigSource: "(test)" });
}

export function mandatory(run: PolicyRun): PolicyDiagnostic[] {
  return run.diagnostics.filter((diagnostic) => diagnostic.level === "mandatory");
}

export function ofPolicy(run: PolicyRun, policy: string): PolicyDiagnostic[] {
  return run.diagnostics.filter((diagnostic) => diagnostic.policy === policy);
}

/** `policy @ resource-name` of each diagnostic, for readable expectations. */
export function where(diagnostics: readonly PolicyDiagnostic[]): string[] {
  return diagnostics.map((diagnostic) => `${diagnostic.policy} @ ${diagnostic.urn.slice(diagnostic.urn.lastIndexOf("::") + 2) || "(stack)"}`).sort();
}

/** Diagnostics of `run` that `baseline` does not have: what a mutation added. */
export function added(run: PolicyRun, baseline: PolicyRun): PolicyDiagnostic[] {
  const key = (d: PolicyDiagnostic) => `${d.policy}|${d.urn}|${d.message}`;
  const before = new Set(baseline.diagnostics.map(key));
  return run.diagnostics.filter((diagnostic) => !before.has(key(diagnostic)));
}
