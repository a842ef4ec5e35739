import dgram from "node:dgram";
import { freePort } from "./processes";

/**
 * A minimal DNS server on 127.0.0.1 standing in for Docker's embedded DNS: it answers A
 * queries for one name with the addresses it is currently given (none: NXDOMAIN) and counts
 * the queries, so a test can watch nginx re-resolve the orchestrator's name.
 */
export interface StandInDns {
  readonly port: number;
  /** Questions received so far (names, lower case). */
  readonly queries: string[];
  answerWith(addresses: readonly string[]): void;
  close(): Promise<void>;
}

function questionName(packet: Buffer): { name: string; end: number } {
  const labels: string[] = [];
  let offset = 12;
  while (packet[offset] !== 0) {
    const length = packet[offset];
    labels.push(packet.subarray(offset + 1, offset + 1 + length).toString("ascii"));
    offset += 1 + length;
  }
  return { name: labels.join(".").toLowerCase(), end: offset + 5 };
}

function answer(query: Buffer, addresses: readonly string[]): Buffer {
  const { end } = questionName(query);
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2);
  // QR + the client's RD + RA; rcode 3 (NXDOMAIN) when there is nothing to answer.
  header.writeUInt16BE(0x8080 | (query.readUInt16BE(2) & 0x0100) | (addresses.length === 0 ? 3 : 0), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addresses.length, 6);
  const records = addresses.map((address) => {
    const record = Buffer.alloc(16);
    record.writeUInt16BE(0xc00c, 0);
    record.writeUInt16BE(1, 2);
    record.writeUInt16BE(1, 4);
    record.writeUInt32BE(1, 6);
    record.writeUInt16BE(4, 10);
    address.split(".").forEach((octet, i) => record.writeUInt8(Number(octet), 12 + i));
    return record;
  });
  return Buffer.concat([header, query.subarray(12, end), ...records]);
}

export async function startStandInDns(name: string, addresses: readonly string[]): Promise<StandInDns> {
  const socket = dgram.createSocket("udp4");
  const queries: string[] = [];
  let current = [...addresses];
  socket.on("message", (query, peer) => {
    const asked = questionName(query).name;
    queries.push(asked);
    socket.send(answer(query, asked === name.toLowerCase() ? current : []), peer.port, peer.address);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => socket.bind(port, "127.0.0.1", resolve));
  return {
    port,
    queries,
    answerWith: (next) => {
      current = [...next];
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
