import * as https from "node:https";
import { parseStackConfig, rawSettingsFromPulumiConfig, type StackConfig } from "../../../components/config";
import type { E2eStack } from "../harness/deploy";
import { header, httpRequest, httpsRequest, type HttpResponse, type RequestOptions } from "../harness/http";
import { e2eConfig } from "../harness/stack-config";
import { sleep } from "../../support/wait";

/**
 * How the scenarios reach the deployed stack: its validated settings, its TLS certificate (from
 * the harness state), and requests through nginx on 127.0.0.1.
 */

/** The e2e stack config, validated and defaulted by the program's own schema. */
export function e2eSettings(): StackConfig {
  return parseStackConfig(rawSettingsFromPulumiConfig(e2eConfig().values));
}

const TLS_COMMAND = "dean-nginx-tls-openssl";
const JWT_SECRET = "dean-secrets-jwt";

/** The HS256 key the replicas verify JWTs with (the generated secret in the harness state). */
export function stackJwtKey(stack: E2eStack): string {
  return stack.state.stringOutput(JWT_SECRET, "result");
}

/** The self-signed certificate nginx serves: the first PEM block the openssl command printed. */
export function stackCertificate(stack: E2eStack): string {
  const pem = stack.state.stringOutput(TLS_COMMAND, "stdout");
  const match = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(pem);
  if (!match) throw new Error(`${TLS_COMMAND} printed no certificate`);
  return `${match[0]}\n`;
}

export type ApiRequest = Omit<RequestOptions, "port" | "ca">;

export class StackClient {
  private readonly settings = e2eSettings();

  constructor(private readonly stack: E2eStack) {}

  get httpsPort(): number {
    return this.settings.nginx.httpsPort;
  }

  get httpPort(): number {
    return this.settings.nginx.httpPort;
  }

  /** One HTTPS request through nginx, TLS verified against the stack's certificate. */
  request(options: ApiRequest): Promise<HttpResponse> {
    return httpsRequest({ ...options, port: this.httpsPort, ca: stackCertificate(this.stack) });
  }

  get(path: string, headers: Record<string, string> = {}): Promise<HttpResponse> {
    return this.request({ path, headers });
  }

  /** Plain HTTP on the published port 80. */
  plainGet(path: string): Promise<HttpResponse> {
    return httpRequest({ port: this.httpPort, path });
  }

  /**
   * A request where the rate limit is not what is being tested: a 429 is waited out (the
   * general zone refills one request per second) and retried, a bounded number of times.
   */
  async politely(options: ApiRequest): Promise<HttpResponse> {
    let response = await this.request(options);
    for (let attempt = 0; attempt < 10 && response.status === 429; attempt++) {
      await sleep(2100);
      response = await this.request(options);
    }
    return response;
  }

  /** A keep-alive agent holding `sockets` connections, for sending requests all at once. */
  keepAliveAgent(sockets: number): https.Agent {
    return new https.Agent({ keepAlive: true, maxSockets: sockets, ca: stackCertificate(this.stack), servername: "localhost" });
  }

  /** The X-Replica header (the replica container's hostname: its short ID). */
  static replicaOf(response: HttpResponse): string {
    const replica = header(response, "x-replica");
    if (!replica) throw new Error(`response ${response.status} has no X-Replica header`);
    return replica;
  }
}
