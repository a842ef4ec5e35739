import { readFileSync } from "node:fs";
import path from "node:path";
import { meetsNginxMinimum, NGINX_MINIMUM_VERSION, nginxVersionOfImage } from "../../components/render/nginx-version";
import { readStackConfigFile, stackFilePath } from "../../tools/stack-config-file";

describe("the nginx version the rendered config needs", () => {
  test.each([
    ["nginx:1.27.4-bookworm", "1.27.4", true],
    ["nginx:1.27.3-bookworm", "1.27.3", false],
    ["nginx:1.27.2", "1.27.2", false],
    ["nginx:1.27", "1.27", true],
    ["nginx:1.26-alpine", "1.26", false],
    ["nginx:1.30.0-trixie", "1.30.0", true],
    ["nginx:2.0.0", "2.0.0", true],
    ["registry.example.com:5000/nginx:1.28.1@sha256:" + "a".repeat(64), "1.28.1", true],
  ])("%s is nginx %s: enough = %s", (image, version, enough) => {
    expect(nginxVersionOfImage(image)).toBe(version);
    expect(meetsNginxMinimum(version)).toBe(enough);
  });

  test.each(["dean-local/nginx:sid", "nginx@sha256:" + "b".repeat(64), "registry.example.com:5000/nginx:stable"])("%s names no version: not refused", (image) => {
    expect(nginxVersionOfImage(image)).toBeUndefined();
  });

  test("the prod pin and the test image's Dockerfile check agree on the minimum", () => {
    const prod = readStackConfigFile(stackFilePath(path.join(__dirname, "../.."), "prod"));
    const pinned = nginxVersionOfImage((JSON.parse(prod.values["dean:images"]) as { nginx: string }).nginx);
    expect(pinned).toBeDefined();
    expect(meetsNginxMinimum(String(pinned))).toBe(true);
    expect(readFileSync(path.join(__dirname, "../../images/nginx/Dockerfile"), "utf8")).toContain(`= ${NGINX_MINIMUM_VERSION} ]`);
  });
});
