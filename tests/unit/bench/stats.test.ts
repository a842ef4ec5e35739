import { latencyFigures, linearFit, percentile, summarize } from "../../../bench/stats";

describe("benchmark statistics", () => {
  test("summarize gives min, median (mean of the middle two for an even count) and max", () => {
    expect(summarize([5, 1, 3])).toEqual({ min: 1, median: 3, max: 5, runs: 3 });
    expect(summarize([4, 1, 3, 2])).toEqual({ min: 1, median: 2.5, max: 4, runs: 4 });
    expect(() => summarize([])).toThrow(/no values/);
  });

  test("percentiles are nearest-rank over sorted values", () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 95)).toBe(95);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
  });

  test("latency figures come from every sample, whatever their order", () => {
    const samples = Array.from({ length: 200 }, (_, i) => 200 - i);
    expect(latencyFigures(samples)).toEqual({ p50: 100.5, p95: 190, p99: 198, average: 100.5, count: 200 });
    expect(() => latencyFigures([])).toThrow(/no responses/);
  });

  test("the linear fit recovers slope and intercept and says how linear the points are", () => {
    const fit = linearFit([1, 3, 10, 30].map((x) => ({ x, y: 2 + 0.1 * x })));
    expect(fit.slope).toBeCloseTo(0.1, 10);
    expect(fit.intercept).toBeCloseTo(2, 10);
    expect(fit.r2).toBeCloseTo(1, 10);
    expect(linearFit([{ x: 1, y: 1 }, { x: 2, y: 5 }, { x: 3, y: 1 }]).r2).toBeCloseTo(0, 10);
  });
});
