// The wsframe codecs under test, made through the public entry point.
import { createCodec, type Codec } from '../../src/codec/index.js';
import type { WasmCodec } from '../../src/codec/wasm.js';
import type { AutoCodec } from '../../src/codec/auto.js';

export interface Codecs {
  /** createCodec({ core: 'wasm' }): codec.* calls, and "incl. copy in" raw calls. */
  readonly wasm: WasmCodec;
  /**
   * A second WebAssembly instance that only in-place cases use: data placed in its memory
   * stays there, whatever the other cases write at their own instance's input pointer.
   */
  readonly pinned: WasmCodec;
  readonly js: Codec;
  readonly auto: AutoCodec;
}

export function makeCodecs(largest: number): Codecs {
  const wasm = createCodec({ core: 'wasm' }) as WasmCodec;
  const pinned = createCodec({ core: 'wasm' }) as WasmCodec;
  const js = createCodec({ core: 'js' });
  const auto = createCodec({ core: 'auto' }) as AutoCodec;
  if (wasm.core !== 'wasm' || js.core !== 'js' || !('wasm' in auto)) throw new Error('createCodec gave unexpected cores');
  // Grow every memory once up front: growth replaces the ArrayBuffer, and views that cases
  // hold on to must stay valid for the whole run.
  // (codec.mask and codec.validateUtf8 work at scratchPtr, past the parse region.)
  for (const w of [wasm, pinned, auto.wasm]) w.reserve(largest, w.scratchPtr);
  return { wasm, pinned, js, auto };
}

/** Throws if a memory grew after makeCodecs (a case would have used a detached view). */
export function checkViews(views: readonly Uint8Array[]): void {
  for (const view of views) {
    if (view.byteLength === 0) throw new Error('a WebAssembly memory grew during the benchmark; reserve more up front');
  }
}
