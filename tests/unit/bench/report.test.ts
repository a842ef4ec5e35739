import { renderReport } from "../../../bench/report";
import { linearFit } from "../../../bench/stats";
import { checkTargets } from "../../../bench/targets";
import { results } from "./fixtures";

const AT = new Date("2026-11-28T21:00:00Z");

function verdicts(knobs: Parameters<typeof results>[0] = {}): Record<string, string> {
  return Object.fromEntries(checkTargets(results(knobs)).map((check) => [check.id, check.verdict]));
}

describe("benchmark targets", () => {
  test("every target is judged on the medians", () => {
    expect(verdicts()).toEqual({ planAtThree: "met", planGrowth: "met", proxyRatio: "met", proxyAverage: "met", rateLimit: "met", availability: "met" });
  });

  test("each target can be missed", () => {
    expect(verdicts({ planAtThree: 2.4 }).planAtThree).toBe("missed");
    expect(verdicts({ nginxP95: 6 }).proxyRatio).toBe("missed");
    expect(verdicts({ nginxP95: 400 }).proxyAverage).toBe("missed");
    expect(verdicts({ offBy: 2 }).rateLimit).toBe("missed");
    expect(verdicts({ offBy: -1 }).rateLimit).toBe("met");
    expect(verdicts({ restartFailures: 1 }).availability).toBe("missed");
  });

  test("plan cost growing linearly meets the target, growing quadratically misses it", () => {
    const growth = (wall: (replicas: number) => number) => {
      const base = results();
      const plan = base.plan;
      if (!plan) throw new Error("the fixture has a plan section");
      const points = [1, 3, 10, 30, 50].map((replicas) => {
        const seconds = wall(replicas);
        return { replicas, raw: [], wallSeconds: { min: seconds, median: seconds, max: seconds, runs: 5 }, peakRssMiB: { min: 200, median: 200, max: 200, runs: 5 } };
      });
      const fit = linearFit(points.map((p) => ({ x: p.replicas, y: p.wallSeconds.median })));
      base.plan = { ...plan, result: { ...plan.result, points, slopeSecondsPerReplica: fit.slope, r2: fit.r2 } };
      return checkTargets(base).find((check) => check.id === "planGrowth")?.verdict;
    };
    expect(growth((n) => 3 + 0.035 * n)).toBe("met");
    expect(growth((n) => 3 + 0.01 * n * n)).toBe("missed");
    // Nearly flat: noise between the counts decides nothing.
    expect(growth((n) => (n === 30 ? 3.3 : 3 + 0.001 * n))).toBe("met");
  });

  test("a benchmark not measured is never reported as met", () => {
    const partial = results();
    delete partial.proxy;
    delete partial.plan;
    const checks = checkTargets(partial);
    expect(checks.filter((check) => check.verdict === "not measured").map((check) => check.id)).toEqual(["planAtThree", "planGrowth", "proxyRatio", "proxyAverage"]);
  });

  test("an nginx config change does not count against the replica target", () => {
    // The fixture's nginx changes fail 30 requests each.
    expect(verdicts().availability).toBe("met");
  });
});

describe("the benchmark report", () => {
  test("has the date, the machine, and a min / median / max table per benchmark", () => {
    const report = renderReport(results(), AT);
    expect(report).toContain("on 2026-11-28");
    expect(report).toContain("| AMD EPYC | 2 | 24 GiB | Debian GNU/Linux 12 (bookworm) |");
    for (const heading of ["## 1. Plan cost", "## 2. Proxy overhead", "## 3. Rate-limit precision", "## 4. Availability during change", "## 5. Backup cost"]) {
      expect(report).toContain(heading);
    }
    expect(report.match(/\| min \| median \| max \|/g)?.length).toBeGreaterThanOrEqual(5);
    expect(report).toContain("| 3 | 1.35 | 1.50 | 1.65 |");
    expect(report).toContain("| 100 | refused: dean:orchestrator.replicas must be a whole number between 1 and 50 (got 100) |");
    expect(report).toContain("| job's dump part / bare pg_dump | 1.05 | 1.05 | 1.05 |");
    // Upgrade and rotations beside scaling, each slowest answer against the run's steady p99.
    expect(report).toContain("| steady p99, no change (ms) | 12.0 | 12.0 | 12.0 |");
    for (const change of ["upgrade", "rotate database", "rotate redis", "rotate jwt"]) {
      expect(report).toContain(`| ${change}: failed requests | 0 | 0 | 0 |`);
      expect(report).toContain(`| ${change}: slowest / steady p99 | 66.7 | 66.7 | 66.7 |`);
    }
    expect(report).toContain("Every measured target is met.");
  });

  test("failures during a Redis rotation are explained: Redis is replaced delete-first", () => {
    const measured = results();
    const availability = measured.availability;
    if (!availability) throw new Error("the fixture has an availability section");
    const runs = availability.result.runs.map((run) => ({ ...run, phases: run.phases.map((p) => (p.phase === "rotate redis" ? { ...p, failed: 130, statuses: { 200: 400, 503: 130 } } : p)) }));
    const report = renderReport({ ...measured, availability: { ...availability, result: { ...availability.result, runs } } }, AT);
    expect(report).toContain("rotate redis: 130, 130, 130, 130, 130 failed per run (200: 2000, 503: 650)");
    expect(report).toContain("**Redis rotation.** The new password changes Redis's uploaded redis.conf");
    expect(renderReport(measured, AT)).not.toContain("**Redis rotation.**");
  });

  test("results measured before upgrades and rotations were added still render, without those rows", () => {
    const old = results();
    const availability = old.availability;
    if (!availability) throw new Error("the fixture has an availability section");
    const runs = availability.result.runs.map((run) => ({ ...run, phases: run.phases.filter((p) => !p.phase.startsWith("rotate") && p.phase !== "upgrade") }));
    const report = renderReport({ ...old, availability: { ...availability, result: { ...availability.result, runs } } }, AT);
    expect(report).toContain("| scale 3 -> 1: failed requests | 0 | 0 | 0 |");
    expect(report).not.toContain("rotate database:");
  });

  test("says plainly which target is missed and why", () => {
    const report = renderReport(results({ planAtThree: 2.4, restartFailures: 3 }), AT);
    expect(report).toMatch(/\| plan \+ policy check, 3 replicas: median under 2 s \| 2\.40 s \| \*\*MISSED\*\* \|/);
    expect(report).toContain("**Plan cost at 3 replicas (2.40 s against 2 s).**");
    expect(report).toContain("tsx starting takes 1.00 s and Node loading @pulumi/pulumi and the provider SDKs 1.20 s (medians), 2.20 s before the program runs");
    expect(report).toContain("restart 1 of 3 replicas: 3, 0, 0, 0, 0 failed per run (200: 2000, 502: 3)");
    expect(report).not.toContain("Every measured target is met.");
  });

  test("explains answers that waited out nginx's connect timeout after a scale-down", () => {
    expect(renderReport(results(), AT)).not.toContain("Scaling down failed no request");
    const slow = results();
    const availability = slow.availability;
    if (!availability) throw new Error("the fixture has an availability section");
    const runs = availability.result.runs.map((run, i) => ({
      ...run,
      phases: run.phases.map((p) => (p.phase === "scale 3 -> 1" && i < 2 ? { ...p, maxLatencyMs: 2004 } : p)),
    }));
    slow.availability = { ...availability, result: { ...availability.result, runs } };
    expect(renderReport(slow, AT)).toContain("Scaling down failed no request, but in 2 of 5 runs some answers took up to 2.0 s. That is nginx's `proxy_connect_timeout 2s`");
  });

  test("a benchmark missing from the results is said to be not measured", () => {
    const partial = results();
    delete partial.backup;
    expect(renderReport(partial, AT)).toContain("## 5. Backup cost\n\nNot measured in this report.");
  });
});
