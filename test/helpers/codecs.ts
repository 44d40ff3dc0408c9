// The cores every differential test runs on. 'wasm' is the build Node picks (SIMD on
// Node 20), 'wasm-scalar' the build for engines without SIMD, 'js' the pure-TS core and
// 'auto' the size-switching wrapper (JS below the crossovers, WebAssembly above).
import { AutoCodec, createCodec, WasmCodec, type Codec } from '../../src/codec/index.js';
import { coreBytes } from '../../src/codec/wasm-module.js';

export type CoreLabel = 'wasm' | 'wasm-scalar' | 'js' | 'auto';
export const CORES: readonly CoreLabel[] = ['wasm', 'wasm-scalar', 'js', 'auto'];
/** For describe.each. */
export const CORE_TABLE: [CoreLabel][] = CORES.map((c) => [c]);

let scalarModule: WebAssembly.Module | undefined;

export function makeCodec(label: CoreLabel): Codec {
  if (label === 'wasm-scalar') {
    scalarModule ??= new WebAssembly.Module(coreBytes(false));
    return new WasmCodec({ module: scalarModule, simd: false });
  }
  return createCodec({ core: label });
}

export function makeAuto(): AutoCodec {
  const codec = createCodec({ core: 'auto' });
  if (!(codec instanceof AutoCodec)) throw new Error('auto codec expected (WebAssembly available)');
  return codec;
}

export function hex(bytes: ArrayLike<number>, max = 64): string {
  const shown = Array.from({ length: Math.min(max, bytes.length) }, (_, i) => bytes[i]).map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return bytes.length > max ? `${shown} … (${bytes.length} bytes)` : shown;
}

/** Index of the first byte where `a` and `b` differ (or the shorter length), -1 when equal. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}
