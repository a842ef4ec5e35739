import { spawnSync } from "node:child_process";
import { mkdtempSync, openSync, readdirSync, readFileSync, closeSync, readSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type FileToWrite, renderFilesWriterScript } from "../../components/render/container-files";
import { describeWithBinaries, findBinary } from "./support/binaries";

/**
 * The script that writes a service container's files into their volume, run by the real `sh`
 * (dash, as in the Debian-based images) on a directory standing in for the volume.
 */
describeWithBinaries("the files writer script with the real sh", { sh: findBinary("sh") }, (bin) => {
  let dir: string;
  const owner = os.userInfo().username;
  const files: FileToWrite[] = [
    { name: "redis.conf", mode: "0644", from: { variable: "DEAN_FILE_REDIS_CONF" } },
    { name: "dean-redis-cli", mode: "0755", from: { variable: "DEAN_FILE_DEAN_REDIS_CLI" } },
    { name: "secret", mode: "0400", from: "stdin", owner },
  ];
  const write = (env: Record<string, string>, stdin: string, list: readonly FileToWrite[] = files) =>
    spawnSync(bin.sh, ["-c", renderFilesWriterScript(dir, list)], { env: { PATH: process.env.PATH, ...env }, input: stdin, encoding: "utf8" });

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "dean-container-files-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("writes every file byte for byte, with its mode, the secret from stdin owned as asked", () => {
    const conf = "port 6379\n# ünïcode, 'quotes', \"double\", $HOME and `backticks` stay as written\n\n";
    const result = write({ DEAN_FILE_REDIS_CONF: conf, DEAN_FILE_DEAN_REDIS_CLI: "#!/bin/sh\nexec redis-cli \"$@\"" }, "s3cret\nwith a newline\n");
    expect([result.status, result.stderr]).toEqual([0, ""]);
    expect(readFileSync(path.join(dir, "redis.conf"), "utf8")).toBe(conf);
    expect(readFileSync(path.join(dir, "dean-redis-cli"), "utf8")).toBe("#!/bin/sh\nexec redis-cli \"$@\"");
    expect(readFileSync(path.join(dir, "secret"), "utf8")).toBe("s3cret\nwith a newline\n");
    const mode = (name: string) => (statSync(path.join(dir, name)).mode & 0o7777).toString(8);
    expect([mode("redis.conf"), mode("dean-redis-cli"), mode("secret")]).toEqual(["644", "755", "400"]);
    expect(statSync(path.join(dir, "secret")).uid).toBe(os.userInfo().uid);
    expect(readdirSync(dir).sort()).toEqual(["dean-redis-cli", "redis.conf", "secret"]);
  });

  test("a new version replaces each file by rename: a reader of the old one keeps it whole; files no longer listed and leftovers go", () => {
    expect(write({ DEAN_FILE_REDIS_CONF: "old\n", DEAN_FILE_DEAN_REDIS_CLI: "old" }, "old").status).toBe(0);
    writeFileSync(path.join(dir, "stale-script"), "x");
    writeFileSync(path.join(dir, ".redis.conf.new"), "interrupted");
    const reader = openSync(path.join(dir, "redis.conf"), "r");
    try {
      const result = write({ DEAN_FILE_REDIS_CONF: "new\n" }, "", [files[0]]);
      expect([result.status, result.stderr]).toEqual([0, ""]);
      const buffer = Buffer.alloc(16);
      expect(buffer.subarray(0, readSync(reader, buffer, 0, 16, 0)).toString()).toBe("old\n");
    } finally {
      closeSync(reader);
    }
    expect(readFileSync(path.join(dir, "redis.conf"), "utf8")).toBe("new\n");
    expect(readdirSync(dir)).toEqual(["redis.conf"]);
  });

  test("fails, leaving the files in place, when a file cannot be written", () => {
    expect(write({ DEAN_FILE_REDIS_CONF: "kept\n", DEAN_FILE_DEAN_REDIS_CLI: "kept" }, "kept").status).toBe(0);
    const result = write({ DEAN_FILE_REDIS_CONF: "new\n", DEAN_FILE_DEAN_REDIS_CLI: "new" }, "new", [...files.slice(0, 2), { ...files[2], owner: "no-such-user-dean" }]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/no-such-user-dean/);
    expect(readFileSync(path.join(dir, "secret"), "utf8")).toBe("kept");
  });
});
