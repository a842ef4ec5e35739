import { cpusReadBackUnchanged, dockerCpus, goDuration } from "../../components/docker-values";
import { parseStackConfig } from "../../components/config";

// Expected values printed by the Go functions themselves: terraform-provider-docker's
// nanoInt64ToDecimalString (the provider's read-back of NanoCPUs) and time.Duration.String.
const CPUS_READ_BACK: ReadonlyArray<[number, string]> = [
  [0.01, "0.0"], [0.05, "0.1"], [0.1, "0.1"], [0.15, "0.15"], [0.25, "0.25"], [0.5, "0.5"], [0.75, "0.75"],
  [1, "1.0"], [1.5, "1.5"], [2, "2.0"], [2.25, "2.25"], [4, "4.0"], [10, "10."], [10.05, "10.1"],
  [12, "12.0"], [20, "20."], [63.99, "63.99"], [64, "64.0"],
];
const DURATIONS: ReadonlyArray<[number, string]> = [
  [0, "0s"], [5, "5s"], [10, "10s"], [59, "59s"], [60, "1m0s"], [90, "1m30s"], [300, "5m0s"],
  [3599, "59m59s"], [3600, "1h0m0s"], [3661, "1h1m1s"], [86400, "24h0m0s"],
];

describe("values in the Docker provider's read-back form", () => {
  test.each(CPUS_READ_BACK)("cpus %p is sent as %p", (cpus, expected) => {
    expect(dockerCpus(cpus)).toBe(expected);
  });

  test("only amounts that read back as themselves are usable", () => {
    expect(CPUS_READ_BACK.filter(([cpus]) => !cpusReadBackUnchanged(cpus)).map(([cpus]) => cpus)).toEqual([0.01, 0.05, 10.05]);
  });

  test.each(DURATIONS)("%p seconds is sent as %p", (seconds, expected) => {
    expect(goDuration(seconds)).toBe(expected);
  });

  test("a fraction of a second is not a duration the program sends", () => {
    expect(() => goDuration(1.5)).toThrow(/whole seconds/);
  });

  test("the config refuses a CPU limit Docker would report back as another amount, naming the key", () => {
    expect(() => parseStackConfig({ environment: "dev", redis: { resources: { cpus: 0.05, reservedCpus: 0.01 } } })).toThrow(
      /dean:redis\.resources\.cpus must be a CPU amount Docker reports back unchanged.*\(got 0\.05\)/,
    );
  });
});
