import { typedPathValue } from "../config/paths";
import { replicasSchema } from "../config/schemas";
import { pathWrite } from "../config/write";
import { applyChange } from "../workflow/apply-change";
import { checkConfigArgument, positional } from "./arguments";
import type { Command } from "./command";

/** The runbook's "scale horizontally": replicas in config, then an update. */
export const scale: Command = {
  name: "scale",
  usage: "<replicas>",
  summary: "set the number of orchestrator replicas (dean:orchestrator.replicas) and update",
  parse(args) {
    const [replicas] = positional(scale, args, 1);
    // Written by path, the CLI stores a whole number as a number: it is checked as one. The
    // connection budget it must also fit needs the current config: planChange checks that.
    checkConfigArgument(scale, { name: "<replicas>", setting: "dean:orchestrator.replicas", schema: replicasSchema }, replicas, typedPathValue(replicas));
    return (ctx) => applyChange(ctx, {
      what: `scale the orchestrator to ${replicas} replicas`,
      message: `dean-ops scale ${replicas}`,
      build: () => pathWrite({ "dean:orchestrator.replicas": replicas }),
    });
  },
};
