import type { DeclaredResource } from "../../../tools/mock-program";
import { COMMAND, CONTAINER, NETWORK, runStack, type StackProgram } from "./harness";

function dependsOn(resource: DeclaredResource, other: DeclaredResource): boolean {
  return resource.dependencies.includes(other.urn);
}

function commandNamed(program: StackProgram, suffix: string): DeclaredResource {
  const found = program.ofType(COMMAND).filter((command) => command.name.endsWith(suffix));
  if (found.length !== 1) throw new Error(`expected one command *${suffix}, found ${found.length}`);
  return found[0];
}

describe("resource counts and names", () => {
  let one: StackProgram;
  let three: StackProgram;

  beforeAll(async () => {
    one = await runStack("dev", { orchestrator: { replicas: 1 } });
    three = await runStack("dev", { orchestrator: { replicas: 3 } });
  });

  it("declares one orchestrator container per replica, named by index", () => {
    expect(one.containers("orchestrator").map((c) => c.name)).toEqual(["dean-dev-orchestrator-1"]);
    expect(three.containers("orchestrator").map((c) => c.name)).toEqual(["dean-dev-orchestrator-1", "dean-dev-orchestrator-2", "dean-dev-orchestrator-3"]);
  });

  it("differs between 1 and 3 replicas by exactly the two extra replicas and the commands that set their PIDs limits", () => {
    const names = (program: StackProgram) => new Set(program.resources.map((r) => `${r.type}::${r.name}`));
    const added = [...names(three)].filter((name) => !names(one).has(name));
    expect(added.sort()).toEqual([
      `${COMMAND}::dean-orchestrator-replica-2-pids-limit`, `${COMMAND}::dean-orchestrator-replica-3-pids-limit`,
      `${CONTAINER}::dean-dev-orchestrator-2`, `${CONTAINER}::dean-dev-orchestrator-3`,
    ]);
    expect(three.resources.length - one.resources.length).toBe(4);
  });

  it("has the fixed services once each", () => {
    for (const service of ["postgres", "redis", "nginx", "backup"]) {
      expect(three.containers(service)).toHaveLength(1);
    }
    expect(three.ofType(CONTAINER)).toHaveLength(3 + 4);
    expect(three.ofType(NETWORK).map((n) => n.inputs.name).sort()).toEqual(["dean-dev-backend", "dean-dev-frontend", "dean-dev-host-access"]);
  });

  it("names every stateful resource independently of dean:instanceName; only the (stateless, autonamed) replicas carry it", async () => {
    const renamed = await runStack("dev", { instanceName: "renamed-dean" });
    const logical = (program: StackProgram) => program.resources.map((r) => `${r.type}::${r.name}`).sort();
    const replicas = (program: StackProgram) => program.containers("orchestrator").map((r) => `${r.type}::${r.name}`);
    expect(replicas(renamed)).toEqual([`${CONTAINER}::renamed-dean-orchestrator-1`]);
    expect(logical(renamed).filter((name) => !replicas(renamed).includes(name))).toEqual(logical(one).filter((name) => !replicas(one).includes(name)));
    expect(renamed.container("postgres").inputs.name).toBe("renamed-dean-postgres");
    expect(one.container("postgres").inputs.name).toBe("dean-dev-postgres");
  });

  it("registers components with dean:<module>:<Type> tokens, children parented", () => {
    const componentTypes = new Set(three.resources.filter((r) => !r.custom).map((r) => r.type));
    expect([...componentTypes].sort()).toEqual([
      "dean:app:Orchestrator", "dean:data:Postgres", "dean:data:Redis", "dean:edge:Nginx", "dean:edge:SelfSignedTls",
      "dean:images:Images", "dean:network:Network", "dean:ops:Backup", "dean:security:Secrets", "dean:stack:DeanStack",
    ]);
    const replica = three.named("dean-dev-orchestrator-2");
    expect(replica.parent).toContain("dean:app:Orchestrator::dean-orchestrator");
  });
});

describe("ordering: pre-upgrade backup -> migration -> replicas -> logout", () => {
  let program: StackProgram;
  beforeAll(async () => {
    program = await runStack("prod");
  });

  it("takes the pre-upgrade backup in the running backup container, keyed to the image", () => {
    const preUpgrade = commandNamed(program, "-pre-upgrade");
    expect(dependsOn(preUpgrade, program.container("backup"))).toBe(true);
    expect(preUpgrade.inputs.create).toBe("docker exec dean-backup dean-backup pre-upgrade orchestrator-1.0.0");
    const image = program.named("dean-images-orchestrator");
    expect(preUpgrade.inputs.triggers).toEqual([image.state.imageId]);
  });

  it("runs migrations after the backup and the database objects", () => {
    const migration = commandNamed(program, "-migration");
    expect(dependsOn(migration, commandNamed(program, "-pre-upgrade"))).toBe(true);
    for (const name of ["dean-postgres-app-role", "dean-postgres-database", "dean-postgres-pg-stat-statements"]) {
      expect(dependsOn(migration, program.named(name))).toBe(true);
    }
  });

  it("starts every replica after the migration", () => {
    const migration = commandNamed(program, "-migration");
    const replicas = program.containers("orchestrator");
    expect(replicas).toHaveLength(3);
    for (const replica of replicas) expect(dependsOn(replica, migration)).toBe(true);
  });

  it("flushes sessions only after every replica has the new key", () => {
    const logout = commandNamed(program, "-logout-on-jwt-rotation");
    for (const replica of program.containers("orchestrator")) expect(dependsOn(logout, replica)).toBe(true);
  });

  it("sets every container's PIDs limit before what waits for that service", () => {
    const limitOf = (container: DeclaredResource) => {
      const found = program.ofType(COMMAND).filter((command) => command.name.endsWith("-pids-limit") && command.propertyDependencies.triggers?.includes(container.urn));
      if (found.length !== 1) throw new Error(`expected one PIDs limit command for ${container.name}, found ${found.length}`);
      return found[0];
    };
    const migration = commandNamed(program, "-migration");
    for (const service of ["postgres", "redis"]) expect(dependsOn(migration, limitOf(program.container(service)))).toBe(true);
    expect(dependsOn(program.container("backup"), limitOf(program.container("postgres")))).toBe(true);
    expect(dependsOn(commandNamed(program, "-pre-upgrade"), limitOf(program.container("backup")))).toBe(true);
    for (const replica of program.containers("orchestrator")) {
      expect(dependsOn(commandNamed(program, "-logout-on-jwt-rotation"), limitOf(replica))).toBe(true);
      expect(dependsOn(program.named("dean-redis-old-passwords-retired"), limitOf(replica))).toBe(true);
    }
    expect(limitOf(program.container("nginx")).dependencies).toContain(program.container("nginx").urn);
  });

  it("the backup job waits for the database it dumps", () => {
    expect(dependsOn(program.container("backup"), program.named("dean-postgres-database"))).toBe(true);
  });
});

describe("stack outputs", () => {
  let program: StackProgram;
  beforeAll(async () => {
    program = await runStack("prod");
  });

  it("exports the public URL, image, replica count and last pre-upgrade backup", () => {
    expect(program.output("publicUrl")).toBe("https://dean.example.com/");
    expect(program.output("orchestratorImage")).toBe("dean/orchestrator:1.0.0");
    expect(program.output("replicas")).toBe(3);
    expect(program.output("lastPreUpgradeBackup")).toBe("pre-upgrade-mock-20260101T000000Z-orchestrator-1.0.0.dump");
    expect(program.output("containers")).toMatchObject({ postgres: "dean-postgres", redis: "dean-redis", nginx: "dean-nginx", backup: "dean-backup" });
  });

  it("keeps connection details secret and no credential in any plain output", () => {
    const outputs = program.evaluation.outputs;
    expect(outputs.connection.secret).toBe(true);
    const passwords = program.ofType("random:index/randomPassword:RandomPassword").map((r) => String(r.state.result));
    expect(passwords).toHaveLength(4);
    const plain = JSON.stringify(Object.entries(outputs).filter(([, output]) => !output.secret).map(([, output]) => output.value));
    for (const password of passwords) expect(plain).not.toContain(password);
    expect(JSON.stringify(outputs.connection.value)).toContain(String(program.named("dean-secrets-database").state.result));
  });
});
