import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * A stand-in for the Pulumi CLI on disk (`<root>/bin/pulumi`, a small node script), so that
 * the real adapter and the real Automation API run against it. It records every call (its
 * arguments and what it read on stdin) and answers by the first rule whose `command` begins
 * its arguments, longest first; anything else succeeds silently.
 */

export interface EngineRule {
  readonly command: readonly string[];
  readonly stdout?: string;
  readonly stderr?: string;
  readonly exitCode?: number;
}

export interface EngineCall {
  readonly args: readonly string[];
  readonly input: string;
}

// `pulumi config set <key>` without `-- <value>` reads the value from stdin, as the CLI does;
// nothing else reads stdin (execa leaves it open, so reading it would wait forever).
const SCRIPT = `#!/usr/bin/env node
const fs = require("fs");
const path = require("path");
const root = path.join(__dirname, "..");
const args = process.argv.slice(2);
const readsStdin = args[0] === "config" && args[1] === "set" && !args.includes("--");
const input = readsStdin ? fs.readFileSync(0, "utf8") : "";
fs.appendFileSync(path.join(root, "calls.jsonl"), JSON.stringify({ args, input }) + "\\n");
const rules = JSON.parse(fs.readFileSync(path.join(root, "rules.json"), "utf8"));
const matches = rules.filter((rule) => rule.command.every((word, index) => args[index] === word));
const rule = matches.sort((a, b) => b.command.length - a.command.length)[0] || {};
if (rule.stdout) process.stdout.write(rule.stdout);
if (rule.stderr) process.stderr.write(rule.stderr);
process.exitCode = rule.exitCode || 0;
`;

export class FakeEngine {
  /** The installation root to hand PulumiStack (`pulumiRoot`). */
  readonly root: string;

  constructor(rules: readonly EngineRule[]) {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), "dean-ops-engine-"));
    fs.mkdirSync(path.join(this.root, "bin"));
    fs.writeFileSync(path.join(this.root, "bin", "pulumi"), SCRIPT, { mode: 0o755 });
    fs.writeFileSync(path.join(this.root, "rules.json"), JSON.stringify([{ command: ["version"], stdout: "v3.248.0\n" }, ...rules]));
  }

  calls(): EngineCall[] {
    const file = path.join(this.root, "calls.jsonl");
    if (!fs.existsSync(file)) return [];
    return fs.readFileSync(file, "utf8").split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as EngineCall);
  }

  remove(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
