import { type ContainerContext, LABEL_INSTANCE, LABEL_SERVICE } from "./container-defaults";

/** Label carrying the JWT rotation counter a replica was created with. */
export const LABEL_JWT_ROTATION = "dean.jwt-rotation";
/** Label carrying the Redis password rotation counter a replica was created with. */
export const LABEL_REDIS_ROTATION = "dean.redis-rotation";

/**
 * Shell lines that stop every running orchestrator replica of this instance whose `label` is
 * not `value`: the replicas a credential rotation replaces. Pulumi deletes replaced replicas
 * only at the end of an update; a step that retires an old credential stops them first, so
 * none of them goes on using it. The new replicas are healthy by then, and nginx passes a
 * refused connection on to the next replica.
 */
export function stopReplicasWithout(context: ContainerContext, label: string, value: string): string {
  const replicas = `docker ps -q --no-trunc --filter label=${LABEL_INSTANCE}=${context.instanceName} --filter label=${LABEL_SERVICE}=orchestrator`;
  return `current=" $(${replicas} --filter label=${label}=${value} | tr '\\n' ' ') "
for id in $(${replicas}); do
  case "$current" in *" $id "*) ;; *) docker stop --time 30 "$id" > /dev/null ;; esac
done`;
}
