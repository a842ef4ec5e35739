import { loadConfig } from "./components/config";
import { DeanStack } from "./components/stack";

// Config is validated as a whole before any resource is registered.
const { config, tlsSecrets } = loadConfig();
const stack = new DeanStack(config.instanceName, { config, tlsSecrets });

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
