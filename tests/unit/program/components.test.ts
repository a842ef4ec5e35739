import { type DeclaredResource, ProgramFailure } from "../../../tools/mock-program";
import { COMMAND, envOf, labelsOf, NETWORK, runStack, type StackProgram, VOLUME } from "./harness";

/**
 * What a container's files writer (components/container-files.ts) puts into the volume the
 * container mounts at `dir`: the writer, and the text of each file by name.
 */
function filesOf(program: StackProgram, container: DeclaredResource, dir: string): { writer: DeclaredResource; files: Record<string, string> } {
  const mounts = (container.inputs.volumes ?? []) as { volumeName?: string; containerPath: string; readOnly?: boolean }[];
  const mount = mounts.find((volume) => volume.containerPath === dir);
  if (!mount?.volumeName) throw new Error(`${container.name} mounts no volume at ${dir}`);
  expect(mount.readOnly).toBe(true);
  const writer = program.ofType(COMMAND).find((command) => String(command.inputs.create).includes(`source=${mount.volumeName},`));
  if (!writer) throw new Error(`no command writes ${mount.volumeName}`);
  // The container is replaced with its writer, which a change of the files replaces.
  expect(container.replaceWith).toEqual([writer.urn]);
  expect(container.dependencies).toContain(writer.urn);
  const environment = (writer.inputs.environment ?? {}) as Record<string, string>;
  const script = String(writer.inputs.create);
  const files: Record<string, string> = {};
  for (const [variable, content] of Object.entries(environment)) {
    const name = new RegExp(`"\\$${variable}" \\| put '\\\\''([^']+)'`).exec(script)?.[1];
    if (!name) throw new Error(`${writer.name} does not write ${variable}`);
    files[name] = content;
  }
  return { writer, files };
}

/** The mode the writer gives a file (`put 'name' 0755 ...`). */
function modeOf(writer: DeclaredResource, name: string): string | undefined {
  return new RegExp(`put '\\\\''${name.replace(/\./g, "\\.")}'\\\\'' (0[0-7]{3})`).exec(String(writer.inputs.create))?.[1];
}

/** The command that sets a container's PIDs limit: triggered by the container, naming it in its environment. */
function pidsLimitOf(program: StackProgram, container: DeclaredResource): DeclaredResource {
  const found = program.ofType(COMMAND).filter((command) => command.propertyDependencies.triggers?.includes(container.urn) && String(command.inputs.create).startsWith("docker update"));
  if (found.length !== 1) throw new Error(`expected one PIDs limit command for ${container.name}, found ${found.length}`);
  return found[0];
}

function imageIdOf(program: StackProgram, service: string): unknown {
  const image = program.ofType("docker:index/remoteImage:RemoteImage").find((candidate) => candidate.name.endsWith(`-images-${service}`));
  if (!image) throw new Error(`no ${service} image declared`);
  return image.state.imageId;
}

let prod: StackProgram;
let dev: StackProgram;

beforeAll(async () => {
  prod = await runStack("prod");
  dev = await runStack("dev");
});

describe("every long-running container", () => {
  it.each(["postgres", "redis", "nginx", "backup", "orchestrator"])("%s has limits, a healthcheck, a restart policy, log rotation and labels", (service) => {
    for (const container of prod.containers(service)) {
      expect(container.inputs.cpus).toMatch(/^\d+(\.\d+)?$/);
      expect(container.inputs.memory).toBeGreaterThan(0);
      expect(container.inputs.memoryReservation).toBeLessThanOrEqual(container.inputs.memory as number);
      expect((container.inputs.healthcheck as { tests: string[] }).tests.length).toBeGreaterThan(1);
      expect(container.inputs.restart).toBe("unless-stopped");
      expect(container.inputs.logDriver).toBe("json-file");
      expect(container.inputs.logOpts).toEqual({ "max-size": "50m", "max-file": "10" });
      expect(labelsOf(container)).toMatchObject({ "dean.instance": "dean", "dean.service": service, "dean.managed-by": "pulumi" });
      expect(container.inputs.securityOpts).toEqual(["no-new-privileges:true"]);
      expect(container.inputs.privileged).toBeUndefined();
      // Docker copies no upload into a read-only root filesystem: files come from volumes.
      expect(container.inputs.readOnly).toBe(true);
      expect(container.inputs.uploads ?? []).toEqual([]);
    }
  });

  it.each([
    ["postgres", 512], ["redis", 128], ["nginx", 512], ["backup", 128], ["orchestrator", 1024],
  ] as const)("%s gets its PIDs limit from dean:%s.resources.pidsLimit, set by docker update on every new container", (service, limit) => {
    for (const container of prod.containers(service)) {
      const command = pidsLimitOf(prod, container);
      expect(command.inputs.create).toBe(`docker update --pids-limit ${limit} "$DEAN_CONTAINER"`);
      expect(command.inputs.environment).toEqual({ DEAN_CONTAINER: container.state.name });
      expect(command.inputs.triggers).toEqual([`${container.name}-id`]);
      expect(command.dependencies).toContain(container.urn);
    }
  });

  it("writes only where each service must, on tmpfs mounts that execute nothing", () => {
    const tmpfs = (service: string) => prod.containers(service).map((container) => container.inputs.tmpfs);
    expect(tmpfs("postgres")).toEqual([{
      "/var/run/postgresql": "rw,noexec,nosuid,nodev,size=1m,mode=1777",
      "/tmp": "rw,noexec,nosuid,nodev,size=16m,mode=1777",
    }]);
    expect(tmpfs("redis")).toEqual([undefined]);
    expect(tmpfs("nginx")).toEqual([{
      "/run": "rw,noexec,nosuid,nodev,size=1m,mode=755",
      "/var/lib/nginx": "rw,noexec,nosuid,nodev,size=64m,mode=755",
      "/var/cache/nginx": "rw,noexec,nosuid,nodev,size=64m,mode=755",
    }]);
    expect(tmpfs("backup")).toEqual([{ "/tmp": "rw,noexec,nosuid,nodev,size=16m,mode=1777" }]);
    expect(new Set(tmpfs("orchestrator").map((entry) => JSON.stringify(entry)))).toEqual(new Set([JSON.stringify({ "/tmp": "rw,noexec,nosuid,nodev,size=64m,mode=1777" })]));
  });

  it("writes each container's files from a throwaway, read-only, capability-less container off every network", () => {
    const writers = prod.ofType(COMMAND).filter((command) => command.name.endsWith("-writer"));
    expect(writers.map((writer) => writer.name).sort()).toEqual(["dean-backup-files-writer", "dean-postgres-secrets-writer", "dean-redis-files-writer"]);
    for (const writer of writers) {
      expect(String(writer.inputs.create)).toMatch(/^docker run --rm -i --network none --read-only --cpus 0\.5 --memory 64m --pids-limit 32 --security-opt no-new-privileges:true --cap-drop ALL /);
    }
    // Rendered files and a copy of a secret, no data: deleted with the stack.
    for (const name of ["dean-backup-files", "dean-postgres-secrets", "dean-redis-files"]) expect(prod.named(name)).toMatchObject({ retainOnDelete: false, protect: false });
  });

  it("only nginx publishes on a non-loopback address", () => {
    for (const container of prod.ofType("docker:index/container:Container")) {
      const ports = (container.inputs.ports ?? []) as { ip: string }[];
      const service = labelsOf(container)["dean.service"];
      if (service !== "nginx") expect(ports.every((port) => port.ip === "127.0.0.1")).toBe(true);
    }
  });
});

describe("network", () => {
  it("makes the backend internal and the frontend routable", () => {
    const byName = Object.fromEntries(prod.ofType(NETWORK).map((network) => [network.inputs.name, network.inputs]));
    expect(byName["dean-backend"].internal).toBe(true);
    expect(byName["dean-frontend"].internal).toBeFalsy();
  });
});

describe("postgres", () => {
  it("runs the configured image with the runbook's server settings", () => {
    const server = prod.container("postgres");
    expect(server.inputs.image).toBe(imageIdOf(prod, "postgres"));
    const command = server.inputs.command as string[];
    expect(command[0]).toBe("postgres");
    for (const setting of ["max_connections=200", "shared_preload_libraries=pg_stat_statements", "idle_session_timeout=600s", "idle_in_transaction_session_timeout=300s", "password_encryption=scram-sha-256", "superuser_reserved_connections=3"]) {
      expect(command).toContain(setting);
    }
    expect(command.filter((word) => word === "-c")).toHaveLength((command.length - 1) / 2);
  });

  it("publishes only on loopback, for the provider", () => {
    expect(prod.container("postgres").inputs.ports).toEqual([{ internal: 5432, external: 5432, ip: "127.0.0.1", protocol: "tcp" }].map(({ protocol: _protocol, ...port }) => expect.objectContaining(port)));
  });

  it("waits for pg_isready and is replaced delete-first (one server per volume)", () => {
    const server = prod.container("postgres");
    expect((server.inputs.healthcheck as { tests: string[] }).tests.join(" ")).toContain("pg_isready");
    expect(server.inputs.wait).toBe(true);
    expect(server.deleteBeforeReplace).toBe(true);
  });

  it("hands the superuser password over in a secret file (the image's _FILE convention), never in the environment or a command line", () => {
    const server = prod.container("postgres");
    const password = String(prod.named("dean-secrets-postgres-superuser").state.result);
    const { writer, files } = filesOf(prod, server, "/run/secrets");
    expect(files).toEqual({});
    // On the writer's stdin, secret; written readable by the postgres user only.
    expect(writer.inputs.stdin).toBe(password);
    expect(writer.secretInputPaths).toEqual(expect.arrayContaining(["stdin"]));
    expect(writer.additionalSecretOutputs).toContain("stdin");
    expect(String(writer.inputs.create)).toContain("put '\\''dean-postgres-superuser-password'\\'' 0400 '\\''postgres:postgres'\\''");
    expect(String(writer.inputs.create)).toContain("--cap-drop ALL --cap-add CHOWN ");
    // A new password replaces the writer, and with it the server, as a changed upload did.
    expect(writer.inputs.triggers).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/), password]);
    expect(writer.secretInputPaths).toContain("triggers.1");
    expect(envOf(server)).toMatchObject({ POSTGRES_PASSWORD_FILE: "/run/secrets/dean-postgres-superuser-password" });
    expect(envOf(server).POSTGRES_PASSWORD).toBeUndefined();
    for (const resource of [server, writer]) {
      expect(JSON.stringify([resource.inputs.envs, resource.inputs.command, resource.inputs.create, resource.inputs.environment, resource.inputs.labels])).not.toContain(password);
    }
  });

  it("retains the data volume, and protects it in production only", () => {
    const prodVolume = prod.ofType(VOLUME).find((volume) => volume.inputs.name === "dean-pgdata");
    const devVolume = dev.ofType(VOLUME).find((volume) => volume.inputs.name === "dean-dev-pgdata");
    expect(prodVolume).toMatchObject({ retainOnDelete: true, protect: true });
    expect(devVolume).toMatchObject({ retainOnDelete: true, protect: false });
    expect(prod.container("postgres").inputs.volumes).toEqual([
      expect.objectContaining({ volumeName: "dean-pgdata", containerPath: "/var/lib/postgresql/data" }),
      { volumeName: "dean-postgres-secrets", containerPath: "/run/secrets", readOnly: true },
    ]);
  });

  it("bootstraps over the container's socket with the superuser password on stdin, secret, before the provider connects", () => {
    const bootstrap = prod.named("dean-postgres-bootstrap");
    const password = String(prod.named("dean-secrets-postgres-superuser").state.result);
    expect(bootstrap.inputs.create).toBe("docker exec -i --user postgres dean-postgres psql --no-psqlrc --quiet --username postgres --dbname postgres");
    expect(bootstrap.secretInputPaths).toContain("stdin");
    expect(bootstrap.additionalSecretOutputs).toContain("stdin");
    expect(String(bootstrap.inputs.stdin)).toContain(`ALTER ROLE "postgres" WITH PASSWORD '${password}';`);
    expect(String(bootstrap.inputs.create)).not.toContain(password);
    expect(bootstrap.dependencies).toContain(prod.container("postgres").urn);
    expect(prod.named("dean-postgres-provider").dependencies).toContain(bootstrap.urn);
  });

  it("imports the role and the database under their configured names, after the bootstrap made sure they exist", () => {
    const bootstrap = prod.named("dean-postgres-bootstrap");
    expect(prod.named("dean-postgres-app-role")).toMatchObject({ importId: "dean", retainOnDelete: true });
    expect(prod.named("dean-postgres-database")).toMatchObject({ importId: "dean_production", retainOnDelete: true });
    for (const name of ["dean-postgres-app-role", "dean-postgres-database"]) expect(prod.named(name).dependencies).toContain(bootstrap.urn);
    // Nothing else is adopted: the rest is created (and deleted) by the engine as usual.
    expect(prod.resources.filter((resource) => resource.importId !== "").map((resource) => resource.name).sort()).toEqual(["dean-postgres-app-role", "dean-postgres-database"]);
  });

  it("keeps every data volume's first name and labels: no config change replaces one", () => {
    // prod keeps its dumps in a host directory (dean:backup.hostPath), dev in a volume.
    for (const [program, expected] of [[prod, ["dean-postgres-data", "dean-redis-data"]], [dev, ["dean-backup-data", "dean-postgres-data", "dean-redis-data"]]] as const) {
      // The nginx config volume and the files volumes hold rendered files (and a copy of a secret), no data.
      const volumes = program.ofType(VOLUME).filter((volume) => !["dean-nginx-config", "dean-redis-files", "dean-postgres-secrets", "dean-backup-files"].includes(volume.name));
      expect(volumes.map((volume) => volume.name).sort()).toEqual(expected);
      for (const volume of volumes) expect([volume.name, [...volume.ignoreChanges].sort()]).toEqual([volume.name, ["labels", "name"]]);
    }
  });

  it("creates role, database, extension and grants through the explicit provider", () => {
    const provider = prod.named("dean-postgres-provider");
    // Provider inputs reach the engine as strings.
    expect(provider.inputs).toMatchObject({ host: "127.0.0.1", port: "5432", username: "postgres", superuser: "true" });
    expect(provider.secretInputPaths).toContain("password");
    const role = prod.named("dean-postgres-app-role");
    expect(role.inputs).toMatchObject({ name: "dean", login: true, superuser: false });
    expect(role.secretInputPaths).toContain("password");
    expect(role.inputs.password).toBe(prod.named("dean-secrets-database").state.result);
    const database = prod.named("dean-postgres-database");
    expect(database.inputs).toMatchObject({ name: "dean_production", owner: "dean" });
    expect(database).toMatchObject({ retainOnDelete: true, protect: true });
    expect(prod.named("dean-postgres-pg-stat-statements").inputs).toMatchObject({ name: "pg_stat_statements", database: "dean_production" });
    expect(prod.named("dean-postgres-app-read-all-stats").inputs).toMatchObject({ role: "dean", grantRole: "pg_read_all_stats" });
    expect(prod.named("dean-postgres-public-revoke").inputs).toMatchObject({ role: "public", objectType: "database", privileges: [] });
    for (const name of ["dean-postgres-app-role", "dean-postgres-database", "dean-postgres-pg-stat-statements", "dean-postgres-app-connect"]) {
      expect(prod.named(name).provider).toContain("pulumi:providers:postgresql::dean-postgres-provider");
    }
  });
});

describe("redis", () => {
  it("writes the rendered redis.conf, which holds no credential, beside its scripts on the PATH: users live in the ACL file on the data volume", () => {
    const server = prod.container("redis");
    const { files } = filesOf(prod, server, "/usr/local/sbin");
    const conf = files["redis.conf"];
    const password = String(prod.named("dean-secrets-redis").state.result);
    expect(conf).not.toContain(password);
    expect(conf).not.toMatch(/^requirepass/m);
    expect(conf).toMatch(/^aclfile "\/data\/acl\/users.acl"$/m);
    expect(conf).toMatch(/^maxmemory 2048mb$/m);
    expect(conf).toMatch(/^maxmemory-policy allkeys-lru$/m);
    expect(conf).toMatch(/^notify-keyspace-events "?Ex"?$/m);
  });

  it("no input of the container carries the password, so a rotation cannot replace it", () => {
    const server = prod.container("redis");
    const password = String(prod.named("dean-secrets-redis").state.result);
    expect(JSON.stringify(server.inputs)).not.toContain(password);
    expect(JSON.stringify(prod.named("dean-redis-files-writer").inputs)).not.toContain(password);
    expect(server.inputs.envs ?? []).toEqual([]);
    // The start script, then the image's entrypoint (which drops to the redis user).
    expect(server.inputs.command).toEqual(["/usr/local/sbin/dean-redis-start", "docker-entrypoint.sh", "redis-server", "/usr/local/sbin/redis.conf"]);
    const { writer, files } = filesOf(prod, server, "/usr/local/sbin");
    expect(Object.keys(files).sort()).toEqual(["dean-redis-acl", "dean-redis-cli", "dean-redis-start", "redis.conf"]);
    for (const file of ["dean-redis-start", "dean-redis-cli", "dean-redis-acl"]) expect(modeOf(writer, file)).toBe("0755");
    expect(modeOf(writer, "redis.conf")).toBe("0644");
    expect(server.inputs.volumes).toEqual([
      expect.objectContaining({ volumeName: "dean-redis-data", containerPath: "/data" }),
      { volumeName: "dean-redis-files", containerPath: "/usr/local/sbin", readOnly: true },
    ]);
  });

  it("adds the password through stdin after the container, as a secret, and retires old ones after the replicas", () => {
    const server = prod.container("redis");
    const password = String(prod.named("dean-secrets-redis").state.result);
    const added = prod.named("dean-redis-password-added");
    const retired = prod.named("dean-redis-old-passwords-retired");
    expect(added.inputs.create).toBe("docker exec -i dean-redis /usr/local/sbin/dean-redis-acl");
    expect(added.inputs.stdin).toBe(`ACL SETUSER default on ~* &* +@all -@dangerous +info ">${password}"\nACL SAVE\n`);
    expect(retired.inputs.stdin).toBe(`ACL SETUSER default on ~* &* +@all -@dangerous +info resetpass ">${password}"\nACL SAVE\n`);
    for (const command of [added, retired]) {
      expect(String(command.inputs.create)).not.toContain(password);
      expect(command.secretInputPaths).toEqual(expect.arrayContaining(["stdin"]));
      expect(command.additionalSecretOutputs).toContain("stdin");
    }
    expect(added.dependencies).toContain(server.urn);
    // Replicas wait for the migration, which waits for the password.
    const migration = prod.named("dean-orchestrator-migration");
    expect(migration.dependencies).toContain(added.urn);
    for (const replica of prod.containers("orchestrator")) {
      expect(replica.dependencies).toContain(migration.urn);
      expect(retired.dependencies).toContain(replica.urn);
      expect(labelsOf(replica)["dean.redis-rotation"]).toBe("0");
    }
    // Replicas of another counter are stopped first: they still use the old password.
    expect(String(retired.inputs.create)).toContain("--filter label=dean.redis-rotation=0");
  });

  it("is not published and checks its health as the admin user", () => {
    const server = prod.container("redis");
    expect(server.inputs.ports ?? []).toEqual([]);
    expect((server.inputs.healthcheck as { tests: string[] }).tests).toEqual(["CMD-SHELL", "/usr/local/sbin/dean-redis-cli ping | grep -q PONG"]);
    expect(server.inputs.networksAdvanced).toEqual([expect.objectContaining({ name: "dean-backend", aliases: ["redis"] })]);
  });
});

describe("orchestrator", () => {
  it("passes the runbook's environment, credentials as secrets", () => {
    for (const replica of prod.containers("orchestrator")) {
      const env = envOf(replica);
      expect(env).toMatchObject({
        UVICORN_WORKERS: "8", MAX_WORKERS: "16", ENABLE_CACHE: "true", CACHE_TTL: "300",
        DATABASE_POOL_SIZE: "5", DATABASE_MAX_OVERFLOW: "2", DATABASE_POOL_TIMEOUT: "30", PORT: "8082",
      });
      expect(env.DATABASE_URL).toBe(`postgresql://dean:${String(prod.named("dean-secrets-database").state.result)}@postgres:5432/dean_production`);
      expect(env.REDIS_URL).toBe(`redis://:${String(prod.named("dean-secrets-redis").state.result)}@redis:6379/0`);
      expect(env.JWT_SECRET_KEY).toBe(prod.named("dean-secrets-jwt").state.result);
      expect(replica.secretInputPaths).toContain("envs");
      // Repeated as labels, known at a preview where the secret environment is not.
      expect(labelsOf(replica)).toMatchObject({
        "dean.db-budget.workers": env.UVICORN_WORKERS, "dean.db-budget.pool-size": env.DATABASE_POOL_SIZE, "dean.db-budget.max-overflow": env.DATABASE_MAX_OVERFLOW,
      });
    }
  });

  it("gets the configured limits and reservations", () => {
    const replica = prod.containers("orchestrator")[0];
    // "4.0": the form the Docker provider reads back (components/docker-values.ts), so a second up changes nothing.
    expect(replica.inputs).toMatchObject({ cpus: "4.0", memory: 8192, memoryReservation: 4096, cpuShares: 2048, memorySwap: 8192 });
  });

  it("is reachable by nginx on the frontend network by its own name and the shared alias (for a resent request), without a published port", () => {
    for (const replica of prod.containers("orchestrator")) {
      expect(replica.inputs.ports ?? []).toEqual([]);
      expect(replica.inputs.networksAdvanced).toEqual([{ name: "dean-backend" }, { name: "dean-frontend", aliases: ["orchestrator"] }]);
      expect(replica.inputs.image).toBe(imageIdOf(prod, "orchestrator"));
      expect((replica.inputs.healthcheck as { tests: string[] }).tests.join(" ")).toContain("http://127.0.0.1:8082/health");
      expect(replica.inputs.wait).toBe(true);
      // Auto-named: a replacement is created (and healthy) before the old one goes. Set
      // explicitly: the Docker provider's own default for containers is delete-first.
      expect(replica.inputs.name).toBeUndefined();
      expect([replica.deleteBeforeReplaceDefined, replica.deleteBeforeReplace]).toEqual([true, false]);
    }
  });

  it("publishes replica 1 on loopback only when a direct port is configured", async () => {
    const direct = await runStack("dev", { orchestrator: { replicas: 2, directHostPort: 18082 } });
    const [first, second] = [direct.named("dean-dev-orchestrator-1"), direct.named("dean-dev-orchestrator-2")];
    expect(first.inputs.ports).toEqual([expect.objectContaining({ internal: 8082, external: 18082, ip: "127.0.0.1" })]);
    expect(second.inputs.ports ?? []).toEqual([]);
    // Two containers cannot publish one port: the published replica goes before its replacement.
    expect([first.deleteBeforeReplace, second.deleteBeforeReplace]).toEqual([true, false]);
  });

  it("stops the replicas of an older JWT key before it removes the sessions, and does not change when scaling", async () => {
    const two = await runStack("dev", { orchestrator: { replicas: 2 }, rotation: { jwt: 4 } });
    const three = await runStack("dev", { orchestrator: { replicas: 3 }, rotation: { jwt: 4 } });
    const logoutOf = (program: typeof two): string => String(program.named("dean-orchestrator-logout-on-jwt-rotation").inputs.create);
    const script = logoutOf(two);
    expect(script).toContain("--filter label=dean.instance=dean-dev --filter label=dean.service=orchestrator --filter label=dean.jwt-rotation=4");
    expect(script.indexOf("docker stop")).toBeGreaterThan(-1);
    expect(script.indexOf("docker stop")).toBeLessThan(script.indexOf("unlink"));
    expect(logoutOf(three)).toBe(script);
    // Only the trigger (a replacement) runs the script; an update of its text alone runs `true`.
    expect(two.named("dean-orchestrator-logout-on-jwt-rotation").inputs).toMatchObject({ update: "true", triggers: [4] });
    for (const replica of two.containers("orchestrator")) {
      expect(replica.inputs.labels).toContainEqual({ label: "dean.jwt-rotation", value: "4" });
    }
  });

  it("migrates with the image, passing credentials by environment, never on the command line", () => {
    const migration = prod.ofType(COMMAND).find((command) => command.name.endsWith("-migration"));
    expect(migration).toBeDefined();
    const create = String(migration?.inputs.create);
    expect(create).toBe(`docker run --rm --network dean-backend --label dean.instance=dean --label dean.service=migration --cpus 4 --memory 8192m --pids-limit 256 --read-only --tmpfs /tmp:rw,noexec,nosuid,nodev,size=64m,mode=1777 --security-opt no-new-privileges:true --cap-drop ALL -e DATABASE_URL -e REDIS_URL -e JWT_SECRET_KEY ${String(imageIdOf(prod, "orchestrator"))} python -m alembic upgrade head`);
    expect(migration?.secretInputPaths).toContain("environment");
    expect(Object.keys(migration?.inputs.environment as object).sort()).toEqual(["DATABASE_URL", "JWT_SECRET_KEY", "REDIS_URL"]);
  });
});

describe("nginx", () => {
  it("with hostFiles TLS, starts only after a check on the Docker host that both PEM paths are files", () => {
    const check = prod.named("dean-nginx-tls-files-check");
    // nginx waits for its configuration release, which waits for the check.
    expect(prod.named("dean-nginx-config-release").dependencies).toContain(check.urn);
    expect(prod.container("nginx").dependencies).toContain(prod.named("dean-nginx-config-release").urn);
    const script = String(check.inputs.create);
    expect(script).toContain("docker run --rm --network none --read-only --pids-limit 32 --mount");
    for (const [key, file] of [["dean:nginx.tls.certificatePath", "/etc/dean/tls/fullchain.pem"], ["dean:nginx.tls.keyPath", "/etc/dean/tls/privkey.pem"]]) {
      expect(script).toContain(`'type=bind,source=${file},target=`);
      expect(script).toContain(`${key}: ${file} is not a readable file on the Docker host`);
    }
    expect(check.inputs.environment).toEqual({ IMAGE: expect.any(String) as string });
    expect(dev.ofType("command:local:Command").map((command) => command.name)).not.toContain("dean-nginx-tls-files-check");
  });

  it("publishes 80 and 443 on the configured address", () => {
    expect(prod.container("nginx").inputs.ports).toEqual([
      expect.objectContaining({ internal: 80, external: 80, ip: "0.0.0.0" }),
      expect.objectContaining({ internal: 443, external: 443, ip: "0.0.0.0" }),
    ]);
    expect(dev.container("nginx").inputs.ports).toEqual([
      expect.objectContaining({ internal: 80, external: 8080, ip: "127.0.0.1" }),
      expect.objectContaining({ internal: 443, external: 8443, ip: "127.0.0.1" }),
    ]);
  });

  it("gives the server name as the public URL, also when bound to one address: nginx answers no other name", async () => {
    const bound = await runStack("prod", { nginx: { bindAddress: "10.1.2.3" } });
    expect(bound.output("publicUrl")).toBe("https://dean.example.com/");
  });

  it("publishes nothing when isolated", async () => {
    const isolated = await runStack("prod", { nginx: { isolate: true } });
    expect(isolated.container("nginx").inputs.ports ?? []).toEqual([]);
    expect(isolated.output("publicUrl")).toBe("isolated: no port is published");
  });

  it("hands the rendered nginx.conf and the maintenance page to the release command, which checks them in a throwaway nginx container", async () => {
    const release = prod.named("dean-nginx-config-release");
    const environment = release.inputs.environment as Record<string, string>;
    const conf = environment.DEAN_NGINX_CONF;
    expect(conf).toContain("limit_req_zone $binary_remote_addr zone=api:10m rate=1r/s");
    expect(conf).toContain("limit_req_status 429");
    expect(conf).toMatch(/limit_req zone=api burst=5 nodelay/);
    expect(conf).toContain("resolver 127.0.0.11");
    expect(conf).toMatch(/upstream orchestrator_replicas \{[^}]*include upstream-servers\.conf;[^}]*keepalive 16;/);
    // A request the upstream gave up on unsent goes to the replicas' shared alias (render/nginx-resend.ts).
    expect(conf).toContain("set $dean_replicas_by_alias http://orchestrator:8082;");
    // Each replica by its container name, the file the release writes beside nginx.conf.
    const replicaNames = prod.containers("orchestrator").map((replica) => String(replica.state.name)).sort();
    expect(replicaNames).toHaveLength(3);
    expect(environment.DEAN_NGINX_UPSTREAM_SERVERS).toBe(replicaNames.map((name) => `server ${name}:8082 resolve;\n`).join(""));
    expect(environment.DEAN_MAINTENANCE_PAGE).toMatch(/<html/i);
    const maintenance = await runStack("prod", { nginx: { maintenance: true } });
    expect((maintenance.named("dean-nginx-config-release").inputs.environment as Record<string, string>).DEAN_NGINX_CONF).toContain("root /etc/nginx/dean/current/maintenance;");
    const create = String(release.inputs.create);
    // Read-only as the nginx container: nginx -t needs the same writable paths.
    expect(create).toMatch(/^docker run --rm -i --network none --read-only --tmpfs \/run:\S+ --tmpfs \/var\/lib\/nginx:\S+ --tmpfs \/var\/cache\/nginx:\S+ --pids-limit 32 /);
    expect(create).toContain("--mount type=volume,source=dean-nginx-config,target=/etc/nginx/dean");
    expect(create).toContain("nginx -t -q -c");
    // The rendered text reaches the container through the environment, never the command line.
    expect(create).not.toContain("limit_req_zone");
  });

  it("runs nginx from the current release on the config volume; a config change reloads it, it does not replace it", () => {
    const server = prod.container("nginx");
    expect(server.inputs.uploads ?? []).toEqual([]);
    expect(server.inputs.command).toEqual(["nginx", "-c", "/etc/nginx/dean/current/nginx.conf", "-g", "daemon off;"]);
    expect(server.inputs.volumes).toEqual(expect.arrayContaining([expect.objectContaining({ volumeName: "dean-nginx-config", containerPath: "/etc/nginx/dean" })]));
    // Rendered files only: not retained, so `pulumi destroy` removes it.
    expect(prod.named("dean-nginx-config")).toMatchObject({ retainOnDelete: false });
    const release = prod.named("dean-nginx-config-release");
    const reload = prod.named("dean-nginx-reload");
    expect(server.dependencies).toContain(release.urn);
    expect(reload.dependencies).toContain(server.urn);
    // Drain: the release names the replicas, and the steps that stop old replicas early wait
    // for nginx to be reloaded without them.
    for (const replica of prod.containers("orchestrator")) expect(release.dependencies).toContain(replica.urn);
    for (const stopper of ["dean-orchestrator-logout-on-jwt-rotation", "dean-redis-old-passwords-retired"]) {
      expect(prod.named(stopper).dependencies).toContain(reload.urn);
    }
    expect(String(reload.inputs.create)).toMatch(/^docker exec dean-nginx sh -c /);
    expect(String(reload.inputs.create)).toContain("kill -HUP");
  });

  it("mounts host TLS files read-only in production, in nginx and in the release check", () => {
    expect(prod.container("nginx").inputs.volumes).toEqual(expect.arrayContaining([
      expect.objectContaining({ hostPath: "/etc/dean/tls/fullchain.pem", containerPath: "/etc/nginx/tls/fullchain.pem", readOnly: true }),
      expect.objectContaining({ hostPath: "/etc/dean/tls/privkey.pem", containerPath: "/etc/nginx/tls/privkey.pem", readOnly: true }),
    ]));
    const release = prod.named("dean-nginx-config-release");
    expect(String(release.inputs.create)).toContain("--mount 'type=bind,source=/etc/dean/tls/fullchain.pem,target=/etc/nginx/tls/fullchain.pem,readonly'");
    expect((release.inputs.environment as Record<string, string>).DEAN_NGINX_CONF).toContain("ssl_certificate /etc/nginx/tls/fullchain.pem;");
    expect(release.inputs.stdin).toBe("");
  });

  it("hands a self-signed pair in dev to the release on stdin, as a secret; nginx.conf names it beside itself", () => {
    const release = dev.named("dean-nginx-config-release");
    expect(String(release.inputs.stdin)).toContain("BEGIN PRIVATE KEY");
    expect(String(release.inputs.stdin)).toContain("BEGIN CERTIFICATE");
    expect(release.secretInputPaths).toContain("stdin");
    expect(release.additionalSecretOutputs).toContain("stdin");
    expect((release.inputs.environment as Record<string, string>).DEAN_NGINX_CONF).toContain("ssl_certificate tls/fullchain.pem;");
    const openssl = dev.ofType(COMMAND).find((command) => command.name.endsWith("-openssl"));
    expect(openssl?.additionalSecretOutputs).toContain("stdout");
  });

  it("uses secret config TLS when chosen", async () => {
    const withSecrets = await runStack("prod", { nginx: { tls: { mode: "secretConfig", certificatePath: undefined, keyPath: undefined } } }, {
      tlsCertificate: "-----BEGIN CERTIFICATE-----\nREAL\n-----END CERTIFICATE-----\n",
      tlsKey: "-----BEGIN PRIVATE KEY-----\nREALKEY\n-----END PRIVATE KEY-----\n",
    });
    const release = withSecrets.named("dean-nginx-config-release");
    expect(release.inputs.stdin).toBe("-----BEGIN CERTIFICATE-----\nREAL\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nREALKEY\n-----END PRIVATE KEY-----\n");
    expect(release.secretInputPaths).toContain("stdin");
  });
});

describe("backups", () => {
  it("runs the rendered script on schedule against the app database", () => {
    const job = prod.container("backup");
    expect(job.inputs.command).toEqual(["dean-backup", "run"]);
    expect(job.inputs.image).toBe(imageIdOf(prod, "postgres"));
    // On the PATH, from the files volume: `docker exec <backup> dean-backup list` works.
    const { writer, files } = filesOf(prod, job, "/usr/local/sbin");
    expect(Object.keys(files)).toEqual(["dean-backup"]);
    expect(modeOf(writer, "dean-backup")).toBe("0755");
    expect(files["dean-backup"]).toContain("86400");
    expect(envOf(job)).toMatchObject({ PGHOST: "postgres", PGPORT: "5432", PGUSER: "postgres", PGDATABASE: "dean_production" });
    expect(job.secretInputPaths).toContain("envs");
    expect(JSON.stringify(writer.inputs)).not.toContain(String(envOf(job).PGPASSWORD));
    expect((job.inputs.healthcheck as { tests: string[] }).tests).toEqual(["CMD", "dean-backup", "healthcheck"]);
  });

  it("writes to /backups/dean on the host in production and to a retained volume in dev", () => {
    const files = { volumeName: expect.stringMatching(/-backup-files$/) as string, containerPath: "/usr/local/sbin", readOnly: true };
    expect(prod.container("backup").inputs.volumes).toEqual([expect.objectContaining({ hostPath: "/backups/dean", containerPath: "/backups" }), files]);
    const devVolume = dev.ofType(VOLUME).find((volume) => volume.inputs.name === "dean-dev-backups");
    expect(devVolume).toMatchObject({ retainOnDelete: true });
    expect(dev.container("backup").inputs.volumes).toEqual([expect.objectContaining({ volumeName: "dean-dev-backups" }), files]);
  });

  it("without backups there is no job, no pre-upgrade backup, and migrations still run", async () => {
    const noBackups = await runStack("dev", { backup: { enabled: false } });
    expect(noBackups.containers("backup")).toEqual([]);
    expect(noBackups.ofType(COMMAND).map((command) => command.name).sort()).toEqual([
      "dean-nginx-config-release", "dean-nginx-pids-limit", "dean-nginx-reload", "dean-nginx-tls-openssl",
      "dean-orchestrator-logout-on-jwt-rotation", "dean-orchestrator-migration", "dean-orchestrator-replica-1-pids-limit",
      "dean-postgres-bootstrap", "dean-postgres-pids-limit", "dean-postgres-secrets-writer",
      "dean-redis-files-writer", "dean-redis-old-passwords-retired", "dean-redis-password-added", "dean-redis-pids-limit",
    ]);
    expect(noBackups.output("lastPreUpgradeBackup")).toBe("none (backups are disabled)");
  });
});

describe("bad config", () => {
  it("fails with every problem before any resource is registered", async () => {
    const failure = await runStack("prod", { orchestrator: { replicas: 0 }, nginx: { bindAddress: "everywhere" } }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ProgramFailure);
    const { cause, registered } = failure as ProgramFailure;
    expect(String(cause)).toMatch(/dean:orchestrator\.replicas[\s\S]*dean:nginx\.bindAddress/);
    // Not one component, Docker object or database object was declared.
    expect(registered).toEqual([]);
  });
});
