// Packets to TCP segments: link layers (Ethernet with VLAN tags, Linux cooked SLL and
// SLL2, BSD null/loopback, raw IP), then IPv4 (RFC 791) or IPv6 (RFC 8200, extension
// headers skipped), then TCP (RFC 9293 section 3.1). Fragments and other protocols: skipped.
/**
 * One TCP segment's header, read into a reused object (no allocation per packet). Addresses
 * are numbers for IPv4 (`srcIp`, `dstIp`) and text for IPv6 (`srcText`, `dstText`); the
 * payload is `bytes[payloadStart..payloadEnd)` of the buffer the packet was read from.
 */
export interface TcpHeader {
  v6: boolean;
  srcIp: number;
  dstIp: number;
  srcText: string;
  dstText: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  /** TCP flags byte: FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10. */
  flags: number;
  payloadStart: number;
  payloadEnd: number;
}

export function tcpHeader(): TcpHeader {
  return { v6: false, srcIp: 0, dstIp: 0, srcText: '', dstText: '', srcPort: 0, dstPort: 0, seq: 0, flags: 0, payloadStart: 0, payloadEnd: 0 };
}

/** 'address:port' of an endpoint ('[v6]:port' for IPv6). */
export function endpointName(v6: boolean, ip: number, text: string, port: number): string {
  return `${v6 ? text : `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`}:${port}`;
}

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;
/** DLT_RAW as some systems number it (12 on most BSDs, 14 on OpenBSD), and IPv4/IPv6-only raw. */
const RAW_TYPES = new Set([LINKTYPE_RAW, 12, 14, 228, 229]);

/** Offset (from `p`) of the IP header in a link-layer frame `d[p..end)`, or -1 when it does not carry IP. */
function ipOffset(linkType: number, d: Uint8Array, p: number, end: number): number {
  if (RAW_TYPES.has(linkType)) return 0;
  if (linkType === LINKTYPE_NULL) return 4; // the family (host order) is checked via the IP version
  if (end - p < 16) return -1;
  if (linkType === LINKTYPE_ETHERNET) {
    let o = 12;
    let type = (d[p + o] << 8) | d[p + o + 1];
    while ((type === 0x8100 || type === 0x88a8) && p + o + 6 <= end) { o += 4; type = (d[p + o] << 8) | d[p + o + 1]; }
    return type === 0x0800 || type === 0x86dd ? o + 2 : -1;
  }
  if (linkType === LINKTYPE_LINUX_SLL) {
    const type = (d[p + 14] << 8) | d[p + 15];
    return type === 0x0800 || type === 0x86dd ? 16 : -1;
  }
  if (linkType === LINKTYPE_LINUX_SLL2) {
    const type = (d[p] << 8) | d[p + 1];
    return type === 0x0800 || type === 0x86dd ? 20 : -1;
  }
  return -1;
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

/**
 * Reads the TCP segment in the packet `d[p..end)` (link type `linkType`) into `out`.
 * False when there is none: not IP, not TCP, a fragment, or malformed.
 */
export function readTcp(d: Uint8Array, p: number, end: number, linkType: number, out: TcpHeader): boolean {
  const ip = ipOffset(linkType, d, p, end);
  if (ip < 0) return false;
  const o = p + ip;
  if (o >= end) return false;
  const version = d[o] >> 4;
  let t: number;
  let last: number;
  if (version === 4) {
    const ihl = (d[o] & 0x0f) * 4;
    const total = (d[o + 2] << 8) | d[o + 3];
    const fragment = ((d[o + 6] << 8) | d[o + 7]) & 0x3fff; // MF bit and offset
    if (o + 20 > end || d[o + 9] !== 6 || fragment !== 0 || ihl < 20) return false;
    out.v6 = false;
    out.srcIp = ((d[o + 12] << 24) | (d[o + 13] << 16) | (d[o + 14] << 8) | d[o + 15]) >>> 0;
    out.dstIp = ((d[o + 16] << 24) | (d[o + 17] << 16) | (d[o + 18] << 8) | d[o + 19]) >>> 0;
    t = o + ihl;
    last = Math.min(end, o + (total > 0 ? total : end - o)); // total 0: TSO, take what is there
  } else if (version === 6) {
    if (o + 40 > end) return false;
    let next = d[o + 6];
    const payloadLength = (d[o + 4] << 8) | d[o + 5];
    out.v6 = true;
    out.srcText = `[${ipv6(d, o + 8)}]`;
    out.dstText = `[${ipv6(d, o + 24)}]`;
    t = o + 40;
    last = Math.min(end, payloadLength > 0 ? t + payloadLength : end);
    while (IPV6_SKIP.has(next) && t + 2 <= last) {
      const length = next === 51 ? (d[t + 1] + 2) * 4 : (d[t + 1] + 1) * 8;
      next = d[t];
      t += length;
    }
    if (next !== 6) return false;
  } else {
    return false;
  }
  if (t + 20 > last) return false;
  const dataOffset = (d[t + 12] >> 4) * 4;
  if (dataOffset < 20 || t + dataOffset > last) return false;
  out.srcPort = (d[t] << 8) | d[t + 1];
  out.dstPort = (d[t + 2] << 8) | d[t + 3];
  out.seq = ((d[t + 4] << 24) | (d[t + 5] << 16) | (d[t + 6] << 8) | d[t + 7]) >>> 0;
  out.flags = d[t + 13];
  out.payloadStart = t + dataOffset;
  out.payloadEnd = last;
  return true;
}
