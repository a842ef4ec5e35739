import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import type { StackConfig } from "../../components/config";
import { renderNginxConf, renderUpstreamServers } from "../../components/render/nginx-conf";
import { selfSignedCommand } from "../../components/tls";
import { fuzzParameters, loadStackText, mutatedProdText, mutationsArbitrary, prodWith } from "../support/config-mutations";
import { describeWithBinaries, findBinary, findTestNginx } from "./support/binaries";
import { makeSelfSignedCertificate, nginxTest, writeNginxFiles } from "./support/nginx";
import { runCaptured } from "./support/processes";

jest.setTimeout(300_000);

/**
 * Property (issue 10), real nginx: every mutation of Pulumi.prod.yaml that the config accepts
 * renders an nginx.conf that `nginx -t` accepts. The unit tier proves the other half (refusals
 * name a key). The first property edits dean:nginx with values across the schema's whole range
 * (names up to 253 characters, 32 auth paths of 256 characters, limits up to their maximum),
 * mostly valid so that nginx sees the schema's edges; the second applies the general
 * mutations. Seed and runs are fixed (tests/support/config-mutations.ts). Last, the openssl
 * command of the self-signed certificate shows openssl's reason when it fails (the CN limit the
 * schema enforces for selfSigned TLS).
 */

const PATH_CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~/-".split("");

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/);
/** Host names of every length the schema allows, up to 253 characters. */
const serverName = fc.oneof(
  fc.domain(),
  fc.constantFrom("localhost", `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`),
  fc.array(label, { minLength: 1, maxLength: 8 }).map((labels) => labels.join(".")).filter((name) => name.length <= 253),
);
const urlPath = fc.array(fc.constantFrom(...PATH_CHARACTERS), { maxLength: 255 }).map((characters) => `/${characters.join("")}`);
/** Deny-list entries the schema takes: single addresses and ranges from /8 to /32 by their network address. */
const blockedAddress = fc.tuple(fc.ipV4(), fc.integer({ min: 8, max: 33 })).map(([address, prefix]) => {
  if (prefix === 33) return address;
  const size = 2 ** (32 - prefix);
  const network = Math.floor(address.split(".").reduce((sum, octet) => sum * 256 + Number(octet), 0) / size) * size;
  return `${[24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join(".")}/${prefix}`;
});

/** A partial dean:nginx, merged over prod's. */
const nginxEdit = fc.record({
  serverName,
  bindAddress: fc.constantFrom("0.0.0.0", "127.0.0.1", "10.1.2.3", "192.0.2.10"),
  httpPort: fc.integer({ min: 1, max: 65535 }),
  httpsPort: fc.integer({ min: 1, max: 65535 }),
  rateLimit: fc.record({ ratePerSecond: fc.integer({ min: 1, max: 100_000 }), burst: fc.integer({ min: 0, max: 100_000 }), nodelay: fc.boolean() }),
  authRateLimit: fc.record({
    ratePerMinute: fc.integer({ min: 1, max: 100_000 }),
    burst: fc.integer({ min: 0, max: 100_000 }),
    nodelay: fc.boolean(),
    paths: fc.array(fc.oneof(urlPath, fc.constantFrom("/", "/api/login", "/health")), { minLength: 1, maxLength: 32 }),
  }, { requiredKeys: [] }),
  connectionsPerIp: fc.integer({ min: 1, max: 65535 }),
  blockedIps: fc.array(blockedAddress, { maxLength: 20 }),
  maintenance: fc.boolean(),
  isolate: fc.boolean(),
  tls: fc.constantFrom({ mode: "selfSigned" }, { mode: "hostFiles", certificatePath: "/etc/letsencrypt/live/dean/fullchain.pem", keyPath: "/etc/letsencrypt/live/dean/privkey.pem" }),
}, { requiredKeys: [] });

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `edit` over `base`, objects merged key by key. */
function merged(base: unknown, edit: unknown): unknown {
  if (!isObject(base) || !isObject(edit)) return edit;
  return Object.fromEntries([...new Set([...Object.keys(base), ...Object.keys(edit)])].map((key) => [key, key in edit ? merged(base[key], edit[key]) : base[key]]));
}

describeWithBinaries("nginx -t on the nginx.conf of every mutated prod config that loads", { nginx: findTestNginx(), openssl: findBinary("openssl") }, (bin) => {
  let dir: string;
  let tls: { certificatePath: string; keyPath: string };

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "dean-config-fuzz-"));
    tls = makeSelfSignedCertificate(bin.openssl, dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  let checked = 0;
  const nginxAccepts = async (config: StackConfig): Promise<void> => {
    const confPath = writeNginxFiles(path.join(dir, `fuzz-${checked++}`), {
      conf: renderNginxConf({
        nginx: config.nginx,
        resolver: "127.0.0.11",
        replicaAlias: { host: "orchestrator", port: config.orchestrator.port },
        tlsCertificatePath: tls.certificatePath,
        tlsKeyPath: tls.keyPath,
        maintenancePageDir: dir,
      }),
      upstreamServers: renderUpstreamServers(Array.from({ length: config.orchestrator.replicas }, (_, index) => `dean-orchestrator-${index + 1}-a1b2c3d`), config.orchestrator.port),
    });
    const result = await nginxTest(bin.nginx, confPath, dir);
    if (!result.ok) throw new Error(`nginx -t refused the conf of a config that loaded:\n${result.report}\nnginx settings: ${JSON.stringify(config.nginx).slice(0, 2000)}`);
  };

  test("edits of dean:nginx across the schema's range: loaded ones pass nginx -t", async () => {
    let loaded = 0;
    await fc.assert(
      fc.asyncProperty(nginxEdit, async (edit) => {
        const outcome = loadStackText(prodWith((config) => {
          config["dean:nginx"] = merged(config["dean:nginx"], edit);
        }));
        if (!("config" in outcome)) return;
        loaded++;
        await nginxAccepts(outcome.config);
      }),
      fuzzParameters(120),
    );
    // Most edits are valid, so nginx really sees the edges of the schema.
    process.stderr.write(`config fuzz: ${loaded} edited configs loaded and passed nginx -t\n`);
    expect(loaded).toBeGreaterThan(40);
  });

  test("general mutations of the prod file: loaded ones pass nginx -t", async () => {
    let loaded = 0;
    await fc.assert(
      fc.asyncProperty(mutationsArbitrary, async (mutations) => {
        const outcome = loadStackText(mutatedProdText(mutations));
        if (!("config" in outcome)) return;
        loaded++;
        await nginxAccepts(outcome.config);
      }),
      fuzzParameters(300),
    );
    expect(loaded).toBeGreaterThan(10);
  });
});

describeWithBinaries("the self-signed certificate's openssl command", { openssl: findBinary("openssl") }, () => {
  const run = (serverName: string) => runCaptured("/bin/sh", ["-c", selfSignedCommand(serverName)], { timeoutMs: 60_000 });

  test("prints the certificate and key for a name the schema accepts", async () => {
    const result = await run("dean.example.com");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("-----BEGIN CERTIFICATE-----");
    expect(result.stdout).toContain("-----BEGIN PRIVATE KEY-----");
  });

  test("a CN over 64 characters fails with openssl's own reason, and no key is printed", async () => {
    // The schema refuses this name with selfSigned TLS; the command still explains itself.
    const result = await run(`${"a".repeat(60)}.example.com`);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/string too long|maxsize=64/);
    expect(result.stderr).toContain("(dean:nginx.serverName)");
    expect(result.stdout).not.toContain("PRIVATE KEY");
  });
});
