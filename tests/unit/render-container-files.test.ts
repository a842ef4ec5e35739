import { fileVariable, filesDigest } from "../../components/container-files";
import { renderFilesWriterScript } from "../../components/render/container-files";

describe("the files writer script", () => {
  const script = renderFilesWriterScript("/dean-files", [
    { name: "redis.conf", mode: "0644", from: { variable: "DEAN_FILE_REDIS_CONF" } },
    { name: "password", mode: "0400", from: "stdin", owner: "postgres:postgres" },
  ]);

  it("writes each file beside the old one and renames it into place, from its variable or stdin", () => {
    expect(script).toContain(`printf '%s' "$DEAN_FILE_REDIS_CONF" | put 'redis.conf' 0644 ''`);
    expect(script).toMatch(/^put 'password' 0400 'postgres:postgres'$/m);
    expect(script).toMatch(/mv -f "\.\$1\.new" "\$1"/);
    // Mode and owner are set before the rename: the file is never in place with others' access.
    expect(script.indexOf("chmod")).toBeLessThan(script.indexOf("mv -f"));
    expect(script.indexOf("chown")).toBeLessThan(script.indexOf("mv -f"));
  });

  it("keeps only the files it names", () => {
    expect(script).toContain(`'redis.conf'|'password') ;;`);
    expect(script).toContain(`*) rm -rf -- "$entry" ;;`);
  });

  it("refuses what it could not write safely, naming every problem", () => {
    expect(() => renderFilesWriterScript("/", [
      { name: "../etc/passwd", mode: "644", from: { variable: "lower" } },
      { name: "a", mode: "0644", from: "stdin" },
      { name: "b", mode: "0644", from: "stdin", owner: "root; rm -rf /" },
    ])).toThrow(new RegExp([
      "dir must be an absolute path other than /",
      "only one file can come from stdin",
      'file name "\\.\\./etc/passwd" must be letters',
      'mode of \\.\\./etc/passwd must be octal such as 0644 \\(got "644"\\)',
      'variable of \\.\\./etc/passwd must be an environment variable name \\(got "lower"\\)',
      "owner of b must be user\\[:group\\]",
    ].join(".*")));
    expect(() => renderFilesWriterScript("/x", [])).toThrow("there must be a file to write");
  });
});

describe("the files of a container", () => {
  it("each travels in a variable named after it", () => {
    expect(fileVariable("redis.conf")).toBe("DEAN_FILE_REDIS_CONF");
    expect(fileVariable("dean-redis-cli")).toBe("DEAN_FILE_DEAN_REDIS_CLI");
  });

  it("their digest (the writer's trigger) changes with a name, a mode or the text, and only then", () => {
    const files = [{ name: "a", content: "x" }, { name: "b", content: "y", executable: true }];
    const digest = filesDigest(files);
    expect(filesDigest(structuredClone(files))).toBe(digest);
    for (const changed of [
      [{ name: "a", content: "x" }, { name: "c", content: "y", executable: true }],
      [{ name: "a", content: "x" }, { name: "b", content: "y" }],
      [{ name: "a", content: "x " }, { name: "b", content: "y", executable: true }],
    ]) expect(filesDigest(changed)).not.toBe(digest);
  });
});
