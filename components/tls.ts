import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { NginxSettings } from "./config";

/** PEM material nginx serves; the key is always a secret output. */
export interface TlsMaterial {
  readonly certificate: pulumi.Output<string>;
  readonly key: pulumi.Output<string>;
}

export interface SelfSignedTlsArgs {
  /** CN and subjectAltName of the certificate. */
  readonly serverName: string;
}

/**
 * A self-signed certificate for dev, made once by openssl on the machine running Pulumi
 * and kept (as a secret) in the stack state, so nginx is not replaced on every update.
 */
export class SelfSignedTls extends pulumi.ComponentResource implements TlsMaterial {
  public readonly certificate: pulumi.Output<string>;
  public readonly key: pulumi.Output<string>;

  constructor(name: string, args: SelfSignedTlsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dean:edge:SelfSignedTls", name, {}, opts);
    const generate = new command.local.Command(`${name}-openssl`, {
      create: selfSignedCommand(args.serverName),
      triggers: [args.serverName],
      // Never echo the private key into the update's log.
      logging: "none",
    }, { parent: this, additionalSecretOutputs: ["stdout"] });
    const pem = pulumi.secret(generate.stdout);
    this.certificate = pem.apply((text) => pemBlock(text, "CERTIFICATE"));
    this.key = pulumi.secret(pem.apply((text) => pemBlock(text, "PRIVATE KEY")));
    this.registerOutputs({});
  }
}

/**
 * The openssl command making the certificate and key (PEM on stdout). The PEM is held in a shell
 * variable and printed only when openssl succeeds: on failure the update's error then shows
 * openssl's own reason (its stderr, which the Command provider reports) and never a
 * half-written key. The server name is a validated DNS name, safe inside the quotes.
 */
export function selfSignedCommand(serverName: string): string {
  const openssl = `openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=${serverName}" ` +
    `-addext "subjectAltName=DNS:${serverName}" -keyout /dev/stdout -out /dev/stdout`;
  return `pem=$(${openssl}) && printf '%s\\n' "$pem" || ` +
    `{ echo "openssl could not make the self-signed certificate for ${serverName} (dean:nginx.serverName); its reason is above" >&2; exit 1; }`;
}

/** The first PEM block of a kind, e.g. `CERTIFICATE`. */
export function pemBlock(text: string, kind: string): string {
  const match = new RegExp(`-----BEGIN ${kind}-----[\\s\\S]*?-----END ${kind}-----`).exec(text);
  if (!match) throw new Error(`no ${kind} PEM block in the generated TLS material`);
  return `${match[0]}\n`;
}

/** Where the nginx component takes its certificate from, resolved from config. */
export type TlsSource =
  | { readonly kind: "content"; readonly material: TlsMaterial }
  | { readonly kind: "hostFiles"; readonly certificatePath: string; readonly keyPath: string };

/** Resolves nginx.tls into a source; secret config values are passed in by index.ts. */
export function tlsSource(
  name: string,
  nginx: NginxSettings,
  secretConfig: { certificate?: pulumi.Output<string>; key?: pulumi.Output<string> },
  opts: pulumi.ComponentResourceOptions,
): TlsSource {
  switch (nginx.tls.mode) {
    case "hostFiles":
      // The schema requires both paths for this mode.
      return { kind: "hostFiles", certificatePath: nginx.tls.certificatePath ?? "", keyPath: nginx.tls.keyPath ?? "" };
    case "secretConfig":
      if (!secretConfig.certificate || !secretConfig.key) {
        throw new Error("nginx.tls.mode is secretConfig but dean:tlsCertificate or dean:tlsKey is not set");
      }
      return { kind: "content", material: { certificate: secretConfig.certificate, key: pulumi.secret(secretConfig.key) } };
    case "selfSigned":
      return { kind: "content", material: new SelfSignedTls(`${name}-tls`, { serverName: nginx.serverName }, opts) };
  }
}
