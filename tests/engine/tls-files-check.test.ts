import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { hostTlsFilesScript } from "../../components/nginx";
import { missingPrerequisite } from "../../tools/stack-driver/prerequisites";
import { runCaptured } from "../integration/support/processes";
import { describeWithPrerequisite } from "../support/prerequisites";

/**
 * The hostFiles TLS check the program runs before nginx, executed for real against the local
 * Docker engine: a missing path or a directory fails with the config key and the path named,
 * and nothing is created on the host; two files pass.
 */

const IMAGE = "dean-local/nginx:sid";
describeWithPrerequisite("the hostFiles TLS check on the Docker host", missingPrerequisite([IMAGE]), () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "dean-tls-check-"));
    writeFileSync(path.join(dir, "fullchain.pem"), "certificate\n");
    writeFileSync(path.join(dir, "privkey.pem"), "key\n");
    mkdirSync(path.join(dir, "a-directory"));
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const check = (certificatePath: string, keyPath: string) =>
    runCaptured("bash", ["-c", hostTlsFilesScript({ certificatePath, keyPath })], { env: { ...process.env, IMAGE }, timeoutMs: 60_000 });

  test("passes when both are files", async () => {
    const result = await check(path.join(dir, "fullchain.pem"), path.join(dir, "privkey.pem"));
    expect([result.code, result.stderr]).toEqual([0, ""]);
  });

  test("fails naming the key and path of a missing file, and creates nothing there", async () => {
    const missing = path.join(dir, "not-there", "privkey.pem");
    const result = await check(path.join(dir, "fullchain.pem"), missing);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`dean:nginx.tls.keyPath: ${missing} is not a readable file on the Docker host`);
    expect(() => rmSync(path.join(dir, "not-there"))).toThrow(/ENOENT/);
  });

  test("fails on a directory where a file should be", async () => {
    const result = await check(path.join(dir, "a-directory"), path.join(dir, "privkey.pem"));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`dean:nginx.tls.certificatePath: ${path.join(dir, "a-directory")} is not a readable file`);
  });
});
