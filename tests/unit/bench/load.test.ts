import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { answered, assertLoopback, failedRequests, isFailedStatus, msToQuietPoint, runLoad } from "../../../bench/load";

/** runLoad against a local server on 127.0.0.1 whose answers the test chooses. */

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("bounded load through autocannon", () => {
  let server: http.Server;
  let url: string;
  let answer: (count: number) => number | "close" | "reset";
  let received = 0;

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      received++;
      const status = answer(received);
      if (status === "close") {
        request.socket.end();
        return;
      }
      if (status === "reset") {
        request.socket.resetAndDestroy();
        return;
      }
      response.writeHead(status, { "content-type": "text/plain" }).end("ok");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/evolution/trials`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    received = 0;
  });

  test("counts every status and keeps one latency per answered request", async () => {
    answer = (count) => (count % 4 === 0 ? 429 : count % 5 === 0 ? 502 : 200);
    // Stopped by `until` at a quiet point (between two seconds' requests), so no request is
    // cut off in flight however slowly this machine answers, and the counts are exact.
    const result = await runLoad({ url, rate: 20, seconds: 60, connections: 1, until: delay(2300) });
    expect(result.errors).toBe(0);
    expect(answered(result)).toBe(result.completed);
    expect(result.latenciesMs).toHaveLength(result.completed);
    // Every request counted as sent reached the server; autocannon may send one more per
    // connection as it stops, which it never counts and never waits for.
    expect(received - result.sent).toBeGreaterThanOrEqual(0);
    expect(received - result.sent).toBeLessThanOrEqual(1);
    expect(result.statuses[429]).toBeGreaterThan(0);
    expect(result.statuses[502]).toBeGreaterThan(0);
    // 429 is the limit working, not a failure; 502 is a failure.
    expect(failedRequests(result)).toBe(result.statuses[502] + result.unanswered);
    // autocannon paces per second: stopped within the fourth second, never more than four
    // seconds' worth (a slow machine may send fewer, never more).
    expect(received).toBeLessThanOrEqual(80);
  });

  test("a reset connection is an error and a failure, with its time window", async () => {
    // 10 r/s: request 3 goes in the first second, request 15 in the second (autocannon sends
    // at most 10 a second); 4 s leave a loaded machine ample time to send both.
    answer = (count) => (count === 3 || count === 15 ? "reset" : 200);
    const result = await runLoad({ url, rate: 10, seconds: 4, connections: 1 });
    expect(result.errors).toBe(2);
    expect(failedRequests(result)).toBe(2 + result.unanswered);
    expect(result.failureWindowSeconds).toBeGreaterThan(0);
    expect(result.completed).toBe(result.latenciesMs.length + result.errors);
  });

  test("a request the server drops on a cleanly closed connection is resent or counted as unanswered, never lost from the counts", async () => {
    answer = (count) => (count === 3 ? "close" : 200);
    const result = await runLoad({ url, rate: 10, seconds: 60, connections: 2, until: delay(2300) });
    expect(result.errors).toBe(0);
    // The server answered every request it received but the one it dropped, and but the one
    // per connection autocannon may send as it stops and never counts. Whether autocannon
    // resends the dropped one silently (then it is answered and sent once) or gives it up
    // (then it is sent and unanswered) depends on when it notices the close; either way the
    // counts must add up.
    expect(received - result.completed).toBeGreaterThanOrEqual(1);
    expect(received - result.completed).toBeLessThanOrEqual(1 + 2);
    expect(result.unanswered).toBeLessThanOrEqual(1);
    expect(result.sent).toBe(result.completed + result.unanswered);
  });

  test("`until` ends the load early, between two seconds' requests, so none is cut off", async () => {
    answer = () => 200;
    for (const stopAfterMs of [1000, 1500, 2100]) {
      const result = await runLoad({ url, rate: 10, seconds: 60, connections: 2, until: new Promise((resolve) => setTimeout(resolve, stopAfterMs)) });
      // Stopped by \`until\`, not by the 60 s duration.
      expect(result.durationSeconds).toBeLessThan(60);
      expect(result.statuses[200]).toBeGreaterThan(0);
      expect(result.unanswered).toBe(0);
      expect(failedRequests(result)).toBe(0);
    }
  });

  test("the quiet point is 600 ms into the load's current second", () => {
    expect([0, 100, 600, 601, 1599, 2600].map(msToQuietPoint)).toEqual([600, 500, 0, 999, 1, 0]);
  });

  test("traffic to anything but 127.0.0.1, or without bounds, is refused before a request is sent", async () => {
    expect(() => assertLoopback("https://localhost:18443/")).toThrow(/127\.0\.0\.1 only/);
    expect(() => assertLoopback("http://10.0.0.1/")).toThrow(/got 10\.0\.0\.1/);
    await expect(runLoad({ url: "http://192.0.2.1:80/", rate: 1, seconds: 1, connections: 1 })).rejects.toThrow(/127\.0\.0\.1 only/);
    answer = () => 200;
    const invalid = runLoad({ url, rate: 1000, seconds: 1000, connections: 0 });
    await expect(invalid).rejects.toThrow(/rate must be 1\.\.200 .*seconds must be 1\.\.300 .*connections must be/);
    expect(received).toBe(0);
  });

  test("a load against a port nobody listens on stops at its error cap", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await runLoad({ url: `http://127.0.0.1:${port}/`, rate: 10, seconds: 60, connections: 1, maxErrors: 200 });
    expect(result.errors).toBeGreaterThanOrEqual(200);
    expect(answered(result)).toBe(0);
    // Stopped by the cap, not by the 60 s duration.
    expect(result.durationSeconds).toBeLessThan(60);
  });

  test("only non-2xx, non-429 statuses are failures", () => {
    expect([200, 204, 429].map(isFailedStatus)).toEqual([false, false, false]);
    expect([301, 401, 500, 502, 503, 504].map(isFailedStatus)).toEqual([true, true, true, true, true, true]);
  });
});
