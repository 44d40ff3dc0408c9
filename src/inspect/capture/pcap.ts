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
  const scanner = new CaptureScanner(visit);
  scanner.scan(bytes, true);
  return scanner.result();
}

/** The packets as objects (their data are views of `bytes`). */
export function readCapture(bytes: Uint8Array): CaptureFile {
  const packets: Packet[] = [];
  const { format, notes } = scanCapture(bytes, (number, time, linkType, start, end) => {
    packets.push({ number, time, linkType, data: bytes.subarray(start, end) });
  });
  return { format, packets, notes };
}

const PCAP_RECORD = 16;
const PCAPNG_MIN_BLOCK = 12;

/**
 * A capture read in pieces (a file streamed through a reused buffer): `scan` reads the
 * whole packets or blocks at the start of the bytes it is given and returns how many bytes
 * it consumed; the caller passes the rest again, followed by more of the file. Offsets given
 * to `visit` are into the bytes of that call. The format is decided by the first call.
 */
export class CaptureScanner {
  private format: 'pcap' | 'pcapng' | undefined;
  private count = 0;
  private firstTime: number | undefined;
  private readonly notes: string[] = [];
  /** Bytes of the file before the current call's first byte. */
  private position = 0;
  /** A note ended the read: the rest of the file is not read. */
  private stopped = false;
  // pcap
  private le = true;
  private div = 1e6;
  private linkType = 0;
  // pcapng
  private interfaces: Interface[] = [];

  constructor(private readonly visit: PacketVisitor) {}

  /**
   * Reads whole records from `bytes`; returns the bytes consumed. With `final` (the file's
   * end), whatever is left is reported as truncated or trailing.
   */
  scan(bytes: Uint8Array, final: boolean): number {
    if (this.stopped) return bytes.length;
    if (this.format === undefined) {
      if (bytes.length < 4 && !final) return 0;
      this.format = captureFormat(bytes) === 'pcapng' ? 'pcapng' : 'pcap';
    }
    const used = this.format === 'pcap' ? this.scanPcap(bytes, final) : this.scanPcapng(bytes, final);
    this.position += used;
    return used;
  }

  result(): ScanResult {
    const format = this.format ?? 'pcap';
    const notes = [...this.notes];
    return this.firstTime === undefined ? { format, count: this.count, notes } : { format, count: this.count, firstTime: this.firstTime, notes };
  }

  private stop(note: string): void {
    this.notes.push(note);
    this.stopped = true;
  }

  private scanPcap(bytes: Uint8Array, final: boolean): number {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let p = 0;
    if (this.position === 0) {
      if (bytes.length < 24) {
        if (final) { this.stop('pcap: global header truncated'); return bytes.length; }
        return 0;
      }
      const magicBe = view.getUint32(0, false);
      this.le = !(magicBe === PCAP_US || magicBe === PCAP_NS);
      this.div = (this.le ? view.getUint32(0, true) : magicBe) === PCAP_NS ? 1e9 : 1e6;
      this.linkType = view.getUint32(20, this.le) & 0xffff;
      p = 24;
    }
    const le = this.le;
    const div = this.div;
    const linkType = this.linkType;
    while (p + PCAP_RECORD <= bytes.length) {
      const incl = view.getUint32(p + 8, le);
      if (p + PCAP_RECORD + incl > bytes.length) {
        if (!final) return p;
        this.stop(`pcap: packet ${this.count + 1} at byte ${this.position + p} truncated (${incl} bytes declared)`);
        return bytes.length;
      }
      const time = view.getUint32(p, le) + view.getUint32(p + 4, le) / div;
      this.firstTime ??= time;
      this.visit(++this.count, time, linkType, p + PCAP_RECORD, p + PCAP_RECORD + incl);
      p += PCAP_RECORD + incl;
    }
    if (!final) return p;
    if (p < bytes.length) this.notes.push(`pcap: ${bytes.length - p} trailing bytes ignored`);
    return bytes.length;
  }

  private scanPcapng(bytes: Uint8Array, final: boolean): number {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let p = 0;
    while (p + PCAPNG_MIN_BLOCK <= bytes.length) {
      let type = view.getUint32(p, this.le);
      if (view.getUint32(p, false) === PCAPNG_SHB) {
        // A new section: its byte-order magic decides how everything in it is read.
        const magic = view.getUint32(p + 8, true);
        if (magic === BYTE_ORDER_MAGIC) this.le = true;
        else if (view.getUint32(p + 8, false) === BYTE_ORDER_MAGIC) this.le = false;
        else { this.stop(`pcapng: bad byte-order magic at byte ${this.position + p + 8}`); return bytes.length; }
        type = PCAPNG_SHB;
      }
      const le = this.le;
      const total = view.getUint32(p + 4, le);
      const wellFormed = total >= PCAPNG_MIN_BLOCK && total % 4 === 0;
      if (wellFormed && p + total > bytes.length && !final) return p; // the rest comes with the next call
      if (!wellFormed || p + total > bytes.length) {
        this.stop(`pcapng: block at byte ${this.position + p} has a bad or truncated length (${total})`);
        return bytes.length;
      }
      const body = p + 8;
      const end = p + total - 4;
      if (type === PCAPNG_SHB) {
        this.interfaces = [];
      } else if (type === 1) {
        this.interfaces.push(readInterface(view, body, end, le));
      } else if (type === 6 && end - body >= 20) {
        const captured = view.getUint32(body + 12, le);
        this.packet(view.getUint32(body, le), view.getUint32(body + 4, le), view.getUint32(body + 8, le),
          body + 20, Math.min(body + 20 + captured, end));
      } else if (type === 3 && end - body >= 4) {
        // Simple Packet Block: no timestamp, interface 0, captured = min(original, snaplen, room).
        const original = view.getUint32(body, le);
        const first = this.interfaces[0];
        const captured = Math.min(original, first?.snapLength || Infinity, end - body - 4);
        if (first !== undefined) {
          this.firstTime ??= 0;
          this.visit(++this.count, 0, first.linkType, body + 4, body + 4 + captured);
        }
      } else if (type === 2 && end - body >= 20) {
        const captured = view.getUint32(body + 12, le);
        this.packet(view.getUint16(body, le), view.getUint32(body + 4, le), view.getUint32(body + 8, le),
          body + 20, Math.min(body + 20 + captured, end));
      }
      p += total;
    }
    return final ? bytes.length : p;
  }

  private packet(ifId: number, high: number, low: number, start: number, end: number): void {
    const iface = this.interfaces[ifId];
    if (iface === undefined) { this.notes.push(`pcapng: packet for unknown interface ${ifId} ignored`); return; }
    const time = iface.offset + (high * 0x1_0000_0000 + low) / iface.units;
    this.firstTime ??= time;
    this.visit(++this.count, time, iface.linkType, start, end);
  }
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

