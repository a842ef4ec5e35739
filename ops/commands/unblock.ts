import { pathWrite } from "../config/write";
import { refused } from "../errors";
import { applyChange } from "../workflow/apply-change";
import { checkConfigArgument, positional } from "./arguments";
import { BLOCKED_ADDRESS } from "./block";
import type { Command } from "./command";

/** Removes an address or range from nginx's deny list. */
export const unblock: Command = {
  name: "unblock",
  usage: BLOCKED_ADDRESS.name,
  summary: "remove an address or CIDR range from nginx's deny list and update",
  parse(args) {
    const [address] = positional(unblock, args, 1);
    // An entry the schema refuses cannot be in a valid config, so it cannot be unblocked either.
    checkConfigArgument(unblock, BLOCKED_ADDRESS, address);
    return (ctx) => applyChange(ctx, {
      what: `unblock ${address}`,
      message: `dean-ops unblock ${address}`,
      build: (settings) => {
        const blocked = settings.nginx.blockedIps;
        const indexes = blocked.flatMap((entry, index) => (entry === address ? [index] : []));
        if (indexes.length === 0) {
          throw refused(`${address} is not in dean:nginx.blockedIps (${blocked.length > 0 ? `blocked: ${blocked.join(", ")}` : "the list is empty"}); nothing was changed`);
        }
        // Highest index first: each removal shifts the entries after it.
        return pathWrite({}, indexes.reverse().map((index) => `dean:nginx.blockedIps[${index}]`));
      },
    });
  },
};
