// The terminal view of a report: one row per frame, as tshark shows WebSocket traffic
// (number, time, direction, FIN, opcode, mask, length, preview), each problem on a line of
// its own under its frame, connections and notes at the end.
import { hexView } from './payload.js';
import { plainFrame, previewText } from './frame.js';
import type { InspectedFrame, InspectionReport } from './types.js';

export interface TableOptions {
  /** Show each frame's header bytes and fields. */
  hex?: boolean;
  /** Columns available for the preview (default 40). */
  previewWidth?: number;
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

/**
 * The whole number of microseconds x.toFixed(6) shows, where it is certain without toFixed
 * (0 <= x < 1e6, and x*1e6 not within 0.49 of a tie: its error is far below that); else -1.
 * A table formats a time per row, and toFixed is slow.
 */
export function microseconds(x: number): number {
  const y = x * 1e6;
  const n = Math.round(y);
  return x >= 0 && x < 1e6 && Math.abs(y - n) < 0.49 ? n : -1;
}

/** x.toFixed(6), from microseconds(x) where it can. */
export function fixed6(x: number): string {
  const n = microseconds(x);
  if (n < 0) return x.toFixed(6);
  const whole = Math.floor(n / 1e6);
  return `${whole}.${String(n - whole * 1e6).padStart(6, '0')}`;
}

/** `s` cut to `n` characters, the last one then '…'. */
export function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** The direction as an arrow from the sender. */
export function directionLabel(f: InspectedFrame): string {
  return f.direction === 'client' ? 'C→S' : 'S→C';
}

function flags(f: InspectedFrame): string {
  return `${f.rsv1 ? '1' : '.'}${f.rsv2 ? '2' : '.'}${f.rsv3 ? '3' : '.'}`;
}

/** What every row of a table depends on, known before the first frame. */
export interface TableLayout {
  readonly width: number;
  /** More than one connection: a connection column. */
  readonly multi: boolean;
  /** Times are shown relative to this. */
  readonly start?: number;
  readonly hex: boolean;
}

export function tableLayout(connections: number, start: number | undefined, options: TableOptions = {}): TableLayout {
  const layout = { width: options.previewWidth ?? 40, multi: connections > 1, hex: options.hex === true };
  return start === undefined ? layout : { ...layout, start };
}

/** The column titles. */
export function tableHead(layout: TableLayout): string {
  return [pad('No.', 6, true), pad('Time', 11, true), ...(layout.multi ? [pad('Conn', 4, true)] : []), 'Dir', 'FIN', 'RSV',
    pad('Opcode', 12), 'Mask', pad('Length', 8, true), pad('Preview', layout.width), 'Problems'].join(' ');
}

/** The number column of a row. */
export function rowNumber(index: number): string {
  return pad(String(index), 6, true);
}

/**
 * A frame's row after its number (put `rowNumber` before it), then its header and payload
 * bytes (with `hex`) and its problems, a line each.
 */
export function frameRows(f: InspectedFrame, layout: TableLayout): string {
  const width = layout.width;
  const time = f.time === undefined || layout.start === undefined ? '-' : fixed6(f.time - layout.start);
  const preview = clip(previewText(f), width);
  let row = ` ${pad(time, 11, true)} ${rowColumns(f, layout)} ${pad(String(f.payloadLength) + (f.truncated ? '+' : ''), 8, true)}`;
  if (f.problems.length === 0) {
    const shown = preview.trimEnd();
    if (shown !== '') row += ` ${shown}`;
  } else {
    row += ` ${pad(preview, width)} ${f.problems.map((p) => p.code.replace(/^WS_ERR_/, '')).join(',')}`;
  }
  if (layout.hex && f.kind === 'frame') {
    row += `\n        header ${hexView(f.header, 14)} @${f.offset}: ${f.fields.map((x) => `${x.name}=${x.value}`).join(', ')}`;
    if (f.hex !== undefined && f.hex !== '') row += `\n        payload ${clip(f.hex, 100)}`;
  }
  for (const p of f.problems) row += `\n        ! ${p.message} [${p.rule}]`;
  return row;
}

/** A row's columns from Conn to Mask (between the time and the length). */
export function rowColumns(f: InspectedFrame, layout: TableLayout): string {
  const message = f.kind === 'message';
  return `${layout.multi ? `${pad(String(f.connection), 4, true)} ` : ''}${directionLabel(f)} ` +
    `${message ? ' - ' : f.fin ? ' 1 ' : ' 0 '} ${message ? ' - ' : flags(f)} ${pad(clip((message ? 'msg ' : '') + f.opcodeName, 12), 12)} ` +
    `${message ? '  - ' : f.masked ? ' yes' : ' no '}`;
}

/** Connections, problems outside frames, notes and the count, after the rows. */
export function tableFoot(report: InspectionReport, frames: number, problems: number): string {
  const lines: string[] = [''];
  for (const c of report.connections) {
    const bits = [`connection ${c.id}: ${c.client} → ${c.server}`, c.how];
    if (c.request) bits.push(c.request);
    if (c.status !== undefined) bits.push(`status ${c.status}`);
    if (c.extensions) bits.push(`extensions: ${c.extensions}`);
    if (c.retransmitted) bits.push(`${c.retransmitted} retransmitted segments`);
    if (c.gaps) bits.push(`${c.gaps} gaps`);
    lines.push(bits.join('; '));
    if (c.lost?.client) lines.push(`  client: ${c.lost.client.message}`);
    if (c.lost?.server) lines.push(`  server: ${c.lost.server.message}`);
  }
  for (const p of report.problems) {
    const where = p.connection ? `connection ${p.connection} ${p.direction ?? ''}: ` : '';
    lines.push(`! ${where}${p.message} [${p.rule}]`);
  }
  for (const n of report.notes) lines.push(`note: ${n}`);
  lines.push(`${frames} ${report.format === 'har' ? 'messages' : 'frames'}, ${problems} problem${problems === 1 ? '' : 's'} (${report.format})`);
  return lines.join('\n');
}

export function formatTable(report: InspectionReport, options: TableOptions = {}): string {
  const start = report.startTime ?? report.frames.find((f) => f.time !== undefined)?.time;
  const layout = tableLayout(report.connections.length, start, options);
  const lines = [tableHead(layout)];
  for (const f of report.frames) lines.push(rowNumber(f.index) + frameRows(f, layout));
  lines.push(tableFoot(report, report.frames.length, problemCount(report)));
  return lines.join('\n');
}

/** Problems in frames and outside them. */
export function problemCount(report: InspectionReport): number {
  let n = report.problems.length;
  for (const f of report.frames) n += f.problems.length;
  return n;
}

/**
 * The report as JSON, a frame at a time (a large capture never becomes one string): bytes
 * as hex, at most `maxBytes` of each; a message's data only when it differs from the
 * frame's payload (inflated or reassembled).
 */
export function* formatJson(report: InspectionReport, maxBytes = 1024): Generator<string> {
  const replacer = (key: string, v: unknown): unknown => (v instanceof Uint8Array ? hexView(v, maxBytes) : v);
  const { frames, ...rest } = report;
  const head = JSON.stringify(rest, replacer, 2);
  yield `${head.slice(0, -2)},\n  "frames": [`;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    const m = f.message;
    const plain = plainFrame(f);
    const shown = m === undefined || (!m.inflated && m.frames === 1) ? { ...plain, message: m && { ...m, data: undefined } } : plain;
    yield `${JSON.stringify(shown, replacer)}${i + 1 < frames.length ? ',' : ''}`;
  }
  yield '  ]\n}';
}
