import * as https from "node:https";
import { parseStackConfig, rawSettingsFromPulumiConfig, type StackConfig } from "../../components/config";
import type { EngineStack } from "./engine-stack";
import { httpRequest, httpsRequest, type HttpResponse, jsonBody, type RequestOptions } from "./http";
import { e2eConfig } from "./stack-config";
import { sleep } from "./wait";

/**
 * How the scenarios reach the deployed stack: its validated settings, its TLS certificate (from
 * the stack's state), and requests through nginx on 127.0.0.1.
 */

/** The e2e stack config, validated and defaulted by the program's own schema. */
export function e2eSettings(): StackConfig {
  return parseStackConfig(rawSettingsFromPulumiConfig(e2eConfig().values));
}

const TLS_COMMAND = "dean-nginx-tls-openssl";
const JWT_SECRET = "dean-secrets-jwt";

/** The HS256 key the replicas verify JWTs with (the generated secret in the stack's state). */
export function stackJwtKey(stack: EngineStack): string {
  return stack.stringOutput(JWT_SECRET, "result");
}

/** The self-signed certificate nginx serves: the first PEM block the openssl command printed. */
export function stackCertificate(stack: EngineStack): string {
  const pem = stack.stringOutput(TLS_COMMAND, "stdout");
  const match = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(pem);
  if (!match) throw new Error(`${TLS_COMMAND} printed no certificate`);
  return `${match[0]}\n`;
}

export type ApiRequest = Omit<RequestOptions, "port" | "ca">;

export class StackClient {
  private readonly settings = e2eSettings();

  constructor(private readonly stack: EngineStack) {}

  get httpsPort(): number {
    return this.settings.nginx.httpsPort;
  }

  get httpPort(): number {
    return this.settings.nginx.httpPort;
  }

  /** The name nginx answers to: any other Host or SNI name is dropped. */
  get serverName(): string {
    return this.settings.nginx.serverName;
  }

  /** One HTTPS request through nginx, TLS verified against the stack's certificate. */
  request(options: ApiRequest): Promise<HttpResponse> {
    return httpsRequest({ servername: this.serverName, ...options, port: this.httpsPort, ca: stackCertificate(this.stack) });
  }

  get(path: string, headers: Record<string, string> = {}): Promise<HttpResponse> {
    return this.request({ path, headers });
  }

  /** Plain HTTP on the published port 80. */
  plainGet(path: string): Promise<HttpResponse> {
    return httpRequest({ port: this.httpPort, path, servername: this.serverName });
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
    return new https.Agent({ keepAlive: true, maxSockets: sockets, ca: stackCertificate(this.stack), servername: this.serverName });
  }

  /**
   * The replica that answered a /health request: its body names it (the container's hostname,
   * its short ID). nginx hides the X-Replica header from clients.
   */
  static replicaOf(response: HttpResponse): string {
    const replica = (jsonBody<{ replica?: unknown }>(response)).replica;
    if (typeof replica !== "string" || replica === "") throw new Error(`response ${response.status} names no replica: ${response.body.slice(0, 200)}`);
    return replica;
  }
}
