import https from "node:https";
import { waitFor } from "../../../tools/stack-driver/wait";

/** The engine stacks' server name (the default of dean:nginx.serverName): nginx drops any other. */
const SERVER_NAME = "localhost";

/** GET `path` through nginx on a published HTTPS port (the stacks' certificates are self-signed). */
export function getThroughNginx(port: number, path = "/health"): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get({ host: "127.0.0.1", port, path, servername: SERVER_NAME, headers: { host: SERVER_NAME }, rejectUnauthorized: false, timeout: 10_000 }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("timeout", () => request.destroy(new Error(`GET ${path} timed out`)));
    request.on("error", reject);
  });
}

/** The /health answer once it is 200 (bounded wait: a guard against a hang, not a target). */
export async function healthyThroughNginx(port: number): Promise<{ status: string; version: string }> {
  return waitFor("GET /health through nginx to answer 200", async () => {
    const answer = await getThroughNginx(port).catch(() => undefined);
    return answer?.status === 200 ? (JSON.parse(answer.body) as { status: string; version: string }) : undefined;
  }, 120_000, 1000);
}
