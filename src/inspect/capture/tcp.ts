// TCP reassembly (RFC 9293 section 3.10.7.4, read side): segments grouped per 4-tuple into
// connections, each direction's payload put back in sequence order.
//   - the SYN sets the initial sequence number; without one (a capture that starts
//     mid-stream) the lowest sequence number seen starts the stream;
//   - out-of-order segments are placed by sequence number, not arrival;
//   - retransmissions and overlaps keep the bytes that arrived first;
//   - missing bytes become a gap piece, so the frame walker knows framing is lost there.
// Sequence numbers are compared modulo 2^32, relative to a reference (streams < 2 GiB).
import type { Segment } from './link.js';

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

interface RawDirection {
  isn?: number;
  segments: Array<{ seq: number; payload: Uint8Array; time: number; packet: number }>;
}

interface Building {
  connection: TcpConnection;
  raw: [RawDirection, RawDirection];
  closed: boolean;
}

/** Groups segments into connections and reassembles both directions of each. */
export function reassemble(segments: readonly Segment[]): TcpConnection[] {
  const byTuple = new Map<string, Building>();
  const all: Building[] = [];
  for (const s of segments) {
    const key = s.src < s.dst ? `${s.src}-${s.dst}` : `${s.dst}-${s.src}`;
    let b = byTuple.get(key);
    // A fresh SYN on a 4-tuple whose connection ended (or used another ISN) is a new connection.
    if (b !== undefined && s.syn && !s.ack) {
      const side = b.connection.directions[0].from === s.src ? 0 : 1;
      const isn = b.raw[side].isn;
      if (b.closed || (isn !== undefined && isn !== ((s.seq + 1) >>> 0))) b = undefined;
    }
    if (b === undefined) {
      const dir = (from: string, to: string): TcpDirection => ({ from, to, synSeen: false, pieces: [], bytes: 0, retransmitted: 0, gaps: 0 });
      b = {
        connection: { id: all.length + 1, firstTime: s.time, firstPacket: s.packet, directions: [dir(s.src, s.dst), dir(s.dst, s.src)] },
        raw: [{ segments: [] }, { segments: [] }],
        closed: false,
      };
      byTuple.set(key, b);
      all.push(b);
    }
    const side = b.connection.directions[0].from === s.src ? 0 : 1;
    const raw = b.raw[side];
    if (s.syn) {
      raw.isn = (s.seq + 1) >>> 0;
      b.connection.directions[side].synSeen = true;
      if (!s.ack) b.connection.initiator ??= s.src;
    }
    if (s.fin || s.rst) b.closed = true;
    if (s.payload.length > 0) {
      // Data on a SYN (TCP Fast Open) starts after the SYN's own sequence number.
      raw.segments.push({ seq: s.syn ? (s.seq + 1) >>> 0 : s.seq, payload: s.payload, time: s.time, packet: s.packet });
    }
  }
  for (const b of all) {
    for (const side of [0, 1] as const) assemble(b.raw[side], b.connection.directions[side]);
  }
  return all.map((b) => b.connection);
}

function assemble(raw: RawDirection, out: TcpDirection): void {
  const segs = raw.segments;
  if (segs.length === 0) return;
  const ref = raw.isn ?? segs[0].seq;
  let base = 0;
  const placed = segs.map((s, order) => ({ ...s, order, offset: (s.seq - ref) | 0 }));
  if (raw.isn === undefined) base = placed.reduce((min, s) => Math.min(min, s.offset), 0);
  for (const s of placed) s.offset -= base;
  placed.sort((x, y) => x.offset - y.offset || x.order - y.order);
  let cursor = 0;
  let time = -Infinity;
  let packet = 0;
  for (const s of placed) {
    const end = s.offset + s.payload.length;
    if (end <= cursor) { out.retransmitted++; continue; }
    // Both only grow along the stream: a piece is complete once every byte before it is in.
    time = Math.max(time, s.time);
    packet = Math.max(packet, s.packet);
    if (s.offset > cursor) {
      out.pieces.push({ offset: cursor, missing: s.offset - cursor, time, packet });
      out.gaps++;
      cursor = s.offset;
    } else if (s.offset < cursor) {
      out.retransmitted++;
    }
    out.pieces.push({ offset: cursor, data: s.payload.subarray(cursor - s.offset), time, packet });
    cursor = end;
  }
  out.bytes = cursor;
}
