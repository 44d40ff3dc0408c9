// 2. UTF-8 validation (RFC 3629; RFC 6455 section 8.1) of whole messages.
import { isUtf8 } from 'node:buffer';
import { callsFor, measure, type Case, type Result, type Settings } from '../lib/measure.js';
import { KiB, MiB, TEXT_KINDS, sizeLabel, text, type TextKind } from '../lib/inputs.js';
import { utf8Validate, wsJsIsValidUtf8 } from '../lib/peers.js';
import { checkViews, type Codecs } from '../lib/codecs.js';
import { grid, si, spread } from '../lib/report.js';

export const UTF8_SIZES = [KiB, 64 * KiB, MiB, 16 * MiB];

export const V_WASM_IN_PLACE = 'wasm in place (exports.validateUtf8)';
export const V_WASM_COPY_IN = 'wasm codec.validateUtf8 (copy in)';
export const V_JS = 'js codec.validateUtf8';
export const V_UTF8_VALIDATE = 'utf-8-validate';
export const V_IS_UTF8 = 'buffer.isUtf8';
export const V_TEXT_DECODER = 'TextDecoder fatal';
export const V_WS_JS = 'ws JS _isValidUTF8';

/** Results land here so no call can be dropped as dead code. */
const sink = { value: 0 };

const decoder = new TextDecoder('utf-8', { fatal: true });
function decodes(data: Uint8Array): boolean {
  try {
    decoder.decode(data);
    return true;
  } catch {
    return false;
  }
}

/** Every validator must give the expected verdict on this input before it is timed. */
function verify(codecs: Codecs, data: Buffer, valid: boolean, label: string): void {
  const ptr = codecs.pinned.scratchPtr;
  const verdicts: [string, boolean][] = [
    [V_WASM_IN_PLACE, codecs.pinned.exports.validateUtf8(ptr, data.length, 0) === 0],
    [V_WASM_COPY_IN, codecs.wasm.validateUtf8(data) === 0],
    [V_JS, codecs.js.validateUtf8(data) === 0],
    [V_UTF8_VALIDATE, utf8Validate.fn(data)],
    [V_IS_UTF8, isUtf8(data)],
    [V_TEXT_DECODER, decodes(data)],
    [V_WS_JS, wsJsIsValidUtf8(data)],
  ];
  for (const [name, verdict] of verdicts) {
    if (verdict !== valid) throw new Error(`utf8 ${label}: ${name} says ${verdict ? 'valid' : 'invalid'}`);
  }
  if (!valid && codecs.js.validateUtf8(data) !== -data.length) throw new Error(`utf8 ${label}: wrong error offset`);
}

function cases(codecs: Codecs, data: Buffer, calls: number): Case[] {
  const bytes = data.length * calls;
  const { wasm, js } = codecs;
  const length = data.length;
  const ptr = codecs.pinned.scratchPtr;
  const validate = codecs.pinned.exports.validateUtf8;
  const native = utf8Validate.fn;
  return [
    { variant: V_WASM_IN_PLACE, bytes, ops: calls, fn: () => { for (let i = 0; i < calls; i++) sink.value ^= validate(ptr, length, 0); } },
    { variant: V_WASM_COPY_IN, bytes, ops: calls, fn: () => { for (let i = 0; i < calls; i++) sink.value ^= wasm.validateUtf8(data, 0); } },
    { variant: V_JS, bytes, ops: calls, fn: () => { for (let i = 0; i < calls; i++) sink.value ^= js.validateUtf8(data, 0); } },
    { variant: V_UTF8_VALIDATE, bytes, ops: calls, fn: () => { for (let i = 0; i < calls; i++) sink.value ^= native(data) ? 1 : 0; } },
    { variant: V_IS_UTF8, bytes, ops: calls, fn: () => { for (let i = 0; i < calls; i++) sink.value ^= isUtf8(data) ? 1 : 0; } },
    { variant: V_TEXT_DECODER, bytes, ops: calls, fn: () => { for (let i = 0; i < calls; i++) sink.value ^= decodes(data) ? 1 : 0; } },
    { variant: V_WS_JS, bytes, ops: calls, fn: () => { for (let i = 0; i < calls; i++) sink.value ^= wsJsIsValidUtf8(data) ? 1 : 0; } },
  ];
}

export interface Utf8Suite {
  /** results[kind][size index] */
  readonly results: Record<TextKind, Result[][]>;
  readonly markdown: string;
}

/** Share of a text's code points by encoded length: "41% 1 B, 22% 2 B, …". */
function mix(data: Buffer): string {
  const counts = [0, 0, 0, 0];
  for (const b of data) {
    if (b < 0x80) counts[0]++;
    else if (b >= 0xf0) counts[3]++;
    else if (b >= 0xe0) counts[2]++;
    else if (b >= 0xc0) counts[1]++;
  }
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c, i) => `${Math.round((100 * c) / total)}% ${i + 1}-byte`).join(', ');
}

export function utf8Suite(codecs: Codecs, settings: Settings, log: (line: string) => void): Utf8Suite {
  const results = { ascii: [], mixed: [], 'invalid-at-end': [] } as Record<TextKind, Result[][]>;
  let mixSample = '';
  for (const size of UTF8_SIZES) {
    for (const kind of TEXT_KINDS) {
      const data = text(kind, size);
      if (kind === 'mixed' && size === 64 * KiB) mixSample = mix(data);
      codecs.pinned.reserve(size, codecs.pinned.scratchPtr).set(data, codecs.pinned.scratchPtr);
      verify(codecs, data, kind !== 'invalid-at-end', `${kind} ${sizeLabel(size)}`);
      log(`utf8 ${kind} ${sizeLabel(size)}`);
      results[kind].push(measure(cases(codecs, data, callsFor(size)), settings));
      checkViews([codecs.wasm.bytes, codecs.pinned.bytes]);
    }
  }
  const columns = UTF8_SIZES.map(sizeLabel);
  const parts = [
    '## 2. UTF-8 validation',
    '',
    `Median GB/s (p25–p75). Mixed text: Latin, Cyrillic, CJK and emoji words (code points: ${mixSample}). ` +
      `Invalid-at-end: the mixed text with its last byte set to 0xFF. utf-8-validate: ${utf8Validate.kind}.`,
  ];
  for (const kind of TEXT_KINDS) {
    parts.push('', `### ${kind}`, '', grid('variant', columns, results[kind], (r) => spread(r.gbps)));
  }
  parts.push('', 'Median calls/s (mixed):', '', grid('variant', columns, results.mixed, (r) => si(r.opsPerSec.p50)));
  return { results, markdown: parts.join('\n') };
}
