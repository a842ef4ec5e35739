import { COMMAND, commandHandler } from "./command-resources";
import { CONTAINER, containerHandler } from "./docker-container";
import { NETWORK, networkHandler, REMOTE_IMAGE, remoteImageHandler, VOLUME, volumeHandler } from "./docker-resources";
import type { ResourceHandler } from "./handler";
import {
  DATABASE, databaseHandler, EXTENSION, extensionHandler, GRANT, GRANT_ROLE, grantHandler, grantRoleHandler,
  POSTGRES_PROVIDER, postgresProviderHandler, ROLE, roleHandler,
} from "./postgres-resources";
import { RANDOM_PASSWORD, randomPasswordHandler } from "./random-resources";

/** Every custom resource type the program declares, and nothing else. */
const HANDLERS: Readonly<Record<string, ResourceHandler>> = {
  [REMOTE_IMAGE]: remoteImageHandler,
  [NETWORK]: networkHandler,
  [VOLUME]: volumeHandler,
  [CONTAINER]: containerHandler,
  [RANDOM_PASSWORD]: randomPasswordHandler,
  [COMMAND]: commandHandler,
  [POSTGRES_PROVIDER]: postgresProviderHandler,
  [ROLE]: roleHandler,
  [DATABASE]: databaseHandler,
  [EXTENSION]: extensionHandler,
  [GRANT]: grantHandler,
  [GRANT_ROLE]: grantRoleHandler,
};

export const SUPPORTED_TYPES: readonly string[] = Object.keys(HANDLERS);

export function handlerFor(type: string, resourceName: string): ResourceHandler {
  const handler = HANDLERS[type];
  if (!handler) throw new Error(`${type} ${resourceName}: the e2e deploy harness does not support this resource type (supported: ${SUPPORTED_TYPES.join(", ")})`);
  return handler;
}
