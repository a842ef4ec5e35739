import { execIn, execOk } from "./docker-exec";

/** redis-cli inside the Redis container, authenticated by its REDISCLI_AUTH like operators. */
export class RedisCli {
  constructor(readonly container: string) {}

  /** `CONFIG GET name` -> value. */
  async configGet(name: string): Promise<string> {
    const lines = (await execOk(this.container, ["redis-cli", "-h", "127.0.0.1", "CONFIG", "GET", name])).split("\n");
    if (lines[0] !== name) throw new Error(`CONFIG GET ${name} answered: ${lines.join(" | ")}`);
    return lines[1] ?? "";
  }

  /** Keys matching a pattern (SCAN, never KEYS). */
  async scan(pattern: string): Promise<string[]> {
    return (await execOk(this.container, ["redis-cli", "-h", "127.0.0.1", "--scan", "--pattern", pattern])).split("\n").filter((key) => key !== "");
  }

  /** PING without the password: what an unauthenticated client gets. */
  async pingWithoutPassword(): Promise<string> {
    const result = await execIn(this.container, ["sh", "-c", "unset REDISCLI_AUTH; redis-cli -h 127.0.0.1 ping"]);
    return `${result.stdout}${result.stderr}`.trim();
  }

  /** PING with a wrong password. */
  async pingWithPassword(password: string): Promise<string> {
    const result = await execIn(this.container, ["redis-cli", "-h", "127.0.0.1", "--no-auth-warning", "ping"], { env: [`REDISCLI_AUTH=${password}`] });
    return `${result.stdout}${result.stderr}`.trim();
  }
}
