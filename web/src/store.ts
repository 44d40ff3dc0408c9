// The frames of one report and what the page asks of them, without the DOM: used in the
// worker (a large report stays there; the page gets slim table rows, and one frame's full
// detail or the hits of a text search on request) and in the page itself (live mode, small
// reports, no worker).
//
// Reports are decoded with detail 'summary' (what a table row needs, as the CLI does): the
// message text and decoded views of the 'full' detail are made here, for one frame, when
// it is shown, and a text search decodes each message's text when it runs.
import { decodeText, hexView, payloadViews } from '../../src/inspect/payload.js';
import type { InspectedFrame } from '../../src/inspect/types.js';
import { plainFrame } from '../../src/inspect/frame.js';
import { fixed6 } from '../../src/inspect/table.js';

/** Cells per row: No., Time, Conn, Dir, Opcode, Flags, Length, Preview, Problems. */
export const CELLS = 9;
export const PREVIEW = 7;
export const OPCODE = 4;
/** Row flags. */
export const SERVER = 1;
export const PROBLEM = 2;
export const MESSAGE = 4;

/**
 * Table rows, packed: one string holding every cell one after another and the offsets
 * where each ends. Posting it from the worker copies a few megabytes in one piece, where
 * 36,000 row objects of nine strings each would take the page a quarter of a second to
 * take in.
 */
export interface PackedRows {
  readonly count: number;
  readonly text: string;
  /** ends[row * CELLS + cell]: where that cell ends in `text` (it starts where the one before ends). */
  readonly ends: Uint32Array;
  /** SERVER | PROBLEM | MESSAGE per row. */
  readonly flags: Uint8Array;
  /** Problems per row. */
  readonly problems: Uint32Array;
}

/** Bytes of the payload shown as hex in the detail pane (the 'full' default). */
const HEX_BYTES = 256;
/** Largest message given text and decoded views (the inspector's default maxViewBytes). */
export const MAX_VIEW = 1024 * 1024;

export function timeLabel(f: InspectedFrame, start: number | undefined): string {
  return f.time === undefined || start === undefined ? '' : fixed6(f.time - start);
}

function cells(f: InspectedFrame, start: number | undefined): string[] {
  const flags = f.kind === 'message' ? 'message' : `${f.fin ? 'FIN' : '—'}${f.rsv1 ? ' RSV1' : ''}${f.rsv2 ? ' RSV2' : ''}${f.rsv3 ? ' RSV3' : ''}${f.masked ? ' MASK' : ''}`;
  return [
    String(f.index), timeLabel(f, start), String(f.connection), f.direction === 'client' ? 'C→S' : 'S→C',
    f.kind === 'message' ? `msg ${f.opcodeName}` : f.opcodeName, flags, `${f.payloadLength}${f.truncated ? '+' : ''}`,
    f.preview, f.problems.map((p) => p.code.replace(/^WS_ERR_/, '')).join(', '),
  ];
}

/** The table rows of `frames`. */
export function packRows(frames: readonly InspectedFrame[], start: number | undefined): PackedRows {
  const n = frames.length;
  const parts: string[] = [];
  const ends = new Uint32Array(n * CELLS);
  const flags = new Uint8Array(n);
  const problems = new Uint32Array(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const f = frames[i];
    const c = cells(f, start);
    for (let k = 0; k < CELLS; k++) { parts.push(c[k]); at += c[k].length; ends[i * CELLS + k] = at; }
    flags[i] = (f.direction === 'server' ? SERVER : 0) | (f.problems.length ? PROBLEM : 0) | (f.kind === 'message' ? MESSAGE : 0);
    problems[i] = f.problems.length;
  }
  return { count: n, text: parts.join(''), ends, flags, problems };
}

/** The text a search looks in: a text message's (up to MAX_VIEW bytes), as 'full' detail has it. */
function messageText(f: InspectedFrame): string {
  const m = f.message;
  if (m === undefined) return '';
  if (f.kind === 'frame' && m.opcode === 1) return decodeText(m.data.length > MAX_VIEW ? m.data.subarray(0, MAX_VIEW) : m.data);
  return m.text ?? '';
}

export class FrameStore {
  readonly frames: InspectedFrame[] = [];
  start: number | undefined;

  add(frames: readonly InspectedFrame[], start?: number): void {
    this.start ??= start ?? frames.find((f) => f.time !== undefined)?.time;
    for (const f of frames) this.frames.push(f);
  }

  rows(from = 0, to = this.frames.length): PackedRows {
    return packRows(this.frames.slice(from, to), this.start);
  }

  /** Positions of the frames whose message text contains `search` (lower case). */
  textMatches(search: string): Uint32Array {
    const hits: number[] = [];
    this.frames.forEach((f, i) => {
      if (f.message !== undefined && messageText(f).toLowerCase().includes(search)) hits.push(i);
    });
    return Uint32Array.from(hits);
  }

  /**
   * Frame `pos` as the 'full' detail has it (message text, every decoded view, hex of the
   * payload's first bytes), with byte arrays of its own: posting a view of a larger buffer
   * would copy the whole buffer.
   */
  detail(pos: number): InspectedFrame {
    const f = this.frames[pos];
    const out: InspectedFrame = { ...plainFrame(f), header: f.header.slice(), payload: f.payload.slice(), problems: [...f.problems] };
    if (f.hex !== undefined) out.hex = hexView(f.payload, HEX_BYTES);
    const m = f.message;
    if (m !== undefined) {
      const { text: _summaryText, ...rest } = m;
      if (f.kind === 'frame') {
        const text = m.opcode === 1 ? messageText(f) : undefined;
        out.message = { ...rest, data: m.data.slice(), ...(text === undefined ? {} : { text }), views: payloadViews(m.data, text, MAX_VIEW) };
      } else {
        out.message = { ...m, data: m.data.slice() };
      }
    }
    return out;
  }

  /** Bytes a copy of every frame's detail would take (payloads and messages). */
  detailBytes(): number {
    let n = 0;
    for (const f of this.frames) n += f.payload.length + (f.message?.data.length ?? 0);
    return n;
  }
}
