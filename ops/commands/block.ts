import { pathWrite } from "../config/write";
import { applyChange } from "../workflow/apply-change";
import { type Command, positional } from "./command";

/** Adds a client address or range to nginx's deny list (answered with 403). */
export const block: Command = {
  name: "block",
  usage: "<ipv4-or-cidr>",
  summary: "add an address or CIDR range to nginx's deny list (dean:nginx.blockedIps) and update",
  run(ctx, args) {
    const [address] = positional(block, args, 1);
    return applyChange(ctx, {
      what: `block ${address}`,
      message: `dean-ops block ${address}`,
      build: (settings) => {
        const blocked = settings.nginx.blockedIps;
        // Appending by index keeps the rest of the list and of dean:nginx untouched; the
        // schema then checks the address (and names the entry if it is malformed).
        return blocked.includes(address) ? pathWrite({}) : pathWrite({ [`dean:nginx.blockedIps[${blocked.length}]`]: address });
      },
    });
  },
};
