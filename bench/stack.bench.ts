import * as fs from "node:fs";
import { removeInstanceObjects } from "../tools/stack-driver/cleanup";
import { EngineStack } from "../tools/stack-driver/engine-stack";
import { missingPrerequisite } from "../tools/stack-driver/prerequisites";
import { E2E_CONFIG_FILE, E2E_STACK, e2eInstanceName } from "../tools/stack-driver/stack-config";
import { e2eSettings } from "../tools/stack-driver/stack-access";
import { machineInfo } from "./machine";
import type { BenchmarkName, Section, StackSections } from "./results";
import { measureAvailability } from "./stack/availability";
import { measureBackupCost } from "./stack/backup-cost";
import { BENCH_OVERRIDES, benchConfig, MEASURED_LIMIT, progress } from "./stack/bench-stack";
import { measureProxyOverhead } from "./stack/proxy-overhead";
import { measureRateLimit } from "./stack/rate-limit";
import { readStackOptions } from "./stack-options";

/**
 * Benchmarks 2-5 on the e2e stack, deployed and changed by real `pulumi up`. They run as the
 * `bench` jest project, started by bench/main.ts (`npm run bench`), which writes the report. Each finished section is
 * written to DEAN_BENCH_STACK_OUT at once, so a later failure loses nothing already measured.
 */

const options = readStackOptions(process.env);
const INSTANCE = e2eInstanceName();

jest.setTimeout(4 * 3600_000);

/** Runs one benchmark if it was asked for, stamped with when and where it ran. */
async function measured<T>(name: BenchmarkName, measure: () => Promise<T>): Promise<Section<T> | undefined> {
  if (!options.only.includes(name)) return undefined;
  const measuredAt = new Date().toISOString();
  const machine = machineInfo();
  progress(`${name}: ${options.runs} runs`);
  return { measuredAt, machine, runs: options.runs, result: await measure() };
}

test("stack benchmarks", async () => {
  const problem = missingPrerequisite(Object.values(e2eSettings().images));
  if (problem) throw new Error(`the stack benchmarks need the Docker host: ${problem}`);
  const sections: StackSections = {};
  const save = (): void => fs.writeFileSync(options.outFile, `${JSON.stringify(sections, null, 2)}\n`);

  await removeInstanceObjects(INSTANCE);
  // The real engine (engine/build.sh), as `pulumi up` deploys for users: a private project and
  // file backend, removed at the end with everything the stack created.
  const stack = await EngineStack.create(E2E_STACK, E2E_CONFIG_FILE);
  try {
    progress("deploying the bench stack with pulumi up (e2e config, rate limit lifted, replica 1 on 127.0.0.1)");
    await stack.update(BENCH_OVERRIDES);
    sections.proxy = await measured("proxy", () => measureProxyOverhead(stack, options.runs));
    save();
    sections.availability = await measured("availability", () => measureAvailability(stack, options.runs));
    save();
    sections.rateLimit = await measured("rateLimit", async () => {
      progress(`deploying the measured limit: ${JSON.stringify(MEASURED_LIMIT)}`);
      await stack.update(benchConfig({ nginx: { rateLimit: MEASURED_LIMIT } }));
      return measureRateLimit(stack, options.runs);
    });
    save();
    sections.backup = await measured("backup", () => measureBackupCost(stack, options.runs, options.databaseMiB));
    save();
  } finally {
    await stack.dispose();
    await removeInstanceObjects(INSTANCE);
  }
});
