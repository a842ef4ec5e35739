import type { DeclaredResource } from "../../tools/mock-program";
import type { PolicyRun } from "../../tools/policy-engine";
import type { PolicyPackHost } from "../../tools/policy-pack-host";
import { runStack } from "../unit/program/harness";
import {
  BUDGET_LABELS, COMMAND, CONTAINER, editNginxConf, mutate, named, ofType, REMOTE_IMAGE, type Select, service, setEnv, setLabel, setLiteralEnvs, setProp, VOLUME,
  withoutBackups, withoutLimits, withUncheckedNginxConf, withoutRateLimit, withPools, withReplicas,
} from "./support/mutations";
import { added, check, mandatory, ofPolicy, startTestPack, where } from "./support/pack";

/**
 * The pack, run by @pulumi/policy's own analyzer server on the resources the real program
 * declares for the shipped stacks, and on variants each broken in one way.
 */

type Resources = readonly DeclaredResource[];

let pack: PolicyPackHost;
let dev: Resources;
let prod: Resources;
let baseline: PolicyRun;

beforeAll(async () => {
  const starting = startTestPack();
  starting.catch(() => undefined);
  // One evaluation per stack for the whole file: every case below mutates copies of these.
  prod = (await runStack("prod")).resources;
  dev = (await runStack("dev")).resources;
  pack = await starting;
  baseline = await check(pack, prod);
});

afterAll(async () => {
  await pack?.close();
});

// The engine's marker for a value it cannot know before the update (KeepUnknowns).
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The commands that set a container's PIDs limit (components/pids-limit.ts). */
const pidsLimitCommand: Select = (resource) => resource.type === COMMAND && String(resource.inputs.create).startsWith("docker update --pids-limit");

/**
 * What the engine cannot know at a stack's first preview: the generated passwords, every
 * input the program sent as a secret built from them (a container's `envs`, which the Docker
 * provider checks as one set, a command's `environment`), the IDs of images not pulled yet
 * and what is built from them (the files writers' command lines), and the names and IDs of
 * containers not created yet (what the PIDs limit commands target and are triggered by).
 */
function firstPreview(resources: readonly DeclaredResource[]): DeclaredResource[] {
  const generators = mutate(resources, ofType("random:index/randomPassword:RandomPassword"), (d) => {
    for (const key of ["result", "bcryptHash"]) setProp(d, key, UNKNOWN);
  });
  const secrets = mutate(generators, (resource) => resource.secretInputPaths.includes("envs") || resource.secretInputPaths.includes("environment"), (d) => {
    for (const key of ["envs", "environment"]) if (d.secretInputPaths.includes(key)) setProp(d, key, UNKNOWN);
  });
  const writers = mutate(secrets, (resource) => resource.type === COMMAND && resource.name.endsWith("-writer"), (d) => setProp(d, "create", UNKNOWN));
  const limits = mutate(writers, pidsLimitCommand, (d) => {
    setProp(d, "environment", { DEAN_CONTAINER: UNKNOWN });
    setProp(d, "triggers", [UNKNOWN]);
  });
  return mutate(limits, ofType(CONTAINER), (d) => setProp(d, "image", UNKNOWN));
}

describe("the shipped stacks", () => {
  test("dev and prod, as the program declares them, pass every mandatory policy; only advisory hardening is reported", async () => {
    const devRun = await check(pack, dev, { stack: "dev" });
    for (const run of [devRun, baseline]) {
      expect(where(mandatory(run))).toEqual([]);
      expect(new Set(run.diagnostics.map((d) => d.policy))).toEqual(new Set(["container-hardening"]));
    }
  });

  test("every declared resource is analyzed, and the runbook's prod budget is computed from them", async () => {
    expect(baseline.analyzed).toBe(prod.length);
    expect(baseline.policies).toHaveLength(16);
    // 28 admin connections is one more than prod's headroom: the rule sees the real numbers.
    const tight = await check(pack, prod, { config: { "connection-budget": { properties: { adminReserve: 28 } } } });
    expect(ofPolicy(tight, "connection-budget").map((d) => d.message)).toEqual([expect.stringContaining(
      "3 replicas x 8 workers x (5 pool + 2 overflow) = 168 + 2 backup + 28 admin reserve + 3 superuser reserved = 201 > max_connections 200",
    )]);
  });
});

interface Case {
  readonly policy: string;
  readonly change: string;
  readonly mutation: (resources: Resources) => Resources;
  /** `policy @ resource` of every diagnostic the change adds to the passing stack. */
  readonly caught: string[];
  readonly message?: RegExp;
}

const replace = (resources: Resources, name: string, edit: Parameters<typeof mutate>[2]) => mutate(resources, named(name), edit);

/** The issue's mutation cases, each caught by the expected rule and by nothing else. */
const issueCases: Case[] = [
  {
    policy: "container-resource-limits", change: "a container without limits",
    mutation: (r) => withoutLimits(r, named("dean-orchestrator-2")),
    caught: ["container-resource-limits @ dean-orchestrator-2"], message: /no memory limit \(`memory`, MiB\); it has no CPU limit/,
  },
  {
    policy: "published-ports", change: "Postgres published on 0.0.0.0",
    mutation: (r) => mutate(r, service("postgres"), (d) => setProp(d, "ports", [{ internal: 5432, external: 5432, ip: "0.0.0.0" }])),
    caught: ["published-ports @ dean-postgres-server"], message: /publishes 0\.0\.0\.0:5432->5432: postgres must never be reachable beyond the Docker host/,
  },
  {
    policy: "pinned-images", change: "a `latest` image",
    mutation: (r) => replace(r, "dean-images-postgres", (d) => setProp(d, "name", "postgres:latest")),
    caught: ["pinned-images @ dean-images-postgres"], message: /`postgres:latest` is not pinned: its tag is `latest`/,
  },
  {
    policy: "connection-budget", change: "the runbook's 3 replicas x 8 workers x (pool 20 + overflow 40)",
    mutation: (r) => withPools(r, { UVICORN_WORKERS: "8", DATABASE_POOL_SIZE: "20", DATABASE_MAX_OVERFLOW: "40" }),
    caught: ["connection-budget @ dean-postgres-server"],
    message: /connection budget exceeded: 3 replicas x 8 workers x \(20 pool \+ 40 overflow\) = 1440 \+ 2 backup \+ 5 admin reserve \+ 3 superuser reserved = 1450 > max_connections 200/,
  },
  {
    policy: "production-backups", change: "backups off in production",
    mutation: withoutBackups,
    caught: ["production-backups @ (stack)"], message: /production stack has no backup job/,
  },
  {
    policy: "credentials-generated", change: "a plain-text password env",
    mutation: (r) => mutate(r, service("postgres"), (d) => {
      setEnv(d, "POSTGRES_PASSWORD", "hunter2hunter2");
      d.secretInputPaths = d.secretInputPaths.filter((path) => path !== "envs");
      // Declared secret, so that this case is about where the value comes from (the server's
      // envs hold no credential today: the password arrives as a file).
      d.additionalSecretOutputs = [...d.additionalSecretOutputs, "envs"];
    }),
    caught: ["credentials-generated @ dean-postgres-server"],
    message: /^dean-postgres-server \(postgres\): POSTGRES_PASSWORD in `envs` is not the output of a generated secret/,
  },
  {
    policy: "nginx-rate-limit", change: "rate limiting removed from nginx.conf",
    mutation: withoutRateLimit,
    caught: ["nginx-rate-limit @ dean-nginx-config-release"], message: /location \/ \(server on 443\) proxies to the API without a limit_req/,
  },
  {
    policy: "data-volume-retained", change: "the data volume not retained",
    mutation: (r) => replace(r, "dean-postgres-data", (d) => {
      d.retainOnDelete = false;
      setLabel(d, "dean.retain-on-delete", undefined);
    }),
    caught: ["data-volume-retained @ dean-postgres-data"], message: /is not marked retained on delete/,
  },
];

/** The failing case of every other rule (the passing case is the shipped stack). */
const ruleCases: Case[] = [
  {
    policy: "required-labels", change: "a volume without dean.environment",
    mutation: (r) => replace(r, "dean-redis-data", (d) => setLabel(d, "dean.environment", undefined)),
    caught: ["required-labels @ dean-redis-data"], message: /dean\.environment must be one of dev, staging, prod \(got null\)/,
  },
  {
    policy: "container-resource-limits", change: "a reservation above the limit",
    mutation: (r) => mutate(r, service("postgres"), (d) => setProp(d, "memoryReservation", 9000)),
    caught: ["container-resource-limits @ dean-postgres-server"], message: /memory reservation 9000 MiB exceeds its limit of 8192 MiB/,
  },
  {
    policy: "pinned-images", change: "a container naming an untagged image",
    mutation: (r) => mutate(r, service("redis"), (d) => setProp(d, "image", "redis")),
    caught: ["pinned-images @ dean-redis-server"], message: /it has no tag, which means `latest`.*dean:images\.redis/,
  },
  {
    policy: "no-host-access", change: "a privileged container with the Docker socket",
    mutation: (r) => mutate(r, service("backup"), (d) => {
      setProp(d, "privileged", true);
      setProp(d, "volumes", [...(d.inputs.volumes as object[]), { hostPath: "/var/run", containerPath: "/host-run" }]);
    }),
    caught: ["no-host-access @ dean-backup-job"], message: /it is privileged; it mounts \/var\/run, exposing the Docker socket \/var\/run\/docker\.sock/,
  },
  // Issue 10: mounts the config schema refuses, caught again where only the plan shows them.
  {
    policy: "no-host-access", change: "the Docker socket spelt /var//run/docker.sock",
    mutation: (r) => mutate(r, service("nginx"), (d) => setProp(d, "volumes", [{ hostPath: "/var//run/docker.sock", containerPath: "/etc/nginx/tls/privkey.pem", readOnly: true }])),
    caught: ["no-host-access @ dean-nginx-server"], message: /it mounts \/var\/\/run\/docker\.sock \(that is \/var\/run\/docker\.sock\), exposing the Docker socket \/var\/run\/docker\.sock/,
  },
  {
    policy: "no-host-access", change: "the host's root, writable, spelt /.",
    mutation: (r) => mutate(r, service("backup"), (d) => setProp(d, "volumes", [{ hostPath: "/.", containerPath: "/backups" }])),
    caught: ["no-host-access @ dean-backup-job"], message: /it mounts \/\. \(that is \/\), the host's root directory/,
  },
  {
    policy: "no-host-access", change: "a whole system directory",
    mutation: (r) => mutate(r, service("nginx"), (d) => setProp(d, "volumes", [{ hostPath: "/etc/", containerPath: "/host-etc", readOnly: true }])),
    caught: ["no-host-access @ dean-nginx-server"], message: /it mounts \/etc\/ \(that is \/etc\), a whole system directory/,
  },
  {
    policy: "no-host-access", change: "a writable mount inside /etc",
    mutation: (r) => mutate(r, service("backup"), (d) => setProp(d, "volumes", [{ hostPath: "/etc/dean-backups", containerPath: "/backups" }])),
    caught: ["no-host-access @ dean-backup-job"], message: /it mounts \/etc\/dean-backups writable, inside the system tree \/etc/,
  },
  {
    policy: "no-host-access", change: "a mount inside /proc",
    mutation: (r) => mutate(r, service("backup"), (d) => setProp(d, "volumes", [{ hostPath: "/proc/1/root", containerPath: "/backups" }])),
    caught: ["no-host-access @ dean-backup-job"], message: /it mounts \/proc\/1\/root, inside \/proc/,
  },
  {
    policy: "no-host-access", change: "a host path with `:`",
    mutation: (r) => mutate(r, service("backup"), (d) => setProp(d, "volumes", [{ hostPath: "/backups:/etc", containerPath: "/backups" }])),
    caught: ["no-host-access @ dean-backup-job"], message: /cannot be checked: its host path "\/backups:\/etc" contains `:`/,
  },
  {
    policy: "pinned-images", change: "an image tagged LATEST",
    mutation: (r) => mutate(r, service("nginx"), (d) => setProp(d, "image", "nginx:LATEST")),
    caught: ["pinned-images @ dean-nginx-server"], message: /its tag is `LATEST`, which moves/,
  },
  {
    policy: "no-host-access", change: "host networking",
    mutation: (r) => mutate(r, service("redis"), (d) => setProp(d, "networkMode", "host")),
    caught: ["no-host-access @ dean-redis-server"], message: /`networkMode: host`/,
  },
  {
    policy: "published-ports", change: "the orchestrator published beside nginx",
    mutation: (r) => replace(r, "dean-orchestrator-1", (d) => setProp(d, "ports", [{ internal: 8082, external: 8082 }])),
    caught: ["published-ports @ dean-orchestrator-1"], message: /publishes 0\.0\.0\.0:8082->8082: only nginx may publish/,
  },
  {
    policy: "healthcheck-and-restart", change: "no healthcheck and no restart policy",
    mutation: (r) => mutate(r, service("redis"), (d) => {
      setProp(d, "healthcheck", undefined);
      setProp(d, "restart", "no");
    }),
    caught: ["healthcheck-and-restart @ dean-redis-server"], message: /it has no healthcheck; its restart policy is `no`/,
  },
  {
    policy: "log-rotation", change: "json-file logs without rotation",
    mutation: (r) => mutate(r, service("nginx"), (d) => setProp(d, "logOpts", undefined)),
    caught: ["log-rotation @ dean-nginx-server"], message: /no max-size.*no max-file/,
  },
  {
    policy: "log-rotation", change: "an unbounded log driver",
    mutation: (r) => mutate(r, service("backup"), (d) => setProp(d, "logDriver", "fluentd")),
    caught: ["log-rotation @ dean-backup-job"], message: /log driver `fluentd` is not one known to be bounded/,
  },
  {
    policy: "credentials-declared-secret", change: "credentials in envs not declared secret",
    mutation: (r) => mutate(r, service("backup"), (d) => {
      d.additionalSecretOutputs = [];
    }),
    caught: ["credentials-declared-secret @ dean-backup-job"], message: /passes credentials in `envs` \(PGPASSWORD\) but does not declare `envs` secret/,
  },
  {
    policy: "credentials-declared-secret", change: "a password on a docker command line",
    mutation: (r) => replace(r, "dean-orchestrator-migration", (d) => setProp(d, "create", `${String(d.inputs.create)} -e PGPASSWORD=hunter2hunter2`)),
    caught: ["credentials-declared-secret @ dean-orchestrator-migration"], message: /puts PGPASSWORD on a command line/,
  },
  {
    policy: "credentials-generated", change: "a literal password inside a URL",
    mutation: (r) => replace(r, "dean-orchestrator-3", (d) => setEnv(d, "DATABASE_URL", "postgresql://dean:changeme1234@postgres:5432/dean_production")),
    caught: ["credentials-generated @ dean-orchestrator-3"], message: /DATABASE_URL in `envs` is not the output of a generated secret/,
  },
  {
    policy: "nginx-rate-limit", change: "limited requests answered 503",
    mutation: (r) => editNginxConf(r, (conf) => conf.replace(/^\s*limit_req_status 429;\n/m, "")),
    caught: ["nginx-rate-limit @ dean-nginx-config-release"], message: /answers limited requests with 503, not 429/,
  },
  {
    policy: "nginx-rate-limit", change: "nginx runs a configuration the pack cannot see",
    mutation: withUncheckedNginxConf,
    caught: ["nginx-rate-limit @ dean-nginx-server"], message: /neither uploads \/etc\/nginx\/nginx\.conf nor runs the live release \(nginx -c \/etc\/nginx\/dean\/current\/nginx\.conf\)/,
  },
  {
    policy: "connection-budget", change: "a replica whose pool size is unknown",
    mutation: (r) => replace(r, "dean-orchestrator-2", (d) => {
      setProp(d, "envs", (d.inputs.envs as string[]).filter((e) => !e.startsWith("DATABASE_POOL_SIZE=")));
      setLabel(d, "dean.db-budget.pool-size", undefined);
    }),
    caught: ["connection-budget @ dean-orchestrator-2"], message: /cannot be bounded: DATABASE_POOL_SIZE is not set/,
  },
  {
    policy: "production-backups", change: "short retention and no verification",
    mutation: (r) => mutate(r, service("backup"), (d) => {
      setLabel(d, "dean.backup.retention-days", "3");
      setLabel(d, "dean.backup.verify", undefined);
    }),
    caught: ["production-backups @ dean-backup-job"], message: /retention is 3 days .*; verification is off/,
  },
  {
    policy: "data-volume-retained", change: "the production data volume unprotected",
    mutation: (r) => replace(r, "dean-postgres-data", (d) => {
      d.protect = false;
    }),
    caught: ["data-volume-retained @ dean-postgres-data"], message: /it is not protected in production/,
  },
];

/** Issue 13 (CIS Docker Benchmark 5.13 and 5.29): a writable root filesystem, a missing or void PIDs limit. */
const cisCases: Case[] = [
  {
    policy: "read-only-root-filesystem", change: "a service container with a writable root filesystem",
    mutation: (r) => mutate(r, service("postgres"), (d) => setProp(d, "readOnly", false)),
    caught: ["read-only-root-filesystem @ dean-postgres-server"], message: /^dean-postgres-server \(postgres\): its root filesystem is writable \(`readOnly` is not true\)/,
  },
  {
    policy: "read-only-root-filesystem", change: "a replica without readOnly at all",
    mutation: (r) => replace(r, "dean-orchestrator-2", (d) => setProp(d, "readOnly", undefined)),
    caught: ["read-only-root-filesystem @ dean-orchestrator-2"], message: /its root filesystem is writable/,
  },
  {
    policy: "pids-limit", change: "a container whose PIDs limit no command sets",
    mutation: (r) => r.filter((resource) => resource.name !== "dean-redis-pids-limit"),
    caught: ["pids-limit @ dean-redis-server"], message: /^dean-redis-server \(redis\): no command sets its PIDs limit .*Fix: set dean:redis\.resources\.pidsLimit/,
  },
  {
    policy: "pids-limit", change: "--pids-limit 0 (no limit)",
    mutation: (r) => replace(r, "dean-nginx-pids-limit", (d) => setProp(d, "create", 'docker update --pids-limit 0 "$DEAN_CONTAINER"')),
    caught: ["pids-limit @ dean-nginx-server"], message: /dean-nginx-pids-limit: --pids-limit 0 means no limit at all/,
  },
  {
    policy: "pids-limit", change: "--pids-limit -1 (unlimited)",
    mutation: (r) => replace(r, "dean-orchestrator-replica-3-pids-limit", (d) => setProp(d, "create", 'docker update --pids-limit=-1 "$DEAN_CONTAINER"')),
    caught: ["pids-limit @ dean-orchestrator-3"], message: /--pids-limit -1 means no limit at all/,
  },
  {
    policy: "pids-limit", change: "a limit set once, not again for a replaced container (no trigger on it)",
    mutation: (r) => replace(r, "dean-backup-pids-limit", (d) => {
      setProp(d, "triggers", ["once"]);
      d.propertyDependencies = { ...d.propertyDependencies, triggers: [] };
    }),
    caught: ["pids-limit @ dean-backup-job"], message: /no command sets its PIDs limit \(`docker update --pids-limit N` triggered by the container, so a replacement gets it again\)/,
  },
  {
    policy: "data-volume-retained", change: "the Postgres secrets volume mounted writable (so it could hold data)",
    mutation: (r) => mutate(r, service("postgres"), (d) => setProp(d, "volumes", (d.inputs.volumes as { readOnly?: boolean }[]).map(({ readOnly: _readOnly, ...volume }) => volume))),
    caught: ["data-volume-retained @ dean-postgres-secrets"], message: /dean-postgres-secrets \(postgres\) holds postgres data of dean-postgres-server: it is not marked retained on delete/,
  },
];

describe.each([
  ["the issue's mutation cases", issueCases],
  ["each rule's failing case", ruleCases],
  ["issue 13: CIS Docker Benchmark 5.13 and 5.29", cisCases],
])("%s", (_title, cases) => {
  test.each(cases)("$policy catches $change", async ({ policy, mutation, caught, message }) => {
    expect(ofPolicy(baseline, policy)).toEqual([]);
    const found = added(await check(pack, mutation(prod)), baseline);
    expect(where(found)).toEqual(caught);
    expect(found.every((diagnostic) => diagnostic.level === "mandatory")).toBe(true);
    if (message) expect(found[0].message).toMatch(message);
  });
});

describe("rules that depend on the stack", () => {
  test("raising replicas breaks the budget at the 4th replica, and the message shows the sum", async () => {
    let replicas = 3;
    let budget: ReturnType<typeof ofPolicy> = [];
    while (budget.length === 0 && replicas < 10) {
      replicas++;
      budget = ofPolicy(await check(pack, withReplicas(prod, replicas)), "connection-budget");
    }
    expect(replicas).toBe(4);
    expect(budget[0].message).toContain("4 replicas x 8 workers x (5 pool + 2 overflow) = 224 + 2 backup + 5 admin reserve + 3 superuser reserved = 234 > max_connections 200");
  });

  test("dev needs no backups and no protected volume; prod needs both", async () => {
    const devVariant = withoutBackups(mutate(dev, ofType(VOLUME), (d) => {
      d.protect = false;
    }));
    expect(where(mandatory(await check(pack, devVariant, { stack: "dev" })))).toEqual([]);
  });

  test("at the first preview, with generated secrets, what is built from them and image IDs unknown, the rules still decide", async () => {
    const preview = firstPreview(prod);
    const run = await check(pack, preview);
    expect(where(mandatory(run))).toEqual([]);
    // The budget is computed from the plain entries beside the unknown secret ones, and refused.
    const overBudget = ofPolicy(await check(pack, firstPreview(withReplicas(prod, 4))), "connection-budget");
    expect(overBudget.map((diagnostic) => diagnostic.message)).toEqual([expect.stringContaining("4 replicas x 8 workers x (5 pool + 2 overflow) = 224")]);
    // An unpinned reference is known at preview (the RemoteImage's name), and refused.
    const unpinned = mutate(preview, named("dean-images-redis"), (d) => setProp(d, "name", "redis:latest"));
    expect(where(ofPolicy(await check(pack, unpinned), "pinned-images"))).toEqual(["pinned-images @ dean-images-redis"]);
    // A literal is known at preview too, and is still caught.
    const literal = mutate(preview, service("redis"), (d) => setLiteralEnvs(d, ["REDISCLI_AUTH=typed-in-by-hand-1234"]));
    expect(where(ofPolicy(await check(pack, literal), "credentials-generated"))).toEqual(["credentials-generated @ dean-redis-server"]);
  });

  test("at the first preview, with the containers' names and IDs unknown, the PIDs limits are read from the commands' text and the dependency graph", async () => {
    const preview = firstPreview(prod);
    expect(ofPolicy(await check(pack, preview), "pids-limit")).toEqual([]);
    // A void limit and a missing command are refused before anything exists.
    const unlimited = mutate(preview, named("dean-postgres-pids-limit"), (d) => setProp(d, "create", 'docker update --pids-limit 0 "$DEAN_CONTAINER"'));
    expect(ofPolicy(await check(pack, unlimited), "pids-limit").map((d) => d.message)).toEqual([expect.stringContaining("--pids-limit 0 means no limit at all")]);
    const missing = preview.filter((resource) => resource.name !== "dean-orchestrator-replica-2-pids-limit");
    expect(where(ofPolicy(await check(pack, missing), "pids-limit"))).toEqual(["pids-limit @ dean-orchestrator-2"]);
    // A command whose text is unknown cannot be checked: refused, not passed.
    const computed = mutate(preview, named("dean-redis-pids-limit"), (d) => setProp(d, "create", UNKNOWN));
    expect(ofPolicy(await check(pack, computed), "pids-limit").map((d) => d.message)).toEqual([
      expect.stringContaining("dean-redis-pids-limit runs a command whose text is not known before the update, so its limit cannot be checked"),
    ]);
    // Another command following the container whose text is not known yet (nginx's reload, when
    // a config change updates the release it names) leaves the known limit in charge.
    const reloading = mutate(preview, named("dean-nginx-reload"), (d) => setProp(d, "create", UNKNOWN));
    expect(ofPolicy(await check(pack, reloading), "pids-limit")).toEqual([]);
    const reloadingUnlimited = mutate(reloading, named("dean-nginx-pids-limit"), (d) => setProp(d, "create", 'docker update --pids-limit 0 "$DEAN_CONTAINER"'));
    expect(ofPolicy(await check(pack, reloadingUnlimited), "pids-limit").map((d) => d.message)).toEqual([expect.stringContaining("--pids-limit 0 means no limit at all")]);
  });

  test("a PIDs limit above the configured maximum is refused", async () => {
    const run = await check(pack, prod, { config: { "pids-limit": { properties: { maxPidsLimit: 600 } } } });
    expect(where(ofPolicy(run, "pids-limit"))).toEqual(["pids-limit @ dean-orchestrator-1", "pids-limit @ dean-orchestrator-2", "pids-limit @ dean-orchestrator-3"]);
    expect(ofPolicy(run, "pids-limit")[0].message).toContain("--pids-limit 1024 is above the maximum of 600");
  });

  test("a readOnly that is not known before the update is refused, not passed", async () => {
    const computed = mutate(prod, service("nginx"), (d) => setProp(d, "readOnly", UNKNOWN));
    expect(ofPolicy(await check(pack, computed), "read-only-root-filesystem").map((d) => d.message)).toEqual([
      expect.stringContaining("whether its root filesystem is read-only is not known before the update"),
    ]);
  });

  test("at the preview of a rotation, an environment still showing the secret being replaced is not taken for a literal", async () => {
    // The engine's view: the rotated generator's result is unknown, the replicas' envs (built
    // from it) still hold the old password, which no generator holds any more.
    const rotating = mutate(prod, named("dean-secrets-database"), (d) => {
      for (const key of ["result", "bcryptHash"]) setProp(d, key, UNKNOWN);
    });
    const generator = prod.find((resource) => resource.name === "dean-secrets-database");
    const replica = prod.find((resource) => resource.name === "dean-orchestrator-1");
    expect(replica?.propertyDependencies.envs).toContain(generator?.urn);
    expect(where(ofPolicy(await check(pack, rotating), "credentials-generated"))).toEqual([]);
    // A literal in an environment that does not come from the rotated generator is still caught.
    const literal = mutate(rotating, service("redis"), (d) => setLiteralEnvs(d, ["REDISCLI_AUTH=typed-in-by-hand-1234"]));
    expect(where(ofPolicy(await check(pack, literal), "credentials-generated"))).toEqual(["credentials-generated @ dean-redis-server"]);
  });

  test("a budget whose settings are neither known nor labelled at preview is refused, saying why", async () => {
    const unlabelled = mutate(firstPreview(prod), named("dean-orchestrator-1"), (d) => {
      for (const label of Object.values(BUDGET_LABELS)) setLabel(d, label, undefined);
    });
    const budget = ofPolicy(await check(pack, unlabelled), "connection-budget");
    expect(budget.map((diagnostic) => diagnostic.message)).toEqual([
      expect.stringContaining("UVICORN_WORKERS is not known at preview and the label dean.db-budget.workers is missing"),
    ]);
  });

  test("budget labels that disagree with the environment are refused: the service reads the environment", async () => {
    const lying = mutate(prod, named("dean-orchestrator-1"), (d) => setLabel(d, "dean.db-budget.pool-size", "1"));
    const budget = ofPolicy(await check(pack, lying), "connection-budget");
    expect(budget.map((diagnostic) => diagnostic.message)).toEqual([
      expect.stringContaining("DATABASE_POOL_SIZE is `5` but its label dean.db-budget.pool-size says `1`"),
    ]);
  });

  test("the secrets of a plain-text password never appear in a message", async () => {
    const run = await check(pack, mutate(prod, service("postgres"), (d) => setEnv(d, "POSTGRES_PASSWORD", "hunter2hunter2")));
    expect(JSON.stringify(run.diagnostics)).not.toContain("hunter2hunter2");
    expect(where(ofPolicy(run, "credentials-generated"))).toEqual(["credentials-generated @ dean-postgres-server"]);
  });

  test("container-hardening is advisory: a hardened container has no finding, the others do not fail the run", async () => {
    expect(ofPolicy(baseline, "container-hardening").every((d) => d.level === "advisory")).toBe(true);
    // The replicas drop every capability; Redis does not (yet).
    expect(where(ofPolicy(baseline, "container-hardening"))).not.toContain("container-hardening @ dean-orchestrator-1");
    expect(where(ofPolicy(baseline, "container-hardening"))).toContain("container-hardening @ dean-redis-server");
    const hardened = mutate(prod, service("redis"), (d) => setProp(d, "capabilities", { drops: ["ALL"], adds: ["CHOWN", "SETUID", "SETGID"] }));
    expect(where(ofPolicy(await check(pack, hardened), "container-hardening"))).not.toContain("container-hardening @ dean-redis-server");
    // The migration's and the files writers' `docker run`s carry limits, a read-only root and
    // the hardening; one without them is advised.
    const oneOff = (d: { urn: string }) => /::dean-(orchestrator-migration|redis-files-writer|postgres-secrets-writer|backup-files-writer)$/.test(d.urn);
    expect(ofPolicy(baseline, "container-hardening").filter(oneOff)).toEqual([]);
    const migration = (d: { urn: string }) => d.urn.endsWith("::dean-orchestrator-migration");
    const unlimited = mutate(prod, named("dean-orchestrator-migration"), (d) => {
      setProp(d, "create", "docker run --rm --network dean-backend -e DATABASE_URL sha256:abc python -m alembic upgrade head");
    });
    expect(ofPolicy(await check(pack, unlimited), "container-hardening").find(migration)?.message).toMatch(/without --memory, --cpus, --pids-limit, --read-only/);
  });

  test("every rule names types the program really declares", () => {
    const types = new Set(prod.map((resource) => resource.type));
    for (const type of [CONTAINER, VOLUME, REMOTE_IMAGE, COMMAND]) expect(types).toContain(type);
  });
});
