import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { messageOf } from "../errors";
import type { Missing } from "./prerequisite";

/** The two files the checks read: the project's Pulumi.yaml and the stack's Pulumi.<stack>.yaml. */
export interface ProjectFiles {
  readonly project: Readonly<Record<string, unknown>>;
  /** Empty when the stack has no file (its config is then empty). */
  readonly stack: Readonly<Record<string, unknown>>;
}

const PROJECT_FILES = ["Pulumi.yaml", "Pulumi.yml"];

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readMapping(file: string): Record<string, unknown> {
  const document = yaml.load(fs.readFileSync(file, "utf8"));
  if (document === null || document === undefined) return {};
  if (!isMapping(document)) throw new Error("expected a mapping at the top level");
  return document;
}

/**
 * Reads the project and stack files, or says why it cannot. A qualified stack name
 * (org/project/dev) keeps its config in Pulumi.dev.yaml, under stackConfigDir when set.
 */
export function readProjectFiles(cwd: string, stackName: string): ProjectFiles | Missing {
  const projectFile = PROJECT_FILES.map((name) => path.join(cwd, name)).find((file) => fs.existsSync(file));
  if (!projectFile) {
    return { what: `the Pulumi project: ${cwd} has no Pulumi.yaml`, fix: "pass --cwd <the directory that holds Pulumi.yaml> (by default dean-ops uses its own package)" };
  }
  let file = projectFile;
  try {
    const project = readMapping(projectFile);
    const configDir = typeof project.stackConfigDir === "string" ? path.resolve(cwd, project.stackConfigDir) : cwd;
    file = path.join(configDir, `Pulumi.${stackName.split("/").pop()}.yaml`);
    return { project, stack: fs.existsSync(file) ? readMapping(file) : {} };
  } catch (error) {
    return { what: `a readable ${file}: ${messageOf(error).split("\n")[0]}`, fix: `fix the YAML of ${file}` };
  }
}

export function isMissing(value: ProjectFiles | Missing): value is Missing {
  return "what" in value;
}
