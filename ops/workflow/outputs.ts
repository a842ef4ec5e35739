import { z } from "zod";
import type { StackOutputs } from "../ports";

/** The outputs index.ts exports, as far as dean-ops reads them. */
const deployedSchema = z.object({
  publicUrl: z.string().optional(),
  orchestratorImage: z.string().optional(),
  replicas: z.number().optional(),
  lastPreUpgradeBackup: z.string().optional(),
  environment: z.string().optional(),
  containers: z.object({
    postgres: z.string(),
    redis: z.string(),
    nginx: z.string(),
    /** Empty when backups are disabled. */
    backup: z.string(),
    orchestrator: z.array(z.string()),
  }).optional(),
});

export type DeployedOutputs = z.infer<typeof deployedSchema>;

/** The program's outputs, typed; a malformed one is reported rather than guessed at. */
export function readOutputs(outputs: StackOutputs): DeployedOutputs {
  const plain = Object.fromEntries(Object.entries(outputs).map(([key, entry]) => [key, entry.value]));
  const parsed = deployedSchema.safeParse(plain);
  if (!parsed.success) {
    throw new Error(`the stack outputs are not what this dean-ops expects: ${parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`);
  }
  return parsed.data;
}

/** The public URL, unless the stack is isolated (then index.ts exports a note instead). */
export function probeUrl(outputs: DeployedOutputs): string | undefined {
  const url = outputs.publicUrl;
  if (!url || !/^https?:\/\//.test(url)) return undefined;
  return `${url.replace(/\/+$/, "")}/health`;
}
