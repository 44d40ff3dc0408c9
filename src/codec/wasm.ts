// The WebAssembly core behind the Codec interface. One instance (one memory) per codec;
// the connection's state is copied into the core's STATE region for each call and back.
// Memory grows when an input needs more room, and every view is refreshed after growth.
import { DESC_CAPACITY, DESC_WORDS, MAX_SLICE, RESULT_WORDS, STATE_WORDS, R_CONSUMED } from './layout.js';
import type { Codec } from './types.js';
import { ParserState } from './types.js';
import { type CoreExports, instantiateCore, loadCoreSync } from './wasm-module.js';

/** Bytes past any input that wide loads may touch (assembly/regions.ts). */
const SLACK = 16;
const PAGE = 65536;
/**
 * Linear memory past the static regions:
 *   inputPtr ──► parse input (carry + a slice of at most MAX_SLICE bytes) ─┐ PARSE_REGION
 *   scratchPtr ► mask / validateUtf8 inputs (any size, grown on demand)
 * Separate, so a message handler that masks a reply while the Decoder is still reading
 * the descriptors of the same parse call cannot overwrite the bytes they point to.
 */
const PARSE_REGION = MAX_SLICE + 4096;

export class WasmCodec implements Codec {
  readonly core = 'wasm' as const;
  readonly simd: boolean;
  /** The raw exports, for benchmarks and tools that work on data already in memory. */
  readonly exports: CoreExports;
  /** Where parse inputs are written in linear memory. */
  readonly inputPtr: number;
  /** Where mask and validateUtf8 inputs are written. */
  readonly scratchPtr: number;
  bytes!: Uint8Array;
  descriptors!: Uint32Array;
  result!: Uint32Array;
  private stateView!: Uint32Array;
  private buffer: ArrayBuffer | undefined;
  /** memory.buffer.byteLength, cached: only reserve() grows memory (the core never does). */
  private capacity = 0;

  constructor(loaded: { module: WebAssembly.Module; simd: boolean } = loadCoreSync()) {
    this.simd = loaded.simd;
    this.exports = instantiateCore(loaded.module);
    this.inputPtr = this.exports.inputPtr();
    this.scratchPtr = this.inputPtr + PARSE_REGION;
    this.refresh();
  }

  get base(): number {
    return this.inputPtr;
  }

  /** Re-creates the views when memory.grow replaced the ArrayBuffer. */
  private refresh(): void {
    const buffer = this.exports.memory.buffer;
    if (buffer === this.buffer) return;
    this.buffer = buffer;
    this.capacity = buffer.byteLength;
    this.bytes = new Uint8Array(buffer);
    this.descriptors = new Uint32Array(buffer, this.exports.DESCRIPTORS.value, DESC_CAPACITY * DESC_WORDS);
    this.result = new Uint32Array(buffer, this.exports.RESULT.value, RESULT_WORDS);
    this.stateView = new Uint32Array(buffer, this.exports.STATE.value, STATE_WORDS);
  }

  /** Makes room for `length` bytes (plus slack) from `at` and returns the memory view. */
  reserve(length: number, at = this.inputPtr): Uint8Array {
    const needed = at + length + SLACK;
    if (needed > this.capacity) {
      this.exports.memory.grow(Math.ceil((needed - this.capacity) / PAGE));
      this.refresh();
    }
    return this.bytes;
  }

  mask(data: Uint8Array, key: number, phase = 0): void {
    const at = this.scratchPtr;
    const bytes = this.reserve(data.length, at);
    bytes.set(data, at);
    const length = data.length;
    this.exports.mask(at, length, key, phase);
    // Small outputs: a loop beats creating a subarray view to copy from.
    if (length < 64) for (let i = 0; i < length; i++) data[i] = bytes[at + i];
    else data.set(bytes.subarray(at, at + length));
  }

  owns(view: Uint8Array): boolean {
    return view.buffer === this.buffer;
  }

  validateUtf8(data: Uint8Array, state = 0): number {
    const at = this.scratchPtr;
    this.reserve(data.length, at).set(data, at);
    return this.exports.validateUtf8(at, data.length, state);
  }

  parse(state: ParserState, chunk: Uint8Array, options: number, maxPayload: number): number {
    const carry = state.carry;
    const carryLength = carry === null ? 0 : carry.length;
    const length = carryLength + chunk.length;
    const bytes = this.reserve(length);
    const ptr = this.inputPtr;
    if (carry !== null) bytes.set(carry, ptr);
    bytes.set(chunk, ptr + carryLength);
    const sv = this.stateView;
    const words = state.words;
    for (let i = 0; i < STATE_WORDS; i++) sv[i] = words[i];
    const n = this.exports.parse(ptr, length, options, maxPayload);
    for (let i = 0; i < STATE_WORDS; i++) words[i] = sv[i];
    const consumed = this.result[R_CONSUMED];
    state.carry = consumed < length ? bytes.slice(ptr + consumed, ptr + length) : null;
    return n;
  }
}
