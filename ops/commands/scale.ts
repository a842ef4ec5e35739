import { pathWrite } from "../config/write";
import { applyChange } from "../workflow/apply-change";
import { type Command, positional } from "./command";

/** The runbook's "scale horizontally": replicas in config, then an update. */
export const scale: Command = {
  name: "scale",
  usage: "<replicas>",
  summary: "set the number of orchestrator replicas (dean:orchestrator.replicas) and update",
  run(ctx, args) {
    const [replicas] = positional(scale, args, 1);
    return applyChange(ctx, {
      what: `scale the orchestrator to ${replicas} replicas`,
      message: `dean-ops scale ${replicas}`,
      // The range (and the connection budget it must fit) is checked by the config schema.
      build: () => pathWrite({ "dean:orchestrator.replicas": replicas }),
    });
  },
};
