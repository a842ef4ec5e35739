import { World } from "./fakes";

const DUMP = "manual-dean_production-20250615T070000Z-before-change.dump";
const REPLICAS = "dean:orchestrator.replicas must be a whole number between 1 and 50";
const ADDRESS = "each entry of dean:nginx.blockedIps must";
const IMAGE = "dean:images.orchestrator must be an image reference such as name:tag or name@sha256:<digest>";
const DUMP_NAME = "needs a dump name as dean-ops backup list shows it (letters, digits, . _ -, ending in .dump)";

/**
 * Every refusal names the argument, the value given and what is allowed, exits 2, and comes
 * before anything else: the prerequisite check, the stack and the Docker host see no call.
 */
describe("dean-ops checks every argument before the engine or the stack", () => {
  it.each([
    [["scale", "0"], `dean-ops scale: <replicas> "0" is refused: ${REPLICAS}; nothing was changed`],
    [["scale", "abc"], `dean-ops scale: <replicas> "abc" is refused: ${REPLICAS}`],
    [["scale", "1000"], `dean-ops scale: <replicas> "1000" is refused: ${REPLICAS}`],
    [["scale", "2.5"], `dean-ops scale: <replicas> "2.5" is refused: ${REPLICAS}`],
    [["scale"], "dean-ops scale: takes 1 argument (got 0); nothing was changed\nnext:\n  - usage: dean-ops scale <replicas>"],
    [["block", "1.2.3.4; allow all"], `dean-ops block: <ipv4-or-cidr> "1.2.3.4; allow all" is refused: ${ADDRESS} be an IPv4 address or CIDR range`],
    [["block", "0.0.0.0/0"], `dean-ops block: <ipv4-or-cidr> "0.0.0.0/0" is refused: ${ADDRESS} not be wider than a /8`],
    [["block", "2001:db8::1"], `dean-ops block: <ipv4-or-cidr> "2001:db8::1" is refused: ${ADDRESS} be an IPv4 address or CIDR range`],
    [["unblock", "example.com"], `dean-ops unblock: <ipv4-or-cidr> "example.com" is refused: ${ADDRESS} be an IPv4 address or CIDR range`],
    [["upgrade", "x; rm -rf /"], `dean-ops upgrade: <image-tag-or-digest> "x; rm -rf /" is refused: ${IMAGE}`],
    [["upgrade", "Bad Tag!"], `dean-ops upgrade: <image-tag-or-digest> "Bad Tag!" is refused: ${IMAGE}`],
    [["upgrade", "latest"], "dean-ops upgrade: <image-tag-or-digest> \"latest\" is refused: dean:images.orchestrator must be pinned to a version tag or digest; `latest`"],
    [["upgrade", "dean/orchestrator"], "dean-ops upgrade: <image-tag-or-digest> \"dean/orchestrator\" is refused: dean:images.orchestrator must be pinned to a version tag or digest (no tag means `latest`)"],
    [["backup", "restore"], `dean-ops backup: restore ${DUMP_NAME}, got nothing; nothing was changed`],
    [["backup", "restore", "../../etc/shadow"], `dean-ops backup: restore ${DUMP_NAME}, got "../../etc/shadow"`],
    [["backup", "restore", DUMP, "--into", "x; drop"], "dean-ops backup: --into must name a database (an SQL identifier), got \"x; drop\""],
    [["backup", "verify", "-v"], `dean-ops backup: verify ${DUMP_NAME}, got "-v"`],
    [["backup", "now", "before change"], "dean-ops backup: the label becomes part of the file name: 1 to 64 letters, digits, . _ or -, got \"before change\""],
    [["backup", "prune"], "dean-ops backup: unknown action \"prune\""],
    [["rollback", "--to", "0"], "dean-ops rollback: --to needs a version number from dean-ops history (got \"0\")"],
    [["rollback", "--restore"], "dean-ops rollback: unexpected \"--restore\"; nothing was changed\nnext:\n  - usage: dean-ops rollback [--to <version>] [--restore-db]"],
    [["maintenance", "maybe"], "dean-ops maintenance: expected on or off (got \"maybe\"); nothing was changed\nnext:\n  - usage: dean-ops maintenance <on|off>"],
    [["rotate", "everything"], "dean-ops rotate: expected jwt or database or redis or all (got \"everything\")"],
    [["status", "now"], "dean-ops status: takes no arguments (got 1); nothing was changed\nnext:\n  - usage: dean-ops status"],
  ])("%j is refused with exit 2, touching nothing", async (argv, message) => {
    const world = new World();
    expect(await world.run(...argv, "--yes")).toBe(2);
    expect(world.console.errorText).toContain(`error: ${message}`);
    expect(world.calls).toEqual([]);
  });

  it("a valid argument goes on: the prerequisites, then the stack", async () => {
    const world = new World();
    expect(await world.run("scale", "2", "--yes")).toBe(0);
    expect(world.calls.slice(0, 3).map((call) => call.op)).toEqual(["preflight", "connect", "getConfig"]);
  });
});
