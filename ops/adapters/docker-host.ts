import * as http from "node:http";
import * as https from "node:https";
import { PassThrough } from "node:stream";
import Docker from "dockerode";
import type { ContainerHealth, ContainerState, DockerHost, ExecResult, HttpResult, OutputSink } from "../ports";

const HTTP_TIMEOUT_MS = 10_000;
const EXIT_POLLS = 40;
const EXIT_POLL_MS = 50;
/** Enough of a body to show what answered; /health bodies are small. */
const MAX_BODY_BYTES = 64 * 1024;

function toHealth(status: string | undefined): ContainerHealth {
  return status === "healthy" || status === "unhealthy" || status === "starting" ? status : "none";
}

function statusCode(error: unknown): number | undefined {
  return typeof error === "object" && error !== null && "statusCode" in error && typeof error.statusCode === "number" ? error.statusCode : undefined;
}

/** Loopback names: where the stack's self-signed certificate is expected. */
function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(hostname) || hostname === "[::1]";
}

/** DockerHost over dockerode: the engine from DOCKER_HOST or the local socket. */
export class DockerodeHost implements DockerHost {
  constructor(private readonly docker: Docker = new Docker()) {}

  async inspect(name: string): Promise<ContainerState> {
    try {
      const info = await this.docker.getContainer(name).inspect();
      return { name, exists: true, status: info.State.Status, health: toHealth(info.State.Health?.Status), labels: info.Config.Labels ?? {} };
    } catch (error) {
      if (statusCode(error) === 404) return { name, exists: false, status: "missing", health: "none", labels: {} };
      throw error;
    }
  }

  async exec(name: string, command: readonly string[], onOutput?: OutputSink): Promise<ExecResult> {
    const exec = await this.docker.getContainer(name).exec({ Cmd: [...command], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const collect = (into: Buffer[]) => {
      const sink = new PassThrough();
      sink.on("data", (chunk: Buffer) => {
        into.push(chunk);
        onOutput?.(chunk.toString("utf8"));
      });
      return sink;
    };
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    // Without a TTY the engine multiplexes stdout and stderr on one stream.
    this.docker.modem.demuxStream(stream, collect(stdout), collect(stderr));
    await new Promise<void>((resolve, reject) => {
      stream.on("end", resolve);
      stream.on("close", resolve);
      stream.on("error", reject);
    });
    // The stream can end a moment before the engine records the exit code.
    let info = await exec.inspect();
    for (let attempt = 0; info.Running && attempt < EXIT_POLLS; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, EXIT_POLL_MS));
      info = await exec.inspect();
    }
    return { exitCode: info.ExitCode ?? -1, stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8") };
  }

  httpGet(url: string): Promise<HttpResult> {
    const target = new URL(url);
    const loopback = isLoopback(target.hostname);
    const client = target.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      const request = client.get(target, {
        // nginx publishes on 127.0.0.1 only; "localhost" may resolve to ::1 first.
        ...(target.hostname === "localhost" ? { host: "127.0.0.1", servername: "localhost", headers: { host: target.host } } : {}),
        // The dev stack signs its own certificate; anything not on loopback is verified.
        rejectUnauthorized: !loopback,
        timeout: HTTP_TIMEOUT_MS,
      }, (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_BODY_BYTES) chunks.push(chunk);
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        response.on("error", reject);
      });
      request.on("timeout", () => request.destroy(new Error(`no answer within ${HTTP_TIMEOUT_MS / 1000}s`)));
      request.on("error", reject);
    });
  }
}
