import type { Policies } from "@pulumi/policy";
import { productionBackups } from "./rules/backups";
import { connectionBudget } from "./rules/connection-budget";
import { credentialsDeclaredSecret, credentialsGenerated } from "./rules/credentials";
import { dataVolumeRetained } from "./rules/data-retention";
import { containerHardening } from "./rules/hardening";
import { healthAndRestart } from "./rules/health";
import { noHostAccess } from "./rules/host-access";
import { pinnedImages } from "./rules/images";
import { requiredLabels } from "./rules/labels";
import { containerLimits } from "./rules/limits";
import { logRotation } from "./rules/logging";
import { publishedPorts } from "./rules/ports";
import { pidsLimit } from "./rules/pids-limit";
import { nginxRateLimit } from "./rules/rate-limit";
import { readOnlyRootFilesystem } from "./rules/read-only-root";

/**
 * Every rule of the pack, in the order. Exported apart from index.ts because
 * `new PolicyPack()` starts a gRPC server: tests import this list, the pack serves it.
 */
export const policies: Policies = [
  requiredLabels,
  containerLimits, // 1
  pinnedImages, // 2
  noHostAccess, // 3
  publishedPorts, // 4
  healthAndRestart, // 5
  logRotation, // 6
  credentialsDeclaredSecret, // 7
  credentialsGenerated, // 7
  nginxRateLimit, // 8
  connectionBudget, // 9
  productionBackups, // 10
  dataVolumeRetained, // 11
  containerHardening, // 12 (advisory)
  readOnlyRootFilesystem, // 13 (CIS Docker Benchmark 5.13)
  pidsLimit, // 14 (CIS Docker Benchmark 5.29)
];
