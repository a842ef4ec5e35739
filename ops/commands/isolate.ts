import { pathWrite } from "../config/write";
import { applyChange } from "../workflow/apply-change";
import { oneOf, positional } from "./arguments";
import type { Command } from "./command";

/** The runbook's "isolate the system": nginx publishes no port at all. */
export const isolate: Command = {
  name: "isolate",
  usage: "<on|off>",
  summary: "publish no port at all (dean:nginx.isolate), or publish again, and update",
  parse(args) {
    const [word] = positional(isolate, args, 1);
    const on = oneOf(isolate, word, ["on", "off"]) === "on";
    return (ctx) => applyChange(ctx, {
      what: on ? "isolate the stack (no published ports)" : "end isolation (publish the HTTP and HTTPS ports again)",
      message: `dean-ops isolate ${on ? "on" : "off"}`,
      build: () => pathWrite({ "dean:nginx.isolate": String(on) }),
      done: (outputs) => (on ? "Isolated: no port is published. `dean-ops isolate off` restores access." : `Reachable again at ${outputs.publicUrl ?? "(no public URL output)"}`),
    });
  },
};
