// The Encoder: frames out, no I/O (layer 3 of ARCHITECTURE.md). Server frames go out
// unmasked; client frames are masked with a fresh key per frame (RFC 6455 section 5.3).
// Output is a list of buffers for one corked write: small frames are one buffer (header and
// payload together), large unmasked payloads travel as their own buffer to avoid a copy.
import type { Codec } from '../codec/types.js';
import { createCodec } from '../codec/index.js';
import { isValidCloseCode } from '../codec/js/parse.js';
import { allocBytes, utf8Bytes, type Bytes } from './bytes.js';

export const OPCODE_CONTINUATION = 0x0;
export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;
export const OPCODE_CLOSE = 0x8;
export const OPCODE_PING = 0x9;
export const OPCODE_PONG = 0xa;

/** Unmasked payloads at least this long are not copied next to their header. */
export const SEPARATE_PAYLOAD_MIN = 16 * 1024;
/** RFC 6455 section 5.5.1: a close reason fits in 125 − 2 bytes. */
export const MAX_CLOSE_REASON = 123;

/** Header size for a payload of `length` bytes (RFC 6455 section 5.2). */
export function headerLength(length: number, masked: boolean): number {
  return (length < 126 ? 2 : length < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * Writes a frame header at `target[at]`; when `masked`, `key` is the 4-byte masking key
 * packed little-endian (wire byte 0 in bits 0-7). Returns the header's length.
 */
export function writeHeader(
  target: Uint8Array, at: number, opcode: number, length: number, fin: boolean, rsv1: boolean,
  masked: boolean, key: number,
): number {
  target[at] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  let p = at + 2;
  if (length < 126) {
    target[at + 1] = length;
  } else if (length < 65536) {
    target[at + 1] = 126;
    target[at + 2] = length >>> 8;
    target[at + 3] = length & 0xff;
    p = at + 4;
  } else {
    target[at + 1] = 127;
    const high = Math.floor(length / 0x100000000);
    target[at + 2] = high >>> 24; target[at + 3] = (high >>> 16) & 0xff;
    target[at + 4] = (high >>> 8) & 0xff; target[at + 5] = high & 0xff;
    target[at + 6] = length >>> 24; target[at + 7] = (length >>> 16) & 0xff;
    target[at + 8] = (length >>> 8) & 0xff; target[at + 9] = length & 0xff;
    p = at + 10;
  }
  if (masked) {
    target[at + 1] |= 0x80;
    target[p] = key & 0xff; target[p + 1] = (key >>> 8) & 0xff;
    target[p + 2] = (key >>> 16) & 0xff; target[p + 3] = key >>> 24;
    p += 4;
  }
  return p - at;
}

/** Random masking keys, drawn from crypto.getRandomValues a pool at a time. */
export class KeyPool {
  private readonly pool = new Uint32Array(1024);
  private next = this.pool.length;

  /** A fresh random key (u32). */
  take(): number {
    if (this.next === this.pool.length) {
      crypto.getRandomValues(this.pool);
      this.next = 0;
    }
    return this.pool[this.next++];
  }
}

export interface EncoderOptions {
  /** `'client'` masks every frame; `'server'` never does. */
  role: 'server' | 'client';
  /** Codec used to mask payloads (default: the shared auto codec). */
  codec?: Codec;
}

export interface MessageOptions {
  /** Split the message into frames of at most this many payload bytes (0: one frame). */
  fragmentSize?: number;
  /** Set RSV1 on the first frame: the payload is already deflated (RFC 7692). */
  compressed?: boolean;
}

let sharedCodec: Codec | undefined;

export class Encoder {
  private readonly masked: boolean;
  private readonly keys = new KeyPool();
  private readonly codec: Codec;

  constructor(options: EncoderOptions) {
    if (options.role !== 'server' && options.role !== 'client') {
      throw new TypeError(`Encoder: role must be 'server' or 'client' (got ${String(options.role)})`);
    }
    this.masked = options.role === 'client';
    this.codec = options.codec ?? (sharedCodec ??= createCodec());
  }

  /**
   * One frame: a single buffer, or [header, payload] for a large unmasked payload.
   * The payload is never modified (masking works on a copy).
   */
  frame(opcode: number, payload: Uint8Array, fin = true, rsv1 = false): Bytes[] {
    const length = payload.length;
    if (!this.masked && length >= SEPARATE_PAYLOAD_MIN) {
      const header = allocBytes(headerLength(length, false));
      writeHeader(header, 0, opcode, length, fin, rsv1, false, 0);
      return [header, payload];
    }
    return [this.frameBuffer(opcode, payload, fin, rsv1)];
  }

  /** One frame as one buffer, header and (masked) payload together. */
  frameBuffer(opcode: number, payload: Uint8Array, fin = true, rsv1 = false): Bytes {
    const length = payload.length;
    const key = this.masked ? this.keys.take() : 0;
    const size = headerLength(length, this.masked);
    const out = allocBytes(size + length);
    writeHeader(out, 0, opcode, length, fin, rsv1, this.masked, key);
    out.set(payload, size);
    if (this.masked && length > 0) this.codec.mask(out.subarray(size), key, 0);
    return out;
  }

  /** A data message, optionally fragmented; returns the buffers to write, in order. */
  message(data: Uint8Array, binary: boolean, options: MessageOptions = {}): Bytes[] {
    const opcode = binary ? OPCODE_BINARY : OPCODE_TEXT;
    const size = options.fragmentSize ?? 0;
    if (!Number.isInteger(size) || size < 0) {
      throw new RangeError(`fragmentSize must be an integer >= 0 (got ${size})`);
    }
    const rsv1 = options.compressed ?? false;
    if (size <= 0 || data.length <= size) return this.frame(opcode, data, true, rsv1);
    const out: Bytes[] = [];
    for (let at = 0; at < data.length; at += size) {
      const end = Math.min(at + size, data.length);
      const frames = this.frame(at === 0 ? opcode : OPCODE_CONTINUATION, data.subarray(at, end), end === data.length, at === 0 && rsv1);
      for (const f of frames) out.push(f);
    }
    return out;
  }

  /** A text message from a string. */
  text(text: string, options?: MessageOptions): Bytes[] {
    return this.message(utf8Bytes(text), false, options);
  }

  /** A ping or pong; RFC 6455 section 5.5: at most 125 bytes. */
  control(opcode: typeof OPCODE_PING | typeof OPCODE_PONG, payload: Uint8Array = EMPTY): Bytes {
    if (payload.length > 125) {
      throw new RangeError(`control frame payload must be at most 125 bytes (got ${payload.length})`);
    }
    return this.frameBuffer(opcode, payload);
  }

  /** A close frame (RFC 6455 section 5.5.1). */
  close(code?: number, reason?: string | Uint8Array): Bytes {
    return this.frameBuffer(OPCODE_CLOSE, closePayload(code, reason));
  }
}

const EMPTY = new Uint8Array(0);

/**
 * The payload of a close frame: nothing (no code), or a 2-byte code and a UTF-8 reason of
 * at most 123 bytes. A Uint8Array reason contributes exactly its own bytes, never the rest
 * of the buffer it views (ws CVE-2026-45736). Throws on an invalid code or a long reason.
 */
export function closePayload(code?: number, reason?: string | Uint8Array): Uint8Array {
  const text = reason === undefined ? EMPTY : typeof reason === 'string' ? utf8Bytes(reason) : reason;
  if (code === undefined) {
    if (text.length > 0) throw new TypeError('a close reason needs a close code');
    return EMPTY;
  }
  if (!Number.isInteger(code) || !isValidCloseCode(code)) {
    throw new RangeError(`invalid close code ${code}: use 1000-1003, 1007-1014 or 3000-4999 (RFC 6455 section 7.4)`);
  }
  if (text.length > MAX_CLOSE_REASON) {
    throw new RangeError(`close reason must be at most ${MAX_CLOSE_REASON} bytes of UTF-8 (got ${text.length})`);
  }
  const out = allocBytes(2 + text.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(text, 2);
  return out;
}
