import { STATE_WORDS } from './layout.js';

/** Which implementation of the core does the work. */
export type CoreName = 'wasm' | 'js';

/**
 * Per-connection parser state: STATE_WORDS u32 (layout in ./layout.ts) and the bytes a
 * parse call left unconsumed (an incomplete header, or a control frame not yet whole:
 * at most MAX_CARRY bytes). Any codec can resume from any other codec's state.
 */
export class ParserState {
  readonly words = new Uint32Array(STATE_WORDS);
  carry: Uint8Array | null = null;

  reset(): void {
    this.words.fill(0);
    this.carry = null;
  }
}

/**
 * The codec interface: two implementations (WebAssembly and pure TypeScript) with
 * identical results, descriptors and error codes.
 */
export interface Codec {
  readonly core: CoreName;
  /** True when the WebAssembly SIMD build is in use. */
  readonly simd: boolean;
  /**
   * Masks or unmasks `data` in place (RFC 6455 section 5.3). `key` packs the 4 key bytes
   * little-endian (wire byte 0 in bits 0-7, see maskKey()); `phase` is how many payload
   * bytes came before `data` (only its value mod 4 matters).
   */
  mask(data: Uint8Array, key: number, phase?: number): void;
  /**
   * Validates UTF-8 incrementally. Returns the state after `data` (0 at a code point
   * boundary, 1-7 inside one) or -1 - offset of the first invalid byte.
   */
  validateUtf8(data: Uint8Array, state?: number): number;
  /**
   * Parses `chunk` (at most MAX_SLICE bytes) after `state.carry`: one call for every frame
   * in it. Returns the number of descriptors written to `descriptors`; `result` holds the
   * bytes consumed and any error (layout.ts R_*). Payload offsets in descriptors index
   * `bytes` from `base`. Everything read here is valid until the next call.
   * `options` are layout.ts O_* bits; `maxPayload` at most 0xFFFFFFFF.
   */
  parse(state: ParserState, chunk: Uint8Array, options: number, maxPayload: number): number;
  /** True when `view` lies in this codec's own memory (borrowed payloads do). */
  owns(view: Uint8Array): boolean;
  readonly descriptors: Uint32Array;
  readonly result: Uint32Array;
  readonly bytes: Uint8Array;
  readonly base: number;
}

/** Packs 4 masking-key bytes (as on the wire) into the u32 the cores take. */
export function maskKey(bytes: ArrayLike<number>, offset = 0): number {
  return (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24)) >>> 0;
}
