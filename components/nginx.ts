import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { NginxSettings } from "./config";
import { type ContainerContext, dockerName, serviceContainerDefaults, shellQuote } from "./container-defaults";
import { renderMaintenancePage } from "./render/maintenance-page";
import { renderNginxConf } from "./render/nginx-conf";
import type { TlsSource } from "./tls";

export const NGINX_CONF_PATH = "/etc/nginx/nginx.conf";
export const TLS_CERTIFICATE_PATH = "/etc/nginx/tls/fullchain.pem";
export const TLS_KEY_PATH = "/etc/nginx/tls/privkey.pem";
export const MAINTENANCE_DIR = "/usr/share/nginx/maintenance";
/** Docker's embedded DNS server, reachable from every container on a user-defined network. */
export const DOCKER_DNS = "127.0.0.11";

export interface NginxArgs {
  readonly context: ContainerContext;
  /** Validated nginx settings. */
  readonly settings: NginxSettings;
  /** Image ID of the nginx image. */
  readonly image: pulumi.Input<string>;
  /** Network shared with the orchestrator replicas. */
  readonly frontendNetwork: pulumi.Input<string>;
  /** DNS alias of the orchestrator replicas and their port. */
  readonly upstreamHost: string;
  readonly upstreamPort: number;
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

/** The public URL of the stack, or a note that it is isolated. */
export function publicUrl(settings: NginxSettings): string {
  if (settings.isolate) return "isolated: no port is published";
  const host = settings.bindAddress === "0.0.0.0" || settings.bindAddress === "127.0.0.1" ? settings.serverName : settings.bindAddress;
  return `https://${host}${settings.httpsPort === 443 ? "" : `:${settings.httpsPort}`}/`;
}

/** nginx in front: TLS, per-IP rate limits, deny list, maintenance and isolate switches. */
export class DeanNginx extends pulumi.ComponentResource {
  public readonly container: docker.Container;

  constructor(name: string, args: NginxArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dean:edge:Nginx", name, {}, opts);
    const { context, settings, tls } = args;
    const conf = renderNginxConf({
      nginx: settings,
      upstreamHost: args.upstreamHost,
      upstreamPort: args.upstreamPort,
      resolver: DOCKER_DNS,
      tlsCertificatePath: TLS_CERTIFICATE_PATH,
      tlsKeyPath: TLS_KEY_PATH,
      maintenancePageDir: MAINTENANCE_DIR,
    });

    const uploads: docker.types.input.ContainerUpload[] = [
      { file: NGINX_CONF_PATH, content: conf },
      { file: `${MAINTENANCE_DIR}/maintenance.html`, content: renderMaintenancePage() },
    ];
    const volumes: docker.types.input.ContainerVolume[] = [];
    const dependsOn: pulumi.Resource[] = [];
    if (tls.kind === "hostFiles") dependsOn.push(hostTlsFilesCheck(`${name}-tls-files-check`, tls, args.image, this));
    if (tls.kind === "content") {
      uploads.push({ file: TLS_CERTIFICATE_PATH, content: tls.material.certificate });
      uploads.push({ file: TLS_KEY_PATH, content: pulumi.secret(tls.material.key), permissions: "0600" });
    } else {
      volumes.push({ hostPath: tls.certificatePath, containerPath: TLS_CERTIFICATE_PATH, readOnly: true });
      volumes.push({ hostPath: tls.keyPath, containerPath: TLS_KEY_PATH, readOnly: true });
    }

    this.container = new docker.Container(`${name}-server`, {
      ...serviceContainerDefaults(context, "nginx", settings.resources),
      name: dockerName(context, "nginx"),
      image: args.image,
      command: ["nginx", "-g", "daemon off;"],
      uploads,
      volumes,
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
    }, { parent: this, deleteBeforeReplace: true, additionalSecretOutputs: ["uploads"], dependsOn });

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
    `docker run --rm --network none --mount ${shellQuote(`type=bind,source=${file},target=/check/${index},readonly`)} "$IMAGE" test -f /check/${index} ` +
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
