import { PACK_LAUNCHERS, type PackLauncher } from "./policy-pack-host";
import type { PolicyCheckOptions } from "./policy-run";

/** Command-line arguments of `npm run policy`. */

export const USAGE = `Usage: npm run policy -- --stack <name> [--stack-file <file>] [--config <policy-pack-config.json>] [--json] [--launcher pulumi|tsx]

  --stack       the stack whose Pulumi.<name>.yaml is evaluated (dev, prod, ...)
  --stack-file  evaluate this config file instead of Pulumi.<name>.yaml (what-if checks, benchmarks)
  --config      policy settings and levels, the file format of --policy-pack-config
  --json        machine-readable output
  --launcher    pulumi (default: boots the pack as \`pulumi preview --policy-pack\` does, with ts-node
                type checking) or tsx (the same pack transpiled by tsx: faster on a cold cache)
`;

export class UsageError extends Error {}

/** The options, or "help" for --help / -h. */
export function parseArguments(argv: readonly string[]): PolicyCheckOptions | "help" {
  if (argv.includes("--help") || argv.includes("-h")) return "help";
  const values = new Map<string, string>();
  let json = false;
  for (let index = 0; index < argv.length; index++) {
    const [flag, inline] = argv[index].split(/=(.*)/s, 2);
    if (flag === "--json" && inline === undefined) {
      json = true;
    } else if (["--stack", "--stack-file", "--config", "--launcher"].includes(flag)) {
      const value = inline ?? argv[++index];
      if (value === undefined || value === "" || value.startsWith("--")) throw new UsageError(`${flag} needs a value`);
      values.set(flag, value);
    } else {
      throw new UsageError(`unknown argument ${argv[index]}`);
    }
  }
  const stack = values.get("--stack");
  if (!stack) throw new UsageError("--stack is required");
  const launcher = values.get("--launcher") ?? "pulumi";
  if (!(PACK_LAUNCHERS as readonly string[]).includes(launcher)) throw new UsageError(`--launcher must be one of ${PACK_LAUNCHERS.join(", ")} (got ${launcher})`);
  return { stack, stackFile: values.get("--stack-file"), configFile: values.get("--config"), json, launcher: launcher as PackLauncher };
}
