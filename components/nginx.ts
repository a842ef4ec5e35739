import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { NginxSettings } from "./config";
import {
  type ContainerContext, dockerName, HELPER_PIDS_LIMIT, LABEL_INSTANCE, LABEL_SERVICE, labels, serviceContainerDefaults, shellQuote, tmpfsOptions,
} from "./container-defaults";
import { pidsLimit } from "./pids-limit";
import { renderMaintenancePage } from "./render/maintenance-page";
import { renderNginxConf, renderUpstreamServers } from "./render/nginx-conf";
import {
  currentConfPath, currentMaintenanceDir, MAINTENANCE_PAGE_VARIABLE, NGINX_CONF_VARIABLE, RELEASE_TLS_CERTIFICATE, RELEASE_TLS_KEY,
  renderNginxReleaseScript, renderNginxSwitchScript, UPSTREAM_SERVERS_VARIABLE,
} from "./render/nginx-release";
import type { TlsSource } from "./tls";

/** The config volume's mount point: releases of nginx.conf, the maintenance page and TLS material. */
export const NGINX_CONFIG_ROOT = "/etc/nginx/dean";
/** Where a certificate kept on the Docker host (dean:nginx.tls.certificatePath/keyPath) is mounted. */
export const TLS_CERTIFICATE_PATH = "/etc/nginx/tls/fullchain.pem";
export const TLS_KEY_PATH = "/etc/nginx/tls/privkey.pem";
/** Docker's embedded DNS server, reachable from every container on a user-defined network. */
export const DOCKER_DNS = "127.0.0.11";
/**
 * What nginx writes, its root filesystem being read-only (nginx -t needs them too): its pid
 * file in /run, and the temporary files of buffered request and response bodies, which
 * Debian's nginx keeps in /var/lib/nginx and the official image's in /var/cache/nginx.
 */
const NGINX_TMPFS: Readonly<Record<string, string>> = {
  "/run": tmpfsOptions(1, "755"),
  "/var/lib/nginx": tmpfsOptions(64, "755"),
  "/var/cache/nginx": tmpfsOptions(64, "755"),
};

export interface NginxArgs {
  readonly context: ContainerContext;
  /** Validated nginx settings. */
  readonly settings: NginxSettings;
  /** Image ID of the nginx image. */
  readonly image: pulumi.Input<string>;
  /** Network shared with the orchestrator replicas. */
  readonly frontendNetwork: pulumi.Input<string>;
  /**
   * The orchestrator replicas' container names (on the frontend network) and their port. A
   * change makes a new release and a reload, which drains replicas that are about to go.
   */
  readonly upstreamServers: pulumi.Input<string>[];
  readonly upstreamPort: number;
  /** A name every replica answers to on the frontend network, for a resent request. */
  readonly replicaAlias: string;
  /** Certificate and key: uploaded content, or files on the Docker host. */
  readonly tls: TlsSource;
}

/** Host ports nginx publishes: none when the stack is isolated. */
export function publishedPorts(settings: NginxSettings): docker.types.input.ContainerPort[] {
  if (settings.isolate) return [];
  return [
    { internal: 80, external: settings.httpPort, ip: settings.bindAddress },
    { internal: 443, external: settings.httpsPort, ip: settings.bindAddress },
  ];
}

/**
 * The public URL of the stack, or a note that it is isolated. Always the server name: nginx
 * answers no other (a request by IP address is dropped), so the name must resolve to
 * dean:nginx.bindAddress wherever clients are.
 */
export function publicUrl(settings: NginxSettings): string {
  if (settings.isolate) return "isolated: no port is published";
  return `https://${settings.serverName}${settings.httpsPort === 443 ? "" : `:${settings.httpsPort}`}/`;
}

/**
 * nginx in front: TLS, per-IP rate limits, deny list, maintenance and isolate switches. Its
 * configuration lives on a volume as releases (see render/nginx-release.ts): a config change
 * is checked with `nginx -t`, switched and reloaded, so nginx keeps serving throughout. Only
 * what Docker fixes at creation (image, ports, mounts) replaces the container.
 */
export class DeanNginx extends pulumi.ComponentResource {
  public readonly configVolume: docker.Volume;
  /** Writes, checks and switches to the rendered configuration; its stdout is the release ID. */
  public readonly release: command.local.Command;
  public readonly container: docker.Container;
  /** Makes the running nginx load the current release. */
  public readonly reload: command.local.Command;
  /** Sets the container's PIDs limit. */
  public readonly pidsLimit: command.local.Command;

  constructor(name: string, args: NginxArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dean:edge:Nginx", name, {}, opts);
    const { context, settings, tls } = args;
    const conf = renderNginxConf({
      nginx: settings,
      resolver: DOCKER_DNS,
      replicaAlias: { host: args.replicaAlias, port: args.upstreamPort },
      // Uploaded material sits in the release, beside nginx.conf; host files are mounted.
      tlsCertificatePath: tls.kind === "content" ? RELEASE_TLS_CERTIFICATE : TLS_CERTIFICATE_PATH,
      tlsKeyPath: tls.kind === "content" ? RELEASE_TLS_KEY : TLS_KEY_PATH,
      maintenancePageDir: currentMaintenanceDir(NGINX_CONFIG_ROOT),
    });

    const hostTlsFiles = tls.kind === "hostFiles"
      ? [{ source: tls.certificatePath, target: TLS_CERTIFICATE_PATH }, { source: tls.keyPath, target: TLS_KEY_PATH }]
      : [];
    const releaseDependsOn: pulumi.Resource[] = [];
    if (tls.kind === "hostFiles") releaseDependsOn.push(hostTlsFilesCheck(`${name}-tls-files-check`, tls, args.image, this));

    // Holds rendered files only, no data: deleted with the stack.
    this.configVolume = new docker.Volume(`${name}-config`, {
      name: dockerName(context, "nginx-config"),
      labels: labels(context, "nginx"),
    }, { parent: this });

    this.release = new command.local.Command(`${name}-config-release`, {
      // A throwaway container of the nginx image, off every network, checks the candidate.
      create: pulumi.all([this.configVolume.name, args.image]).apply(([volume, image]) => [
        `docker run --rm -i --network none --read-only ${Object.entries(NGINX_TMPFS).map(([path, options]) => `--tmpfs ${path}:${options}`).join(" ")} --pids-limit ${HELPER_PIDS_LIMIT}`,
        `--label ${LABEL_INSTANCE}=${context.instanceName} --label ${LABEL_SERVICE}=nginx-config`,
        `-e ${NGINX_CONF_VARIABLE} -e ${UPSTREAM_SERVERS_VARIABLE} -e ${MAINTENANCE_PAGE_VARIABLE}`,
        `--mount type=volume,source=${volume},target=${NGINX_CONFIG_ROOT}`,
        ...hostTlsFiles.map((file) => `--mount ${shellQuote(`type=bind,source=${file.source},target=${file.target},readonly`)}`),
        `--entrypoint sh ${image} -c ${shellQuote(renderNginxReleaseScript(NGINX_CONFIG_ROOT))}`,
      ].join(" ")),
      // One key per file: nginx.conf stays known at a preview (policies read it) even when a
      // replica's name is not known yet.
      environment: {
        [NGINX_CONF_VARIABLE]: conf,
        [UPSTREAM_SERVERS_VARIABLE]: pulumi.all(args.upstreamServers).apply((hosts) => renderUpstreamServers(hosts, args.upstreamPort)),
        [MAINTENANCE_PAGE_VARIABLE]: renderMaintenancePage(),
      },
      stdin: tls.kind === "content"
        ? pulumi.secret(pulumi.all([tls.material.certificate, tls.material.key]).apply(([certificate, key]) => `${certificate.trimEnd()}\n${key.trimEnd()}\n`))
        : "",
      logging: "stderr",
    }, { parent: this, dependsOn: releaseDependsOn, additionalSecretOutputs: ["stdin"] });

    this.container = new docker.Container(`${name}-server`, {
      ...serviceContainerDefaults(context, "nginx", settings.resources),
      name: dockerName(context, "nginx"),
      image: args.image,
      command: ["nginx", "-c", currentConfPath(NGINX_CONFIG_ROOT), "-g", "daemon off;"],
      volumes: [
        // Writable for the switch script, run as root; the workers run unprivileged.
        { volumeName: this.configVolume.name, containerPath: NGINX_CONFIG_ROOT },
        ...hostTlsFiles.map((file) => ({ hostPath: file.source, containerPath: file.target, readOnly: true })),
      ],
      tmpfs: NGINX_TMPFS,
      networksAdvanced: [{ name: args.frontendNetwork }],
      ports: publishedPorts(settings),
      healthcheck: {
        // nginx accepts TLS connections (bash's /dev/tcp: the image needs no curl).
        tests: ["CMD", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/443"],
        interval: "10s",
        timeout: "5s",
        retries: 3,
        startPeriod: "5s",
      },
      wait: true,
      waitTimeout: 60,
      // SIGQUIT lets nginx finish the requests in flight.
      stopSignal: "SIGQUIT",
      stopTimeout: 20,
      destroyGraceSeconds: 20,
    }, { parent: this, deleteBeforeReplace: true, dependsOn: [this.release] });
    this.pidsLimit = pidsLimit(`${name}-pids-limit`, this.container, settings.resources.pidsLimit, { parent: this });

    // nginx's master is the container's PID 1 (the image runs nginx itself, in the foreground).
    // (A mock runtime leaves stdout undefined.)
    const releaseId = this.release.stdout.apply((stdout: string | undefined) => (stdout ?? "").trim());
    this.reload = new command.local.Command(`${name}-reload`, {
      create: pulumi.interpolate`docker exec ${this.container.name} sh -c ${shellQuote(renderNginxSwitchScript(NGINX_CONFIG_ROOT, "1"))} dean-nginx-switch ${releaseId}`,
      triggers: [releaseId, this.container.id],
      logging: "stderr",
    }, { parent: this, dependsOn: [this.container] });

    this.registerOutputs({ containerName: this.container.name, publicUrl: publicUrl(settings) });
  }
}

/**
 * The check behind hostTlsFilesCheck, a shell script run with IMAGE set to an image that has
 * `test`: exit 1 with the config key and path named when either file is not a file on the
 * Docker host. `--mount` refuses a missing source instead of creating it as `-v` would.
 */
export function hostTlsFilesScript(tls: { readonly certificatePath: string; readonly keyPath: string }): string {
  const files: ReadonlyArray<[string, string]> = [["dean:nginx.tls.certificatePath", tls.certificatePath], ["dean:nginx.tls.keyPath", tls.keyPath]];
  const checks = files.map(([key, file], index) =>
    `docker run --rm --network none --read-only --pids-limit ${HELPER_PIDS_LIMIT} --mount ${shellQuote(`type=bind,source=${file},target=/check/${index},readonly`)} "$IMAGE" test -f /check/${index} ` +
    `|| { echo ${shellQuote(`${key}: ${file} is not a readable file on the Docker host (nginx would get an empty directory there)`)} >&2; exit 1; }`);
  return ["set -u", ...checks].join("\n");
}

/**
 * Fails the update, naming the path, when a hostFiles certificate or key is not a file on the
 * Docker host: bind-mounted as a volume, a missing path would be created there as an empty
 * directory and nginx would never turn healthy. The check runs where the files must be.
 */
function hostTlsFilesCheck(name: string, tls: { readonly certificatePath: string; readonly keyPath: string }, image: pulumi.Input<string>, parent: pulumi.Resource): command.local.Command {
  return new command.local.Command(name, {
    create: hostTlsFilesScript(tls),
    environment: { IMAGE: image },
    triggers: [tls.certificatePath, tls.keyPath],
  }, { parent });
}
