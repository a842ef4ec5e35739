import { loadConfig } from "./components/config";
import { DeanStack, STACK_RESOURCE_NAME } from "./components/stack";

// Config is validated as a whole before any resource is registered.
const { config, tlsSecrets } = loadConfig();
// The logical name is fixed, so resource URNs do not depend on `dean:instanceName` (which only
// prefixes Docker object names): changing it renames containers and networks in one update and
// keeps the data volumes. Stacks deployed when the instance name was the logical name keep
// their resources through the alias.
const stack = new DeanStack(STACK_RESOURCE_NAME, { config, tlsSecrets }, {
  aliases: config.instanceName === STACK_RESOURCE_NAME ? [] : [{ name: config.instanceName }],
});

/** Where users reach the API (or a note that the stack is isolated). */
export const publicUrl = stack.publicUrl;
/** The orchestrator image this update deployed: `pulumi stack history` shows it per update. */
export const orchestratorImage = stack.orchestratorImage;
export const replicas = stack.replicas;
/** The dump to restore for a full rollback of the current image. */
export const lastPreUpgradeBackup = stack.lastPreUpgradeBackup;
/** Postgres connection details (secret). */
export const connection = stack.connection;
export const containers = stack.containers;
export const environment = config.environment;
