import { blockedIpSchema } from "../config/schemas";
import { pathWrite } from "../config/write";
import { applyChange } from "../workflow/apply-change";
import { checkConfigArgument, type ConfigArgument, positional } from "./arguments";
import type { Command } from "./command";

/** The address block and unblock take: one entry of the deny list, judged by its schema. */
export const BLOCKED_ADDRESS: ConfigArgument = { name: "<ipv4-or-cidr>", setting: "each entry of dean:nginx.blockedIps", schema: blockedIpSchema };

/** Adds a client address or range to nginx's deny list (answered with 403). */
export const block: Command = {
  name: "block",
  usage: BLOCKED_ADDRESS.name,
  summary: "add an address or CIDR range to nginx's deny list (dean:nginx.blockedIps) and update",
  parse(args) {
    const [address] = positional(block, args, 1);
    checkConfigArgument(block, BLOCKED_ADDRESS, address);
    return (ctx) => applyChange(ctx, {
      what: `block ${address}`,
      message: `dean-ops block ${address}`,
      build: (settings) => {
        const blocked = settings.nginx.blockedIps;
        // Appending by index keeps the rest of the list and of dean:nginx untouched.
        return blocked.includes(address) ? pathWrite({}) : pathWrite({ [`dean:nginx.blockedIps[${blocked.length}]`]: address });
      },
    });
  },
};
