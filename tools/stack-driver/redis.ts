import { execIn, execOk } from "./docker-exec";

/** The admin wrapper the Redis container carries (components/redis.ts), as operators use it. */
const ADMIN_CLI = "dean-redis-cli";

/** Redis inside its container: as the admin user like operators, or as a client with a password. */
export class RedisCli {
  constructor(readonly container: string) {}

  /** `CONFIG GET name` -> value. */
  async configGet(name: string): Promise<string> {
    const lines = (await execOk(this.container, [ADMIN_CLI, "CONFIG", "GET", name])).split("\n");
    if (lines[0] !== name) throw new Error(`CONFIG GET ${name} answered: ${lines.join(" | ")}`);
    return lines[1] ?? "";
  }

  /** Keys matching a pattern (SCAN, never KEYS). */
  async scan(pattern: string): Promise<string[]> {
    return (await execOk(this.container, [ADMIN_CLI, "--scan", "--pattern", pattern])).split("\n").filter((key) => key !== "");
  }

  /** `SET key value` as the admin user. */
  async set(key: string, value: string): Promise<void> {
    const reply = (await execOk(this.container, [ADMIN_CLI, "SET", key, value])).trim();
    if (reply !== "OK") throw new Error(`SET ${key} answered: ${reply}`);
  }

  /** `GET key` as the admin user ("" for a missing key). */
  async get(key: string): Promise<string> {
    return (await execOk(this.container, [ADMIN_CLI, "GET", key])).replace(/\n$/, "");
  }

  /** PING without a password: what an unauthenticated client gets. */
  async pingWithoutPassword(): Promise<string> {
    const result = await execIn(this.container, ["redis-cli", "-h", "127.0.0.1", "ping"]);
    return `${result.stdout}${result.stderr}`.trim();
  }

  /** PING as the application (Redis' default user) with `password`, passed in the environment. */
  async pingWithPassword(password: string): Promise<string> {
    const result = await execIn(this.container, ["redis-cli", "-h", "127.0.0.1", "--no-auth-warning", "ping"], { env: [`REDISCLI_AUTH=${password}`] });
    return `${result.stdout}${result.stderr}`.trim();
  }
}
