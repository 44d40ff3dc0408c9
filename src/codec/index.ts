// createCodec: one entry point for both cores.
import type { Codec } from './types.js';
import { JsCodec } from './js.js';
import { WasmCodec } from './wasm.js';
import { AutoCodec } from './auto.js';
import { loadCoreSync, setCoreModule, simdSupported, wasmAvailable } from './wasm-module.js';

export interface CodecOptions {
  /**
   * `'wasm'`: the WebAssembly core (SIMD build where supported); `'js'`: the pure-TypeScript
   * core; `'auto'` (default): WebAssembly, with JS below the measured size crossovers, and
   * JS alone where WebAssembly is unavailable.
   */
  core?: 'auto' | 'wasm' | 'js';
  /** A precompiled core for runtimes that forbid compiling WebAssembly from bytes. */
  module?: WebAssembly.Module;
  /** Whether `module` is the SIMD build (default: whether this engine supports SIMD). */
  simd?: boolean;
}

const CORES = ['auto', 'wasm', 'js'];

/** Creates a codec. Throws only on invalid options, or for `core: 'wasm'` without WebAssembly. */
export function createCodec(options: CodecOptions = {}): Codec {
  const core = options.core ?? 'auto';
  if (!CORES.includes(core)) {
    throw new TypeError(`createCodec: core must be one of 'auto', 'wasm', 'js' (got ${String(core)})`);
  }
  if (options.module !== undefined) setCoreModule(options.module, options.simd ?? simdSupported());
  if (core === 'js') return new JsCodec();
  if (core === 'wasm') return new WasmCodec(loadCoreSync());
  if (!wasmAvailable()) return new JsCodec();
  let wasm: WasmCodec;
  try {
    wasm = new WasmCodec(loadCoreSync());
  } catch {
    // e.g. a browser main thread refusing synchronous compilation before loadCore() ran.
    return new JsCodec();
  }
  return new AutoCodec(wasm, new JsCodec());
}

export { JsCodec, WasmCodec, AutoCodec };
export { loadCore, loadCoreSync, setCoreModule, simdSupported } from './wasm-module.js';
export type { Codec, CoreName } from './types.js';
export { ParserState, maskKey } from './types.js';
export { frameError, errorCodeName, type FrameError } from './errors.js';
