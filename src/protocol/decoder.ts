// The streaming Decoder: bytes in, events out, no I/O (layer 3 of ARCHITECTURE.md).
// One core call per chunk (per 64 KiB slice of a larger one) walks every frame in it;
// this file only turns descriptors into messages, pings, pongs, a close, or one error.
//
//   feed(chunk) ─► codec.parse ─► descriptors ─► handler.onMessage / onPing / onPong
//                                                        onClose / onError (once, then nothing)
import type { Codec } from '../codec/types.js';
import { ParserState } from '../codec/types.js';
import { createCodec } from '../codec/index.js';
import { frameError, type FrameError } from '../codec/errors.js';
import {
  DESC_WORDS, MAX_SLICE, O_ALLOW_RSV1, O_SERVER, O_SKIP_UTF8, P_FIRST, P_MESSAGE_END,
  R_CLOSE_CODE, R_ERROR, R_ERROR_AT, E_NONE, E_OPCODE, E_CLOSE_CODE, E_TOO_MANY_FRAGMENTS,
} from '../codec/layout.js';
import { allocBytes, copyBytes, HAS_NODE_BUFFER, isNodeBuffer, type Bytes } from './bytes.js';

/** Receives what the Decoder finds, in stream order. */
export interface DecoderHandler {
  /**
   * A complete data message. `data` belongs to the handler (unless `borrowPayload`);
   * `compressed` is true when RSV1 was set (permessage-deflate: `data` is still deflated).
   */
  onMessage(data: Bytes, isBinary: boolean, compressed: boolean): void;
  onPing(data: Bytes): void;
  onPong(data: Bytes): void;
  /** A valid close frame: code 1005 when it had no payload (never sent on the wire). */
  onClose(code: number, reason: Bytes): void;
  /** The first protocol violation; nothing more is decoded after it. */
  onError(error: FrameError): void;
}

export interface DecoderOptions {
  /** `'server'` expects masked frames (from clients), `'client'` unmasked ones. */
  role: 'server' | 'client';
  /**
   * Largest message, in bytes, after reassembly; 0 for no limit beyond 4 GiB − 1.
   * Default 100 MiB (as `ws`). Over it: close code 1009 as soon as a header shows it.
   */
  maxPayload?: number;
  /** Largest number of frames in one message (bounds CPU per message). Default 131072. */
  maxFragments?: number;
  /** RSV1 negotiated by permessage-deflate (RFC 7692). Default false. */
  allowRsv1?: boolean;
  /** Skip UTF-8 validation of text (as `ws`'s `skipUTF8Validation`). Default false. */
  skipUtf8Validation?: boolean;
  /**
   * Hand out payloads as views into the codec's memory instead of copies: valid only
   * until the handler returns (as uWebSockets.js does). Default false.
   */
  borrowPayload?: boolean;
  /** The codec to use; default `createCodec()` (auto). One codec can serve many Decoders. */
  codec?: Codec;
}

export const DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024;
export const DEFAULT_MAX_FRAGMENTS = 131072;
const NO_LIMIT = 0xffffffff;
/** The smallest reassembly buffer (fewer regrowths for messages in many small pieces). */
const MIN_BUFFER = 1024;

let sharedCodec: Codec | undefined;
/**
 * Codecs in the middle of a parse. A handler may feed another Decoder that shares the
 * codec (a synchronous in-memory pipe, say); that nested feed must not overwrite the
 * descriptors being read, so it gets a codec of its own. Nested parses end in reverse
 * order: a stack (push and pop allocate nothing; a Set's add and delete did, per chunk).
 */
const busy: Codec[] = [];

/**
 * Whether any Decoder of this process hands out views of codec memory (borrowPayload).
 * Until one does, no payload can be such a view, and a sender need not check each one
 * (Writer.frame: the check reads the view's `.buffer`; `owns` was 1.4% self time in the
 * 64 × 1 KiB echo's CPU profile before this flag, and is out of its top 15 since).
 */
export let lending = false;

/** Validates Decoder options once, with errors that name the allowed values. */
function resolve(options: DecoderOptions): Required<Omit<DecoderOptions, 'codec'>> & { codec: Codec } {
  if (options.role !== 'server' && options.role !== 'client') {
    throw new TypeError(`Decoder: role must be 'server' or 'client' (got ${String(options.role)})`);
  }
  const maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
  if (!Number.isInteger(maxPayload) || maxPayload < 0) {
    throw new RangeError(`Decoder: maxPayload must be an integer >= 0 (got ${maxPayload})`);
  }
  for (const name of ['allowRsv1', 'skipUtf8Validation', 'borrowPayload'] as const) {
    const v = options[name];
    if (v !== undefined && typeof v !== 'boolean') {
      throw new TypeError(`Decoder: ${name} must be true or false (got ${String(v)})`);
    }
  }
  const maxFragments = options.maxFragments ?? DEFAULT_MAX_FRAGMENTS;
  if (!Number.isInteger(maxFragments) || maxFragments < 1) {
    throw new RangeError(`Decoder: maxFragments must be an integer >= 1 (got ${maxFragments})`);
  }
  return {
    role: options.role,
    maxPayload: maxPayload === 0 || maxPayload > NO_LIMIT ? NO_LIMIT : maxPayload,
    maxFragments,
    allowRsv1: options.allowRsv1 ?? false,
    skipUtf8Validation: options.skipUtf8Validation ?? false,
    borrowPayload: options.borrowPayload ?? false,
    codec: options.codec ?? (sharedCodec ??= createCodec()),
  };
}

export class Decoder {
  private codec: Codec;
  private readonly state = new ParserState();
  private readonly options: number;
  private readonly maxPayload: number;
  private readonly maxFragments: number;
  private readonly borrow: boolean;
  /** Bytes fed before the current chunk. */
  private streamOffset = 0;
  private done = false;
  // The message being reassembled when it spans frames or chunks.
  private message: Uint8Array | null = null;
  private messageLength = 0;
  private messageBinary = false;
  private messageCompressed = false;
  private fragments = 0;
  /** The message's size once known (its final frame's header has arrived), else Infinity. */
  private expected = Infinity;
  /** This parse call's payload bytes, copied once (see copyOut), and where they start. */
  private out: Uint8Array | null = null;
  private outStart = 0;

  constructor(options: DecoderOptions, private readonly handler: DecoderHandler) {
    const o = resolve(options);
    this.codec = o.codec;
    this.maxPayload = o.maxPayload;
    this.maxFragments = o.maxFragments;
    this.borrow = o.borrowPayload;
    if (o.borrowPayload) lending = true;
    this.options = (o.role === 'server' ? O_SERVER : 0) | (o.allowRsv1 ? O_ALLOW_RSV1 : 0) |
      (o.skipUtf8Validation ? O_SKIP_UTF8 : 0);
  }

  /** True once a close frame or an error was decoded: later bytes are ignored. */
  get finished(): boolean {
    return this.done;
  }

  /**
   * Feeds received bytes in any chunking. The chunk may be unmasked in place. `transient`:
   * the chunk's memory is reused once this call returns (a socket's shared read buffer), so
   * no payload handed out may be a view of it.
   */
  feed(chunk: Uint8Array, transient = false): void {
    if (this.done) return;
    if (chunk.length <= MAX_SLICE) {
      this.parse(chunk, transient);
    } else {
      for (let off = 0; off < chunk.length && !this.done; off += MAX_SLICE) {
        this.parse(chunk.subarray(off, Math.min(off + MAX_SLICE, chunk.length)), transient);
      }
    }
  }

  private parse(chunk: Uint8Array, transient: boolean): void {
    if (busy.includes(this.codec)) this.codec = createCodec({ core: this.codec.core });
    const codec = this.codec;
    busy.push(codec);
    try {
      this.parseWith(codec, chunk, transient);
    } finally {
      busy.pop();
    }
  }

  private parseWith(codec: Codec, chunk: Uint8Array, transient: boolean): void {
    const carried = this.state.carry === null ? 0 : this.state.carry.length;
    const n = codec.parse(this.state, chunk, this.options, this.maxPayload);
    const inputStart = this.streamOffset - carried;
    this.streamOffset += chunk.length;
    if (!this.borrow) this.copyOut(codec, n, chunk, carried, transient);
    // Views are read again for every descriptor: a handler may use the codec (masking a
    // reply grows WebAssembly memory, which replaces every view of it).
    for (let i = 0; i < n && !this.done; i++) this.piece(codec.descriptors, i * DESC_WORDS, inputStart);
    this.out = null; // the chunk (or copy) is the handler's now: an idle connection keeps none
    if (this.done) return;
    const error = codec.result[R_ERROR];
    if (error !== E_NONE) this.fail(error, codec.result[R_CLOSE_CODE], codec.result[R_ERROR_AT], inputStart);
  }

  /**
   * Prepares the payloads of this call's whole messages and control frames for the handler
   * with one copy, not one per message: the span of input that holds them is copied out of
   * WebAssembly memory, unmasked, back over the same bytes of the chunk they came from (as
   * the JS core and `ws` unmask the socket's chunk in place), and each payload is a view of
   * the chunk. A payload that starts in carried bytes (a control frame completed by this
   * chunk) is copied on its own (take); when the chunk is no Buffer, or is transient (see
   * feed), the span is copied into a new buffer instead. With the JS core the input is the
   * socket's own chunk (unmasked in place), so views of it need no copy, unless it is
   * transient: then every payload is copied on its own (take).
   *
   *   WebAssembly memory: [carry|  chunk bytes, unmasked by parse  ]
   *                              lo ─────────── hi   (whole payloads)
   *   chunk:                     [ … ▼ copied back here ▼ … ]  ◄── views for the handler
   */
  private copyOut(codec: Codec, n: number, chunk: Uint8Array, carried: number, transient: boolean): void {
    this.out = null;
    const bytes = codec.bytes;
    if (!codec.owns(bytes)) {
      if (isNodeBuffer(bytes) && !transient) {
        this.out = bytes;
        this.outStart = 0;
      }
      return;
    }
    const d = codec.descriptors;
    let lo = Infinity;
    let hi = 0;
    for (let i = 0; i < n; i++) {
      const at = i * DESC_WORDS;
      const info = d[at];
      const flags = (info >>> 8) & 0xff;
      const whole = (info & 0x0f) >= 8 || ((flags & P_FIRST) !== 0 && (flags & P_MESSAGE_END) !== 0 && (info & 0x0f) !== 0);
      if (!whole || d[at + 1] < carried) continue;
      if (d[at + 1] < lo) lo = d[at + 1];
      if (d[at + 1] + d[at + 2] > hi) hi = d[at + 1] + d[at + 2];
    }
    if (hi <= lo) return;
    const start = codec.base + lo;
    if ((isNodeBuffer(chunk) || !HAS_NODE_BUFFER) && !transient) {
      chunk.set(bytes.subarray(start, codec.base + hi), lo - carried);
      this.out = chunk;
      this.outStart = codec.base + carried;
      return;
    }
    const out = allocBytes(hi - lo);
    out.set(bytes.subarray(start, codec.base + hi));
    this.out = out;
    this.outStart = start;
  }

  /** Handles one descriptor: a whole frame or a piece of one. */
  private piece(d: Uint32Array, at: number, inputStart: number): void {
    const info = d[at];
    const opcode = info & 0x0f;
    const flags = (info >>> 8) & 0xff;
    const codec = this.codec;
    const start = codec.base + d[at + 1];
    const length = d[at + 2];
    if (opcode >= 8) {
      const payload = this.take(codec.bytes, start, length);
      if (opcode === 9) this.handler.onPing(payload);
      else if (opcode === 10) this.handler.onPong(payload);
      else {
        this.done = true;
        const code = length >= 2 ? (payload[0] << 8) | payload[1] : 1005;
        this.handler.onClose(code, payload.subarray(length >= 2 ? 2 : 0));
      }
      return;
    }
    if ((flags & P_FIRST) !== 0) {
      if (opcode !== 0) {
        this.messageBinary = opcode === 2;
        this.messageCompressed = (info & 0x40) !== 0;
        this.fragments = 1;
        // A whole unfragmented message in this piece: one copy, straight to the handler.
        if ((flags & P_MESSAGE_END) !== 0) {
          this.handler.onMessage(this.take(codec.bytes, start, length), this.messageBinary, this.messageCompressed);
          return;
        }
      } else if (++this.fragments > this.maxFragments) {
        this.fail(E_TOO_MANY_FRAGMENTS, 1009, d[at + 1] - (info >>> 16), inputStart);
        return;
      }
      // The message's final size, when this frame ends it; memory is only committed as
      // bytes arrive, so a header alone cannot make us allocate its declared length.
      this.expected = (info & 0x80) !== 0 ? this.messageLength + d[at + 3] : Infinity;
    }
    if (length > 0) {
      this.reserve(length);
      this.message!.set(codec.bytes.subarray(start, start + length), this.messageLength);
      this.messageLength += length;
    }
    if ((flags & P_MESSAGE_END) !== 0) {
      const message = this.message === null ? allocBytes(0) : this.message.subarray(0, this.messageLength);
      this.message = null;
      this.messageLength = 0;
      this.handler.onMessage(message, this.messageBinary, this.messageCompressed);
    }
  }

  /**
   * Grows the reassembly buffer to hold `more` bytes beyond what it has: at least double
   * (so many small fragments cost O(n)), never past the message's size once it is known.
   */
  private reserve(more: number): void {
    const needed = this.messageLength + more;
    const current = this.message;
    if (current !== null && current.length >= needed) return;
    // Once a sixteenth of a message of known size is here, commit to all of it: one
    // allocation and no regrowth copies, for at most 16× the bytes a peer has really sent.
    const grow = needed * 16 >= this.expected ? this.expected
      : Math.max(current === null ? 0 : current.length * 2, MIN_BUFFER);
    const capacity = Math.max(needed, Math.min(grow, this.expected, this.maxPayload));
    const grown = allocBytes(capacity);
    if (current !== null) grown.set(current.subarray(0, this.messageLength));
    this.message = grown;
  }

  /** A payload for the handler: a view of this call's copy (or of the chunk), or borrowed. */
  private take(bytes: Uint8Array, start: number, length: number): Bytes {
    if (this.borrow) return bytes.subarray(start, start + length);
    const shared = this.out;
    if (shared !== null) {
      const at = start - this.outStart;
      if (at >= 0 && at + length <= shared.length) return shared.subarray(at, at + length);
    }
    return copyBytes(bytes.subarray(start, start + length));
  }

  private fail(error: number, closeCode: number, errorAt: number, inputStart: number): void {
    this.done = true;
    this.message = null;
    const offset = inputStart + errorAt;
    let detail = '';
    const bytes = this.codec.bytes;
    const local = this.codec.base + errorAt;
    if (error === E_OPCODE && errorAt < bytes.length) detail = `opcode 0x${(bytes[local] & 0x0f).toString(16)}`;
    if (error === E_CLOSE_CODE) detail = `code ${(bytes[local] << 8) | bytes[local + 1]}`;
    this.handler.onError(frameError(error, closeCode, offset, detail));
  }
}
