// Capture files to packets: pcap (both byte orders, µs and ns timestamps) and pcapng
// (SHB, IDB, EPB, SPB and the obsolete PB; several sections, interfaces and byte orders).
//
//   pcap:   global header (24 B: magic, version, zone, sigfigs, snaplen, link type)
//           then per packet: ts_sec, ts_frac, incl_len, orig_len (16 B) and the bytes
//   pcapng: blocks of [type u32][total length u32][body][total length u32]; the SHB's
//           byte-order magic 0x1A2B3C4D sets the byte order of its section
//
// Malformed files are read as far as they go; what stopped the read is returned as a note.

export interface Packet {
  /** 1-based packet number, as Wireshark counts. */
  readonly number: number;
  /** Seconds since the epoch. */
  readonly time: number;
  readonly linkType: number;
  readonly data: Uint8Array;
}

export interface CaptureFile {
  readonly format: 'pcap' | 'pcapng';
  readonly packets: Packet[];
  readonly notes: string[];
}

const PCAP_US = 0xa1b2c3d4;
const PCAP_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Which capture format the bytes start with, if any. */
export function captureFormat(bytes: Uint8Array): 'pcap' | 'pcapng' | undefined {
  if (bytes.length < 4) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const be = view.getUint32(0, false);
  const le = view.getUint32(0, true);
  if (be === PCAPNG_SHB) return 'pcapng';
  if (be === PCAP_US || le === PCAP_US || be === PCAP_NS || le === PCAP_NS) return 'pcap';
  return undefined;
}

/**
 * Called for each packet: its 1-based number, time (seconds since the epoch), link type and
 * where its captured bytes lie in the file (`bytes[start..end)`). No object per packet.
 */
export type PacketVisitor = (number: number, time: number, linkType: number, start: number, end: number) => void;

export interface ScanResult {
  readonly format: 'pcap' | 'pcapng';
  readonly count: number;
  /** Time of the first packet, when there is one. */
  readonly firstTime?: number;
  readonly notes: string[];
}

/** Every packet of a pcap or pcapng file, in file order, handed to `visit`. */
export function scanCapture(bytes: Uint8Array, visit: PacketVisitor): ScanResult {
  return captureFormat(bytes) === 'pcapng' ? scanPcapng(bytes, visit) : scanPcap(bytes, visit);
}

/** The packets as objects (their data are views of `bytes`). */
export function readCapture(bytes: Uint8Array): CaptureFile {
  const packets: Packet[] = [];
  const { format, notes } = scanCapture(bytes, (number, time, linkType, start, end) => {
    packets.push({ number, time, linkType, data: bytes.subarray(start, end) });
  });
  return { format, packets, notes };
}

function scanPcap(bytes: Uint8Array, visit: PacketVisitor): ScanResult {
  const notes: string[] = [];
  if (bytes.length < 24) return { format: 'pcap', count: 0, notes: ['pcap: global header truncated'] };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicBe = view.getUint32(0, false);
  const le = !(magicBe === PCAP_US || magicBe === PCAP_NS);
  const nano = (le ? view.getUint32(0, true) : magicBe) === PCAP_NS;
  const linkType = view.getUint32(20, le) & 0xffff;
  const div = nano ? 1e9 : 1e6;
  let count = 0;
  let firstTime: number | undefined;
  let p = 24;
  while (p + 16 <= bytes.length) {
    const sec = view.getUint32(p, le);
    const frac = view.getUint32(p + 4, le);
    const incl = view.getUint32(p + 8, le);
    if (p + 16 + incl > bytes.length) {
      notes.push(`pcap: packet ${count + 1} at byte ${p} truncated (${incl} bytes declared)`);
      break;
    }
    const time = sec + frac / div;
    firstTime ??= time;
    visit(++count, time, linkType, p + 16, p + 16 + incl);
    p += 16 + incl;
  }
  if (p < bytes.length && notes.length === 0) notes.push(`pcap: ${bytes.length - p} trailing bytes ignored`);
  return firstTime === undefined ? { format: 'pcap', count, notes } : { format: 'pcap', count, firstTime, notes };
}
interface Interface {
  linkType: number;
  snapLength: number;
  /** Timestamp units per second. */
  units: number;
  offset: number;
}

/** if_tsresol (RFC pcapng section 4.2): MSB clear → 10^-n, set → 2^-n seconds. */
function resolution(v: number): number {
  return (v & 0x80) === 0 ? 10 ** v : 2 ** (v & 0x7f);
}

function readInterface(view: DataView, start: number, end: number, le: boolean): Interface {
  const iface: Interface = { linkType: view.getUint16(start, le), snapLength: view.getUint32(start + 4, le), units: 1e6, offset: 0 };
  let o = start + 8;
  while (o + 4 <= end) {
    const code = view.getUint16(o, le);
    const length = view.getUint16(o + 2, le);
    if (code === 0) break;
    if (code === 9 && length >= 1) iface.units = resolution(view.getUint8(o + 4));
    if (code === 14 && length >= 8) iface.offset = Number(view.getBigInt64(o + 4, le));
    o += 4 + ((length + 3) & ~3);
  }
  return iface;
}

function scanPcapng(bytes: Uint8Array, visit: PacketVisitor): ScanResult {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const notes: string[] = [];
  let count = 0;
  let firstTime: number | undefined;
  let interfaces: Interface[] = [];
  let le = true;
  let p = 0;
  const push = (ifId: number, high: number, low: number, start: number, end: number): void => {
    const iface = interfaces[ifId];
    if (iface === undefined) { notes.push(`pcapng: packet for unknown interface ${ifId} ignored`); return; }
    const time = iface.offset + (high * 0x1_0000_0000 + low) / iface.units;
    firstTime ??= time;
    visit(++count, time, iface.linkType, start, end);
  };
  while (p + 12 <= bytes.length) {
    let type = view.getUint32(p, le);
    if (view.getUint32(p, false) === PCAPNG_SHB) {
      // A new section: its byte-order magic decides how everything in it is read.
      const magic = view.getUint32(p + 8, true);
      if (magic === BYTE_ORDER_MAGIC) le = true;
      else if (view.getUint32(p + 8, false) === BYTE_ORDER_MAGIC) le = false;
      else { notes.push(`pcapng: bad byte-order magic at byte ${p + 8}`); break; }
      type = PCAPNG_SHB;
      interfaces = [];
    }
    const total = view.getUint32(p + 4, le);
    if (total < 12 || total % 4 !== 0 || p + total > bytes.length) {
      notes.push(`pcapng: block at byte ${p} has a bad or truncated length (${total})`);
      break;
    }
    const body = p + 8;
    const end = p + total - 4;
    if (type === 1) {
      interfaces.push(readInterface(view, body, end, le));
    } else if (type === 6 && end - body >= 20) {
      const captured = view.getUint32(body + 12, le);
      push(view.getUint32(body, le), view.getUint32(body + 4, le), view.getUint32(body + 8, le),
        body + 20, Math.min(body + 20 + captured, end));
    } else if (type === 3 && end - body >= 4) {
      // Simple Packet Block: no timestamp, interface 0, captured = min(original, snaplen, room).
      const original = view.getUint32(body, le);
      const snap = interfaces[0]?.snapLength || Infinity;
      const captured = Math.min(original, snap, end - body - 4);
      if (interfaces[0] !== undefined) {
        firstTime ??= 0;
        visit(++count, 0, interfaces[0].linkType, body + 4, body + 4 + captured);
      }
    } else if (type === 2 && end - body >= 20) {
      const captured = view.getUint32(body + 12, le);
      push(view.getUint16(body, le), view.getUint32(body + 4, le), view.getUint32(body + 8, le),
        body + 20, Math.min(body + 20 + captured, end));
    }
    p += total;
  }
  return firstTime === undefined ? { format: 'pcapng', count, notes } : { format: 'pcapng', count, firstTime, notes };
}
