// Loading the WebAssembly core. The binaries travel inside the package as base64
// (core-wasm.generated.ts), so nothing is fetched or read from disk at run time.
// The SIMD build is chosen when WebAssembly.validate accepts it (an engine without SIMD
// rejects its opcodes), the scalar build otherwise.
import { SIMD_WASM_BASE64, SCALAR_WASM_BASE64 } from './core-wasm.generated.js';

/** What a compiled core exports (assembly/index.ts). Only numbers cross. */
export interface CoreExports {
  readonly memory: WebAssembly.Memory;
  readonly STATE: WebAssembly.Global;
  readonly RESULT: WebAssembly.Global;
  readonly DESCRIPTORS: WebAssembly.Global;
  inputPtr(): number;
  mask(ptr: number, len: number, key: number, phase: number): void;
  validateUtf8(ptr: number, len: number, state: number): number;
  parse(ptr: number, len: number, options: number, maxPayload: number): number;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

let simdBytes: Uint8Array<ArrayBuffer> | undefined;
let chosen: { module: WebAssembly.Module; simd: boolean } | undefined;

/** True when this engine can run WebAssembly at all. */
export function wasmAvailable(): boolean {
  return typeof WebAssembly === 'object' && typeof WebAssembly.Module === 'function';
}

/** True when this engine accepts the SIMD build. */
export function simdSupported(): boolean {
  if (!wasmAvailable()) return false;
  simdBytes ??= decodeBase64(SIMD_WASM_BASE64);
  return WebAssembly.validate(simdBytes);
}

/** The bytes of the build this engine should run. */
export function coreBytes(simd = simdSupported()): Uint8Array<ArrayBuffer> {
  return simd ? (simdBytes ??= decodeBase64(SIMD_WASM_BASE64)) : decodeBase64(SCALAR_WASM_BASE64);
}

/**
 * Supplies a precompiled core, for runtimes that forbid compiling from bytes (some edge
 * workers, CSP without 'wasm-unsafe-eval'): compile build/core.simd.wasm or build/core.wasm
 * ahead of time and pass the Module here (or as `createCodec({ module })`).
 */
export function setCoreModule(module: WebAssembly.Module, simd: boolean): void {
  chosen = { module, simd };
}

/** Compiles synchronously (Node: a drop-in `require` must work; fine for a ~4 KB module). */
export function loadCoreSync(): { module: WebAssembly.Module; simd: boolean } {
  if (chosen === undefined) {
    const simd = simdSupported();
    chosen = { module: new WebAssembly.Module(coreBytes(simd)), simd };
  }
  return chosen;
}

/** Compiles asynchronously (browsers); afterwards createCodec({ core: 'wasm' }) is synchronous. */
export async function loadCore(): Promise<{ module: WebAssembly.Module; simd: boolean }> {
  if (chosen === undefined) {
    const simd = simdSupported();
    const module = await WebAssembly.compile(coreBytes(simd));
    chosen ??= { module, simd };
  }
  return chosen;
}

/** A fresh instance with its own memory. */
export function instantiateCore(module: WebAssembly.Module): CoreExports {
  const instance = new WebAssembly.Instance(module, {
    env: {
      abort(): never {
        throw new Error('wsframe: the WebAssembly core aborted (a bug, please report it)');
      },
    },
  });
  return instance.exports as unknown as CoreExports;
}
