// `auto`: the WebAssembly core, except for inputs so small that crossing into it costs
// more than the work. The thresholds come from bench/codec.bench.ts on this machine
// (figures in bench/results/codec.md); tests cover both sides of each.
import type { Codec, ParserState } from './types.js';
import type { JsCodec } from './js.js';
import type { WasmCodec } from './wasm.js';

/**
 * Below this many bytes, masking in JS beats copying into WebAssembly and back: JS won at
 * every size up to 128 B, WebAssembly from 256 B (codec.mask pays ~70-130 ns per call for
 * the copies and view checks; bench/results/codec.md, section 4).
 */
export const MASK_CROSSOVER = 256;
/**
 * Below this many bytes, JS UTF-8 validation beats the copy into WebAssembly: 48 B on
 * ASCII (a tie at 48 B) and 32 B on mixed text, where WebAssembly is already ~1.5× faster
 * at 48 B (bench/results/codec.md, section 4).
 */
export const UTF8_CROSSOVER = 48;
/**
 * Below this many bytes a chunk is parsed in JS (the copy in dominates the parse): 48 B
 * for binary and text frames alike (bench/results/codec.md, section 4).
 */
export const PARSE_CROSSOVER = 48;

export class AutoCodec implements Codec {
  readonly core = 'wasm' as const;
  readonly simd: boolean;
  private last: Codec;

  constructor(readonly wasm: WasmCodec, readonly js: JsCodec) {
    this.simd = wasm.simd;
    this.last = wasm;
  }

  get descriptors(): Uint32Array { return this.last.descriptors; }
  get result(): Uint32Array { return this.last.result; }
  get bytes(): Uint8Array { return this.last.bytes; }
  get base(): number { return this.last.base; }

  mask(data: Uint8Array, key: number, phase = 0): void {
    (data.length < MASK_CROSSOVER ? this.js : this.wasm).mask(data, key, phase);
  }

  owns(view: Uint8Array): boolean {
    return this.wasm.owns(view);
  }

  validateUtf8(data: Uint8Array, state = 0): number {
    return (data.length < UTF8_CROSSOVER ? this.js : this.wasm).validateUtf8(data, state);
  }

  parse(state: ParserState, chunk: Uint8Array, options: number, maxPayload: number): number {
    const codec = chunk.length < PARSE_CROSSOVER ? this.js : this.wasm;
    this.last = codec;
    return codec.parse(state, chunk, options, maxPayload);
  }
}
