// 4. Where the WebAssembly core starts to beat the JS core, counting what `auto` pays to
// use it (the codec.* call: copy in, and for mask copy out), and whether `auto` (with the
// constants currently in src/codec/auto.ts) stays within 10% of the faster core.
import { MASK_CROSSOVER, PARSE_CROSSOVER, UTF8_CROSSOVER } from '../../src/codec/auto.js';
import { O_SERVER, R_ERROR } from '../../src/codec/layout.js';
import { ParserState, maskKey } from '../../src/codec/index.js';
import { measure, type Case, type Result, type Settings } from '../lib/measure.js';
import { randomBytes, text } from '../lib/inputs.js';
import { OP_BINARY, OP_TEXT, frameStream } from '../lib/frames.js';
import type { Codecs } from '../lib/codecs.js';
import { num, table } from '../lib/report.js';

export const CROSSOVER_SIZES = [8, 16, 24, 32, 48, 64, 96, 128, 256];
const CALLS = 1000;
const KEY = maskKey([0x3a, 0x91, 0x5c, 0xe7]);
const NO_LIMIT = 0xffffffff;
const sink = { value: 0 };

export type Operation = 'mask' | 'utf8 ascii' | 'utf8 mixed' | 'parse binary' | 'parse text';
export const OPERATIONS: readonly Operation[] = ['mask', 'utf8 ascii', 'utf8 mixed', 'parse binary', 'parse text'];

type Trio = { js: () => void; wasm: () => void; auto: () => void };

/**
 * The calls `auto` chooses between, on an input of `size` bytes. Each codec gets its own
 * function literal so that every call site sees one receiver type, as in real use.
 */
function callers(codecs: Codecs, op: Operation, size: number): Trio {
  const { js, wasm, auto } = codecs;
  if (op === 'mask') {
    const data = randomBytes(size, size);
    return {
      js: () => { for (let i = 0; i < CALLS; i++) js.mask(data, KEY, 0); },
      wasm: () => { for (let i = 0; i < CALLS; i++) wasm.mask(data, KEY, 0); },
      auto: () => { for (let i = 0; i < CALLS; i++) auto.mask(data, KEY, 0); },
    };
  }
  if (op === 'utf8 ascii' || op === 'utf8 mixed') {
    const data = text(op === 'utf8 ascii' ? 'ascii' : 'mixed', size);
    return {
      js: () => { for (let i = 0; i < CALLS; i++) sink.value ^= js.validateUtf8(data, 0); },
      wasm: () => { for (let i = 0; i < CALLS; i++) sink.value ^= wasm.validateUtf8(data, 0); },
      auto: () => { for (let i = 0; i < CALLS; i++) sink.value ^= auto.validateUtf8(data, 0); },
    };
  }
  // One read holding one frame of exactly `size` bytes on the wire (6 or 8 B of header).
  const payload = size - 6 < 126 ? size - 6 : size - 8;
  const read = frameStream(op === 'parse text' ? OP_TEXT : OP_BINARY, payload, size, size).reads[0];
  if (read.length !== size) throw new Error(`crossover ${op}: frame of ${read.length} B, not ${size}`);
  const s = { js: new ParserState(), wasm: new ParserState(), auto: new ParserState() };
  for (const name of ['js', 'wasm', 'auto'] as const) {
    codecs[name].parse(s[name], read, O_SERVER, NO_LIMIT);
    if (codecs[name].result[R_ERROR] !== 0 || s[name].carry !== null) throw new Error(`crossover ${op} ${size}: bad frame`);
  }
  return {
    js: () => { for (let i = 0; i < CALLS; i++) { s.js.reset(); sink.value ^= js.parse(s.js, read, O_SERVER, NO_LIMIT); } },
    wasm: () => { for (let i = 0; i < CALLS; i++) { s.wasm.reset(); sink.value ^= wasm.parse(s.wasm, read, O_SERVER, NO_LIMIT); } },
    auto: () => { for (let i = 0; i < CALLS; i++) { s.auto.reset(); sink.value ^= auto.parse(s.auto, read, O_SERVER, NO_LIMIT); } },
  };
}

export interface CrossoverRow { readonly size: number; readonly js: Result; readonly wasm: Result; readonly auto: Result }
export interface CrossoverOp {
  readonly op: Operation;
  readonly rows: CrossoverRow[];
  /** Smallest size from which wasm is at least as fast at every larger size measured; null: never. */
  readonly crossover: number | null;
  /** The constant auto.ts has now. */
  readonly current: number;
  /** Sizes where auto is more than 10% slower than the faster core. */
  readonly autoMisses: number[];
}

export function crossoverOf(rows: readonly CrossoverRow[]): number | null {
  let at: number | null = null;
  for (let i = rows.length - 1; i >= 0; i--) {
    if (rows[i].wasm.nsPerOp.p50 > rows[i].js.nsPerOp.p50) break;
    at = rows[i].size;
  }
  return at;
}

function currentConstant(op: Operation): number {
  if (op === 'mask') return MASK_CROSSOVER;
  return op.startsWith('utf8') ? UTF8_CROSSOVER : PARSE_CROSSOVER;
}

export function crossoverSuite(codecs: Codecs, settings: Settings, log: (line: string) => void): CrossoverOp[] {
  const out: CrossoverOp[] = [];
  for (const op of OPERATIONS) {
    const rows: CrossoverRow[] = [];
    for (const size of CROSSOVER_SIZES) {
      log(`crossover ${op} ${size} B`);
      const call = callers(codecs, op, size);
      const bytes = size * CALLS;
      const cases: Case[] = [
        { variant: 'js', bytes, ops: CALLS, fn: call.js },
        { variant: 'wasm', bytes, ops: CALLS, fn: call.wasm },
        { variant: 'auto', bytes, ops: CALLS, fn: call.auto },
      ];
      const [js, wasm, auto] = measure(cases, settings);
      rows.push({ size, js, wasm, auto });
    }
    const autoMisses = rows
      .filter((r) => r.auto.nsPerOp.p50 > 1.1 * Math.min(r.js.nsPerOp.p50, r.wasm.nsPerOp.p50))
      .map((r) => r.size);
    out.push({ op, rows, crossover: crossoverOf(rows), current: currentConstant(op), autoMisses });
  }
  return out;
}

export function crossoverMarkdown(ops: readonly CrossoverOp[]): string {
  const parts = [
    '## 4. Crossovers (js vs wasm as `auto` calls them)',
    '',
    'Median ns per call (1,000 calls per iteration). wasm = `codec.mask` (copy in + out), `codec.validateUtf8` ' +
      '(copy in), `codec.parse` (copy in, state in/out) on one read holding one frame of that many bytes. ' +
      '"auto/best" is auto over the faster core.',
  ];
  for (const c of ops) {
    const rows = c.rows.map((r) => {
      const best = Math.min(r.js.nsPerOp.p50, r.wasm.nsPerOp.p50);
      return [
        `${r.size} B`, num(r.js.nsPerOp.p50), num(r.wasm.nsPerOp.p50), num(r.auto.nsPerOp.p50),
        r.js.nsPerOp.p50 < r.wasm.nsPerOp.p50 ? 'js' : 'wasm', num(r.auto.nsPerOp.p50 / best),
      ];
    });
    parts.push(
      '', `### ${c.op}`, '',
      table(['size', 'js ns', 'wasm ns', 'auto ns', 'faster', 'auto/best'], rows), '',
      `js wins below: **${c.crossover === null ? `> ${CROSSOVER_SIZES[CROSSOVER_SIZES.length - 1]} B` : `${c.crossover} B`}** ` +
        `(auto.ts now: ${c.current} B). auto within 10% of the faster core: ` +
        (c.autoMisses.length === 0 ? 'yes, at every size' : `no, at ${c.autoMisses.map((s) => `${s} B`).join(', ')}`),
    );
  }
  return parts.join('\n');
}
