import * as fs from "node:fs";
import * as path from "node:path";
import { evaluateProgram, ProgramFailure, type ProgramEvaluation } from "./mock-program";
import { parsePolicyPackConfig, PolicyConfigError, type PolicyPackConfig } from "./policy-config";
import { runPolicies } from "./policy-engine";
import { type PackLauncher, PolicyPackStartError, type PolicyPackHost, startPolicyPack } from "./policy-pack-host";
import { formatJson, formatTable, summarize } from "./policy-report";
import { type PulumiConfigMap, readStackConfigFile, stackFilePath } from "./stack-config-file";

/** The offline plan + policy check: evaluate a stack's program under mocks, run the pack on it. */

export const PROJECT_DIR = path.resolve(__dirname, "..");
const PROJECT = "dean";

export const EXIT_PASSED = 0;
export const EXIT_VIOLATIONS = 1;
/** Bad arguments, a bad stack or policy config, a program or pack that fails. */
export const EXIT_ERROR = 2;

export interface PolicyCheckOptions {
  readonly stack: string;
  /** A config file to evaluate instead of Pulumi.<stack>.yaml (benchmarks, what-if checks). */
  readonly stackFile?: string;
  /** A `--policy-pack-config` file. */
  readonly configFile?: string;
  readonly json?: boolean;
  readonly launcher?: PackLauncher;
  readonly projectDir?: string;
}

/** Seams for tests: a cached evaluation, an already running pack, captured output. */
export interface PolicyCheckIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly evaluate?: (stack: string, config: PulumiConfigMap) => Promise<ProgramEvaluation>;
  /** A pack the caller owns (and closes); otherwise one is started and stopped here. */
  readonly pack?: PolicyPackHost;
}

/** An error whose message is all the user needs (no stack trace). */
class CheckError extends Error {}

function readPolicyConfig(file: string | undefined): PolicyPackConfig {
  if (file === undefined) return {};
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new CheckError(`cannot read policy pack config ${file}: ${(error as Error).message}`);
  }
  return parsePolicyPackConfig(text, file);
}

function readStackConfig(file: string): PulumiConfigMap {
  try {
    return readStackConfigFile(file);
  } catch (error) {
    throw new CheckError((error as Error).message);
  }
}

async function evaluate(io: PolicyCheckIo, projectDir: string, stack: string, config: PulumiConfigMap): Promise<ProgramEvaluation> {
  try {
    return io.evaluate ? await io.evaluate(stack, config) : await evaluateProgram({ projectDir, stack, config });
  } catch (error) {
    const cause = error instanceof ProgramFailure ? error.cause : error;
    // The program validates its config first: its ConfigError lists every problem, and is the whole story.
    if (cause instanceof Error && cause.name === "ConfigError") throw new CheckError(cause.message);
    throw new CheckError(`the program failed for stack ${stack}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** Runs the check and returns the process exit code; output goes through `io`. */
export async function runPolicyCheck(options: PolicyCheckOptions, io: PolicyCheckIo): Promise<number> {
  const projectDir = options.projectDir ?? PROJECT_DIR;
  let ownPack: PolicyPackHost | undefined;
  try {
    const policyConfig = readPolicyConfig(options.configFile);
    const stackConfig = readStackConfig(options.stackFile ?? stackFilePath(projectDir, options.stack));
    // The pack boots in its own process while the program is evaluated here: on two cores
    // that halves the wait. A pack that failed to start is reported after the evaluation.
    const starting = io.pack ? undefined : startPolicyPack(path.join(projectDir, "policies"), {
      launcher: options.launcher,
      env: { PULUMI_PROJECT: PROJECT, PULUMI_STACK: options.stack, PULUMI_NODEJS_PROJECT: PROJECT, PULUMI_NODEJS_STACK: options.stack, PULUMI_DRY_RUN: "true" },
    });
    // Handled here so an early failure is not an unhandled rejection; awaited below.
    starting?.catch(() => undefined);
    let evaluation: ProgramEvaluation;
    try {
      evaluation = await evaluate(io, projectDir, options.stack, stackConfig);
    } catch (error) {
      await starting?.then((host) => host.close(), () => undefined);
      throw error;
    }
    ownPack = starting ? await starting : undefined;
    const pack = io.pack ?? ownPack;
    if (!pack) throw new CheckError("no policy pack");
    const run = await runPolicies(pack, evaluation.resources, {
      stack: options.stack,
      project: PROJECT,
      stackConfig,
      policyConfig,
      policyConfigSource: options.configFile,
    });
    io.out(options.json ? formatJson(run, options.stack) : formatTable(run, options.stack));
    return summarize(run).passed ? EXIT_PASSED : EXIT_VIOLATIONS;
  } catch (error) {
    if (error instanceof CheckError || error instanceof PolicyConfigError || error instanceof PolicyPackStartError) {
      io.err(`${error.message}\n`);
      return EXIT_ERROR;
    }
    throw error;
  } finally {
    await ownPack?.close();
  }
}
