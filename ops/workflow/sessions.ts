import type { OpsContext } from "../context";
import { failed } from "../errors";
import { readOutputs } from "./outputs";

// The same commands as the program's logout resource (components/orchestrator.ts), through
// the container's admin wrapper: no password reaches a command line.
const REDIS_CLI = "dean-redis-cli";
const SCAN_AUTH_KEYS = [REDIS_CLI, "--scan", "--pattern", "auth:*"];
const UNLINK_AUTH_KEYS = ["sh", "-c", `${REDIS_CLI} --scan --pattern "auth:*" | xargs -r -n 500 ${REDIS_CLI} unlink > /dev/null`];

async function countAuthKeys(ctx: OpsContext, redis: string): Promise<number> {
  const result = await ctx.docker.exec(redis, SCAN_AUTH_KEYS);
  if (result.exitCode !== 0) throw failed(`cannot scan Redis for auth:* keys in ${redis}: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
  return result.stdout.split("\n").filter((line) => line.trim() !== "").length;
}

/**
 * After a JWT rotation everyone must log in again. The update's own logout step flushes the
 * `auth:*` keys; this makes sure it happened, and flushes whatever is left if it did not.
 */
export async function ensureLoggedOut(ctx: OpsContext): Promise<void> {
  const redis = readOutputs(await ctx.stack.outputs()).containers?.redis;
  if (!redis) throw failed("the stack outputs name no Redis container, so the logout cannot be checked");
  const found = await countAuthKeys(ctx, redis);
  if (found === 0) {
    ctx.console.print("Logout verified: no auth:* keys are left in Redis.");
    return;
  }
  ctx.console.print(`${found} auth:* key(s) are still in Redis; removing them.`);
  const flush = await ctx.docker.exec(redis, UNLINK_AUTH_KEYS);
  const left = flush.exitCode === 0 ? await countAuthKeys(ctx, redis) : found;
  if (flush.exitCode !== 0 || left > 0) {
    throw failed(`the logout is incomplete: ${left} auth:* key(s) remain in Redis${flush.stderr.trim() ? ` (${flush.stderr.trim()})` : ""}`, [
      `remove them by hand: docker exec ${redis} sh -c '${UNLINK_AUTH_KEYS[2]}'`,
      "keys created after the rotation belong to sessions signed with the new key and may stay",
    ]);
  }
  ctx.console.print("Logout done: the remaining auth:* keys were removed.");
}
