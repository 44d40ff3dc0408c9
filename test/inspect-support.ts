// Writers for the capture tests: link layers, IPv4/IPv6, TCP segments, pcap and pcapng
// files, and whole WebSocket sessions cut into segments. The tests build every fixture
// from a known session, so each decoded frame can be checked against what was sent.
import { buildFrame, concatBytes, type FrameSpec } from './reference/frame-builder.js';

export { buildFrame, concatBytes, type FrameSpec };

export interface Endpoint { ip: string; port: number }
export interface RawPacket { time: number; data: Uint8Array }

const u16 = (n: number): number[] => [(n >>> 8) & 0xff, n & 0xff];
const u32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

function ipBytes(ip: string): number[] {
  if (!ip.includes(':')) return ip.split('.').map(Number);
  const [head, tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const words = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((w) => parseInt(w, 16));
  return words.flatMap(u16);
}

export const TCP = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

export function tcpHeader(sport: number, dport: number, seq: number, ack: number, flags: number, payload: Uint8Array): Uint8Array {
  return Uint8Array.from([...u16(sport), ...u16(dport), ...u32(seq >>> 0), ...u32(ack >>> 0), 0x50, flags, ...u16(65535), 0, 0, 0, 0, ...payload]);
}

export function ipv4(src: string, dst: string, payload: Uint8Array, protocol = 6): Uint8Array {
  const total = 20 + payload.length;
  const h = [0x45, 0, ...u16(total), 0, 1, 0x40, 0, 64, protocol, 0, 0, ...ipBytes(src), ...ipBytes(dst)];
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (h[i] << 8) | h[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const check = ~sum & 0xffff;
  h[10] = check >>> 8; h[11] = check & 0xff;
  return Uint8Array.from([...h, ...payload]);
}

export function ipv6(src: string, dst: string, payload: Uint8Array, next = 6): Uint8Array {
  return Uint8Array.from([0x60, 0, 0, 0, ...u16(payload.length), next, 64, ...ipBytes(src), ...ipBytes(dst), ...payload]);
}

export type Link = 'ethernet' | 'sll' | 'sll2' | 'null' | 'raw';
export const LINK_TYPES: Record<Link, number> = { ethernet: 1, sll: 113, sll2: 276, null: 0, raw: 101 };

export function linkFrame(link: Link, ip: Uint8Array): Uint8Array {
  const v6 = ip[0] >> 4 === 6;
  const type = v6 ? 0x86dd : 0x0800;
  switch (link) {
    case 'ethernet': return Uint8Array.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, ...u16(type), ...ip]);
    case 'sll': return Uint8Array.from([0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, ...u16(type), ...ip]);
    case 'sll2': return Uint8Array.from([...u16(type), 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, ...ip]);
    case 'null': return Uint8Array.from([v6 ? 30 : 2, 0, 0, 0, ...ip]); // AF_INET / BSD AF_INET6, little-endian host
    case 'raw': return ip;
  }
}

/** A classic pcap file. */
export function writePcap(linkType: number, packets: readonly RawPacket[], o: { le?: boolean; nano?: boolean } = {}): Uint8Array {
  const le = o.le ?? true;
  const parts: Uint8Array[] = [];
  const w32 = (n: number): number[] => (le ? u32(n).reverse() : u32(n));
  const w16 = (n: number): number[] => (le ? u16(n).reverse() : u16(n));
  parts.push(Uint8Array.from([...w32(o.nano ? 0xa1b23c4d : 0xa1b2c3d4), ...w16(2), ...w16(4), ...w32(0), ...w32(0), ...w32(262144), ...w32(linkType)]));
  for (const p of packets) {
    const sec = Math.floor(p.time);
    const frac = Math.round((p.time - sec) * (o.nano ? 1e9 : 1e6));
    parts.push(Uint8Array.from([...w32(sec), ...w32(frac), ...w32(p.data.length), ...w32(p.data.length)]), p.data);
  }
  return concatBytes(parts);
}

export interface NgInterface { linkType: number; tsresol?: number }
export interface NgPacket extends RawPacket { iface: number; simple?: boolean }

/** A pcapng section (SHB, IDBs, EPBs or SPBs); concatenate sections for multi-section files. */
export function writePcapng(interfaces: readonly NgInterface[], packets: readonly NgPacket[], o: { le?: boolean } = {}): Uint8Array {
  const le = o.le ?? true;
  const w32 = (n: number): number[] => (le ? u32(n).reverse() : u32(n));
  const w16 = (n: number): number[] => (le ? u16(n).reverse() : u16(n));
  const block = (type: number, body: number[]): number[] => {
    while (body.length % 4 !== 0) body.push(0);
    const total = body.length + 12;
    return [...w32(type), ...w32(total), ...body, ...w32(total)];
  };
  const out: number[] = [];
  out.push(...block(0x0a0d0d0a, [...w32(0x1a2b3c4d), ...w16(1), ...w16(0), ...w32(0xffffffff), ...w32(0xffffffff)]));
  for (const i of interfaces) {
    const options = i.tsresol === undefined ? [] : [...w16(9), ...w16(1), i.tsresol, 0, 0, 0, ...w16(0), ...w16(0)];
    out.push(...block(1, [...w16(i.linkType), ...w16(0), ...w32(0), ...options]));
  }
  for (const p of packets) {
    const data = Array.from(p.data);
    if (p.simple) { out.push(...block(3, [...w32(p.data.length), ...data])); continue; }
    const res = interfaces[p.iface].tsresol;
    const units = res === undefined ? 1e6 : (res & 0x80) ? 2 ** (res & 0x7f) : 10 ** res;
    const ts = BigInt(Math.round(p.time * 1e6)) * BigInt(Math.round(units)) / 1_000_000n;
    const high = Number(ts >> 32n), low = Number(ts & 0xffffffffn);
    out.push(...block(6, [...w32(p.iface), ...w32(high), ...w32(low), ...w32(p.data.length), ...w32(p.data.length), ...data]));
  }
  return Uint8Array.from(out);
}

export interface SessionStep { from: 'client' | 'server'; bytes: Uint8Array }
export interface Segmented { from: 'client' | 'server'; seq: number; flags: number; payload: Uint8Array }

/**
 * A TCP conversation: SYN, SYN-ACK, ACK, then each step's bytes cut into segments of at
 * most `mss` bytes, then FIN from both sides. Sequence numbers start at the given ISNs.
 */
export function tcpSession(steps: readonly SessionStep[], o: { mss?: number; isn?: [number, number]; handshake?: boolean } = {}): Segmented[] {
  const mss = o.mss ?? 1460;
  const next = { client: o.isn?.[0] ?? 1000, server: o.isn?.[1] ?? 50000 };
  const out: Segmented[] = [];
  const E = new Uint8Array(0);
  if (o.handshake ?? true) {
    out.push({ from: 'client', seq: next.client - 1, flags: TCP.SYN, payload: E });
    out.push({ from: 'server', seq: next.server - 1, flags: TCP.SYN | TCP.ACK, payload: E });
    out.push({ from: 'client', seq: next.client, flags: TCP.ACK, payload: E });
  }
  for (const s of steps) {
    for (let at = 0; at < s.bytes.length; at += mss) {
      const payload = s.bytes.subarray(at, Math.min(at + mss, s.bytes.length));
      out.push({ from: s.from, seq: next[s.from], flags: TCP.ACK | TCP.PSH, payload });
      next[s.from] = (next[s.from] + payload.length) >>> 0;
    }
  }
  out.push({ from: 'client', seq: next.client, flags: TCP.FIN | TCP.ACK, payload: E });
  out.push({ from: 'server', seq: next.server, flags: TCP.FIN | TCP.ACK, payload: E });
  return out;
}

/** Segments as link-layer packets, 1 ms apart from `t0`. */
export function packetsOf(segments: readonly Segmented[], client: Endpoint, server: Endpoint, link: Link, t0 = 1_700_000_000): RawPacket[] {
  return segments.map((s, i) => {
    const [a, b] = s.from === 'client' ? [client, server] : [server, client];
    const tcp = tcpHeader(a.port, b.port, s.seq, 0, s.flags, s.payload);
    const ip = a.ip.includes(':') ? ipv6(a.ip, b.ip, tcp) : ipv4(a.ip, b.ip, tcp);
    return { time: t0 + i / 1000, data: linkFrame(link, ip) };
  });
}

const text = new TextEncoder();

export function upgradeRequest(extensions?: string): Uint8Array {
  return text.encode(`GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extensions ? `Sec-WebSocket-Extensions: ${extensions}\r\n` : ''}\r\n`);
}

export function upgradeResponse(extensions?: string): Uint8Array {
  return text.encode(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n${extensions ? `Sec-WebSocket-Extensions: ${extensions}\r\n` : ''}\r\n`);
}

export const utf8 = (s: string): Uint8Array => text.encode(s);
