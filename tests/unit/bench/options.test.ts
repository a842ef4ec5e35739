import * as path from "node:path";
import * as fs from "node:fs";
import * as os from "node:os";
import { parseOptions, readPrevious } from "../../../bench/main";
import { expectedAdmitted } from "../../../bench/stack/rate-limit";
import { readStackOptions, stackOptionsEnv } from "../../../bench/stack-options";

describe("npm run bench options", () => {
  test("defaults: every benchmark, 5 runs, a 1 GiB database, the report in docs/", () => {
    const options = parseOptions([]);
    expect(options).toMatchObject({ runs: 5, only: ["plan", "proxy", "rateLimit", "availability", "backup"], databaseMiB: 1024 });
    expect(options.outDir).toBe(path.resolve(__dirname, "../../../docs"));
  });

  test("the report in docs/ needs at least 5 runs; a scratch directory takes fewer", () => {
    expect(() => parseOptions(["--runs", "3"])).toThrow(/--runs must be a whole number 5\.\.50 .*\(got 3\)/);
    expect(parseOptions(["--runs", "1", "--out-dir", "/tmp/bench-scratch"]).runs).toBe(1);
  });

  test("every bad option is reported at once, with what is allowed", () => {
    expect(() => parseOptions(["--runs", "x", "--only", "plan,speed", "--db-mib", "5"])).toThrow(
      /--runs must be.*\(got x\)\n--only takes a comma-separated list of plan, proxy, rateLimit, availability, backup \(got plan,speed\)\n--db-mib must be a whole number 16\.\.8192 \(got 5\)/,
    );
  });

  test("--report-only measures nothing and refuses measuring options", () => {
    expect(parseOptions(["--report-only"])).toMatchObject({ only: [] });
    expect(() => parseOptions(["--report-only", "--runs", "5", "--only", "plan"])).toThrow(/--report-only measures nothing; drop --runs, --only/);
  });

  test("the stack benchmarks get their options through the environment, unchanged", () => {
    const options = { runs: 7, only: ["proxy", "backup"] as const, databaseMiB: 256, outFile: "/tmp/out.json" };
    expect(readStackOptions(stackOptionsEnv({ ...options, only: [...options.only] }))).toEqual({ ...options, only: ["proxy", "backup"] });
    expect(() => readStackOptions({})).toThrow(/DEAN_BENCH_STACK_OUT is not set/);
    expect(() => readStackOptions({ DEAN_BENCH_STACK_OUT: "/tmp/x", DEAN_BENCH_ONLY: "proxy,nope" })).toThrow(/unknown benchmark\(s\) nope/);
  });

  test("earlier figures are kept only from a file in this bench's format", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dean-bench-test-"));
    try {
      const file = path.join(dir, "benchmarks.json");
      fs.writeFileSync(file, JSON.stringify({ plan: { measuredAt: "2026-11-01T00:00:00Z" } }));
      expect(() => readPrevious(file, true)).toThrow(/holds results in format \(none\), this bench reads format 3: run every benchmark again/);
      // Format 2 had a single nginx change per availability run, not the edge changes.
      fs.writeFileSync(file, JSON.stringify({ format: 2, plan: { measuredAt: "2026-11-01T00:00:00Z" } }));
      expect(() => readPrevious(file, true)).toThrow(/holds results in format 2, this bench reads format 3/);
      // A run of every benchmark does not need the old file.
      expect(readPrevious(file, false)).toEqual({ format: 3 });
      fs.writeFileSync(file, JSON.stringify({ format: 3, plan: { measuredAt: "2026-11-01T00:00:00Z" } }));
      expect(readPrevious(file, true).plan?.measuredAt).toBe("2026-11-01T00:00:00Z");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the rate limit should admit the burst plus what the rate refills", () => {
    expect(expectedAdmitted({ ratePerSecond: 1, burst: 5 }, 10)).toBe(15);
    expect(expectedAdmitted({ ratePerSecond: 2, burst: 0 }, 10)).toBe(20);
  });
});
