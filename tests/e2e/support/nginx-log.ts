import { demultiplex, docker } from "../../../tools/stack-driver/docker-client";

/**
 * The client address nginx logs for our requests. From the host, a connection to a port
 * published on 127.0.0.1 reaches nginx through docker-proxy, so nginx sees the frontend
 * network's gateway, not 127.0.0.1; that address is what a deny rule must name.
 */
export async function clientAddressSeenByNginx(container: string, path: string): Promise<string> {
  const raw = await docker().getContainer(container).logs({ stdout: true, stderr: false, tail: 200, follow: false });
  const { stdout } = demultiplex(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)));
  const addresses = stdout.split("\n").flatMap((line) => {
    try {
      const entry = JSON.parse(line) as { remote_addr?: string; request?: string };
      return entry.request?.includes(` ${path} `) && entry.remote_addr ? [entry.remote_addr] : [];
    } catch {
      return [];
    }
  });
  const last = addresses.at(-1);
  if (!last) throw new Error(`nginx logged no request for ${path}`);
  return last;
}
