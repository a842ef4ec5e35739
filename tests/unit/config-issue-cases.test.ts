import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { blockedAddressSchema } from "../../components/config-schema";
import { readStackConfigFile } from "../../tools/stack-config-file";
import { loadStackText, prodWith } from "../support/config-mutations";

/**
 * Issue 10, part 3: configs that fuzzing found accepted. Each is now refused, naming the full
 * key, the value (shortened) and what is allowed; every problem of a file at once.
 */

type Settings = Record<string, unknown>;

/** Sets `dean:<section>.<a>.<b>` in a config mapping. */
function set(section: string, keyPath: string, value: unknown): (config: Settings) => void {
  return (config) => {
    const segments = keyPath.split(".");
    let target = config[`dean:${section}`] as Settings;
    for (const segment of segments.slice(0, -1)) target = (target[segment] ??= {}) as Settings;
    Object.defineProperty(target, segments[segments.length - 1], { value, enumerable: true, writable: true, configurable: true });
  };
}

function refusal(text: string): string {
  const outcome = loadStackText(text);
  if ("config" in outcome) throw new Error("the config was accepted");
  return outcome.refusal;
}

const LONG = 100_000;
const bombFile = (levels: number): string => {
  const lines = ["config:", "  dean:environment: prod", `  dean:l0: &l0 "${"x".repeat(50)}"`];
  for (let level = 1; level <= levels; level++) lines.push(`  dean:l${level}: &l${level} [${Array.from({ length: 10 }, () => `*l${level - 1}`).join(", ")}]`);
  return `${lines.join("\n")}\n`;
};

// [case, stack file text, fragments the refusal must contain]
const cases: [string, string, string[]][] = [
  // Prod silently becomes dev.
  ["dean:environment removed", prodWith((c) => delete c["dean:environment"]), ['dean:environment is required: "dev", "staging" or "prod" (no default, so that a production stack cannot silently become dev) (got nothing)']],
  ["namespace typo daen:environment", prodWith((c) => { c["daen:environment"] = c["dean:environment"]; delete c["dean:environment"]; }), ['daen:environment is in the namespace daen, which nothing in this stack reads', 'did you mean dean:environment? (got "prod")', "dean:environment is required"]],
  ["namespace typo Dean:environment", prodWith((c) => { c["Dean:environment"] = c["dean:environment"]; delete c["dean:environment"]; }), ["Dean:environment is in the namespace Dean", "did you mean dean:environment?"]],
  ["an empty stack file", "", ["dean:environment is required"]],
  ["`config:` left empty", "config:\n", ["dean:environment is required"]],
  ["keys without the config: wrapper", "dean:environment: prod\ndean:instanceName: dean\n", ["dean:environment is at the top level of the file: stack settings belong under `config:`", "dean:instanceName is at the top level"]],
  ["section typo daen:nginx", prodWith((c) => { c["daen:nginx"] = c["dean:nginx"]; delete c["dean:nginx"]; }), ["daen:nginx is in the namespace daen", "did you mean dean:nginx? (got {\"serverName\":\"dean.example.com\""]],
  ["a nested setting written as one flat key", prodWith((c) => { c["dean:nginx.maintenance"] = true; }), ["dean:[\"nginx.maintenance\"] is not a known setting (a nested setting belongs inside dean:nginx: pulumi config set --path 'dean:nginx.maintenance' <value>) (got true)"]],
  ["a setting without namespace", prodWith((c) => { c.replicas = 3; }), ["replicas has no namespace: settings of this program are dean:<name>, e.g. dean:environment (got 3)"]],
  // Prototype keys.
  ["dean:__proto__ with nginx settings", prodWith((c) => { Object.defineProperty(c, "dean:__proto__", { value: { nginx: { maintenance: true, blockedIps: ["203.0.113.7"] } }, enumerable: true }); }), ["dean:__proto__ is not a known setting; the settings are environment, instanceName, images", '(got {"nginx":{"maintenance":true,"blockedIps":["203.0.113.7"]}})']],
  ["dean:toString", prodWith((c) => { c["dean:toString"] = 1; }), ["dean:toString is not a known setting", "(got 1)"]],
  ["dean:constructor", prodWith((c) => { c["dean:constructor"] = { a: 1 }; }), ["dean:constructor is not a known setting"]],
  ["dean:hasOwnProperty", prodWith((c) => { c["dean:hasOwnProperty"] = "x"; }), ["dean:hasOwnProperty is not a known setting"]],
  ["__proto__ inside a section", prodWith(set("nginx", "__proto__", { maintenance: true })), ["dean:nginx.__proto__ is not a known setting of dean:nginx"]],
  // Host paths.
  ["keyPath /var//run/docker.sock", prodWith(set("nginx", "tls.keyPath", "/var//run/docker.sock")), ['dean:nginx.tls.keyPath must not be /var/run or anything inside it', '("/var//run/docker.sock" is /var/run/docker.sock) (got "/var//run/docker.sock")']],
  ["keyPath /run/../var/run/docker.sock", prodWith(set("nginx", "tls.keyPath", "/run/../var/run/docker.sock")), ["dean:nginx.tls.keyPath must not contain `..`"]],
  ["keyPath /var/./run/docker.sock", prodWith(set("nginx", "tls.keyPath", "/var/./run/docker.sock")), ["dean:nginx.tls.keyPath must not be /var/run or anything inside it"]],
  ["keyPath /var/run/docker.sock/.", prodWith(set("nginx", "tls.keyPath", "/var/run/docker.sock/.")), ["dean:nginx.tls.keyPath must not be /var/run or anything inside it"]],
  ["certificatePath /run", prodWith(set("nginx", "tls.certificatePath", "/run")), ["dean:nginx.tls.certificatePath must not be /run or anything inside it"]],
  ["backup.hostPath /. (host root, read-write)", prodWith(set("backup", "hostPath", "/.")), ['dean:backup.hostPath must not be the host\'s root directory ("/." is /) (got "/.")']],
  ["backup.hostPath /etc", prodWith(set("backup", "hostPath", "/etc")), ["dean:backup.hostPath must not be the system directory /etc itself"]],
  ["backup.hostPath inside /etc, written to", prodWith(set("backup", "hostPath", "/etc/dean-backups")), ["dean:backup.hostPath must not be inside /etc: the container writes there"]],
  ["backup.hostPath /dev", prodWith(set("backup", "hostPath", "/dev")), ["dean:backup.hostPath must not be /dev or anything inside it"]],
  ["backup.hostPath /proc", prodWith(set("backup", "hostPath", "/proc")), ["dean:backup.hostPath must not be /proc or anything inside it"]],
  ["backup.hostPath /var (holds the socket)", prodWith(set("backup", "hostPath", "/var")), ["dean:backup.hostPath must not be the system directory /var itself"]],
  ["a path with :", prodWith(set("backup", "hostPath", "/backups:/etc")), ["dean:backup.hostPath must not contain `:`"]],
  ["a path with a control character", prodWith(set("backup", "hostPath", "/backups/\u0007x")), ['dean:backup.hostPath must not contain control characters (got "/backups/\\u0007x")']],
  ["a path of 5,000 characters", prodWith(set("backup", "hostPath", `/${"a".repeat(4999)}`)), ['dean:backup.hostPath must be at most 1024 characters (got "/aaaaaaaa', "… (5000 characters))"]],
  // nginx.conf that nginx refuses.
  ['serverName "."', prodWith(set("nginx", "serverName", ".")), ["dean:nginx.serverName must be a DNS host name", "it has an empty label", '(got ".")']],
  ["a 100,000-character server name", prodWith(set("nginx", "serverName", "a".repeat(LONG))), ["dean:nginx.serverName must be a DNS host name", "… (100000 characters))"]],
  ["a label of 64 characters", prodWith(set("nginx", "serverName", `${"a".repeat(64)}.example.com`)), ["dean:nginx.serverName must be a DNS host name", "it has a label of 64 characters"]],
  ["a self-signed CN over 64 characters", prodWith((c) => { set("nginx", "serverName", `${"a".repeat(60)}.example.com`)(c); set("nginx", "tls", { mode: "selfSigned" })(c); }), ["dean:nginx.serverName must be at most 64 characters when nginx.tls.mode is selfSigned: the certificate carries it as its CN, which openssl limits to 64"]],
  ["a 10,000-character authRateLimit path", prodWith(set("nginx", "authRateLimit.paths", ["/api/login", `/${"a".repeat(9999)}`])), ["dean:nginx.authRateLimit.paths[1] must be a URL path starting with / (A-Z, a-z, 0-9 and ._~/-, at most 256 characters)", "(10000 characters)"]],
  ["connectionsPerIp above nginx's 65535", prodWith(set("nginx", "connectionsPerIp", 70000)), ["dean:nginx.connectionsPerIp must be a whole number between 1 and 65535 (got 70000)"]],
  // The deny list.
  ["blockedIps 0.0.0.0/0", prodWith(set("nginx", "blockedIps", ["0.0.0.0/0"])), ['dean:nginx.blockedIps[0] must not be wider than a /8 (16,777,216 addresses): a /0 denies 4,294,967,296 addresses, everyone, operators included (got "0.0.0.0/0")']],
  ["blockedIps 64.0.0.0/2", prodWith(set("nginx", "blockedIps", ["203.0.113.7", "64.0.0.0/2"])), ["dean:nginx.blockedIps[1] must not be wider than a /8", "a /2 denies 1,073,741,824 addresses, a large part of the internet"]],
  ["blockedIps with host bits", prodWith(set("nginx", "blockedIps", ["10.0.0.1/8"])), ["dean:nginx.blockedIps[0] must name the range by its network address: did you mean 10.0.0.0/8?"]],
  // Intervals.
  ["backup.interval 99999999999999999999d", prodWith(set("backup", "interval", "99999999999999999999d")), ['dean:backup.interval must be a duration between 10s and 30d, such as 90s, 15m, 24h or 7d (got "99999999999999999999d")']],
  ["backup.interval 31d", prodWith(set("backup", "interval", "31d")), ["dean:backup.interval must be a duration between 10s and 30d"]],
  ["backup.interval .inf", prodWith(set("backup", "interval", Number.POSITIVE_INFINITY)), ['dean:backup.interval must be a duration between 10s and 30d, such as 90s, 15m, 24h or 7d (got ".inf")']],
  // Reserved PostgreSQL names.
  ...["postgres", "template0", "template1", "public", "pg_dean", "none", "current_user"].map((name): [string, string, string[]] => [`database ${name}`, prodWith(set("postgres", "database", name)), [`dean:postgres.database must ${name === "pg_dean" ? "not start with pg_" : "not be a name PostgreSQL reserves or creates itself"}`, `(got "${name}")`]]),
  ...["postgres", "template1", "public", "pg_read_all_data", "none", "current_user"].map((name): [string, string, string[]] => [`user ${name}`, prodWith(set("postgres", "user", name)), ["dean:postgres.user must not"]]),
  ...["public", "pg_admin", "none", "current_user", "template0"].map((name): [string, string, string[]] => [`superuser ${name}`, prodWith(set("postgres", "superuser", name)), ["dean:postgres.superuser must not"]]),
  // Ports, addresses, images.
  ["postgres.hostPort on nginx's https port", prodWith(set("postgres", "hostPort", 443)), ["dean:postgres.hostPort must differ from nginx.httpsPort: both would publish port 443 on 127.0.0.1 (got 443)"]],
  ["directHostPort on postgres's port", prodWith(set("orchestrator", "directHostPort", 5432)), ["dean:orchestrator.directHostPort must differ from postgres.hostPort: both would publish port 5432 on 127.0.0.1"]],
  ["bindAddress broadcast", prodWith(set("nginx", "bindAddress", "255.255.255.255")), ["dean:nginx.bindAddress must be a unicast address of the host (127.0.0.1, 0.0.0.0 or one of its own); it is the broadcast address or reserved"]],
  ["bindAddress multicast", prodWith(set("nginx", "bindAddress", "239.1.2.3")), ["dean:nginx.bindAddress must be a unicast address of the host", "it is a multicast address"]],
  ["image tag :LATEST", prodWith(set("images", "nginx", "nginx:LATEST")), ["dean:images.nginx must be pinned to a version tag or digest; `latest` (in any case) is refused (got \"nginx:LATEST\")"]],
  ["an nginx older than the rendered config needs", prodWith(set("images", "nginx", "nginx:1.26.3-bookworm")), ["dean:images.nginx names nginx 1.26.3; the rendered configuration needs 1.27.4 or later (upstream servers that follow DNS (`server ... resolve`, 1.27.3) and client connections kept through a reload (`keepalive_min_timeout`, 1.27.4)) (got \"nginx:1.26.3-bookworm\")"]],
  ["an nginx release line older than needed", prodWith(set("images", "nginx", "registry.example.com:5000/nginx:1.25")), ["dean:images.nginx names nginx 1.25; the rendered configuration needs 1.27.4"]],
  ["image tag :Latest", prodWith(set("images", "orchestrator", "dean/orchestrator:Latest")), ["dean:images.orchestrator must be pinned"]],
  ["a plain-text dean:tlsKey in hostFiles mode", prodWith((c) => { c["dean:tlsKey"] = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----"; }), [
    "dean:tlsKey is ignored: nginx.tls.mode is hostFiles (nginx reads the key from nginx.tls.keyPath on the Docker host); remove it with pulumi config rm dean:tlsKey (got a value, not shown)",
    "dean:tlsKey must be a secret, encrypted in the stack file", "(got plain text, not shown)",
  ]],
  ["a plain-text dean:tlsKey in secretConfig mode", prodWith((c) => {
    set("nginx", "tls", { mode: "secretConfig" })(c);
    c["dean:tlsCertificate"] = "-----BEGIN CERTIFICATE-----";
    c["dean:tlsKey"] = "-----BEGIN PRIVATE KEY-----";
  }), ["dean:tlsKey must be a secret, encrypted in the stack file: pulumi config rm dean:tlsKey, then pulumi config set --secret dean:tlsKey < privkey.pem"]],
  ["a NUL byte in migrationCommand", prodWith(set("orchestrator", "migrationCommand", ["python", "-m", "alembic\u0000", "upgrade"])), ['dean:orchestrator.migrationCommand[2] must not contain control characters (NUL, newline, ...) (got "alembic\\u0000")']],
  ["a huge migrationCommand element", prodWith(set("orchestrator", "migrationCommand", ["python", "x".repeat(LONG)])), ["dean:orchestrator.migrationCommand[1] must be text of 1-1024 characters", "(100000 characters)"]],
  ["too many migrationCommand elements", prodWith(set("orchestrator", "migrationCommand", Array.from({ length: 65 }, () => "x"))), ["dean:orchestrator.migrationCommand must have at most 64 item(s)", "(65 items)"]],
  // Clearer refusals.
  ["YAML .nan", prodWith(set("orchestrator", "replicas", Number.NaN)), ['dean:orchestrator.replicas must be a whole number between 1 and 50 (got ".nan")']],
  ["YAML -.inf", prodWith(set("redis", "maxmemoryMiB", Number.NEGATIVE_INFINITY)), ['dean:redis.maxmemoryMiB must be a whole number between 16 and 262144 (got "-.inf")']],
  ["a 100,000-character value", prodWith(set("redis", "keyspaceEvents", "E".repeat(LONG))), ["dean:redis.keyspaceEvents must use only", "… (100000 characters))"]],
  ["a YAML alias bomb", bombFile(6), ["dean:l6 expands to more than 1048576 characters (YAML aliases repeating values?)"]],
];

describe("configs fuzzing found accepted (issue 10)", () => {
  test.each(cases)("%s is refused", (_label, text, fragments) => {
    const message = refusal(text);
    for (const fragment of fragments) expect(message).toContain(fragment);
    // Every problem line is bounded: a refused value is shown cut, never in full.
    for (const line of message.split("\n")) expect(line.length).toBeLessThan(1000);
    expect(message).not.toMatch(/ZodError|\n\s+at /);
  });

  test("the shipped prod file loads, with the image's default superuser postgres", () => {
    const outcome = loadStackText(prodWith(() => undefined));
    expect("config" in outcome && outcome.config.postgres.superuser).toBe("postgres");
  });

  test("host paths are normalised before they are mounted", () => {
    const outcome = loadStackText(prodWith((c) => { set("backup", "hostPath", "/backups//dean/./")(c); set("nginx", "tls.keyPath", "/etc/letsencrypt/live/dean//privkey.pem")(c); }));
    expect("config" in outcome && [outcome.config.backup.hostPath, outcome.config.nginx.tls.keyPath]).toEqual(["/backups/dean", "/etc/letsencrypt/live/dean/privkey.pem"]);
  });

  test("every problem of a file is reported at once", () => {
    const message = refusal(prodWith((c) => {
      delete c["dean:environment"];
      set("nginx", "blockedIps", ["0.0.0.0/0"])(c);
      set("backup", "hostPath", "/.")(c);
      c["daen:nginx"] = {};
    }));
    expect(message).toMatch(/^Invalid stack config \(4 problems\):/);
  });

  test("a value of 100,000 characters gives a message of less than a kilobyte", () => {
    expect(refusal(prodWith(set("nginx", "serverName", "a".repeat(LONG)))).length).toBeLessThan(1000);
  });

  test("a YAML alias bomb below the expansion bound is still shown bounded", () => {
    // 10,000 copies of 50 characters: 4 MB of JSON in the old messages.
    const message = refusal(`${bombFile(4)}  dean:orchestrator:\n    migrationCommand: *l4\n`);
    expect(message).toContain("dean:orchestrator.migrationCommand[0] must be text of 1-1024 characters (got [[[");
    expect(message.length).toBeLessThan(5000);
  });

  test("the deny list's element schema is exported for dean-ops, with the same bound", () => {
    expect(blockedAddressSchema.safeParse("198.51.100.0/24").success).toBe(true);
    expect(blockedAddressSchema.safeParse("10.0.0.0/8").success).toBe(true);
    expect(blockedAddressSchema.safeParse("0.0.0.0/0").error?.issues[0].message).toContain("must not be wider than a /8");
    expect(blockedAddressSchema.safeParse("11.0.0.0/7").success).toBe(false);
  });
});

describe("reading a stack file", () => {
  let scratch: string;
  beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dean-stack-file-"));
  });
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  test("a directory is named as one, not as EISDIR", () => {
    expect(() => readStackConfigFile(scratch)).toThrow(`stack config file ${scratch} is a directory; name the Pulumi.<stack>.yaml file inside it`);
  });

  test("a missing file is named", () => {
    expect(() => readStackConfigFile(path.join(scratch, "Pulumi.none.yaml"))).toThrow(/Pulumi\.none\.yaml does not exist/);
  });

  test("YAML that does not parse names the file", () => {
    const file = path.join(scratch, "Pulumi.bad.yaml");
    fs.writeFileSync(file, "config:\n  dean:environment: [prod\n");
    expect(() => readStackConfigFile(file)).toThrow(`stack config file ${file} is not valid YAML`);
  });

  test("YAML .inf reaches the schema as .inf, not as JSON's null", () => {
    const file = path.join(scratch, "Pulumi.inf.yaml");
    fs.writeFileSync(file, "config:\n  dean:orchestrator:\n    replicas: .inf\n  dean:instanceName: .nan\n");
    expect(readStackConfigFile(file).values).toEqual({ "dean:orchestrator": '{"replicas":".inf"}', "dean:instanceName": ".nan" });
  });
});
