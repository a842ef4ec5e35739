import { effectiveAll, effectiveOne, isProxied, locations, NginxSyntaxError, parseNginxConf } from "../../policies/lib/nginx-conf";

/** The pack's nginx.conf reader: rate limits are only as right as its inheritance rules. */

const conf = `
# comment; with { braces }
http {
  limit_req_zone $binary_remote_addr zone=api:10m rate=1r/s;
  limit_req_status 429;
  log_format j escape=json '{"a":"$remote_addr"}';
  server {
    listen 443 ssl;
    limit_req zone=api burst=5;
    set $up "http://orchestrator:8082";
    location = /health { proxy_pass $up; }
    location / { proxy_pass \${up}; }
    location ^~ /api/auth/ {
      limit_req zone=auth;
      proxy_pass $up;
      location /api/auth/inner { if ($request_method = POST) { proxy_pass $up; } }
    }
    location /static { root /srv; }
  }
}
`;

test("parses directives, blocks, quotes, comments and ${variables}", () => {
  const [http] = parseNginxConf(conf);
  expect(http.name).toBe("http");
  expect(http.block?.find((d) => d.name === "log_format")?.args).toEqual(["j", "escape=json", '{"a":"$remote_addr"}']);
  const server = http.block?.find((d) => d.name === "server");
  expect(server?.block?.find((d) => d.name === "set")?.args).toEqual(["$up", "http://orchestrator:8082"]);
  expect(locations(parseNginxConf(conf)).map((l) => l.location.args.join(" "))).toEqual(["= /health", "/", "^~ /api/auth/", "/api/auth/inner", "/static"]);
});

test("limit_req is inherited only by levels that declare none; other directives from the nearest level", () => {
  const byPath = new Map(locations(parseNginxConf(conf)).map((context) => [context.location.args.join(" "), context]));
  const at = (path: string) => {
    const context = byPath.get(path);
    if (!context) throw new Error(`no location ${path}`);
    return context;
  };
  const zones = (path: string) => effectiveAll(at(path), "limit_req").map((d) => d.args[0]);
  expect(zones("/")).toEqual(["zone=api"]);
  expect(zones("^~ /api/auth/")).toEqual(["zone=auth"]);
  expect(zones("/api/auth/inner")).toEqual(["zone=auth"]);
  expect(effectiveOne(at("/"), "limit_req_status")?.args).toEqual(["429"]);
  expect(effectiveOne(at("/"), "limit_req_dry_run")).toBeUndefined();
  expect(["/", "/api/auth/inner", "/static"].map((path) => isProxied(at(path).location))).toEqual([true, true, false]);
});

test.each([
  ["http { server { listen 80; }", /a block is not closed/],
  ["http { listen 80 }", /`listen` is not terminated by `;`/],
  ["}", /unexpected `}`/],
  ["log_format 'unterminated;", /unterminated ' quote/],
])("refuses %j", (text, message) => {
  expect(() => parseNginxConf(text)).toThrow(NginxSyntaxError);
  expect(() => parseNginxConf(text)).toThrow(message);
});
