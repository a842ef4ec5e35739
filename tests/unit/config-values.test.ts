import { showValue } from "../../components/config-display";
import { dnsNameProblem } from "../../components/dns-name";
import { durationProblem, durationSeconds } from "../../components/duration";
import { hostPathProblem, normaliseHostPath } from "../../components/host-path";
import { bindAddressProblem, blockedAddressProblem } from "../../components/ipv4";
import { reservedNameProblem } from "../../components/postgres-names";

/** The value rules behind the schema, at their edges. */

describe("showing refused values", () => {
  test("short values are JSON, long ones cut with their size", () => {
    expect(showValue("abc")).toBe('"abc"');
    expect(showValue(Number.NaN)).toBe("NaN");
    expect(showValue(undefined)).toBe("nothing");
    expect(showValue("x".repeat(100_000))).toBe(`"${"x".repeat(79)}… (100000 characters)`);
    expect(showValue(Array.from({ length: 1000 }, () => 1))).toMatch(/… \(1000 items\)$/);
  });

  test("a cycle or a huge nested value costs no more than the bound", () => {
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(showValue(cyclic)).toBe("[<cycle>]");
    let deep: unknown = "x".repeat(1000);
    for (let level = 0; level < 20; level++) deep = Array.from({ length: 10 }, () => deep);
    expect(showValue(deep).length).toBeLessThan(120);
  });
});

describe("host paths", () => {
  test.each([
    ["/var//run/./docker.sock/", "/var/run/docker.sock"],
    ["/.", "/"],
    ["/backups/dean", "/backups/dean"],
  ])("%s normalises to %s", (given, normal) => expect(normaliseHostPath(given)).toBe(normal));

  test.each([
    ["/backups/dean", "read-write"],
    ["/srv/dean/backups", "read-write"],
    ["/etc/dean/tls/privkey.pem", "read-only"],
    ["/etc/letsencrypt/live/dean.example.com/fullchain.pem", "read-only"],
    ["/home/deploy/certs/key.pem", "read-only"],
  ] as const)("%s may be mounted %s", (given, access) => expect(hostPathProblem(given, access)).toBeUndefined());

  test.each([
    ["/", "read-only", "must not be the host's root directory"],
    ["/var/run/docker.sock", "read-only", "must not be /var/run or anything inside it"],
    ["/var/lib/docker/volumes", "read-only", "must not be /var/lib/docker or anything inside it"],
    ["/etc/ssh/ssh_host_rsa_key", "read-only", "must not be /etc/ssh or anything inside it"],
    ["/usr", "read-only", "must not be the system directory /usr itself"],
    ["/usr/local/backups", "read-write", "must not be inside /usr: the container writes there"],
    ["relative/path", "read-only", "must be an absolute path on the Docker host"],
    ["/back ups", "read-write", "must not contain whitespace"],
  ] as const)("%s (%s) is refused", (given, access, message) => expect(hostPathProblem(given, access)).toContain(message));
});

describe("addresses", () => {
  test.each(["0.0.0.0", "127.0.0.1", "10.1.2.3", "203.0.113.7"])("ports may be published on %s", (address) => expect(bindAddressProblem(address)).toBeUndefined());
  test.each(["0.1.2.3", "224.0.0.1", "239.255.255.255", "240.0.0.1", "255.255.255.255", "010.0.0.1", "1.2.3"])("not on %s", (address) => expect(bindAddressProblem(address)).toMatch(/^must be/));

  test.each(["1.2.3.4", "10.0.0.0/8", "198.51.100.0/24", "203.0.113.7/32"])("%s may be blocked", (entry) => expect(blockedAddressProblem(entry)).toBeUndefined());
  test.each([
    ["0.0.0.0/0", "a /0 denies 4,294,967,296 addresses, everyone"],
    ["10.0.0.0/7", "must not be wider than a /8"],
    ["192.168.1.1/24", "did you mean 192.168.1.0/24?"],
    ["10.0.0.0/33", "must be an IPv4 address or CIDR range"],
    ["10.0.0.0/08", "must be an IPv4 address or CIDR range"],
  ])("%s may not be blocked", (entry, message) => expect(blockedAddressProblem(entry)).toContain(message));
});

describe("server names", () => {
  const label63 = "a".repeat(63);
  test.each(["localhost", "dean.example.com", "xn--bcher-kva.example", `${label63}.${label63}.${label63}.${"b".repeat(61)}`, "1.2.3.4"])("%s is a DNS name", (name) => expect(dnsNameProblem(name)).toBeUndefined());
  test.each(["", ".", "a..b", "example.com.", "-a.example", "a-.example", "dean_api.example", `${"a".repeat(64)}.example`, `${label63}.${label63}.${label63}.${"b".repeat(62)}`, "*.example.com"])("%j is not", (name) => expect(dnsNameProblem(name)).toMatch(/^must be a DNS host name/));
});

describe("durations and PostgreSQL names", () => {
  test("backup intervals are bounded before they are multiplied out", () => {
    expect(durationSeconds("24h")).toBe(86400);
    expect(durationProblem("10s", "10s", "30d")).toBeUndefined();
    expect(durationProblem("30d", "10s", "30d")).toBeUndefined();
    expect(durationProblem("9s", "10s", "30d")).toMatch(/^must be a duration between 10s and 30d/);
    expect(durationProblem("721h", "10s", "30d")).toMatch(/^must be/);
    expect(durationProblem("1e9s", "10s", "30d")).toMatch(/^must be/);
  });

  test("the superuser may be postgres; the database and the application role may not", () => {
    expect(reservedNameProblem("postgres", "superuser")).toBeUndefined();
    expect(reservedNameProblem("postgres", "database")).toMatch(/^must not be a name PostgreSQL reserves/);
    expect(reservedNameProblem("postgres", "role")).toMatch(/^must not be/);
    expect(reservedNameProblem("pg_signal_backend", "superuser")).toMatch(/^must not start with pg_/);
    expect(reservedNameProblem("dean_production", "database")).toBeUndefined();
  });
});
