import { pathWrite } from "../config/write";
import { applyChange } from "../workflow/apply-change";
import { oneOf, positional } from "./arguments";
import type { Command } from "./command";

/** nginx answers 503 with the maintenance page everywhere but /health. */
export const maintenance: Command = {
  name: "maintenance",
  usage: "<on|off>",
  summary: "maintenance page on or off (dean:nginx.maintenance) and update",
  parse(args) {
    const [word] = positional(maintenance, args, 1);
    const on = oneOf(maintenance, word, ["on", "off"]) === "on";
    return (ctx) => applyChange(ctx, {
      what: `maintenance mode ${on ? "on" : "off"}`,
      message: `dean-ops maintenance ${on ? "on" : "off"}`,
      build: () => pathWrite({ "dean:nginx.maintenance": String(on) }),
      done: () => (on ? "Maintenance mode is on: users get the maintenance page; /health still answers. `dean-ops maintenance off` ends it." : "Maintenance mode is off."),
    });
  },
};
