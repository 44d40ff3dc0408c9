// The pure-TypeScript core behind the Codec interface: used where WebAssembly is not
// available, and by `auto` for inputs below the measured crossover.
import { DESC_CAPACITY, DESC_WORDS, RESULT_WORDS, R_CONSUMED } from './layout.js';
import type { Codec } from './types.js';
import { ParserState } from './types.js';
import { maskBytes } from './js/mask.js';
import { validateUtf8Bytes } from './js/utf8.js';
import { parseFrames } from './js/parse.js';

export class JsCodec implements Codec {
  readonly core = 'js' as const;
  readonly simd = false;
  readonly descriptors = new Uint32Array(DESC_CAPACITY * DESC_WORDS);
  readonly result = new Uint32Array(RESULT_WORDS);
  bytes: Uint8Array = new Uint8Array(0);
  readonly base = 0;

  mask(data: Uint8Array, key: number, phase = 0): void {
    maskBytes(data, 0, data.length, key, phase);
  }

  owns(): boolean {
    return false;
  }

  validateUtf8(data: Uint8Array, state = 0): number {
    return validateUtf8Bytes(data, 0, data.length, state);
  }

  /** Parses in place: `chunk` is unmasked where it lies (as `ws` does with socket reads). */
  parse(state: ParserState, chunk: Uint8Array, options: number, maxPayload: number): number {
    let input = chunk;
    const carry = state.carry;
    if (carry !== null) {
      input = new Uint8Array(carry.length + chunk.length);
      input.set(carry, 0);
      input.set(chunk, carry.length);
    }
    this.bytes = input;
    const n = parseFrames(input, input.length, state.words, this, options, maxPayload);
    const consumed = this.result[R_CONSUMED];
    // A copy, never a view: the caller may reuse the chunk's memory (a socket's shared read
    // buffer), and a Buffer's slice() would be a view.
    state.carry = consumed < input.length ? new Uint8Array(input.subarray(consumed)) : null;
    return n;
  }
}
