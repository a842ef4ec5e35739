import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { type BackupSettings, durationSeconds } from "./config";
import { containerFiles, filesMount, SERVICE_FILES_DIR } from "./container-files";
import { type ContainerContext, dockerName, labels, serviceContainerDefaults, shellQuote, tmpfsOptions } from "./container-defaults";
import { dataVolume } from "./data-volume";
import { pidsLimit } from "./pids-limit";
import { POSTGRES_ALIAS, POSTGRES_PORT } from "./postgres";
import { renderBackupScript } from "./render/backup-script";
import { goDuration } from "./docker-values";

export const BACKUP_DIR = "/backups";
/** On the files volume at SERVICE_FILES_DIR, so on the PATH: `docker exec <backup> dean-backup list`. */
const BACKUP_SCRIPT = "dean-backup";
/** The script's temporary files (mktemp), its root filesystem being read-only. */
const BACKUP_TMPFS: Readonly<Record<string, string>> = { "/tmp": tmpfsOptions(16) };

export interface BackupArgs {
  readonly context: ContainerContext;
  /** Validated backup settings (enabled is handled by the caller). */
  readonly settings: BackupSettings;
  /** Image ID of the postgres image: pg_dump must match the server's major version. */
  readonly image: pulumi.Input<string>;
  /** Internal network where Postgres is reachable. */
  readonly backendNetwork: pulumi.Input<string>;
  /** Database to dump. */
  readonly database: pulumi.Input<string>;
  /** Superuser the dumps and verify-restores run as. */
  readonly superuser: string;
  readonly superuserPassword: pulumi.Input<string>;
  /** The orchestrator image ID: a change triggers the pre-upgrade backup. */
  readonly orchestratorImage: pulumi.Input<string>;
  /** The orchestrator image reference, used in the pre-upgrade dump's name. */
  readonly orchestratorImageRef: string;
  /** Production: the backup volume is protected as well as retained. */
  readonly protectData: boolean;
  /** Postgres and its database must exist before anything is dumped. */
  readonly databaseReady: pulumi.Input<pulumi.Resource>[];
}

/** Healthcheck cadence: often enough to notice a missed dump, never busier than every 5 s. */
export function backupHealthcheckInterval(intervalSeconds: number): number {
  return Math.min(300, Math.max(5, Math.floor(intervalSeconds / 4)));
}

/** Dump label of an image reference, e.g. `dean/orchestrator:1.0.1` -> `orchestrator-1.0.1`. */
export function preUpgradeLabel(imageRef: string): string {
  const lastSegment = imageRef.split("/").pop() ?? imageRef;
  return lastSegment.replace(/@sha256:([a-f0-9]{12})[a-f0-9]*/, "-$1").replace(/[^A-Za-z0-9._-]/g, "-");
}

/**
 * Scheduled pg_dump with verification and retention, running in a long-lived container,
 * plus the pre-upgrade backup taken whenever the orchestrator image changes.
 */
export class DeanBackup extends pulumi.ComponentResource {
  public readonly container: docker.Container;
  public readonly volume?: docker.Volume;
  /** Sets the container's PIDs limit. */
  public readonly pidsLimit: command.local.Command;
  /** Runs `dean-backup pre-upgrade` once per orchestrator image. */
  public readonly preUpgrade: command.local.Command;
  /** File name of the dump taken before the current orchestrator image was rolled out. */
  public readonly preUpgradeBackup: pulumi.Output<string>;

  constructor(name: string, args: BackupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dean:ops:Backup", name, {}, opts);
    const { context, settings } = args;
    const intervalSeconds = durationSeconds(settings.interval);

    let target: docker.types.input.ContainerVolume;
    if (settings.hostPath) {
      target = { hostPath: settings.hostPath, containerPath: BACKUP_DIR };
    } else {
      this.volume = dataVolume(`${name}-data`, context, "backup", "backups", { parent: this, protect: args.protectData });
      target = { volumeName: this.volume.name, containerPath: BACKUP_DIR };
    }

    const files = containerFiles(`${name}-files`, {
      context,
      service: "backup",
      volumePart: "backup-files",
      image: args.image,
      files: [{ name: BACKUP_SCRIPT, executable: true, content: renderBackupScript({ backup: settings, intervalSeconds, backupDir: BACKUP_DIR }) }],
    }, { parent: this });

    const healthInterval = backupHealthcheckInterval(intervalSeconds);
    this.container = new docker.Container(`${name}-job`, {
      ...serviceContainerDefaults(context, "backup", settings.resources),
      name: dockerName(context, "backup"),
      // The schedule, retention and verification, readable by policies and operators.
      labels: [
        ...labels(context, "backup"),
        { label: "dean.backup.interval-seconds", value: String(intervalSeconds) },
        { label: "dean.backup.retention-days", value: String(settings.retentionDays) },
        { label: "dean.backup.min-keep", value: String(settings.minKeep) },
        { label: "dean.backup.verify", value: settings.verify },
      ],
      image: args.image,
      command: [BACKUP_SCRIPT, "run"],
      envs: pulumi.secret(pulumi.all([args.database, args.superuserPassword]).apply(([database, password]) => [
        `PGHOST=${POSTGRES_ALIAS}`,
        `PGPORT=${POSTGRES_PORT}`,
        `PGUSER=${args.superuser}`,
        `PGPASSWORD=${password}`,
        `PGDATABASE=${database}`,
      ])),
      volumes: [target, filesMount(files, SERVICE_FILES_DIR)],
      tmpfs: BACKUP_TMPFS,
      networksAdvanced: [{ name: args.backendNetwork }],
      healthcheck: {
        tests: ["CMD", "dean-backup", "healthcheck"],
        interval: goDuration(healthInterval),
        timeout: "10s",
        retries: 1,
        // The first dump of a large database may take a while.
        startPeriod: goDuration(Math.max(60, 2 * healthInterval)),
      },
      stopTimeout: 30,
      destroyGraceSeconds: 30,
    }, {
      parent: this,
      deleteBeforeReplace: true,
      additionalSecretOutputs: ["envs"],
      dependsOn: [...args.databaseReady, files.writer],
      replaceWith: [files.writer],
    });
    this.pidsLimit = pidsLimit(`${name}-pids-limit`, this.container, settings.resources.pidsLimit, { parent: this });

    // Runs when the orchestrator image changes (and on first deploy); migrations wait for it.
    this.preUpgrade = new command.local.Command(`${name}-pre-upgrade`, {
      create: pulumi.interpolate`docker exec ${this.container.name} dean-backup pre-upgrade ${shellQuote(preUpgradeLabel(args.orchestratorImageRef))}`,
      triggers: [args.orchestratorImage],
      logging: "stderr",
    }, { parent: this, dependsOn: [this.container, this.pidsLimit] });
    this.preUpgradeBackup = this.preUpgrade.stdout.apply(lastLine);

    this.registerOutputs({ containerName: this.container.name, preUpgradeBackup: this.preUpgradeBackup });
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split("\n");
  return lines[lines.length - 1]?.trim() ?? "";
}
