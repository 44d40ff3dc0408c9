// The issue's performance targets, checked against this run: target / actual / ratio.
// ratio = actual ÷ target, so ≥ 1 means met (for "within 10%" targets, ≥ 1 likewise).
import type { Result } from './measure.js';
import { find, num, table } from './report.js';
import { KiB, sizeLabel } from './inputs.js';
import * as U from '../suites/unmask.js';
import * as V from '../suites/utf8.js';
import * as P from '../suites/parse.js';
import type { CrossoverOp } from '../suites/crossover.js';

export interface TargetRow {
  readonly target: string;
  readonly input: string;
  readonly actual: string;
  readonly ratio: number;
}

const gb = (r: Result): number => r.gbps.p50;

export function checkTargets(
  unmask: U.UnmaskSuite | undefined, utf8: V.Utf8Suite | undefined, parse: P.ParseSuite | undefined,
  crossovers: readonly CrossoverOp[] | undefined,
): TargetRow[] {
  const rows: TargetRow[] = [];
  const times = (x: number): string => `${num(x)}×`;
  if (unmask !== undefined) {
    unmask.sizes.forEach((size, i) => {
      const col = unmask.results[i];
      const inPlace = gb(find(col, U.V_WASM_IN_PLACE));
      const copyIn = gb(find(col, U.V_WASM_COPY_IN));
      const native = gb(find(col, U.V_BUFFERUTIL));
      const memcpy = gb(find(col, U.V_MEMCPY));
      if (size >= KiB) {
        rows.push({ target: 'unmask in memory ≥ 2× bufferutil', input: sizeLabel(size), actual: `${times(inPlace / native)} (${num(inPlace)} vs ${num(native)} GB/s)`, ratio: inPlace / native / 2 });
        rows.push({ target: 'unmask in memory within 10% of memcpy', input: sizeLabel(size), actual: `${times(inPlace / memcpy)} of memcpy (${num(memcpy)} GB/s)`, ratio: inPlace / memcpy / 0.9 });
      }
      if (size <= 64 * KiB) {
        rows.push({ target: 'unmask incl. copy in ≥ 1.0× bufferutil', input: sizeLabel(size), actual: `${times(copyIn / native)} (${num(copyIn)} GB/s)`, ratio: copyIn / native });
      }
    });
  }
  if (utf8 !== undefined) {
    for (const kind of ['ascii', 'mixed'] as const) {
      V.UTF8_SIZES.forEach((size, i) => {
        if (size < 64 * KiB) return;
        const col = utf8.results[kind][i];
        const wasm = gb(find(col, V.V_WASM_IN_PLACE));
        const isUtf8 = gb(find(col, V.V_IS_UTF8));
        const ws = gb(find(col, V.V_WS_JS));
        const input = `${kind} ${sizeLabel(size)}`;
        rows.push({ target: 'UTF-8 ≥ 0.5× buffer.isUtf8', input, actual: `${times(wasm / isUtf8)} (${num(wasm)} vs ${num(isUtf8)} GB/s)`, ratio: wasm / isUtf8 / 0.5 });
        rows.push({ target: "UTF-8 ≥ 20× ws's JS validator", input, actual: `${times(wasm / ws)} (ws ${num(ws)} GB/s)`, ratio: wasm / ws / 20 });
      });
    }
  }
  if (parse !== undefined) {
    parse.streams.forEach((stream, i) => {
      const core = find(parse.results[i], P.V_WASM_COPY_IN);
      if (stream.payloadSize === 32) {
        rows.push({ target: 'parse 32 B frames ≥ 10 M frames/s (core incl. copy in)', input: stream.label, actual: `${num(core.opsPerSec.p50 / 1e6)} M/s`, ratio: core.opsPerSec.p50 / 10e6 });
      } else if (stream.payloadSize === KiB) {
        const want = stream.label.startsWith('text') ? 4 : 5;
        rows.push({ target: `parse 1 KiB ${stream.label.split(' ')[0]} ≥ ${want} GB/s (core incl. copy in)`, input: stream.label, actual: `${num(gb(core))} GB/s`, ratio: gb(core) / want });
      }
    });
  }
  if (unmask !== undefined) {
    unmask.sizes.forEach((size, i) => {
      const col = unmask.results[i];
      const best = Math.max(gb(find(col, U.V_WASM_CODEC)), gb(find(col, U.V_JS)));
      const auto = gb(find(col, U.V_AUTO));
      rows.push({ target: 'auto within 10% of the faster core', input: `mask ${sizeLabel(size)}`, actual: `${times(auto / best)} of best`, ratio: auto / best / 0.9 });
    });
  }
  for (const c of crossovers ?? []) {
    let worst = { size: 0, ratio: Infinity };
    for (const r of c.rows) {
      const ratio = Math.min(r.js.nsPerOp.p50, r.wasm.nsPerOp.p50) / r.auto.nsPerOp.p50 / 0.9;
      if (ratio < worst.ratio) worst = { size: r.size, ratio };
    }
    rows.push({ target: 'auto within 10% of the faster core (worst size)', input: `${c.op} 8–256 B`, actual: `${times(worst.ratio * 0.9)} of best at ${worst.size} B`, ratio: worst.ratio });
  }
  return rows;
}

export function targetsMarkdown(rows: readonly TargetRow[]): string {
  const missed = rows.filter((r) => r.ratio < 1).length;
  return [
    '## Targets',
    '',
    `ratio = actual ÷ target (≥ 1 met). ${missed === 0 ? 'All met.' : `${missed} of ${rows.length} missed.`}`,
    '',
    table(['target', 'input', 'actual', 'ratio', 'met'], rows.map((r) => [r.target, r.input, r.actual, num(r.ratio), r.ratio >= 1 ? '✓' : '✗'])),
  ].join('\n');
}
