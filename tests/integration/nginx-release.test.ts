import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseStackConfig, type NginxSettings } from "../../components/config";
import { renderMaintenancePage } from "../../components/render/maintenance-page";
import { CLIENT_KEEPALIVE_MIN_SECONDS, renderNginxConf, renderUpstreamServers } from "../../components/render/nginx-conf";
import {
  currentConfPath, currentMaintenanceDir, MAINTENANCE_PAGE_VARIABLE, NGINX_CONF_VARIABLE, RELEASE_TLS_CERTIFICATE, RELEASE_TLS_KEY,
  renderNginxReleaseScript, renderNginxSwitchScript, UPSTREAM_SERVERS_VARIABLE,
} from "../../components/render/nginx-release";
import { describeWithBinaries, findBinary, findTestNginx } from "./support/binaries";
import { keptConnection } from "./support/kept-connection";
import { bindToLoopback, makeSelfSignedCertificate, request, runNginx, startStandInOrchestrator, type StandInOrchestrator } from "./support/nginx";
import { freePort, type RunningProcess, stopPid, waitFor } from "./support/processes";

jest.setTimeout(90_000);

const settings = (extra: Record<string, unknown> = {}): NginxSettings =>
  parseStackConfig({ environment: "dev", nginx: { rateLimit: { ratePerSecond: 1000, burst: 1000, nodelay: true }, ...extra } }).nginx;

interface ScriptResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The scripts of components/nginx.ts against the test image's nginx on loopback: releases written,
 * checked and switched on a scratch config root as in the container's volume, the switch
 * reloading a running nginx while requests keep coming.
 */
describeWithBinaries("nginx configuration releases and reloads under real nginx", { nginx: findTestNginx(), openssl: findBinary("openssl") }, (bin) => {
  let dir: string;
  let root: string;
  let tlsPem: string;
  let orchestrator: StandInOrchestrator;
  let httpPort: number;
  let httpsPort: number;
  let nginx: RunningProcess | undefined;
  let deadAliasPort: number;

  const render = (nginxSettings: NginxSettings): string => bindToLoopback(renderNginxConf({
    nginx: nginxSettings,
    resolver: "127.0.0.1",
    // Nothing listens there: a request the upstream gave up on fails instead of being resent,
    // so the drain test sees every request the upstream could not place.
    replicaAlias: { host: "127.0.0.1", port: deadAliasPort },
    tlsCertificatePath: RELEASE_TLS_CERTIFICATE,
    tlsKeyPath: RELEASE_TLS_KEY,
    maintenancePageDir: currentMaintenanceDir(root),
  }), httpPort, httpsPort);

  /** Runs a script with sh, asynchronously: the test's load keeps going meanwhile. Bounded: killed after 30 s. */
  const run = (script: string, args: readonly string[], input: string, env: NodeJS.ProcessEnv = {}): Promise<ScriptResult> =>
    new Promise((resolve, reject) => {
      const child = spawn("sh", ["-c", script, "sh", ...args], {
        env: { ...process.env, PATH: `${path.dirname(bin.nginx)}:${process.env.PATH ?? ""}`, ...env },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      child.on("error", reject);
      child.on("close", (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
      child.stdin.end(input);
    });
  /** The release step, as the program's release command runs it; the upstream is the stand-in unless told. */
  const release = (conf: string, tls = tlsPem, upstreamPorts: readonly number[] = [orchestrator.port]): Promise<ScriptResult> =>
    run(renderNginxReleaseScript(root), [], tls, {
      [NGINX_CONF_VARIABLE]: conf,
      [UPSTREAM_SERVERS_VARIABLE]: upstreamPorts.map((port) => renderUpstreamServers(["127.0.0.1"], port)).join(""),
      [MAINTENANCE_PAGE_VARIABLE]: renderMaintenancePage(),
    });
  const releaseOk = async (conf: string, upstreamPorts?: readonly number[]): Promise<string> => {
    const result = await release(conf, tlsPem, upstreamPorts);
    if (result.status !== 0) throw new Error(`the release failed: ${result.stderr}`);
    return result.stdout.trim();
  };
  /** The switch step, as the program's reload command runs it in the container (there nginx's master is PID 1). */
  const switchTo = (id: string): Promise<ScriptResult> => {
    if (!nginx) throw new Error("nginx is not running");
    return run(renderNginxSwitchScript(root, String(nginx.pid)), [id], "");
  };
  /** nginx workers still finishing under an older configuration (their title says so). */
  const shuttingDownWorkers = (): number => {
    if (!nginx) throw new Error("nginx is not running");
    const children = readFileSync(`/proc/${nginx.pid}/task/${nginx.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
    return children.filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("shutting down");
      } catch {
        return false;
      }
    }).length;
  };
  const live = (): string => path.basename(readlinkSync(path.join(root, "current")));
  const httpsGet = (pathAndQuery: string) => request(`https://127.0.0.1:${httpsPort}${pathAndQuery}`);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "dean-nginx-release-"));
    // nginx's workers run unprivileged and read the maintenance page below it.
    chmodSync(dir, 0o755);
    root = path.join(dir, "config");
    const tls = makeSelfSignedCertificate(bin.openssl, dir);
    // Key first, as an operator might paste them: the script sorts the blocks out.
    tlsPem = `${readFileSync(tls.keyPath, "utf8")}${readFileSync(tls.certificatePath, "utf8")}`;
    orchestrator = await startStandInOrchestrator();
    httpPort = await freePort();
    httpsPort = await freePort();
    deadAliasPort = await freePort();
  });

  afterAll(async () => {
    if (nginx) await stopPid(nginx.pid, "SIGTERM", 10_000);
    await orchestrator?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("a first release is checked, becomes current, holds the TLS pair (key readable by root only) and is named by its content", async () => {
    const id = await releaseOk(render(settings()));
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(live()).toBe(id);
    const dirOf = path.join(root, "releases", id);
    expect(readFileSync(path.join(dirOf, RELEASE_TLS_CERTIFICATE), "utf8")).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    expect(readFileSync(path.join(dirOf, RELEASE_TLS_KEY), "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
    expect(statSync(path.join(dirOf, RELEASE_TLS_KEY)).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(dirOf, "maintenance", "maintenance.html"), "utf8")).toBe(renderMaintenancePage());
    // The same files give the same release; a later release does not move `current` by itself.
    expect(await releaseOk(render(settings()))).toBe(id);
    const maintenance = await releaseOk(render(settings({ maintenance: true })));
    expect(maintenance).not.toBe(id);
    expect(live()).toBe(id);
  });

  test("nginx runs from current; switching reloads it without refusing or failing one request, and maintenance is served", async () => {
    nginx = await runNginx(bin.nginx, currentConfPath(root), dir, "nginx", [httpPort, httpsPort]);
    expect((await httpsGet("/api/evolution/trials")).status).toBe(200);
    const maintenance = await releaseOk(render(settings({ maintenance: true })));
    const normal = live();

    // Bounded steady load on /health (proxied in both modes) while the config switches four times.
    let stop = false;
    const outcomes: string[] = [];
    const client = async (): Promise<void> => {
      for (let sent = 0; sent < 2_000 && !stop; sent++) {
        try {
          outcomes.push(String((await httpsGet("/health")).status));
        } catch (error) {
          outcomes.push((error as Error).message);
        }
      }
    };
    const load = Promise.all([client(), client(), client()]);
    const served: number[] = [];
    try {
      for (const id of [maintenance, normal, maintenance, normal]) {
        expect(await switchTo(id)).toMatchObject({ status: 0, stderr: "" });
        expect(live()).toBe(id);
        served.push((await httpsGet("/api/evolution/trials")).status);
      }
    } finally {
      stop = true;
      await load;
    }
    expect(served).toEqual([503, 200, 503, 200]);
    expect(outcomes.length).toBeGreaterThan(50);
    expect(outcomes.filter((outcome) => outcome !== "200")).toEqual([]);
  });

  test("a client's kept connection outlives a reload: the old worker answers its next request with Connection: close instead of resetting it, and the switch returns once the old workers are gone", async () => {
    // The rendered 2 s (CLIENT_KEEPALIVE_MIN_SECONDS), raised so that how long this machine takes
    // between the two requests cannot decide the outcome; the behaviour is the directive's.
    const rendered = render(settings());
    const patient = rendered.replace(`keepalive_min_timeout ${CLIENT_KEEPALIVE_MIN_SECONDS}s;`, "keepalive_min_timeout 30s;");
    expect(patient).not.toBe(rendered);
    expect(await switchTo(await releaseOk(patient))).toMatchObject({ status: 0, stderr: "" });
    const next = await releaseOk(render(settings({ blockedIps: ["192.0.2.1"] })));

    const kept = await keptConnection(httpsPort);
    try {
      const first = await kept.get("/api/evolution/trials");
      expect([first.status, first.headers.connection]).toEqual([200, "keep-alive"]);
      // The reload runs while the connection is idle; the old worker does not close it.
      const switching = switchTo(next);
      await waitFor("the old worker to be shutting down", async () => (shuttingDownWorkers() > 0 ? true : undefined), 10_000, 20);
      const second = await kept.get("/api/evolution/trials");
      expect([second.status, second.headers.connection]).toEqual([200, "close"]);
      await kept.closedByServer;
      expect(await switching).toMatchObject({ status: 0, stderr: "" });
      // The switch waited for the old worker, which left once its client had its answer.
      expect(shuttingDownWorkers()).toBe(0);
    } finally {
      kept.socket.destroy();
    }
  });

  test("a configuration nginx -t refuses fails the release, says why, and leaves current and the running nginx alone", async () => {
    const before = live();
    const servedBefore = (await httpsGet("/api/evolution/trials")).status;
    const broken = render(settings()).replace("server_tokens off;", "server_tokens off;\n    no_such_directive on;");
    const result = await release(broken);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("nginx -t refused the new configuration; the running one is unchanged");
    expect(result.stderr).toContain('unknown directive "no_such_directive"');
    expect(live()).toBe(before);
    expect(readdirSync(path.join(root, "releases")).filter((entry) => entry.startsWith("."))).toEqual([]);
    expect((await httpsGet("/api/evolution/trials")).status).toBe(servedBefore);
  });

  test("a release nginx cannot load (a port already taken) is rolled back: the previous release stays current and serving", async () => {
    const before = live();
    const servedBefore = (await httpsGet("/api/evolution/trials")).status;
    const taken = net.createServer();
    const takenPort = await freePort();
    await new Promise<void>((resolve) => taken.listen(takenPort, "127.0.0.1", resolve));
    try {
      // nginx -t does not bind ports, so only the reload finds out.
      const clash = await releaseOk(render(settings()).replace(`listen 127.0.0.1:${httpPort} default_server;`, `listen 127.0.0.1:${httpPort} default_server;\n    listen 127.0.0.1:${takenPort};`));
      const result = await switchTo(clash);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`nginx did not load configuration release ${clash} within 10 s and goes on serving release ${before}`);
      expect(live()).toBe(before);
      expect((await httpsGet("/api/evolution/trials")).status).toBe(servedBefore);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  test("a replica left out of a release is drained: after the switch it gets no request, and stopping it then fails none", async () => {
    const leaving = await startStandInOrchestrator();
    let leavingClosed = false;
    try {
      const both = await releaseOk(render(settings()), [orchestrator.port, leaving.port]);
      expect(await switchTo(both)).toMatchObject({ status: 0 });
      // Both replicas serve (round robin over two servers: 20 requests reach each).
      for (let sent = 0; sent < 40; sent++) expect((await httpsGet("/api/evolution/trials")).status).toBe(200);
      expect(leaving.seen.length).toBeGreaterThan(0);

      // Bounded load on both routes while the replica is taken out and then stopped.
      let stop = false;
      const outcomes: string[] = [];
      const client = async (): Promise<void> => {
        for (let sent = 0; sent < 2_000 && !stop; sent++) {
          try {
            outcomes.push(String((await httpsGet(sent % 2 === 0 ? "/health" : "/api/evolution/trials")).status));
          } catch (error) {
            outcomes.push((error as Error).message);
          }
        }
      };
      const load = Promise.all([client(), client(), client()]);
      let seenAfterSwitch = -1;
      try {
        const without = await releaseOk(render(settings()), [orchestrator.port]);
        expect(await switchTo(without)).toMatchObject({ status: 0, stderr: "" });
        // The old workers finish what they had started; give them the time to exit.
        await waitFor("the old workers to exit", async () => (shuttingDownWorkers() === 0 ? true : undefined), 10_000, 100);
        seenAfterSwitch = leaving.seen.length;
        for (let sent = 0; sent < 40; sent++) expect((await httpsGet("/api/evolution/trials")).status).toBe(200);
        expect(leaving.seen.length).toBe(seenAfterSwitch);
        await leaving.close();
        leavingClosed = true;
        for (let sent = 0; sent < 20; sent++) expect((await httpsGet("/api/evolution/trials")).status).toBe(200);
      } finally {
        stop = true;
        await load;
      }
      expect(outcomes.length).toBeGreaterThan(50);
      expect(outcomes.filter((outcome) => outcome !== "200")).toEqual([]);
    } finally {
      if (!leavingClosed) await leaving.close();
    }
  });

  test("old releases are pruned: the live one, the newest and two others are kept", async () => {
    let newest = "";
    for (const limit of [1024, 1025, 1026, 1027]) newest = await releaseOk(render({ ...settings(), connectionsPerIp: limit }));
    const releases = readdirSync(path.join(root, "releases"));
    expect(releases).toEqual(expect.arrayContaining([live(), newest]));
    expect(releases).toHaveLength(4);
    expect(existsSync(path.join(root, ".current.next"))).toBe(false);
  });
});
