import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ExitCode } from "../../../ops/errors";
import { checkPrerequisites } from "../../../ops/preflight/check";
import type { Environment } from "../../../ops/preflight/prerequisite";
import { World } from "./fakes";

/** A host laid out in a temporary directory: a project, a pulumi on PATH, a home, a state directory. */
class Host {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), "dean-ops-host-"));
  readonly project = this.dir("project");
  readonly bin = this.dir("bin");
  readonly home = this.dir("home");
  readonly state = this.dir("state");
  readonly env: Record<string, string | undefined> = { PATH: this.bin, PULUMI_BACKEND_URL: `file://${this.state}`, PULUMI_CONFIG_PASSPHRASE: "correct horse" };

  constructor() {
    this.write("project/Pulumi.yaml", "name: dean\nruntime: nodejs\n");
    this.write("project/Pulumi.dev.yaml", "config:\n  dean:environment: dev\n");
    this.write("bin/pulumi", "#!/bin/sh\n", 0o755);
  }

  dir(relative: string): string {
    const dir = path.join(this.root, relative);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }

  write(relative: string, text: string, mode = 0o644): void {
    fs.mkdirSync(path.dirname(path.join(this.root, relative)), { recursive: true });
    fs.writeFileSync(path.join(this.root, relative), text, { mode });
  }

  /** `dean-ops history --cwd <project>` with the real prerequisite check on this host. */
  async run(cwd = this.project): Promise<{ world: World; exitCode: ExitCode }> {
    const world = new World();
    const environment: Environment = { env: this.env, home: this.home };
    world.preflight = (options) => checkPrerequisites(options, environment);
    return { world, exitCode: await world.run("history", "--cwd", cwd) };
  }
}

type Setup = (host: Host) => void;

const noPulumiOnPath: Setup = (host) => {
  host.env.PATH = host.dir("empty");
};
const noBackend: Setup = (host) => {
  host.env.PULUMI_BACKEND_URL = undefined;
};
const noPassphrase: Setup = (host) => {
  host.env.PULUMI_CONFIG_PASSPHRASE = undefined;
};
const serviceBackend = (token?: string): Setup => (host) => {
  noBackend(host);
  noPassphrase(host);
  host.env.PULUMI_ACCESS_TOKEN = token;
};
const loggedIn = (current: string, accessTokens: Record<string, string> = {}): Setup => (host) => {
  host.write("home/.pulumi/credentials.json", JSON.stringify({ current, accessTokens }));
};

let hosts: Host[] = [];
function host(...setups: Setup[]): Host {
  const created = new Host();
  hosts.push(created);
  for (const setup of setups) setup(created);
  return created;
}

afterEach(() => {
  for (const created of hosts) fs.rmSync(created.root, { recursive: true, force: true });
  hosts = [];
});

describe("dean-ops checks the engine, the backend and the passphrase before touching the stack", () => {
  it.each<[string, Setup[], (host: Host) => string[]]>([
    ["no pulumi on PATH", [noPulumiOnPath], () => [
      "the Pulumi CLI: there is no pulumi on PATH",
      "install the Pulumi CLI (https://www.pulumi.com/docs/install/) and put pulumi on PATH",
    ]],
    ["pulumi installed in ~/.pulumi/bin but not on PATH", [noPulumiOnPath, (h) => h.write("home/.pulumi/bin/pulumi", "#!/bin/sh\n", 0o755)], (h) => [
      "the Pulumi CLI: there is no pulumi on PATH",
      `it is installed in ${h.home}/.pulumi/bin: export PATH="${h.home}/.pulumi/bin:$PATH"`,
    ]],
    ["no backend at all", [noBackend], () => [
      "a Pulumi backend: PULUMI_BACKEND_URL is not set, Pulumi.yaml names none and pulumi login has not been run",
      "export PULUMI_BACKEND_URL=file://<directory holding the stack state> (state on this host), or run pulumi login <backend URL>",
    ]],
    ["a file backend whose directory does not exist", [(h) => { h.env.PULUMI_BACKEND_URL = `file://${h.root}/nowhere`; }], (h) => [
      `the backend directory ${h.root}/nowhere (PULUMI_BACKEND_URL: file://${h.root}/nowhere) does not exist, so the stack cannot be there`,
      "point PULUMI_BACKEND_URL at the directory that holds the stack state, or run pulumi login <its URL>",
    ]],
    ["the Pulumi service without a token", [serviceBackend(), loggedIn("https://api.pulumi.com")], () => [
      "an access token for https://api.pulumi.com (pulumi login)",
      "run pulumi login https://api.pulumi.com, or export PULUMI_ACCESS_TOKEN=<token>",
    ]],
    ["no passphrase for a file backend (its default provider)", [noPassphrase], () => [
      "the passphrase of stack dev: its secrets use the passphrase provider, and neither PULUMI_CONFIG_PASSPHRASE nor PULUMI_CONFIG_PASSPHRASE_FILE is set",
      "export PULUMI_CONFIG_PASSPHRASE=<the stack's passphrase>, or PULUMI_CONFIG_PASSPHRASE_FILE=<a file holding it>",
    ]],
    ["no passphrase for a stack whose file has an encryption salt, even on the service", [serviceBackend("pul-token"), (h) => h.write("project/Pulumi.dev.yaml", "encryptionsalt: v1:c2FsdA==:v1:abc\n")], () => [
      "the passphrase of stack dev: its secrets use the passphrase provider",
    ]],
    ["a passphrase file that cannot be read", [noPassphrase, (h) => { h.env.PULUMI_CONFIG_PASSPHRASE_FILE = `${h.root}/missing-passphrase`; }], (h) => [
      `the passphrase file ${h.root}/missing-passphrase (PULUMI_CONFIG_PASSPHRASE_FILE), which cannot be read`,
    ]],
    ["everything at once", [noPulumiOnPath, noBackend, noPassphrase, (h) => h.write("project/Pulumi.dev.yaml", "secretsprovider: passphrase\n")], () => [
      "Missing:\n  - the Pulumi CLI: there is no pulumi on PATH\n  - a Pulumi backend: PULUMI_BACKEND_URL is not set",
      "\n  - the passphrase of stack dev",
      "next:\n  - install the Pulumi CLI",
      "  - export PULUMI_BACKEND_URL=file://",
      "  - export PULUMI_CONFIG_PASSPHRASE=",
    ]],
  ])("%s: refused (exit 2) with what is missing and what to do, before the stack is opened", async (_, setups, expected) => {
    const configured = host(...setups);
    const { world, exitCode } = await configured.run();
    expect(exitCode).toBe(2);
    expect(world.console.errorText).toContain("error: stack dev cannot be worked on here; nothing was attempted, nothing was changed. Missing:");
    for (const text of expected(configured)) expect(world.console.errorText).toContain(text);
    expect(world.calls).toEqual([{ op: "preflight" }]);
  });

  it("refuses a --cwd that is not a Pulumi project", async () => {
    const configured = host();
    const { world, exitCode } = await configured.run(configured.home);
    expect(exitCode).toBe(2);
    expect(world.console.errorText).toContain(`the Pulumi project: ${configured.home} has no Pulumi.yaml`);
    expect(world.console.errorText).toContain("pass --cwd <the directory that holds Pulumi.yaml>");
    expect(world.calls).toEqual([{ op: "preflight" }]);
  });

  it.each<[string, Setup[]]>([
    ["a file backend, pulumi on PATH and the passphrase", []],
    ["an empty passphrase, which is a passphrase", [(h) => { h.env.PULUMI_CONFIG_PASSPHRASE = ""; }]],
    ["a readable passphrase file", [noPassphrase, (h) => { h.write("secret/passphrase", "correct horse\n"); h.env.PULUMI_CONFIG_PASSPHRASE_FILE = `${h.root}/secret/passphrase`; }]],
    ["a KMS secrets provider, which needs no passphrase", [noPassphrase, (h) => h.write("project/Pulumi.dev.yaml", "secretsprovider: awskms://alias/dean\n")]],
    ["the Pulumi service with a token and no passphrase provider", [serviceBackend("pul-token")]],
    ["the Pulumi service logged in with pulumi login", [serviceBackend(), loggedIn("https://api.pulumi.com", { "https://api.pulumi.com": "pul-token" })]],
    ["the backend named in Pulumi.yaml", [noBackend, (h) => h.write("project/Pulumi.yaml", `name: dean\nruntime: nodejs\nbackend:\n  url: file://${h.state}\n`)]],
    ["a file backend chosen with pulumi login", [noBackend, (h) => loggedIn(`file://${h.state}`)(h)]],
  ])("goes on with %s", async (_, setups) => {
    const { world, exitCode } = await host(...setups).run();
    expect(world.console.errorText).toBe("");
    expect(exitCode).toBe(0);
    expect(world.calls.slice(0, 3).map((call) => call.op)).toEqual(["preflight", "connect", "history"]);
  });
});
