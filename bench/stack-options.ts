import { BENCHMARKS, type BenchmarkName, STACK_BENCHMARKS } from "./results";

/** What bench/main.ts passes to the jest-run stack benchmarks, through the environment. */

export interface StackOptions {
  readonly runs: number;
  readonly only: readonly BenchmarkName[];
  readonly databaseMiB: number;
  readonly outFile: string;
}

export const DEFAULT_RUNS = 5;
export const DEFAULT_DATABASE_MIB = 1024;

export function stackOptionsEnv(options: StackOptions): Record<string, string> {
  return {
    DEAN_BENCH_RUNS: String(options.runs),
    DEAN_BENCH_ONLY: options.only.join(","),
    DEAN_BENCH_DB_MIB: String(options.databaseMiB),
    DEAN_BENCH_STACK_OUT: options.outFile,
  };
}

export function readStackOptions(env: NodeJS.ProcessEnv): StackOptions {
  const outFile = env.DEAN_BENCH_STACK_OUT;
  if (!outFile) throw new Error("DEAN_BENCH_STACK_OUT is not set: run the stack benchmarks through `npm run bench`");
  const only = (env.DEAN_BENCH_ONLY ?? STACK_BENCHMARKS.join(",")).split(",").filter((name) => name !== "");
  const unknown = only.filter((name) => !(BENCHMARKS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`DEAN_BENCH_ONLY: unknown benchmark(s) ${unknown.join(", ")}`);
  return {
    runs: Number(env.DEAN_BENCH_RUNS ?? DEFAULT_RUNS),
    only: only as BenchmarkName[],
    databaseMiB: Number(env.DEAN_BENCH_DB_MIB ?? DEFAULT_DATABASE_MIB),
    outFile,
  };
}
