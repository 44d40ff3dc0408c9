// StreamInspector: the bytes one side sent, in any chunking, to annotated frames. Its
// walker never stops at a violation; it stops only where the bytes run out (a truncated
// final frame) or are missing (a capture gap), and says so.
//
//   feed(chunk, time) ─► pending chunks ─(enough for the frame in progress)─► walk:
//     readHeader ─► readFrame (header checks, unmask, close) ─► data(): fragmentation,
//     UTF-8 across fragments ─► complete messages ─► (compressed) inflate in order
//
// Calls are queued: feed, gap and finish may be called without awaiting each other.
import type { Codec } from '../codec/types.js';
import { createCodec } from '../codec/index.js';
import { readHeader, type RawHeader } from './header.js';
import { bytesPreview, PREVIEW_CHARS, readFrame, type FrameContext } from './frame.js';
import { inflateMessage, nextWindow, streamInflater } from './inflate.js';
import { decodeText, hexView, payloadViews, printable, viewPreview } from './payload.js';
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
let sharedCodec: Codec | undefined;

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
  private readonly maxInflated: number;
  private pending: Uint8Array[] = [];
  private pendingLength = 0;
  /** Stream offset of the first pending byte. */
  private base = 0;
  /** Pending bytes needed before the frame in progress can be read. */
  private need = 2;
  private open: OpenMessage | null = null;
  /** After a gap: continuation frames of a message whose start is missing are expected. */
  private lostMessage = false;
  private closedAt = -1;
  private window: Uint8Array = EMPTY;
  private inflateQueue: Array<{ frame: InspectedFrame; m: OpenMessage; wire: Uint8Array }> = [];
  private chain: Promise<unknown> = Promise.resolve();

  constructor(options: InspectOptions) {
    if (options.role !== 'client' && options.role !== 'server') {
      throw new TypeError(`inspect: role must be 'client' or 'server' (got ${String(options.role)})`);
    }
    const d = options.deflate;
    this.deflate = d === undefined || d === false ? null : d === true ? {} : d;
    this.maxView = options.maxViewBytes ?? 1024 * 1024;
    this.summary = options.detail === 'summary';
    this.maxInflated = options.maxInflated ?? 64 * 1024 * 1024;
    this.inflater = options.inflate ?? (this.deflate ? streamInflater(this.maxInflated) : undefined);
    this.ctx = {
      codec: options.codec ?? (sharedCodec ??= createCodec()),
      role: options.role, deflate: this.deflate !== null, hexBytes: options.hexBytes ?? 256,
    };
  }

  /** Bytes read so far (including any missing in gaps). */
  get bytes(): number {
    return this.base + this.pendingLength;
  }

  /** Feeds the next bytes sent; resolves to the frames they completed. */
  feed(chunk: Uint8Array, time?: number): Promise<InspectedFrame[]> {
    return this.queue(async () => {
      const first = this.frames.length;
      if (chunk.length > 0) {
        this.pending.push(chunk);
        this.pendingLength += chunk.length;
        if (this.pendingLength >= this.need) this.walk(time);
      }
      await this.inflateQueued();
      return this.frames.slice(first);
    });
  }

  /** `missing` bytes were lost (a TCP gap): framing resumes at the next byte fed. */
  gap(missing: number, time?: number): Promise<InspectedFrame[]> {
    return this.queue(async () => {
      const first = this.frames.length;
      const at = this.base + this.pendingLength;
      this.cut(time, problem('gap', at, `${missing} bytes missing`));
      this.base += missing;
      if (this.open !== null || this.lostMessage) this.lostMessage = true;
      this.open = null;
      await this.inflateQueued();
      return this.frames.slice(first);
    });
  }

  /** The stream ended: reports a truncated last frame and an unfinished message. */
  finish(time?: number): Promise<StreamResult> {
    return this.queue(async () => {
      this.cut(time, undefined);
      if (this.open !== null) {
        const m = this.open;
        this.problems.push(problem('unfinished', m.offset, `${opcodeName(m.opcode)} message of ${m.frames} frames without a final frame`));
        this.open = null;
      }
      await this.inflateQueued();
      const result: StreamResult = { frames: this.frames, problems: this.problems, bytes: this.bytes };
      return this.lost === undefined ? result : { ...result, lost: this.lost };
    });
  }

  private queue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Reads every whole frame in the pending bytes. */
  private walk(time: number | undefined): void {
    const buf = concat(this.pending, this.pendingLength);
    let p = 0;
    for (;;) {
      const h = readHeader(buf, p);
      if (typeof h === 'number') { this.need = h; break; }
      const end = p + h.headerLength + h.length;
      if (end > buf.length) { this.need = end - p; break; }
      this.add(buf, p, h, h.length, time);
      p = end;
    }
    this.base += p;
    const rest = p === 0 ? buf : buf.subarray(p);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingLength = rest.length;
    if (rest.length === 0) this.need = 2;
  }

  /** Ends framing here: the pending bytes become a truncated frame (or header). */
  private cut(time: number | undefined, reason: Problem | undefined): void {
    const at = this.base;
    if (this.pendingLength > 0) {
      const buf = concat(this.pending, this.pendingLength);
      const h = readHeader(buf, 0);
      let message: string;
      if (typeof h === 'number') {
        message = `frame header at byte ${at} needs ${h} bytes, ${buf.length} captured`;
      } else {
        const captured = Math.min(h.length, buf.length - h.headerLength);
        message = `frame at byte ${at} declares ${h.length} payload bytes, ${captured} captured`;
        this.add(buf, 0, h, captured, time);
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
    this.pendingLength = 0;
    this.need = 2;
  }

  private add(buf: Uint8Array, p: number, h: RawHeader, captured: number, time: number | undefined): void {
    const at = this.base + p;
    const frame = readFrame(this.ctx, buf, p, at, h, captured, time);
    if (this.closedAt >= 0) frame.problems.push(problem('afterClose', at, `close frame at byte ${this.closedAt}`));
    if (h.opcode === 0x8 && this.closedAt < 0) this.closedAt = at;
    if (!isReservedOpcode(h.opcode) && !isControlOpcode(h.opcode)) this.data(frame, at + h.headerLength);
    this.frames.push(frame);
  }

  /** Fragmentation (RFC 6455 section 5.4) and text validation across fragments. */
  private data(frame: InspectedFrame, payloadAt: number): void {
    const payload = frame.payload;
    if (frame.opcode === 0 && this.open === null) {
      if (!this.lostMessage) frame.problems.push(problem('continuation', frame.offset));
      if (frame.fin) this.lostMessage = false;
      frame.preview = bytesPreview(payload);
      frame.hex = hexView(payload, this.ctx.hexBytes);
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
    if (m.compressed || m.opcode === 2) frame.hex = hexView(payload, this.ctx.hexBytes);
    frame.preview = m.compressed ? `[compressed ${payload.length} B]`
      : m.opcode === 1 ? printable(decodeText(payload.subarray(0, PREVIEW_CHARS * 4)), PREVIEW_CHARS) : bytesPreview(payload);
    if (!frame.fin || frame.truncated) return;
    this.open = null;
    if (m.opcode === 1 && !m.compressed && !m.utf8Failed && m.utf8 !== 0) {
      frame.problems.push(problem('utf8', payloadAt + payload.length - 1, 'the message ends inside a character'));
    }
    const wire = concat(m.parts, m.length);
    if (m.compressed) this.inflateQueue.push({ frame, m, wire });
    else this.complete(frame, m, wire, wire, false);
  }

  private complete(frame: InspectedFrame, m: OpenMessage, wire: Uint8Array, data: Uint8Array, inflated: boolean): void {
    // A summary needs the text only as far as the preview shows it, and no views of text.
    const textLimit = this.summary ? PREVIEW_CHARS * 4 : this.maxView;
    const text = m.opcode === 1 ? decodeText(data.length > textLimit ? data.subarray(0, textLimit) : data) : undefined;
    const views = this.summary && text !== undefined ? {} : payloadViews(data, text, this.summary ? 64 * 1024 : this.maxView);
    const info: MessageInfo = {
      opcode: m.opcode, frames: m.frames, wireLength: wire.length, data, compressed: m.compressed, inflated,
      ...(text === undefined ? {} : { text }), views,
    };
    frame.message = info;
    const shown = m.opcode === 1 ? viewPreview(views, PREVIEW_CHARS) ?? printable(text ?? '', PREVIEW_CHARS)
      : viewPreview(views, PREVIEW_CHARS) ?? bytesPreview(data);
    const prefix = (m.frames > 1 ? `[${m.frames} frames] ` : '') + (inflated ? '[inflated] ' : '');
    if (m.frames > 1 || inflated || m.opcode === 2) frame.preview = prefix + shown;
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
