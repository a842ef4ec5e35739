import * as yaml from "js-yaml";
import { evaluateProgram, ProgramFailure, type ProgramEvaluation } from "../../tools/mock-program";
import { parseStackConfigText, type PulumiConfigMap } from "../../tools/stack-config-file";
import { PROJECT_DIR, prodDocument } from "../support/config-mutations";

/**
 * The program itself (index.ts under Pulumi's mock runtime) reads config through loadConfig:
 * namespaces and the secrecy of dean:tlsKey are checked there, with the engine's own record of
 * which keys are secret, before any resource is registered.
 */

type Settings = Record<string, unknown>;

function prodMap(edit: (config: Settings) => void, secret: Record<string, string> = {}): PulumiConfigMap {
  const document = prodDocument();
  edit(document.config as Settings);
  const map = parseStackConfigText(yaml.dump(document), "Pulumi.prod.yaml");
  for (const [key, value] of Object.entries(secret)) {
    map.values[key] = value;
    map.secretKeys.push(key);
  }
  return map;
}

async function evaluate(config: PulumiConfigMap): Promise<ProgramEvaluation | ProgramFailure> {
  let result: ProgramEvaluation | ProgramFailure | undefined;
  await jest.isolateModulesAsync(async () => {
    result = await evaluateProgram({ projectDir: PROJECT_DIR, stack: "prod", config }).catch((error: unknown) => {
      if (error instanceof ProgramFailure) return error;
      throw error;
    });
  });
  if (!result) throw new Error("the program was not evaluated");
  return result;
}

const secretConfigTls = (config: Settings) => {
  (config["dean:nginx"] as Settings).tls = { mode: "secretConfig" };
};

describe("the program's own config loading", () => {
  test("a plain-text dean:tlsKey is refused, not echoed, and nothing is registered", async () => {
    const key = "-----BEGIN PRIVATE KEY-----\nMIIEplain\n-----END PRIVATE KEY-----";
    const failure = await evaluate(prodMap((config) => {
      secretConfigTls(config);
      config["dean:tlsKey"] = key;
    }, { "dean:tlsCertificate": "-----BEGIN CERTIFICATE-----" }));
    expect(failure).toBeInstanceOf(ProgramFailure);
    const { cause, registered } = failure as ProgramFailure;
    expect(String(cause)).toContain("dean:tlsKey must be a secret, encrypted in the stack file");
    expect(String(cause)).not.toContain("MIIEplain");
    expect(registered).toEqual([]);
  });

  test("the same key set as a secret loads", async () => {
    const evaluation = await evaluate(prodMap(secretConfigTls, { "dean:tlsCertificate": "-----BEGIN CERTIFICATE-----", "dean:tlsKey": "-----BEGIN PRIVATE KEY-----" }));
    expect(evaluation).not.toBeInstanceOf(ProgramFailure);
  });

  test("a namespace typo of dean:environment fails before any resource is registered", async () => {
    const failure = await evaluate(prodMap((config) => {
      config["daen:environment"] = config["dean:environment"];
      delete config["dean:environment"];
    }));
    expect(failure).toBeInstanceOf(ProgramFailure);
    const { cause, registered } = failure as ProgramFailure;
    expect(String(cause)).toContain("did you mean dean:environment?");
    expect(String(cause)).toContain("dean:environment is required");
    expect(registered).toEqual([]);
  });
});
