import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { PROJECT_DIR } from "../tools/policy-run";
import { machineInfo } from "./machine";
import { measurePlanCost } from "./plan-cost";
import { renderReport } from "./report";
import { BENCHMARKS, type BenchmarkName, type BenchResults, RESULTS_FORMAT, STACK_BENCHMARKS, type StackSections } from "./results";
import { progress } from "./stack/bench-stack";
import { DEFAULT_DATABASE_MIB, DEFAULT_RUNS, stackOptionsEnv } from "./stack-options";
import { checkTargets } from "./targets";

/**
 * `npm run bench`: the five benchmarks of issue 6, then docs/benchmarks.md and the raw runs in
 * docs/benchmarks.json. Benchmarks not selected with --only keep their previous figures.
 */

const USAGE = `usage: npm run bench -- [--runs N] [--only ${BENCHMARKS.join(",")}] [--db-mib N] [--out-dir DIR] [--report-only]
  --runs         runs per measurement (default ${DEFAULT_RUNS}; at least 5 for the report in docs/)
  --only         the benchmarks to run (default: all); the others keep their last figures
  --db-mib       size the backup benchmark fills the database to (default ${DEFAULT_DATABASE_MIB})
  --out-dir      where benchmarks.md and benchmarks.json go (default docs)
  --report-only  measure nothing: render benchmarks.md again from benchmarks.json`;

const DOCS_DIR = path.join(PROJECT_DIR, "docs");
const MIN_REPORTED_RUNS = 5;

interface Options {
  /** Empty with --report-only. */
  readonly only: readonly BenchmarkName[];
  readonly runs: number;
  readonly databaseMiB: number;
  readonly outDir: string;
}

export function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      runs: { type: "string" },
      only: { type: "string" },
      "db-mib": { type: "string" },
      "out-dir": { type: "string" },
      "report-only": { type: "boolean" },
      help: { type: "boolean" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const problems: string[] = [];
  const outDir = path.resolve(values["out-dir"] ?? DOCS_DIR);
  if (values["report-only"]) {
    const measuring = (["runs", "only", "db-mib"] as const).filter((name) => values[name] !== undefined);
    if (measuring.length > 0) throw new Error(`--report-only measures nothing; drop ${measuring.map((name) => `--${name}`).join(", ")}\n\n${USAGE}`);
    return { only: [], runs: 0, databaseMiB: 0, outDir };
  }
  const runs = Number(values.runs ?? DEFAULT_RUNS);
  const minimumRuns = outDir === DOCS_DIR ? MIN_REPORTED_RUNS : 1;
  if (!Number.isInteger(runs) || runs < minimumRuns || runs > 50) problems.push(`--runs must be a whole number ${minimumRuns}..50 for ${outDir} (got ${values.runs})`);
  const only = (values.only ?? BENCHMARKS.join(",")).split(",").map((name) => name.trim()).filter((name) => name !== "");
  const unknown = only.filter((name) => !(BENCHMARKS as readonly string[]).includes(name));
  if (unknown.length > 0 || only.length === 0) problems.push(`--only takes a comma-separated list of ${BENCHMARKS.join(", ")} (got ${values.only})`);
  const databaseMiB = Number(values["db-mib"] ?? DEFAULT_DATABASE_MIB);
  if (!Number.isInteger(databaseMiB) || databaseMiB < 16 || databaseMiB > 8192) problems.push(`--db-mib must be a whole number 16..8192 (got ${values["db-mib"]})`);
  if (problems.length > 0) throw new Error(`${problems.join("\n")}\n\n${USAGE}`);
  return { runs, only: only as BenchmarkName[], databaseMiB, outDir };
}

/**
 * The figures of earlier runs, to keep the benchmarks this run leaves out. A file in another
 * format is refused rather than mixed with new sections.
 */
export function readPrevious(file: string, needed: boolean): BenchResults {
  if (!needed || !fs.existsSync(file)) return { format: RESULTS_FORMAT };
  const previous = JSON.parse(fs.readFileSync(file, "utf8")) as BenchResults;
  if (previous.format !== RESULTS_FORMAT) {
    throw new Error(`${file} holds results in format ${previous.format ?? "(none)"}, this bench reads format ${RESULTS_FORMAT}: run every benchmark again (no --only), or use another --out-dir`);
  }
  return previous;
}

/** Benchmarks 2-5 under jest (see bench/stack.bench.ts); what they measured, even if one failed. */
function runStackBenchmarks(options: Options): { sections: StackSections; ok: boolean } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dean-bench-stack-"));
  const outFile = path.join(dir, "stack.json");
  try {
    const only = options.only.filter((name) => STACK_BENCHMARKS.includes(name));
    const jest = spawnSync(path.join(PROJECT_DIR, "node_modules/.bin/jest"), ["--selectProjects", "bench", "--runInBand"], {
      cwd: PROJECT_DIR,
      stdio: "inherit",
      env: { ...process.env, ...stackOptionsEnv({ runs: options.runs, only, databaseMiB: options.databaseMiB, outFile }) },
    });
    const sections = fs.existsSync(outFile) ? (JSON.parse(fs.readFileSync(outFile, "utf8")) as StackSections) : {};
    return { sections, ok: jest.status === 0 };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function main(): number {
  const options = parseOptions(process.argv.slice(2));
  const jsonFile = path.join(options.outDir, "benchmarks.json");
  // A run of every benchmark replaces the file; anything less keeps what it does not measure.
  const results = readPrevious(jsonFile, options.only.length < BENCHMARKS.length);
  if (options.only.length === 0 && !fs.existsSync(jsonFile)) throw new Error(`--report-only: there is no ${jsonFile} to render`);
  let ok = true;
  if (options.only.includes("plan")) {
    const measuredAt = new Date().toISOString();
    const machine = machineInfo();
    progress(`plan: ${options.runs} runs per replica count`);
    results.plan = { measuredAt, machine, runs: options.runs, result: measurePlanCost(options.runs, progress) };
  }
  if (options.only.some((name) => STACK_BENCHMARKS.includes(name))) {
    const stack = runStackBenchmarks(options);
    Object.assign(results, stack.sections);
    ok = stack.ok;
  }
  fs.mkdirSync(options.outDir, { recursive: true });
  fs.writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  const reportFile = path.join(options.outDir, "benchmarks.md");
  fs.writeFileSync(reportFile, renderReport(results, new Date()));
  for (const check of checkTargets(results)) console.log(`${check.verdict.padEnd(12)} ${check.target}: ${check.measured}`);
  console.log(`wrote ${path.relative(PROJECT_DIR, reportFile)} and ${path.relative(PROJECT_DIR, jsonFile)}`);
  if (!ok) console.error("the stack benchmarks failed (see above); the report keeps what they measured before failing");
  return ok ? 0 : 1;
}

if (require.main === module) {
  try {
    process.exitCode = main();
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 2;
  }
}
