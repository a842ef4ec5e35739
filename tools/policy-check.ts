import { parseArguments, USAGE, UsageError } from "./policy-args";
import { EXIT_ERROR, runPolicyCheck } from "./policy-run";

/**
 * `npm run policy -- --stack <name> [--config <policy-pack-config.json>] [--json] [--launcher pulumi|tsx]`
 * Exit codes: 0 no mandatory violation, 1 a mandatory policy is violated, 2 bad arguments,
 * config, program or pack.
 */
async function main(): Promise<number> {
  let options: ReturnType<typeof parseArguments>;
  try {
    options = parseArguments(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}`);
    return EXIT_ERROR;
  }
  if (options === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  return runPolicyCheck(options, {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  });
}

// The Pulumi runtime the evaluation loaded keeps handles open: exit explicitly once output is flushed.
main().then(
  (code) => process.stdout.write("", () => process.exit(code)),
  (error: unknown) => {
    process.stderr.write(`policy check failed unexpectedly: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exit(EXIT_ERROR);
  },
);
