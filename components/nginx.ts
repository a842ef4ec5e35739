import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { NginxSettings } from "./config";
import { type ContainerContext, dockerName, serviceContainerDefaults } from "./container-defaults";
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
    }, { parent: this, deleteBeforeReplace: true, additionalSecretOutputs: ["uploads"] });

    this.registerOutputs({ containerName: this.container.name, publicUrl: publicUrl(settings) });
  }
}
