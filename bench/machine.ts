import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import type { MachineInfo } from "./results";

/** What the figures were measured on: they mean little without it. */

function osName(): string {
  try {
    const release = fs.readFileSync("/etc/os-release", "utf8");
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(release)?.[1] ?? os.type();
  } catch {
    return os.type();
  }
}

function dockerEngine(): string {
  const result = spawnSync("docker", ["version", "--format", "{{.Server.Version}}"], { encoding: "utf8", timeout: 10_000 });
  return result.status === 0 ? result.stdout.trim() : "not running";
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: osName(),
    kernel: os.release(),
    node: process.version,
    dockerEngine: dockerEngine(),
    loadAverage: Number(os.loadavg()[0].toFixed(2)),
  };
}
