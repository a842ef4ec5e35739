import { pathWrite } from "../config/write";
import { applyChange } from "../workflow/apply-change";
import { ensureLoggedOut } from "../workflow/sessions";
import { oneOf, positional } from "./arguments";
import type { Command } from "./command";

const CREDENTIALS = ["jwt", "database", "redis"] as const;
type Credential = (typeof CREDENTIALS)[number];

/** The runbook's "rotate credentials": bump rotation counters; the program regenerates them. */
export const rotate: Command = {
  name: "rotate",
  usage: "<jwt|database|redis|all>",
  summary: "regenerate credentials (dean:rotation.* counters) and update; jwt also logs everyone out",
  parse(args) {
    const [word] = positional(rotate, args, 1);
    const which = oneOf(rotate, word, [...CREDENTIALS, "all"]);
    const rotated: readonly Credential[] = which === "all" ? CREDENTIALS : [which];
    return (ctx) => applyChange(ctx, {
      what: `rotate ${rotated.join(", ")}`,
      message: `dean-ops rotate ${which}`,
      build: (settings) =>
        pathWrite(Object.fromEntries(rotated.map((credential) => [`dean:rotation.${credential}`, String(settings.rotation[credential] + 1)]))),
      afterUpdate: rotated.includes("jwt") ? ensureLoggedOut : undefined,
      recovery: [
        `the config already holds the new counter: once the cause is fixed, pulumi up --stack ${ctx.stack.stackName} finishes the rotation (rotating again also works, with one more new credential)`,
      ],
    });
  },
};
