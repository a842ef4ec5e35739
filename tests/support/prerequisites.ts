/**
 * describe() for a suite that needs something on the machine (a Docker engine, images, the
 * Pulumi engine). Under CI=true a missing prerequisite is a failing test with a clear message,
 * never a skip; elsewhere the suite is skipped with that message.
 */
export function describeWithPrerequisite(title: string, problem: string | undefined, body: () => void): void {
  if (problem === undefined) {
    describe(title, body);
    return;
  }
  if (process.env.CI === "true") {
    describe(title, () => {
      test("has what it needs on this machine", () => {
        throw new Error(`${title}: ${problem}`);
      });
    });
    return;
  }
  console.warn(`SKIPPED ${title}: ${problem}`);
  describe.skip(title, body);
}
