// TCP reassembly (RFC 9293 section 3.10.7.4, read side): segments grouped per 4-tuple into
// connections, each direction's payload put back in sequence order.
//   - the SYN sets the initial sequence number; without one (a capture that starts
//     mid-stream) the lowest sequence number seen starts the stream;
//   - out-of-order segments are placed by sequence number, not arrival;
//   - retransmissions and overlaps keep the bytes that arrived first;
//   - missing bytes become a gap piece, so the frame walker knows framing is lost there.
// Sequence numbers are compared modulo 2^32, relative to a reference (streams < 2 GiB).
import { endpointName, readTcp, tcpHeader, type TcpHeader } from './link.js';

export interface StreamPiece {
  /** Stream offset of the piece. */
  readonly offset: number;
  /** The bytes; absent for a gap. */
  readonly data?: Uint8Array;
  /** For a gap: how many bytes are missing. */
  readonly missing?: number;
  /** Time at which every byte up to the end of this piece had arrived. */
  readonly time: number;
  /** The packet that completed it. */
  readonly packet: number;
}

export interface TcpDirection {
  readonly from: string;
  readonly to: string;
  /** The initial sequence number was seen (SYN). */
  synSeen: boolean;
  pieces: StreamPiece[];
  bytes: number;
  retransmitted: number;
  gaps: number;
}

export interface TcpConnection {
  readonly id: number;
  /** The endpoint that sent the first SYN (without ACK), if seen. */
  initiator?: string;
  readonly firstTime: number;
  readonly firstPacket: number;
  /** [0] sent by the first endpoint seen, [1] by the other. */
  readonly directions: [TcpDirection, TcpDirection];
}

/** One direction's segments as they arrived: parallel arrays, offsets into the capture. */
export interface RawDirection {
  isn?: number;
  seq: number[];
  start: number[];
  end: number[];
  time: number[];
  packet: number[];
}

/** A connection being read: its report object and its segments so far. */
export interface Building {
  connection: TcpConnection;
  raw: [RawDirection, RawDirection];
  /** Endpoint key of directions[0]'s sender. */
  first: number | string;
  closed: boolean;
}

const raw = (): RawDirection => ({ seq: [], start: [], end: [], time: [], packet: [] });
const direction = (from: string, to: string): TcpDirection => ({ from, to, synSeen: false, pieces: [], bytes: 0, retransmitted: 0, gaps: 0 });

/**
 * Reads the TCP segments of a capture's packets and reassembles both directions of each
 * connection. Packets are handed over one at a time (`add`), as offsets into the capture
 * buffer: no object is made per packet, and pieces are views of the capture.
 */
export class Reassembler {
  /** Packets that carried no TCP segment. */
  skipped = 0;
  private readonly v4 = new Map<number, Map<number, Building>>();
  private readonly v6 = new Map<string, Building>();
  private readonly all: Building[] = [];
  private readonly h: TcpHeader = tcpHeader();

  /** `bytes`: the buffer packets are read from (see `add`). */
  constructor(protected bytes: Uint8Array) {}

  /** The packet `bytes[start..end)` (link type `linkType`), number `packet`, at `time`. */
  add(packet: number, time: number, linkType: number, start: number, end: number): void {
    const h = this.h;
    if (!readTcp(this.bytes, start, end, linkType, h)) { this.skipped++; return; }
    // Endpoints as keys: ip * 65536 + port (exact below 2^53) for IPv4, text for IPv6.
    const src: number | string = h.v6 ? `${h.srcText}:${h.srcPort}` : h.srcIp * 65536 + h.srcPort;
    const dst: number | string = h.v6 ? `${h.dstText}:${h.dstPort}` : h.dstIp * 65536 + h.dstPort;
    const syn = (h.flags & 0x02) !== 0;
    const ack = (h.flags & 0x10) !== 0;
    let b = this.find(src, dst);
    // A fresh SYN on a 4-tuple whose connection ended (or used another ISN) is a new connection.
    if (b !== undefined && syn && !ack) {
      const isn = b.raw[b.first === src ? 0 : 1].isn;
      if (b.closed || (isn !== undefined && isn !== ((h.seq + 1) >>> 0))) b = undefined;
    }
    if (b === undefined) {
      const from = endpointName(h.v6, h.srcIp, h.srcText, h.srcPort);
      const to = endpointName(h.v6, h.dstIp, h.dstText, h.dstPort);
      b = {
        connection: { id: this.all.length + 1, firstTime: time, firstPacket: packet, directions: [direction(from, to), direction(to, from)] },
        raw: [raw(), raw()], first: src, closed: false,
      };
      this.remember(src, dst, b);
      this.all.push(b);
    }
    const side = b.first === src ? 0 : 1;
    const r = b.raw[side];
    if (syn) {
      const isn = (h.seq + 1) >>> 0;
      if (r.isn !== undefined && r.isn !== isn) this.resynchronized(b, side);
      r.isn = isn;
      b.connection.directions[side].synSeen = true;
      if (!ack) b.connection.initiator ??= b.connection.directions[side].from;
    }
    if ((h.flags & 0x05) !== 0) { // FIN or RST
      b.closed = true;
      this.closing(b);
    }
    // Data on a SYN (TCP Fast Open) starts after the SYN's own sequence number.
    if (h.payloadEnd > h.payloadStart) this.segment(b, side, syn ? (h.seq + 1) >>> 0 : h.seq, h.payloadStart, h.payloadEnd, time, packet);
  }

  /** A segment with data: `bytes[start..end)`, sent by `b`'s direction `side`. Kept for `finish`. */
  protected segment(b: Building, side: 0 | 1, seq: number, start: number, end: number, time: number, packet: number): void {
    const r = b.raw[side];
    r.seq.push(seq);
    r.start.push(start);
    r.end.push(end);
    r.time.push(time);
    r.packet.push(packet);
  }

  /** A FIN or RST was seen on `b` (in either direction). */
  protected closing(_b: Building): void {}

  /**
   * A SYN gave `b`'s direction `side` another initial sequence number (a mangled capture):
   * `finish` places all of that direction's bytes by the last one.
   */
  protected resynchronized(_b: Building, _side: 0 | 1): void {}

  /** Connections seen so far. */
  get count(): number {
    return this.all.length;
  }

  /**
   * Every connection (that `include` accepts), in order of first packet, both directions
   * reassembled as it is reached: a caller that drops each one's pieces after use never
   * holds them all.
   */
  *finish(include: (id: number) => boolean = () => true): Generator<TcpConnection> {
    for (const b of this.all) {
      if (!include(b.connection.id)) continue;
      for (const side of [0, 1] as const) assemble(this.bytes, b.raw[side], b.connection.directions[side]);
      b.raw = [raw(), raw()];
      yield b.connection;
    }
  }

  private find(src: number | string, dst: number | string): Building | undefined {
    if (typeof src === 'string') return this.v6.get(src < dst ? `${src}-${dst}` : `${dst}-${src}`);
    const other = dst as number;
    return src < other ? this.v4.get(src)?.get(other) : this.v4.get(other)?.get(src);
  }

  private remember(src: number | string, dst: number | string, b: Building): void {
    if (typeof src === 'string') { this.v6.set(src < dst ? `${src}-${dst}` : `${dst}-${src}`, b); return; }
    const other = dst as number;
    const lo = src < other ? src : other;
    const hi = src < other ? other : src;
    let inner = this.v4.get(lo);
    if (inner === undefined) this.v4.set(lo, inner = new Map());
    inner.set(hi, b);
  }
}

function assemble(bytes: Uint8Array, r: RawDirection, out: TcpDirection): void {
  const n = r.seq.length;
  if (n === 0) return;
  const ref = r.isn ?? r.seq[0];
  const offset = new Array<number>(n);
  let base = 0;
  let sorted = true;
  for (let i = 0; i < n; i++) {
    offset[i] = (r.seq[i] - ref) | 0;
    // Without the SYN, the lowest sequence number starts the stream.
    if (r.isn === undefined && offset[i] < base) base = offset[i];
    if (i > 0 && offset[i] < offset[i - 1]) sorted = false;
  }
  // Placed by sequence number, ties in arrival order (the sort is stable).
  const order = Array.from({ length: n }, (_, i) => i);
  if (!sorted) order.sort((x, y) => offset[x] - offset[y]);
  let cursor = 0;
  let time = -Infinity;
  let packet = 0;
  for (const i of order) {
    const at = offset[i] - base;
    const length = r.end[i] - r.start[i];
    const end = at + length;
    if (end <= cursor) { out.retransmitted++; continue; }
    // Both only grow along the stream: a piece is complete once every byte before it is in.
    if (r.time[i] > time) time = r.time[i];
    if (r.packet[i] > packet) packet = r.packet[i];
    if (at > cursor) {
      out.pieces.push({ offset: cursor, missing: at - cursor, time, packet });
      out.gaps++;
      cursor = at;
    } else if (at < cursor) {
      out.retransmitted++;
    }
    out.pieces.push({ offset: cursor, data: bytes.subarray(r.start[i] + (cursor - at), r.end[i]), time, packet });
    cursor = end;
  }
  out.bytes = cursor;
}
