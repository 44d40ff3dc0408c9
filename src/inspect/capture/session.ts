// A capture file to a report: packets → TCP segments → connections (reassembled) →
// the handshake and frames of each WebSocket connection, both directions, time-stamped.
import { scanCapture, type ScanResult } from './pcap.js';
import { Reassembler, type StreamPiece, type TcpConnection, type TcpDirection } from './tcp.js';
import { ConnectionInspector, type ConnectionOptions } from './connection.js';
import { findUpgradeRequest, looksLikeHttp } from './http.js';
import { readHeader } from '../header.js';
import { isReservedOpcode } from '../registry.js';
import type { ConnectionReport, InspectedFrame, InspectionReport, Problem, Role } from '../types.js';

export type CaptureOptions = Omit<ConnectionOptions, 'handshake'> & {
  /**
   * Receives the frames in batches as they are read, instead of the report: the report's
   * `frames` is then empty, and no frame outlives its handling (a large capture in bounded
   * memory). Frames arrive unnumbered, a connection at a time, each connection's in stream
   * order; `frameOrder` gives the order (and so the numbers) the report would have.
   * `context` is the same for every call.
   */
  onFrames?: (frames: readonly InspectedFrame[], context: FrameContextInfo) => void;
  /**
   * Inspect only the connections of one shard: those numbered `id` with
   * `(id - 1) % count === index`. The report then covers those connections (their frames,
   * problems and notes); `mergeCaptureReports` puts the shards' reports back together, as
   * one inspection would have made it. For decoding a large capture on several threads.
   */
  shard?: { readonly index: number; readonly count: number };
};

/** What a frame sink needs to lay out rows before it has seen every frame. */
export interface FrameContextInfo {
  /** Connections in the input (TCP connections in a capture, WebSocket or not). */
  readonly connections: number;
  /** Time of the first packet of a capture, else of the first frame with a time. */
  readonly startTime?: number;
}

/** How much of each direction `orient` reads. */
export const ORIENT_BYTES = 64 * 1024;

/** The first contiguous bytes of a direction (up to `max`). */
export function prefix(dir: TcpDirection, max = ORIENT_BYTES): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const p of dir.pieces) {
    if (p.data === undefined || total >= max) break;
    parts.push(p.data);
    total += p.data.length;
  }
  const out = new Uint8Array(Math.min(total, max));
  let at = 0;
  for (const p of parts) { out.set(p.subarray(0, out.length - at), at); at += Math.min(p.length, out.length - at); }
  return out;
}

/**
 * True when the bytes read as a chain of plausible frames (known opcodes, RSV2/3 clear)
 * up to their end: how a connection captured without its handshake is recognised.
 */
export function plausibleFrames(bytes: Uint8Array): boolean {
  let p = 0;
  let frames = 0;
  while (p < bytes.length && frames < 64) {
    const h = readHeader(bytes, p);
    if (typeof h === 'number') break;
    if (isReservedOpcode(h.opcode) || (h.b0 & 0x30) !== 0 || h.lengthMsb) return false;
    p += h.headerLength + h.length;
    frames++;
  }
  return frames > 0;
}

/** How a connection is read: which direction (0 or 1) the client sent, whether the handshake is there. */
export interface Orientation { client: 0 | 1; handshake: boolean; websocket: boolean; rsv1?: boolean }

/**
 * Which direction (0 or 1) the client sent, and whether the handshake is there. It reads
 * only the first 64 KiB of each direction.
 */
export function orient(c: TcpConnection): Orientation {
  const d = c.directions;
  const first = [prefix(d[0]), prefix(d[1])] as const;
  for (const side of [0, 1] as const) {
    if (findUpgradeRequest(first[side]) !== undefined) return { client: side, handshake: true, websocket: true };
  }
  const initiator: 0 | 1 | undefined = c.initiator === undefined ? undefined : c.initiator === d[0].from ? 0 : 1;
  if (looksLikeHttp(first[0]) || looksLikeHttp(first[1])) return { client: initiator ?? 0, handshake: true, websocket: false };
  const plausible = [0, 1].every((s) => first[s].length === 0 || plausibleFrames(first[s]));
  const any = first[0].length > 0 || first[1].length > 0;
  // Mid-stream: the side whose first frame is masked is the client; else the SYN; else the higher port.
  let client: 0 | 1 = initiator ?? (Number(d[0].from.split(':').pop()) > Number(d[1].from.split(':').pop()) ? 0 : 1);
  if (first[0].length >= 2 && (first[0][1] & 0x80) !== 0) client = 0;
  else if (first[1].length >= 2 && (first[1][1] & 0x80) !== 0) client = 1;
  // RSV1 on a first data frame: permessage-deflate was negotiated before the capture began.
  const rsv1 = first.some((b) => b.length >= 2 && (b[0] & 0x40) !== 0 && (b[0] & 0x0f) !== 0 && (b[0] & 0x08) === 0);
  return { client, handshake: false, websocket: plausible && any, rsv1 };
}

/** With a frame sink: frames are handed over in batches of about this many. */
const BATCH = 256;

/** What inspecting one TCP connection gave. */
export interface ConnectionResult {
  frames: InspectedFrame[];
  report: ConnectionReport;
  problems: InspectionReport['problems'];
}

/** Orients a connection's two directions, then decodes them in time order. */
export async function inspectConnection(c: TcpConnection, options: ConnectionOptions, sink?: (frames: readonly InspectedFrame[]) => void): Promise<ConnectionResult> {
  let rsv1 = false;
  const hand = (frames: readonly InspectedFrame[]): void => {
    for (const f of frames) if (f.rsv1) rsv1 = true;
    sink?.(frames);
  };
  const o = orient(c);
  const roles = sendersOf(o);
  const inspector = connectionInspector(c, options, o);
  if (o.websocket) {
    for (const [side, p] of inTimeOrder(c)) {
      const role = roles[side];
      const pending = p.data !== undefined ? inspector.write(role, p.data, p.time, p.packet) : inspector.writeGap(role, p.missing ?? 0, p.time);
      if (pending) await inspector.flush();
      if (sink !== undefined && inspector.frames.length >= BATCH) hand(inspector.drain());
    }
  }
  const { report, problems } = await inspector.finish();
  if (sink !== undefined) hand(inspector.drain());
  else hand(inspector.frames);
  return connectionResult(c, o.client, inspector.frames, report, problems, rsv1);
}

/**
 * Both directions' pieces in time order (then packet order; direction 0 first on a tie), so
 * each frame gets the time its bytes arrived. Each direction's pieces are in time order
 * already: this merges them.
 */
export function* inTimeOrder(c: TcpConnection): Generator<[0 | 1, StreamPiece]> {
  const a = c.directions[0].pieces;
  const b = c.directions[1].pieces;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const fromA = j >= b.length || (i < a.length && (a[i].time < b[j].time || (a[i].time === b[j].time && a[i].packet <= b[j].packet)));
    yield fromA ? [0, a[i++]] : [1, b[j++]];
  }
}

/** The role of each direction's sender. */
export function sendersOf(o: Orientation): readonly [Role, Role] {
  return o.client === 0 ? ['client', 'server'] : ['server', 'client'];
}

/** The inspector for connection `c`, oriented as `o` (one that expects nothing when it is not WebSocket). */
export function connectionInspector(c: TcpConnection, options: ConnectionOptions, o: Orientation): ConnectionInspector {
  const inspector = new ConnectionInspector(c.id, {
    ...options, handshake: o.handshake ? 'expect' : 'none', ...(o.rsv1 ? { deflate: true } : {}),
  });
  if (!o.websocket) {
    inspector.state = 'not-websocket';
    inspector.how = o.handshake ? 'HTTP without a WebSocket upgrade' : 'not WebSocket (no handshake, no frames)';
  }
  return inspector;
}

/** The report of connection `c` (whose direction `client` is the client), once inspected. */
export function connectionResult(
  c: TcpConnection, client: 0 | 1, frames: InspectedFrame[], report: ConnectionReport, problems: readonly Problem[], rsv1: boolean,
): ConnectionResult {
  const cd = c.directions[client];
  const sd = c.directions[1 - client];
  return {
    frames,
    report: {
      ...report, client: cd.from, server: sd.from,
      bytes: { client: cd.bytes, server: sd.bytes },
      retransmitted: cd.retransmitted + sd.retransmitted, gaps: cd.gaps + sd.gaps,
      ...(report.websocket && report.how !== 'handshake' ? {
        note: `${report.how}; roles guessed from the masking bit` +
          (rsv1 ? '; RSV1 seen, so permessage-deflate assumed (context takeover windows before the capture are unknown)' : ''),
      } : {}),
    },
    problems: problems.map((p) => ({ ...p, connection: c.id })),
  };
}

/**
 * The order frames are shown in: by time, then packet (stream order within a packet), then
 * connection, then as given. `time[i]`, `packet[i]` and `connection[i]` are frame i's (0
 * when it has none); frames of one connection must be given in stream order.
 */
export function frameOrder(time: ArrayLike<number>, packet: ArrayLike<number>, connection: ArrayLike<number>): number[] {
  const before = (x: number, y: number): number => time[x] - time[y] || packet[x] - packet[y] || connection[x] - connection[y] || x - y;
  // A capture's times grow with its packet numbers: frames put in packet order (a stable
  // counting sort) are then usually in order already, which a pass checks.
  const order = byPacket(packet);
  if (order !== undefined) {
    let sorted = true;
    for (let i = 1; i < order.length && sorted; i++) sorted = before(order[i - 1], order[i]) < 0;
    if (sorted) return order;
  }
  const all = Array.from({ length: time.length }, (_, i) => i);
  all.sort(before);
  return all;
}

/** Indices in order of packet number, ties in index order; undefined unless every number is a small whole number. */
function byPacket(packet: ArrayLike<number>): number[] | undefined {
  const n = packet.length;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const p = packet[i];
    if (!(p >= 0 && p <= 16 * n + 1024 && Number.isInteger(p))) return undefined;
    if (p > max) max = p;
  }
  const starts = new Uint32Array(max + 2);
  for (let i = 0; i < n; i++) starts[packet[i] + 1]++;
  for (let p = 1; p <= max + 1; p++) starts[p] += starts[p - 1];
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[starts[packet[i]]++] = i;
  return order;
}

/** Sorts frames by time, then packet (stream order within a packet), numbers them from 1. */
export function numberFrames(frames: InspectedFrame[]): InspectedFrame[] {
  const n = frames.length;
  const time = new Float64Array(n);
  const packet = new Float64Array(n);
  const connection = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    time[i] = frames[i].time ?? 0;
    packet[i] = frames[i].packet ?? 0;
    connection[i] = frames[i].connection;
  }
  const sorted = frameOrder(time, packet, connection).map((i) => frames[i]);
  for (let i = 0; i < n; i++) { frames[i] = sorted[i]; frames[i].index = i + 1; }
  return frames;
}

/** Every WebSocket connection in a pcap or pcapng file, decoded. */
export async function inspectCapture(bytes: Uint8Array, options: CaptureOptions = {}): Promise<InspectionReport> {
  const { onFrames, shard, ...inspect } = options;
  // Views of a plain Uint8Array are cheaper to make than a Buffer's (no Buffer constructor).
  if (Object.getPrototypeOf(bytes) !== Uint8Array.prototype) bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tcp = new Reassembler(bytes);
  const file = scanCapture(bytes, (number, time, linkType, start, end) => tcp.add(number, time, linkType, start, end));
  const context: FrameContextInfo = file.firstTime === undefined ? { connections: tcp.count } : { connections: tcp.count, startTime: file.firstTime };
  const sink = onFrames === undefined ? undefined : (batch: readonly InspectedFrame[]): void => onFrames(batch, context);
  const results: ConnectionResult[] = [];
  for (const c of tcp.finish(shard === undefined ? undefined : (id) => (id - 1) % shard.count === shard.index)) {
    results.push(await inspectConnection(c, inspect, sink));
    for (const d of c.directions) d.pieces = []; // the frames hold what they need
  }
  return captureReport(file, tcp.skipped, results);
}

/** The report of a scanned capture whose connections (in id order) gave `results`. */
export function captureReport(file: ScanResult, skipped: number, results: readonly ConnectionResult[]): InspectionReport {
  const notes = [...file.notes];
  if (skipped > 0) notes.push(`${skipped} of ${file.count} packets are not TCP over IP (or are IP fragments): skipped`);
  const frames: InspectedFrame[] = [];
  const connections: ConnectionReport[] = [];
  const problems: InspectionReport['problems'] = [];
  for (const r of results) {
    for (const f of r.frames) frames.push(f);
    connections.push(r.report);
    for (const p of r.problems) problems.push(p);
  }
  for (const c of connections) if (c.note !== undefined) notes.push(connectionNote(c));
  const report: InspectionReport = { format: file.format, frames: numberFrames(frames), connections, problems, notes };
  return file.firstTime !== undefined ? { ...report, startTime: file.firstTime } : report;
}

function connectionNote(c: ConnectionReport): string {
  return `connection ${c.id}: ${c.note}`;
}

/**
 * The reports of every shard of one capture (see CaptureOptions.shard) as the one report
 * inspecting it whole would have given: connections and their problems in connection
 * order, the file's notes then each connection's, frames renumbered in frame order.
 */
export function mergeCaptureReports(parts: readonly InspectionReport[]): InspectionReport {
  const first = parts[0];
  const fileNotes = first.notes.slice(0, first.notes.length - first.connections.filter((c) => c.note !== undefined).length);
  const connections = parts.flatMap((p) => p.connections).sort((a, b) => a.id - b.id);
  const problems = parts.flatMap((p) => p.problems).sort((a, b) => (a.connection ?? 0) - (b.connection ?? 0));
  const notes = [...fileNotes];
  for (const c of connections) if (c.note !== undefined) notes.push(connectionNote(c));
  const report: InspectionReport = { format: first.format, frames: numberFrames(parts.flatMap((p) => p.frames)), connections, problems, notes };
  return first.startTime !== undefined ? { ...report, startTime: first.startTime } : report;
}
