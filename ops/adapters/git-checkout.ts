import { execFile } from "node:child_process";
import type { ProgramComparison, ProgramSource } from "../ports";

/**
 * The files whose content is the program a stack update deploys: what makes two commits
 * deploy different things. Stack files (Pulumi.<stack>.yaml) hold config, which a rollback
 * re-applies anyway; docs, tests and tools do not reach the engine.
 */
export const PROGRAM_PATHS = ["index.ts", "components", "policies", "Pulumi.yaml", "package.json", "package-lock.json", "tsconfig.json"];

interface GitResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The program's source as the git checkout holding the project directory. */
export class GitCheckout implements ProgramSource {
  constructor(private readonly projectDir: string) {}

  private git(args: readonly string[]): Promise<GitResult> {
    return new Promise((resolve) => {
      execFile("git", ["-C", this.projectDir, ...args], { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() || (error?.message ?? "") });
      });
    });
  }

  async compareWith(commit: string): Promise<ProgramComparison> {
    const head = await this.git(["rev-parse", "HEAD"]);
    if (head.code !== 0) return { kind: "unknown", reason: `${this.projectDir} is not a git checkout (${head.stderr.trim()})` };
    const known = await this.git(["cat-file", "-e", `${commit}^{commit}`]);
    if (known.code !== 0) return { kind: "unknown", reason: `commit ${commit} is not in this checkout (git fetch it first)` };
    // Against the working tree: uncommitted changes to the program count too.
    const diff = await this.git(["diff", "--name-only", commit, "--", ...PROGRAM_PATHS]);
    if (diff.code !== 0) return { kind: "unknown", reason: `git diff failed: ${diff.stderr.trim()}` };
    // New files the commit does not have, not yet added to git, are part of the program too.
    const untracked = await this.git(["ls-files", "--others", "--exclude-standard", "--", ...PROGRAM_PATHS]);
    const files = [...diff.stdout.split("\n"), ...(untracked.code === 0 ? untracked.stdout.split("\n") : [])].filter((line) => line !== "");
    const current = head.stdout.trim();
    return files.length === 0 ? { kind: "same", head: current } : { kind: "differs", head: current, files };
  }
}
