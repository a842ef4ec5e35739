import fc from "fast-check";
import { fuzzParameters, loadStackText, mutatedProdText, mutationsArbitrary } from "../support/config-mutations";

/**
 * Property (issue 10): any mutation of the shipped prod stack file either loads, or is refused
 * with a message that names a `dean:` key, shows values bounded, and carries no stack trace.
 * Deterministic: fixed seed (DEAN_FUZZ_SEED to try another), bounded runs.
 */

/** A refusal line may quote a value, cut to 80 characters, beside the key and the rule. */
const MAX_LINE = 1500;

describe("mutations of Pulumi.prod.yaml", () => {
  test("each loads, or is refused naming a dean: key, bounded, without a stack trace", () => {
    let refused = 0;
    fc.assert(
      fc.property(mutationsArbitrary, (mutations) => {
        const outcome = loadStackText(mutatedProdText(mutations));
        if ("config" in outcome) {
          expect(["dev", "staging", "prod"]).toContain(outcome.config.environment);
          return;
        }
        refused++;
        const message = outcome.refusal;
        expect(message).toMatch(/\bdean:[A-Za-z_[]/);
        expect(message).not.toMatch(/\n\s+at .*:\d+/);
        expect(message).not.toMatch(/ZodError|"code":/);
        for (const line of message.split("\n")) expect(line.length).toBeLessThanOrEqual(MAX_LINE);
      }),
      fuzzParameters(400),
    );
    // The generator is not vacuous: most mutations break something.
    expect(refused).toBeGreaterThan(100);
  });
});
