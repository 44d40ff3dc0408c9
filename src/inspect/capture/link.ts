// Packets to TCP segments: link layers (Ethernet with VLAN tags, Linux cooked SLL and
// SLL2, BSD null/loopback, raw IP), then IPv4 (RFC 791) or IPv6 (RFC 8200, extension
// headers skipped), then TCP (RFC 9293 section 3.1). Fragments and other protocols: null.
import type { Packet } from './pcap.js';

export interface Segment {
  readonly packet: number;
  readonly time: number;
  /** 'address:port' of the sender and the receiver ('[v6]:port' for IPv6). */
  readonly src: string;
  readonly dst: string;
  readonly seq: number;
  readonly syn: boolean;
  readonly ack: boolean;
  readonly fin: boolean;
  readonly rst: boolean;
  readonly payload: Uint8Array;
}

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;
/** DLT_RAW as some systems number it (12 on most BSDs, 14 on OpenBSD), and IPv4/IPv6-only raw. */
const RAW_TYPES = new Set([LINKTYPE_RAW, 12, 14, 228, 229]);

/** Offset of the IP header in a link-layer frame, or -1 when it does not carry IP. */
function ipOffset(linkType: number, d: Uint8Array): number {
  if (RAW_TYPES.has(linkType)) return 0;
  if (linkType === LINKTYPE_NULL) return 4; // the family (host order) is checked via the IP version
  if (linkType === LINKTYPE_ETHERNET) {
    let o = 12;
    let type = (d[o] << 8) | d[o + 1];
    while ((type === 0x8100 || type === 0x88a8) && o + 6 <= d.length) { o += 4; type = (d[o] << 8) | d[o + 1]; }
    return type === 0x0800 || type === 0x86dd ? o + 2 : -1;
  }
  if (linkType === LINKTYPE_LINUX_SLL) {
    const type = (d[14] << 8) | d[15];
    return type === 0x0800 || type === 0x86dd ? 16 : -1;
  }
  if (linkType === LINKTYPE_LINUX_SLL2) {
    const type = (d[0] << 8) | d[1];
    return type === 0x0800 || type === 0x86dd ? 20 : -1;
  }
  return -1;
}

function ipv4(d: Uint8Array, o: number): string {
  return `${d[o]}.${d[o + 1]}.${d[o + 2]}.${d[o + 3]}`;
}

function ipv6(d: Uint8Array, o: number): string {
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((d[o + i] << 8) | d[o + i + 1]).toString(16));
  // Compress the longest run of zero words (RFC 5952 section 4.2).
  let best = -1, bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLength) { best = i; bestLength = j - i; }
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return words.join(':');
  return `${words.slice(0, best).join(':')}::${words.slice(best + bestLength).join(':')}`;
}

/** Extension headers skipped on the way to TCP (RFC 8200 section 4). */
const IPV6_SKIP = new Set([0, 43, 60, 51]);

/** The TCP segment in a packet, or null (not IP, not TCP, a fragment, or malformed). */
export function tcpSegment(packet: Packet): Segment | null {
  const d = packet.data;
  const o = ipOffset(packet.linkType, d);
  if (o < 0 || o >= d.length) return null;
  const version = d[o] >> 4;
  let t: number;
  let end: number;
  let src: string, dst: string;
  if (version === 4) {
    const ihl = (d[o] & 0x0f) * 4;
    const total = (d[o + 2] << 8) | d[o + 3];
    const fragment = ((d[o + 6] << 8) | d[o + 7]) & 0x3fff; // MF bit and offset
    if (d[o + 9] !== 6 || fragment !== 0 || ihl < 20) return null;
    src = ipv4(d, o + 12);
    dst = ipv4(d, o + 16);
    t = o + ihl;
    end = Math.min(d.length, o + (total > 0 ? total : d.length)); // total 0: TSO, take what is there
  } else if (version === 6) {
    if (o + 40 > d.length) return null;
    let next = d[o + 6];
    const payloadLength = (d[o + 4] << 8) | d[o + 5];
    src = `[${ipv6(d, o + 8)}]`;
    dst = `[${ipv6(d, o + 24)}]`;
    t = o + 40;
    end = Math.min(d.length, payloadLength > 0 ? t + payloadLength : d.length);
    while (IPV6_SKIP.has(next) && t + 2 <= end) {
      const length = next === 51 ? (d[t + 1] + 2) * 4 : (d[t + 1] + 1) * 8;
      next = d[t];
      t += length;
    }
    if (next !== 6) return null;
  } else {
    return null;
  }
  if (t + 20 > end) return null;
  const dataOffset = (d[t + 12] >> 4) * 4;
  const flags = d[t + 13];
  if (dataOffset < 20 || t + dataOffset > end) return null;
  return {
    packet: packet.number, time: packet.time,
    src: `${src}:${(d[t] << 8) | d[t + 1]}`, dst: `${dst}:${(d[t + 2] << 8) | d[t + 3]}`,
    seq: ((d[t + 4] << 24) | (d[t + 5] << 16) | (d[t + 6] << 8) | d[t + 7]) >>> 0,
    syn: (flags & 0x02) !== 0, ack: (flags & 0x10) !== 0, fin: (flags & 0x01) !== 0, rst: (flags & 0x04) !== 0,
    payload: d.subarray(t + dataOffset, end),
  };
}
