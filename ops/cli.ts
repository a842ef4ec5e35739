import * as os from "node:os";
import * as path from "node:path";
import { DockerodeHost } from "./adapters/docker-host";
import { GitCheckout } from "./adapters/git-checkout";
import { PulumiStack } from "./adapters/pulumi-stack";
import { systemClock, terminal } from "./adapters/terminal";
import { runDeanOps } from "./main";
import { checkPrerequisites } from "./preflight/check";

// dean-ops ships inside the dean-infra package: its Pulumi project is the package root.
const PROJECT_DIR = path.resolve(__dirname, "..");

runDeanOps(process.argv.slice(2), {
  console: terminal,
  clock: systemClock,
  preflight: (options) => checkPrerequisites({ ...options, cwd: path.resolve(options.cwd) }, { env: process.env, home: os.homedir() }),
  connect: (options) => ({
    stack: new PulumiStack(options.stack, path.resolve(options.cwd)),
    docker: new DockerodeHost(),
    program: new GitCheckout(path.resolve(options.cwd)),
  }),
  defaultCwd: PROJECT_DIR,
}).then((code) => {
  process.exitCode = code;
});
