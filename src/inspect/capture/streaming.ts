// A pcap or pcapng file inspected as it is read, through two buffers that take turns (a read
// that returns a promise fills one while the other is decoded): the file is never held
// whole, and a frame's bytes are copied once (out of the buffer) at most. With a frame sink,
// frames are handed over after each buffer, and the memory of their copies is then reused
// (InspectOptions.recycle).
//
//   read ─► CaptureScanner ─► packets ─► LiveReassembler: each direction's segments in
//   sequence order as they arrive (retransmitted bytes dropped, early segments held until
//   the bytes before them are in) ─► a connection not yet oriented keeps its pieces (copies)
//   until `orient` can decide from them ─► ConnectionInspector (transient chunks) ─► frames,
//   handed over after each buffer
//
// The report is the one inspectCapture gives for the same file: the same pieces reach each
// connection's inspector in the same order, with the same times and packet numbers. Where
// streaming could not promise that, inspectCaptureStream returns undefined, and the caller
// reads the file whole instead:
//   - data on a direction whose SYN was not seen (a capture begun mid-connection: the whole
//     file decides where its stream starts);
//   - packet times that go backwards (the pieces of a connection's two directions are
//     merged by time);
//   - bytes still missing at the end (a gap);
//   - more than `maxHeld` bytes held at once: early segments, and connections whose first
//     64 KiB each way do not yet tell whether they are WebSocket (a large plain HTTP
//     download, for one).
import { CaptureScanner } from './pcap.js';
import { Reassembler, type Building, type TcpConnection } from './tcp.js';
import type { ConnectionInspector, ConnectionOptions } from './connection.js';
import { findUpgradeRequest, type HttpHead } from './http.js';
import {
  captureReport, connectionInspector, connectionResult, inspectConnection, inTimeOrder, orient, ORIENT_BYTES, prefix, sendersOf,
  type CaptureOptions, type ConnectionResult, type FrameContextInfo, type Orientation,
} from './session.js';
import type { InspectedFrame, InspectionReport, Role } from '../types.js';

/**
 * Reads up to `length` bytes of the file into `buffer` at `offset`; 0 at its end. A read that
 * returns a promise runs while the bytes read before it are decoded.
 */
export type ReadInto = (buffer: Uint8Array, offset: number, length: number) => number | Promise<number>;

export type StreamCaptureOptions = CaptureOptions & {
  /**
   * Bytes read at a time (default 256 KiB), into one of two buffers that take turns; each
   * also has room for as much again before them (grown for a longer packet).
   */
  readBytes?: number;
  /** Most bytes held at once before giving up (default 64 MiB). */
  maxHeld?: number;
};

/** Why streaming stopped: the caller reads the file whole instead. */
class CannotStream extends Error {}

interface Early {
  readonly at: number;
  readonly data: Uint8Array;
}

interface Live {
  readonly connection: TcpConnection;
  /** Stream offset of the next byte expected, per direction. */
  readonly cursor: [number, number];
  /** Segments that arrived before the bytes ahead of them, per direction. */
  readonly early: [Early[], Early[]];
  /** Bytes of each direction kept while the connection is not oriented. */
  readonly kept: [number, number];
  /** The upgrade request that direction 0's first bytes hold. */
  request?: HttpHead;
  inspector?: ConnectionInspector;
  senders?: readonly [Role, Role];
  /** Frames kept for the report (no frame sink). */
  readonly frames: InspectedFrame[];
  rsv1: boolean;
  /** Compressed messages wait for inflation. */
  pending: boolean;
  /** In the list of connections with news since the last hand-over. */
  listed: boolean;
}

class LiveReassembler extends Reassembler {
  readonly live: Live[] = [];
  /** Connections with frames or inflation waiting since the last hand-over. */
  news: Live[] = [];
  /** Connections that sent a FIN or RST since the last hand-over. */
  closed: Live[] = [];
  private held = 0;

  constructor(private readonly options: ConnectionOptions, private readonly maxHeld: number, private readonly include: (id: number) => boolean) {
    super(new Uint8Array(0));
  }

  /** The buffer the next packets are read from. */
  use(bytes: Uint8Array): void {
    this.bytes = bytes;
  }

  protected override segment(b: Building, side: 0 | 1, seq: number, start: number, end: number, time: number, packet: number): void {
    const c = b.connection;
    if (!this.include(c.id)) return;
    const live = this.live[c.id - 1] ??= {
      connection: c, cursor: [0, 0], early: [[], []], kept: [0, 0], frames: [], rsv1: false, pending: false, listed: false,
    };
    const isn = b.raw[side].isn;
    if (isn === undefined) throw new CannotStream(`connection ${c.id}: data before its SYN`);
    const d = c.directions[side];
    const at = (seq - isn) | 0;
    const length = end - start;
    const cursor = live.cursor[side];
    if (at + length <= cursor) { d.retransmitted++; return; }
    if (at > cursor) {
      live.early[side].push({ at, data: this.bytes.slice(start, end) });
      this.hold(length);
      return;
    }
    if (at < cursor) d.retransmitted++;
    this.deliver(live, side, this.bytes.subarray(start + (cursor - at), end), time, packet);
    live.cursor[side] = at + length;
    // Early segments now reached, lowest offset first (ties in arrival order), as a sort would place them.
    const early = live.early[side];
    while (early.length > 0) {
      let k = 0;
      for (let i = 1; i < early.length; i++) if (early[i].at < early[k].at) k = i;
      const e = early[k];
      const now = live.cursor[side];
      if (e.at > now) break;
      early.splice(k, 1);
      this.held -= e.data.length;
      if (e.at + e.data.length <= now) { d.retransmitted++; continue; }
      if (e.at < now) d.retransmitted++;
      this.deliver(live, side, e.data.subarray(now - e.at), time, packet);
      live.cursor[side] = e.at + e.data.length;
    }
  }

  /**
   * The bytes of a direction already placed by its old initial sequence number would be
   * placed by the new one in the whole-file reading. A direction has had data once a
   * segment moved its cursor, waits early, or was counted as retransmitted.
   */
  protected override resynchronized(b: Building, side: 0 | 1): void {
    const live = this.live[b.connection.id - 1];
    if (live === undefined) return;
    if (live.cursor[side] > 0 || live.early[side].length > 0 || live.connection.directions[side].retransmitted > 0) {
      throw new CannotStream(`connection ${live.connection.id}: its initial sequence number changed after data`);
    }
  }

  protected override closing(b: Building): void {
    const live = this.live[b.connection.id - 1];
    if (live?.inspector !== undefined) this.closed.push(live);
  }

  /** The connection's in-order bytes `data` (at the direction's cursor) sent by `side`. */
  private deliver(live: Live, side: 0 | 1, data: Uint8Array, time: number, packet: number): void {
    if (live.inspector !== undefined) {
      this.write(live, side, data, time, packet);
      return;
    }
    const d = live.connection.directions[side];
    const before = live.kept[side];
    d.pieces.push({ offset: live.cursor[side], data: data.slice(), time, packet });
    live.kept[side] += data.length;
    this.hold(data.length);
    if (before >= ORIENT_BYTES) return; // what orient reads of this side is in already
    if (side === 0 && live.request === undefined) live.request = findUpgradeRequest(prefix(d));
    // orient's answer is final once it has found the request in direction 0, or has read
    // all it reads of direction 0 and found the request in direction 1 or read all of it too.
    const full = (s: 0 | 1): boolean => live.kept[s] >= ORIENT_BYTES;
    if (live.request !== undefined || (full(0) && (full(1) || findUpgradeRequest(prefix(live.connection.directions[1])) !== undefined))) this.start(live);
  }

  /** Orients the connection and feeds it what it kept, both directions in time order. */
  private start(live: Live): void {
    const c = live.connection;
    // A request at the start of direction 0 is what orient finds first: that is its answer,
    // and the inspector need not parse it again (once it has its bytes: they may come after
    // the response's, in time order).
    const o: Orientation = live.request !== undefined ? { client: 0, handshake: true, websocket: true } : orient(c);
    live.inspector = connectionInspector(c, this.options, o);
    if (live.request !== undefined) live.inspector.expectRequest(live.request);
    live.senders = sendersOf(o);
    for (const [side, p] of inTimeOrder(c)) this.write(live, side, p.data!, p.time, p.packet);
    this.held -= live.kept[0] + live.kept[1];
    c.directions[0].pieces = [];
    c.directions[1].pieces = [];
  }

  private write(live: Live, side: 0 | 1, data: Uint8Array, time: number, packet: number): void {
    const inspector = live.inspector!;
    if (inspector.write(live.senders![side], data, time, packet)) live.pending = true;
    if (!live.listed && (live.pending || inspector.frames.length > 0)) {
      live.listed = true;
      this.news.push(live);
    }
  }

  private hold(bytes: number): void {
    this.held += bytes;
    if (this.held > this.maxHeld) throw new CannotStream(`more than ${this.maxHeld} bytes held`);
  }
}

/**
 * Inspects the pcap or pcapng file that `read` reads, as it is read; resolves to the report
 * inspectCapture would give, or to undefined when this file must be read whole for that
 * (see above). With `onFrames`, frames are handed over after each buffer read, and
 * `context.connections` counts the connections seen before the first hand-over (it is more
 * than 1 exactly when the capture holds more than one). A frame's header and payload bytes
 * are then valid only during the `onFrames` call that hands it over (InspectOptions.recycle).
 * A frame sink may have been called before undefined is returned.
 */
export async function inspectCaptureStream(read: ReadInto, options: StreamCaptureOptions = {}): Promise<InspectionReport | undefined> {
  const { onFrames, shard, readBytes = 256 << 10, maxHeld = 64 << 20, ...inspect } = options;
  const include = shard === undefined ? (): boolean => true : (id: number): boolean => (id - 1) % shard.count === shard.index;
  // With a frame sink, each connection's frames' bytes are lent: their memory is reused once they are handed over.
  const tcp = new LiveReassembler({ ...inspect, transient: true, recycle: onFrames !== undefined }, maxHeld, include);
  let last = -Infinity;
  const scanner = new CaptureScanner((number, time, linkType, start, end) => {
    if (time < last) throw new CannotStream(`packet ${number}: time goes backwards`);
    last = time;
    tcp.add(number, time, linkType, start, end);
  });
  // Frames are handed over once the layout is known (a second connection, or the end), all
  // the connections' new frames in one call after each buffer.
  let context: FrameContextInfo | undefined;
  let batch: InspectedFrame[] = [];
  /**
   * Notes a connection's new frames (`frames`, else those its inspector made since the last
   * call) and keeps them, for its report or the next hand-over.
   */
  const take = (live: Live, frames?: readonly InspectedFrame[]): void => {
    const to = onFrames === undefined ? live.frames : batch;
    const from = to.length;
    if (frames === undefined) live.inspector!.drain(to);
    else for (const f of frames) to.push(f);
    for (let i = from; i < to.length; i++) if (to[i].rsv1) live.rsv1 = true;
  };
  /** Hands the frames taken so far to the sink in one call, once the layout is known (or at the `end`). */
  const handOver = (end: boolean): void => {
    if (onFrames === undefined) return;
    if (context === undefined) {
      if (tcp.count < 2 && !end) return;
      const file = scanner.result();
      context = file.firstTime === undefined ? { connections: tcp.count } : { connections: tcp.count, startTime: file.firstTime };
    }
    if (batch.length === 0) return;
    const frames = batch;
    batch = [];
    onFrames(frames, context);
  };
  // Two buffers take turns: the next read fills one while the other is decoded. Each keeps
  // `reserve` bytes ahead of the part read into it, where the unfinished packet at the end of
  // the other one is copied, to join the bytes that follow it.
  let reserve = readBytes;
  let current = new Uint8Array(reserve + readBytes);
  let spare = new Uint8Array(reserve + readBytes);
  let tail = current.subarray(0, 0);
  const readNext = (): number | Promise<number> => {
    const next = read(spare, reserve, readBytes);
    // Handled from now on (a failure is thrown where it is awaited, or ignored after a stop).
    if (typeof next !== 'number') next.catch(() => undefined);
    return next;
  };
  let reading = readNext();
  /** A read was started and not yet awaited. */
  let outstanding = true;
  try {
    for (;;) {
      const n = await reading;
      outstanding = false;
      if (tail.length > reserve) {
        // A packet longer than the reserve: both buffers grow to hold it.
        const grown = new Uint8Array(2 * tail.length + readBytes);
        grown.set(spare.subarray(reserve, reserve + n), 2 * tail.length);
        reserve = 2 * tail.length;
        spare = grown;
        current = new Uint8Array(grown.length);
      }
      const start = reserve - tail.length;
      spare.set(tail, start);
      [current, spare] = [spare, current];
      const final = n === 0;
      if (!final) { reading = readNext(); outstanding = true; }
      const bytes = current.subarray(start, reserve + n);
      tcp.use(bytes);
      const used = scanner.scan(bytes, final);
      const news = tcp.news;
      tcp.news = [];
      for (const live of news) {
        live.listed = false;
        if (live.pending) { live.pending = false; await live.inspector!.flush(); }
        take(live);
      }
      handOver(false);
      if (context !== undefined) {
        for (const live of news) live.inspector!.recycle(); // handed over (not kept waiting for the layout)
        // A connection closing lets go of assembly buffers it no longer needs (thousands of short connections).
        for (const live of tcp.closed) live.inspector!.release();
        tcp.closed = [];
      }
      if (final) break;
      tail = bytes.subarray(used);
    }
    const results: ConnectionResult[] = [];
    for (const c of tcp.finish(include)) {
      const live = tcp.live[c.id - 1];
      if (live === undefined) {
        results.push(await inspectConnection(c, inspect, onFrames === undefined ? undefined : (frames) => { for (const f of frames) batch.push(f); handOver(true); }));
        continue;
      }
      for (const s of [0, 1] as const) {
        if (live.early[s].length > 0) throw new CannotStream(`connection ${c.id}: bytes missing at the end`);
        c.directions[s].bytes = live.cursor[s];
      }
      if (live.inspector === undefined) {
        // Not oriented while streaming: as the whole-file reading does it, from the pieces kept.
        results.push(await inspectConnection(c, inspect, onFrames === undefined ? undefined : (frames) => { take(live, frames); handOver(true); }));
        continue;
      }
      const inspector = live.inspector;
      await inspector.flush();
      const { report, problems } = await inspector.finish();
      take(live);
      handOver(true);
      results.push(connectionResult(c, live.senders![0] === 'client' ? 0 : 1, live.frames, report, problems, live.rsv1));
    }
    handOver(true);
    return captureReport(scanner.result(), tcp.skipped, results);
  } catch (error) {
    if (error instanceof CannotStream) return undefined;
    throw error;
  } finally {
    // A read still running when decoding stopped early is waited for: the caller may close the file.
    if (outstanding) await Promise.resolve(reading).catch(() => 0);
  }
}
