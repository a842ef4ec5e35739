import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PLAN_REPLICAS, stackFileFor } from "../../../bench/plan-cost";
import { loadStackText } from "../../support/config-mutations";

describe("the plan-cost benchmark's stack files", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dean-plan-cost-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // 100 is above the schema's maximum on purpose: the benchmark reports that it is refused.
  test.each(PLAN_REPLICAS.filter((replicas) => replicas <= 50))("prod at %i replicas is a config the program accepts (what the benchmark times is a plan, not a refusal)", (replicas) => {
    const outcome = loadStackText(fs.readFileSync(stackFileFor(replicas, dir), "utf8"));
    expect("refusal" in outcome ? outcome.refusal : "").toBe("");
    if (!("config" in outcome)) return;
    expect(outcome.config.orchestrator.replicas).toBe(replicas);
    expect(outcome.config.postgres.resources.pidsLimit).toBeGreaterThanOrEqual(outcome.config.postgres.maxConnections + 48);
  });
});
