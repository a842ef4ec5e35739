import { backup } from "./backup";
import { block } from "./block";
import type { Command } from "./command";
import { history } from "./history";
import { isolate } from "./isolate";
import { maintenance } from "./maintenance";
import { rollback } from "./rollback";
import { rotate } from "./rotate";
import { scale } from "./scale";
import { status } from "./status";
import { unblock } from "./unblock";
import { upgrade } from "./upgrade";

/** Every command, in the order `dean-ops --help` lists them. */
export const COMMANDS: readonly Command[] = [status, history, upgrade, rollback, scale, rotate, maintenance, isolate, block, unblock, backup];
