import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Socket } from "node:net";
import { runKeepAliveLoad } from "../../../bench/keepalive-load";
import { failedRequests } from "../../../bench/load";

/** runKeepAliveLoad against a local server on 127.0.0.1 whose answers the test chooses. */

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

type Answer = { readonly status: number; readonly close?: boolean } | "reset";

describe("bounded load through Node's HTTP client, keep-alive as clients do it", () => {
  let server: http.Server;
  let url: string;
  let answer: (count: number) => Answer;
  let received = 0;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      received++;
      const chosen = answer(received);
      if (chosen === "reset") {
        request.socket.resetAndDestroy();
        return;
      }
      // What an nginx worker shutting down after a reload sends: the answer, then the close.
      response.writeHead(chosen.status, { "content-type": "text/plain", ...(chosen.close ? { connection: "close" } : {}) }).end("ok");
    });
    server.on("connection", (socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/evolution/trials`;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    received = 0;
  });

  test("counts every status, one latency per answer, and stops at `until` without cutting a request off", async () => {
    answer = (count) => ({ status: count % 4 === 0 ? 429 : count % 5 === 0 ? 502 : 200 });
    const result = await runKeepAliveLoad({ url, rate: 20, seconds: 60, connections: 2, until: delay(1500) });
    expect(result.sent).toBe(received);
    expect(result.completed).toBe(result.sent);
    expect(result.latenciesMs).toHaveLength(result.sent);
    expect(result.unanswered).toBe(0);
    expect(Object.values(result.statuses).reduce((sum, count) => sum + count, 0)).toBe(received);
    expect(result.statuses[429]).toBe(Math.floor(received / 4));
    expect(failedRequests(result)).toBe(result.statuses[502] ?? 0);
    // Paced, not flooding: 20 r/s for about 1.5 s.
    expect(result.sent).toBeLessThanOrEqual(40);
  });

  test("an answer with Connection: close costs nothing: the next request goes on a new connection", async () => {
    answer = (count) => ({ status: 200, close: count % 2 === 0 });
    const result = await runKeepAliveLoad({ url, rate: 40, seconds: 60, connections: 2, until: delay(1200) });
    expect(result.sent).toBeGreaterThan(10);
    expect([result.errors, failedRequests(result), result.statuses[200]]).toEqual([0, 0, result.sent]);
  });

  test("a reset connection is an error and a failure, with its time window", async () => {
    answer = (count) => (count === 3 || count === 6 ? "reset" : { status: 200 });
    const result = await runKeepAliveLoad({ url, rate: 20, seconds: 1, connections: 1 });
    expect(result.errors).toBe(2);
    expect(failedRequests(result)).toBe(2);
    expect(result.failureWindowSeconds).toBeGreaterThan(0);
    expect(result.completed).toBe(result.sent);
  });

  test("traffic to anything but 127.0.0.1, or without bounds, is refused before a request is sent", async () => {
    await expect(runKeepAliveLoad({ url: "http://10.0.0.1/", rate: 1, seconds: 1, connections: 1 })).rejects.toThrow(/127\.0\.0\.1 only/);
    await expect(runKeepAliveLoad({ url, rate: 10_000, seconds: 1, connections: 1 })).rejects.toThrow(/rate must be/);
    expect(received).toBe(0);
  });
});
