// StreamInspector: the bytes one side sent, in any chunking, to annotated frames. Its
// walker never stops at a violation; it stops only where the bytes run out (a truncated
// final frame) or are missing (a capture gap), and says so.
//
//   write(chunk, time) ─► pending chunks (transient chunks: copied into one assembly
//     buffer) ─(enough for the frame in progress)─► walk: readHeader ─► take the frame's
//     bytes (a view when they lie in one chunk or in the assembly buffer, else one copy)
//     ─► readFrame (header checks, unmask, close) ─► data(): fragmentation, UTF-8 across
//     fragments ─► complete messages ─► (compressed) inflate in order (flush)
//
// Framing is synchronous (write, cut); only inflation is asynchronous. feed, gap and finish
// do their framing when called and queue the inflation, so they may be called without
// awaiting each other; write + flush is the same without a promise per chunk.
import { readHeader, type RawHeader } from './header.js';
import { bytesPreview, PREVIEW_CHARS, previewPayload, readFrame, type FrameContext, type WireFrame } from './frame.js';
import { inflateMessage, nextWindow, streamInflater } from './inflate.js';
import { decodeText, inspectorCodec, payloadViews, printable, viewPreview } from './payload.js';
import { problem } from './problems.js';
import { isControlOpcode, isReservedOpcode, opcodeName } from './registry.js';
import type {
  DeflateParams, FramingLoss, InspectedFrame, InspectOptions, Inflater, MessageInfo, Problem, StreamResult,
} from './types.js';

interface OpenMessage {
  readonly opcode: 1 | 2;
  readonly offset: number;
  readonly compressed: boolean;
  frames: number;
  parts: Uint8Array[];
  length: number;
  utf8: number;
  utf8Failed: boolean;
}

const EMPTY = new Uint8Array(0);
const RESOLVED: Promise<void> = Promise.resolve();
/**
 * An assembly buffer for transient chunks is twice the last one (up to this much), and
 * twice what it must hold at least: a side that sends little (of thousands of connections)
 * keeps a small one.
 */
const ASM_STEP = 64 * 1024;

// Payload copies are carved from shared slabs: one ArrayBuffer per MiB of small payloads
// instead of one per frame (each one external memory that the garbage collector tracks).
// A slab lives as long as any frame that points into it.
const SLAB = 1024 * 1024;
const SLAB_MAX_PIECE = 64 * 1024;
let slab = new Uint8Array(0);
let slabUsed = 0;

/** Fresh (zeroed) bytes for a payload copy. */
function allocate(n: number): Uint8Array {
  if (n > SLAB_MAX_PIECE) return new Uint8Array(n);
  if (slabUsed + n > slab.length) { slab = new Uint8Array(SLAB); slabUsed = 0; }
  const out = slab.subarray(slabUsed, slabUsed + n);
  slabUsed = (slabUsed + n + 7) & ~7;
  return out;
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export class StreamInspector {
  readonly frames: InspectedFrame[] = [];
  readonly problems: Problem[] = [];
  lost?: FramingLoss;
  private readonly ctx: FrameContext;
  private readonly deflate: DeflateParams | null;
  private readonly inflater: Inflater | undefined;
  private readonly maxView: number;
  private readonly summary: boolean;
  private readonly lazyPreviews: boolean;
  private readonly maxInflated: number;
  /** Chunks are valid only during `write` (InspectOptions.transient). */
  private readonly transient: boolean;
  /**
   * Transient chunks are copied, one after another, into `asm`, and frames are read from it
   * in place: each byte is copied once, and a frame's header and payload are views of it.
   * Its bytes from `asmStart` to `asmEnd` are not yet framed, and chunks are copied up to
   * `asmLimit`. When that is reached, the unframed bytes move to its start if the caller has
   * given back that much (InspectOptions.recycle), else to a new buffer (the old one stays
   * with the frames that point into it).
   */
  private asm: Uint8Array = EMPTY;
  private asmStart = 0;
  private asmEnd = 0;
  private asmLimit = 0;
  /** With InspectOptions.recycle: bytes of `asm` before this are free (their frames were given back). */
  private asmFree = 0;
  private readonly recycling: boolean;
  /** Chunks not yet framed (not transient); the first begins at its byte `skip`. */
  private pending: Uint8Array[] = [];
  private skip = 0;
  /** Bytes in `pending` from `skip` on. */
  private pendingLength = 0;
  /** Stream offset of the first pending byte. */
  private base = 0;
  /** Pending bytes needed before the frame in progress can be read. */
  private need = 2;
  /** A header split across chunks is read from a copy here (made on first use). */
  private headBytes: Uint8Array | null = null;
  private open: OpenMessage | null = null;
  /** After a gap: continuation frames of a message whose start is missing are expected. */
  private lostMessage = false;
  private closedAt = -1;
  private window: Uint8Array = EMPTY;
  private inflateQueue: Array<{ frame: InspectedFrame; m: OpenMessage; wire: Uint8Array }> = [];
  private chain: Promise<unknown> = RESOLVED;
  /** Tasks queued and not yet settled. */
  private running = 0;

  constructor(options: InspectOptions) {
    if (options.role !== 'client' && options.role !== 'server') {
      throw new TypeError(`inspect: role must be 'client' or 'server' (got ${String(options.role)})`);
    }
    const d = options.deflate;
    this.deflate = d === undefined || d === false ? null : d === true ? {} : d;
    this.maxView = options.maxViewBytes ?? 1024 * 1024;
    this.summary = options.detail === 'summary';
    this.lazyPreviews = options.lazyPreviews === true;
    this.maxInflated = options.maxInflated ?? 64 * 1024 * 1024;
    this.transient = options.transient === true;
    this.recycling = this.transient && options.recycle === true;
    this.inflater = options.inflate ?? (this.deflate ? streamInflater(this.maxInflated) : undefined);
    this.ctx = {
      codec: options.codec ?? inspectorCodec(),
      role: options.role, deflate: this.deflate !== null, hexBytes: options.hexBytes ?? 256,
    };
  }

  /** Bytes read so far (including any missing in gaps). */
  get bytes(): number {
    return this.base + this.pendingLength;
  }

  /**
   * Frames the next bytes sent, synchronously (new frames are appended to `frames`).
   * Returns true when compressed messages wait for inflation: call `flush()`.
   */
  write(chunk: Uint8Array, time?: number): boolean {
    if (chunk.length > 0) {
      if (this.transient) this.append(chunk);
      else this.pending.push(chunk);
      this.pendingLength += chunk.length;
      if (this.pendingLength >= this.need) {
        if (this.transient) this.walkAssembled(time);
        else this.walk(time);
      }
    }
    return this.inflateQueue.length > 0;
  }

  /** Copies a transient chunk after the unframed bytes in `asm`. */
  private append(chunk: Uint8Array): void {
    const end = this.asmEnd;
    if (end + chunk.length > this.asmLimit) {
      const kept = end - this.asmStart;
      if (kept + chunk.length <= this.asmFree) {
        // To the start, over frames given back; the frames after them are not yet.
        this.asm.copyWithin(0, this.asmStart, end);
        this.asmLimit = this.asmFree;
      } else {
        // A new buffer (a declared length is not trusted with memory: it grows only with the
        // bytes that arrive).
        const next = new Uint8Array(Math.max(Math.min(ASM_STEP, 2 * this.asm.length), 2 * (kept + chunk.length)));
        next.set(this.asm.subarray(this.asmStart, end));
        this.asm = next;
        this.asmLimit = next.length;
      }
      this.asmFree = 0;
      this.asmStart = 0;
      this.asmEnd = kept;
    }
    this.asm.set(chunk, this.asmEnd);
    this.asmEnd += chunk.length;
  }

  /**
   * With InspectOptions.recycle: the caller holds none of the frames made so far, so their
   * bytes' memory may be reused: when the assembly buffer is full, the unframed bytes (the
   * frame in progress) move to its start instead of to a new buffer (moved then, not now: a
   * capture of many connections hands frames over far more often than each fills its
   * buffer). Nothing is reused while a message is open or waits for inflation (they hold
   * earlier frames' bytes).
   */
  recycle(): void {
    if (!this.recycling || this.open !== null || this.inflateQueue.length > 0) return;
    this.asmFree = this.asmStart;
    this.asmLimit = this.asm.length;
  }

  /**
   * recycle(), and the assembly buffer is let go of when nothing in it is unframed (a side
   * that has closed: a later chunk gets a new one).
   */
  release(): void {
    this.recycle();
    if (this.asmFree !== this.asmEnd || this.asm.length === 0) return; // not given back, or bytes unframed
    this.asm = EMPTY;
    this.asmStart = 0;
    this.asmEnd = 0;
    this.asmLimit = 0;
    this.asmFree = 0;
  }

  /** Inflates the compressed messages completed so far, in order. */
  flush(): Promise<void> {
    if (this.idle) return RESOLVED;
    return this.queue(() => this.inflateQueued());
  }

  /** Feeds the next bytes sent; resolves to the frames they completed. */
  feed(chunk: Uint8Array, time?: number): Promise<InspectedFrame[]> {
    const first = this.frames.length;
    this.write(chunk, time);
    return this.completed(first);
  }

  /** `missing` bytes were lost (a TCP gap): framing resumes at the next byte fed. */
  gap(missing: number, time?: number): Promise<InspectedFrame[]> {
    const first = this.frames.length;
    this.writeGap(missing, time);
    return this.completed(first);
  }

  /** The synchronous part of `gap`. */
  writeGap(missing: number, time?: number): boolean {
    const at = this.base + this.pendingLength;
    this.cut(time, problem('gap', at, `${missing} bytes missing`));
    this.base += missing;
    if (this.open !== null || this.lostMessage) this.lostMessage = true;
    this.open = null;
    return this.inflateQueue.length > 0;
  }

  /** The stream ended: reports a truncated last frame and an unfinished message. */
  finish(time?: number): Promise<StreamResult> {
    this.cut(time, undefined);
    if (this.open !== null) {
      const m = this.open;
      this.problems.push(problem('unfinished', m.offset, `${opcodeName(m.opcode)} message of ${m.frames} frames without a final frame`));
      this.open = null;
    }
    const result = (): StreamResult => {
      const r: StreamResult = { frames: this.frames, problems: this.problems, bytes: this.bytes };
      return this.lost === undefined ? r : { ...r, lost: this.lost };
    };
    // Nothing to wait for (no inflation, nothing queued): no task either.
    if (this.idle) return Promise.resolve(result());
    return this.queue(async () => {
      await this.inflateQueued();
      return result();
    });
  }

  /** Nothing queued or waiting for inflation: flush() has nothing to do. */
  get idle(): boolean {
    return this.running === 0 && this.inflateQueue.length === 0;
  }

  /** Resolves, once what is queued is inflated, to the frames from `first` on made so far. */
  private completed(first: number): Promise<InspectedFrame[]> {
    const end = this.frames.length;
    return this.queue(async () => {
      await this.inflateQueued();
      return this.frames.slice(first, end);
    });
  }

  private queue<T>(task: () => Promise<T>): Promise<T> {
    this.running++;
    const run = this.chain.then(task);
    this.chain = run.then(this.settled, this.settled);
    return run;
  }

  private readonly settled = (): void => { this.running--; };

  /** Copies `n` pending bytes from the start into `out` at `at`, consuming them when `consume`. */
  private gather(out: Uint8Array, at: number, n: number, consume: boolean): void {
    let i = 0;
    let skip = this.skip;
    while (n > 0) {
      const c = this.pending[i];
      const take = Math.min(n, c.length - skip);
      out.set(take === c.length ? c : c.subarray(skip, skip + take), at);
      at += take;
      n -= take;
      skip += take;
      if (skip === c.length) { i++; skip = 0; }
    }
    if (consume) this.drop(i, skip);
  }

  /** Forgets the first `chunks` pending chunks; the next starts at `skip`. */
  private drop(chunks: number, skip: number): void {
    if (chunks > 0) this.pending.splice(0, chunks);
    this.skip = skip;
  }

  /** The next `n` pending bytes, consumed: a view when they lie in the first chunk (unless `copy`). */
  private take(n: number, copy: boolean): Uint8Array {
    const c = this.pending[0];
    const skip = this.skip;
    this.pendingLength -= n;
    this.base += n;
    if (n === 0) return EMPTY;
    if (c.length - skip >= n) {
      const view = c.subarray(skip, skip + n);
      let out = view;
      if (copy) { out = allocate(n); out.set(view); }
      if (skip + n === c.length) this.drop(1, 0);
      else this.skip = skip + n;
      return out;
    }
    const out = allocate(n);
    this.gather(out, 0, n, true);
    return out;
  }

  /** Reads every whole frame in the assembly buffer (transient chunks): views of it, no copies. */
  private walkAssembled(time: number | undefined): void {
    const asm = this.asm;
    const end = this.asmEnd;
    for (;;) {
      const p = this.asmStart;
      const h = readHeader(asm, p, end);
      if (typeof h === 'number') { this.need = h; break; }
      const total = h.headerLength + h.length;
      if (total > end - p) { this.need = total; break; }
      const at = this.base;
      this.asmStart = p + total;
      this.base += total;
      this.pendingLength -= total;
      const payloadAt = p + h.headerLength;
      this.add(asm.subarray(p, payloadAt), h, asm.subarray(payloadAt, p + total), h.length, at, time);
    }
  }

  /** Reads every whole frame in the pending bytes. */
  private walk(time: number | undefined): void {
    for (;;) {
      if (this.pendingLength < 2) { this.need = 2; break; }
      // The header: read in place when the first chunk holds it, else from a copy of its bytes.
      const c = this.pending[0];
      let hb = c;
      let hp = this.skip;
      if (c.length - hp < 14 && this.pending.length > 1) {
        const n = Math.min(14, this.pendingLength);
        const head = this.headBytes ??= new Uint8Array(14);
        this.gather(head, 0, n, false);
        hb = n === 14 ? head : head.subarray(0, n);
        hp = 0;
      }
      const h = readHeader(hb, hp);
      if (typeof h === 'number') { this.need = h; break; }
      const total = h.headerLength + h.length;
      if (total > this.pendingLength) { this.need = total; break; }
      const at = this.base;
      const header = this.take(h.headerLength, true);
      // A masked payload is unmasked in place: it must be a copy of the stream's bytes.
      const payload = this.take(h.length, h.masked);
      this.add(header, h, payload, h.length, at, time);
    }
  }

  /** Ends framing here: the pending bytes become a truncated frame (or header). */
  private cut(time: number | undefined, reason: Problem | undefined): void {
    const at = this.base;
    if (this.pendingLength > 0) {
      let buf: Uint8Array;
      if (this.transient) {
        buf = this.asm.slice(this.asmStart, this.asmEnd);
      } else {
        buf = new Uint8Array(this.pendingLength);
        this.gather(buf, 0, buf.length, false);
      }
      const h = readHeader(buf, 0);
      let message: string;
      if (typeof h === 'number') {
        message = `frame header at byte ${at} needs ${h} bytes, ${buf.length} captured`;
      } else {
        const captured = Math.min(h.length, buf.length - h.headerLength);
        message = `frame at byte ${at} declares ${h.length} payload bytes, ${captured} captured`;
        this.add(buf.subarray(0, h.headerLength), h, buf.subarray(h.headerLength, h.headerLength + captured), captured, at, time);
      }
      const found = reason ?? problem('truncated', at, message);
      const last = this.frames[this.frames.length - 1];
      if (typeof h !== 'number' && last !== undefined) last.problems.push(found);
      else this.problems.push(found);
      this.lost ??= { offset: at, message: `framing lost at byte ${at}: ${message}` };
      this.base += buf.length;
      this.open = null;
    } else if (reason !== undefined) {
      this.problems.push(reason);
    }
    this.pending = [];
    this.skip = 0;
    this.asmStart = this.asmEnd;
    this.pendingLength = 0;
    this.need = 2;
  }

  private add(header: Uint8Array, h: RawHeader, payload: Uint8Array, captured: number, at: number, time: number | undefined): void {
    const frame = readFrame(this.ctx, header, h, payload, at, captured, time);
    if (this.closedAt >= 0) frame.problems.push(problem('afterClose', at, `close frame at byte ${this.closedAt}`));
    if (h.opcode === 0x8 && this.closedAt < 0) this.closedAt = at;
    if (!isReservedOpcode(h.opcode) && !isControlOpcode(h.opcode)) this.data(frame, at + h.headerLength);
    this.frames.push(frame);
  }

  /** Fragmentation (RFC 6455 section 5.4) and text validation across fragments. */
  private data(frame: WireFrame, payloadAt: number): void {
    const payload = frame.payload;
    if (frame.opcode === 0 && this.open === null) {
      if (!this.lostMessage) frame.problems.push(problem('continuation', frame.offset));
      if (frame.fin) this.lostMessage = false;
      frame.preview = bytesPreview(payload);
      frame.showHex(this.ctx.hexBytes);
      return;
    }
    if (frame.opcode !== 0) {
      const prior = this.open;
      if (prior !== null) {
        frame.problems.push(problem('expectedContinuation', frame.offset, `the ${opcodeName(prior.opcode)} message at byte ${prior.offset} is not finished`));
      }
      this.lostMessage = false;
      this.open = {
        opcode: frame.opcode as 1 | 2, offset: frame.offset, compressed: frame.rsv1 && this.deflate !== null,
        frames: 0, parts: [], length: 0, utf8: 0, utf8Failed: false,
      };
    }
    const m = this.open!;
    m.frames++;
    m.parts.push(payload);
    m.length += payload.length;
    if (m.opcode === 1 && !m.compressed && !m.utf8Failed) {
      const state = this.ctx.codec.validateUtf8(payload, m.utf8);
      if (state < 0) {
        m.utf8Failed = true;
        frame.problems.push(problem('utf8', payloadAt + (-1 - state)));
      } else {
        m.utf8 = state;
      }
    }
    if (m.compressed || m.opcode === 2) frame.showHex(this.ctx.hexBytes);
    const last = frame.fin && !frame.truncated;
    // The last frame of a binary message is previewed by complete(), from the whole message.
    if (m.compressed) frame.preview = `[compressed ${payload.length} B]`;
    else if (m.opcode === 1) previewPayload(frame, true, this.lazyPreviews);
    else frame.preview = last ? '' : bytesPreview(payload);
    if (!last) return;
    this.open = null;
    if (m.opcode === 1 && !m.compressed && !m.utf8Failed && m.utf8 !== 0) {
      frame.problems.push(problem('utf8', payloadAt + payload.length - 1, 'the message ends inside a character'));
    }
    const wire = concat(m.parts, m.length);
    if (m.compressed) this.inflateQueue.push({ frame, m, wire });
    else this.complete(frame, m, wire, wire, false);
  }

  private complete(frame: InspectedFrame, m: OpenMessage, wire: Uint8Array, data: Uint8Array, inflated: boolean): void {
    // A single-frame text message keeps the preview of its frame.
    const previewed = m.frames === 1 && !inflated && m.opcode === 1;
    // A summary has no message text and no views of text: only the preview's start is decoded.
    let text: string | undefined;
    if (m.opcode === 1 && !(this.summary && previewed)) {
      const limit = this.summary ? PREVIEW_CHARS * 4 : this.maxView;
      text = decodeText(data.length > limit ? data.subarray(0, limit) : data);
    }
    const views = this.summary && m.opcode === 1 ? {} : payloadViews(data, text, this.summary ? 64 * 1024 : this.maxView);
    // Two shapes, each in one literal (no spread per message): text before views, as documented.
    const info: MessageInfo = text === undefined || this.summary
      ? { opcode: m.opcode, frames: m.frames, wireLength: wire.length, data, compressed: m.compressed, inflated, views }
      : { opcode: m.opcode, frames: m.frames, wireLength: wire.length, data, compressed: m.compressed, inflated, text, views };
    frame.message = info;
    if (previewed) return;
    const viewed = viewPreview(views, PREVIEW_CHARS);
    if (viewed === undefined && m.opcode === 2 && m.frames === 1 && !inflated && data === frame.payload) {
      previewPayload(frame as WireFrame, false, this.lazyPreviews); // the frame's own bytes: bytesPreview, noted when shown as they are
      return;
    }
    const shown = m.opcode === 1 ? viewed ?? printable(text ?? '', PREVIEW_CHARS) : viewed ?? bytesPreview(data);
    frame.preview = (m.frames > 1 ? `[${m.frames} frames] ` : '') + (inflated ? '[inflated] ' : '') + shown;
  }

  /** Inflates completed compressed messages, in order (each one's window is the last's). */
  private async inflateQueued(): Promise<void> {
    const queue = this.inflateQueue;
    this.inflateQueue = [];
    for (const { frame, m, wire } of queue) {
      if (this.inflater === undefined) {
        frame.problems.push(problem('inflateUnavailable', frame.offset, 'no inflater in this engine'));
        this.complete(frame, m, wire, wire, false);
        continue;
      }
      const window = this.deflate?.noContextTakeover ? EMPTY : this.window;
      let data: Uint8Array;
      try {
        data = await inflateMessage(this.inflater, wire, window);
      } catch (error) {
        frame.problems.push(problem('inflate', frame.offset, (error as Error).message));
        this.complete(frame, m, wire, wire, false);
        continue;
      }
      if (!this.deflate?.noContextTakeover) this.window = nextWindow(this.window, data);
      if (m.opcode === 1) {
        const state = this.ctx.codec.validateUtf8(data, 0);
        if (state !== 0) {
          const at = state < 0 ? -1 - state : data.length - 1;
          frame.problems.push(problem('utf8', frame.offset, `byte ${at} of the inflated message`));
        }
      }
      this.complete(frame, m, wire, data, true);
    }
  }
}
