// Markdown for the results: the machine header, tables, number formats.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import type { Quantiles, Result } from './measure.js';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly date: string;
  /** 1-minute load average when the run started and ended: above ~0.5 per core, distrust. */
  loadStart: number;
  loadEnd: number;
}

function cpuModel(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const field = (name: string): string | undefined => new RegExp(`^${name}\\s*:\\s*(.+)$`, 'm').exec(info)?.[1].trim();
    const name = field('model name');
    // Virtual machines often report a bare brand ("AMD EPYC"): family and model tell the generation.
    if (name !== undefined) return `${name} (family ${field('cpu family') ?? '?'}, model ${field('model') ?? '?'})`;
  } catch {
    // not Linux: os.cpus() below
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

export function machine(): Machine {
  return {
    cpu: cpuModel(),
    cores: os.availableParallelism(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
    loadStart: os.loadavg()[0],
    loadEnd: 0,
  };
}

/** Three significant digits: 12.3, 1.23, 0.123, 1234. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x >= 1000) return Math.round(x).toString();
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  if (x >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

/** 1.23 G, 456 M, 12.3 k. */
export function si(x: number): string {
  if (x >= 1e9) return `${num(x / 1e9)} G`;
  if (x >= 1e6) return `${num(x / 1e6)} M`;
  if (x >= 1e3) return `${num(x / 1e3)} k`;
  return num(x);
}

/** "12.3 (11.9–12.6)": median and interquartile range. */
export function spread(q: Quantiles, format: (x: number) => string = num): string {
  return `${format(q.p50)} (${format(q.p25)}–${format(q.p75)})`;
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const rule = `|${header.map((_, i) => (i === 0 ? ' :-- ' : ' --: ')).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/**
 * A variants × columns table: one column per input (size, text kind…), rows in the order
 * the variants first appear. `cell` formats one result.
 */
export function grid(
  corner: string, columns: readonly string[], results: readonly (readonly Result[])[], cell: (r: Result) => string,
): string {
  const variants: string[] = [];
  for (const column of results) for (const r of column) if (!variants.includes(r.variant)) variants.push(r.variant);
  const rows = variants.map((v) => [v, ...results.map((column) => {
    const r = column.find((x) => x.variant === v);
    return r === undefined ? '—' : cell(r);
  })]);
  return table([corner, ...columns], rows);
}

export function find(results: readonly Result[], variant: string): Result {
  const r = results.find((x) => x.variant === variant);
  if (r === undefined) throw new Error(`no result for ${variant}`);
  return r;
}
