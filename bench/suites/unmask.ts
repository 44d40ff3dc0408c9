// 1. Unmasking (RFC 6455 section 5.3) at message sizes from 16 B to 16 MiB.
// Every variant XORs the same `size` bytes in place `calls` times per iteration (XOR twice
// restores the input, so the data never needs resetting); memcpy moves as many bytes.
import { maskKey } from '../../src/codec/index.js';
import { callsFor, measure, type Result, type Settings } from '../lib/measure.js';
import { KiB, MiB, randomBytes, sizeLabel } from '../lib/inputs.js';
import { bufferutil, wsJsUnmask } from '../lib/peers.js';
import { checkViews, type Codecs } from '../lib/codecs.js';
import { grid, si, spread } from '../lib/report.js';

export const UNMASK_SIZES = [16, 125, KiB, 64 * KiB, MiB, 16 * MiB];

export const V_MEMCPY = 'memcpy (Uint8Array.set)';
export const V_WASM_IN_PLACE = 'wasm in place (exports.mask)';
export const V_WASM_COPY_IN = 'wasm incl. copy in (set + exports.mask)';
export const V_WASM_CODEC = 'wasm codec.mask (copy in + out)';
export const V_JS = 'js codec.mask';
export const V_AUTO = 'auto codec.mask';
export const V_WS_JS = 'ws JS _unmask';
export const V_BUFFERUTIL = 'bufferutil.unmask';

const KEY_BYTES = Buffer.from([0x3a, 0x91, 0x5c, 0xe7]);
const KEY = maskKey(KEY_BYTES);

/** Every variant must turn the same input into the same output before it is timed. */
function verify(codecs: Codecs, size: number): void {
  const input = randomBytes(size, 1);
  const expected = Buffer.from(input);
  wsJsUnmask(expected, KEY_BYTES);
  const outputs: [string, Uint8Array][] = [];
  const each = (name: string, f: (b: Buffer) => Uint8Array): void => { outputs.push([name, f(Buffer.from(input))]); };
  each(V_WASM_IN_PLACE, (b) => {
    const ptr = codecs.pinned.scratchPtr;
    const mem = codecs.pinned.reserve(size, ptr);
    mem.set(b, ptr);
    codecs.pinned.exports.mask(ptr, size, KEY, 0);
    return mem.slice(ptr, ptr + size);
  });
  each(V_WASM_CODEC, (b) => { codecs.wasm.mask(b, KEY, 0); return b; });
  each(V_JS, (b) => { codecs.js.mask(b, KEY, 0); return b; });
  each(V_AUTO, (b) => { codecs.auto.mask(b, KEY, 0); return b; });
  each(V_BUFFERUTIL, (b) => { bufferutil.fn(b, KEY_BYTES); return b; });
  for (const [name, out] of outputs) {
    if (!expected.equals(out)) throw new Error(`unmask ${sizeLabel(size)}: ${name} disagrees with ws`);
  }
}

export function unmaskCases(codecs: Codecs, size: number, calls: number): Parameters<typeof measure>[0] {
  const bytes = size * calls;
  const data = randomBytes(size, size);
  const dst = Buffer.alloc(size);
  const { wasm, pinned, js, auto } = codecs;
  // Where codec.mask works (scratchPtr): the raw cases use the same place.
  const pinnedPtr = pinned.scratchPtr;
  const pinnedMask = pinned.exports.mask;
  pinned.reserve(size, pinnedPtr).set(data, pinnedPtr);
  const ptr = wasm.scratchPtr;
  const mem = wasm.reserve(size, ptr);
  const rawMask = wasm.exports.mask;
  const unmask = bufferutil.fn;
  return [
    { variant: V_MEMCPY, bytes, ops: calls, fn: () => { for (let i = 0; i < calls; i++) dst.set(data); } },
    { variant: V_WASM_IN_PLACE, bytes, ops: calls, fn: () => { for (let i = 0; i < calls; i++) pinnedMask(pinnedPtr, size, KEY, 0); } },
    {
      variant: V_WASM_COPY_IN, bytes, ops: calls,
      fn: () => { for (let i = 0; i < calls; i++) { mem.set(data, ptr); rawMask(ptr, size, KEY, 0); } },
    },
    { variant: V_WASM_CODEC, bytes, ops: calls, fn: () => { for (let i = 0; i < calls; i++) wasm.mask(data, KEY, 0); } },
    { variant: V_JS, bytes, ops: calls, fn: () => { for (let i = 0; i < calls; i++) js.mask(data, KEY, 0); } },
    { variant: V_AUTO, bytes, ops: calls, fn: () => { for (let i = 0; i < calls; i++) auto.mask(data, KEY, 0); } },
    { variant: V_WS_JS, bytes, ops: calls, fn: () => { for (let i = 0; i < calls; i++) wsJsUnmask(data, KEY_BYTES); } },
    { variant: V_BUFFERUTIL, bytes, ops: calls, fn: () => { for (let i = 0; i < calls; i++) unmask(data, KEY_BYTES); } },
  ];
}

export interface UnmaskSuite { readonly sizes: readonly number[]; readonly results: Result[][]; readonly markdown: string }

export function unmaskSuite(codecs: Codecs, settings: Settings, log: (line: string) => void): UnmaskSuite {
  const results: Result[][] = [];
  for (const size of UNMASK_SIZES) {
    verify(codecs, size);
    log(`unmask ${sizeLabel(size)}`);
    results.push(measure(unmaskCases(codecs, size, callsFor(size)), settings));
    checkViews([codecs.wasm.bytes, codecs.pinned.bytes]);
  }
  const columns = UNMASK_SIZES.map(sizeLabel);
  const markdown = [
    '## 1. Unmask',
    '',
    `Median GB/s (p25–p75). Each iteration processes the same bytes in every row (≈1 MiB, or 1,000 calls for small sizes). ` +
      `bufferutil: ${bufferutil.kind}.`,
    '',
    grid('variant', columns, results, (r) => spread(r.gbps)),
    '',
    'Median calls/s:',
    '',
    grid('variant', columns, results, (r) => si(r.opsPerSec.p50)),
  ].join('\n');
  return { sizes: UNMASK_SIZES, results, markdown };
}
