// Feeds a byte stream to codec.parse in slices and records everything the core said:
// every descriptor with a copy of its payload, frames put back together from pieces, the
// state after each call, and the first error at its absolute stream offset. Structural
// rules of the descriptor contract (layout.ts) are checked on the way; breaches are
// returned as `anomalies` for the test to assert empty.
import { createHash } from 'node:crypto';
import { ParserState, errorCodeName, type Codec } from '../../src/codec/index.js';
import {
  DESC_CAPACITY, DESC_WORDS, F_CLOSED, S_FLAGS, D_INFO, D_OFFSET, D_LENGTH, D_FRAME, MAX_CARRY, MAX_SLICE,
  P_FIRST, P_LAST, P_MESSAGE_END, R_CONSUMED, R_ERROR, R_CLOSE_CODE, R_ERROR_AT,
} from '../../src/codec/layout.js';
import { hex } from './codecs.js';

export interface Piece {
  call: number;
  /** Header byte 0. */
  info: number;
  pieceFlags: number;
  headerLength: number;
  /** Offset in that call's input (carry + chunk). */
  offset: number;
  frameLength: number;
  payload: Uint8Array;
}

export interface ParsedFrame {
  info: number;
  headerLength: number;
  payload: Uint8Array;
  messageEnd: boolean;
}

export interface CallRecord {
  chunk: number;
  carryIn: number;
  n: number;
  result: number[];
  /** Raw descriptor words, DESC_WORDS per descriptor. */
  descriptors: number[];
  words: number[];
  carryOut: string;
}

export interface StreamError {
  code: number;
  name: string;
  closeCode: number;
  offset: number;
}

export interface StreamResult {
  frames: ParsedFrame[];
  pieces: Piece[];
  error: StreamError | null;
  calls: CallRecord[];
  anomalies: string[];
  state: ParserState;
}

/** Chunk boundaries from sorted cut points; chunks over MAX_SLICE are cut again. */
export function chunkBounds(length: number, cuts: readonly number[]): [number, number][] {
  const points = [0, ...cuts.filter((c) => c >= 0 && c <= length), length];
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    let a = points[i];
    const b = points[i + 1];
    do {
      const end = Math.min(b, a + MAX_SLICE);
      out.push([a, end]);
      a = end;
    } while (a < b);
  }
  return out;
}

/**
 * `codec` may be a function of the call index, to hand the state from core to core.
 * Each slice is copied before the call: the JS core unmasks its input in place.
 * Stops at the first error (the connection would be failed).
 */
export function parseStream(
  codec: Codec | ((call: number) => Codec),
  bytes: Uint8Array,
  cuts: readonly number[],
  options: number,
  maxPayload = 0xffffffff,
  state = new ParserState(),
): StreamResult {
  const pick = typeof codec === 'function' ? codec : () => codec;
  const out: StreamResult = { frames: [], pieces: [], error: null, calls: [], anomalies: [], state };
  const anomaly = (call: number, what: string): void => void out.anomalies.push(`call ${call}: ${what}`);
  let open: { info: number; headerLength: number; frameLength: number; parts: Uint8Array[]; got: number } | null = null;
  let fed = 0;
  const bounds = chunkBounds(bytes.length, cuts);
  for (let call = 0; call < bounds.length; call++) {
    const [a, b] = bounds[call];
    const c = pick(call);
    const carryIn = state.carry === null ? 0 : state.carry.length;
    const inputStart = fed - carryIn;
    const n = c.parse(state, bytes.slice(a, b), options, maxPayload);
    fed += b - a;
    const r = c.result;
    const inputLength = carryIn + b - a;
    const record: CallRecord = {
      chunk: b - a, carryIn, n, result: [r[R_CONSUMED], r[R_ERROR], r[R_CLOSE_CODE], r[R_ERROR_AT]],
      descriptors: Array.from(c.descriptors.subarray(0, n * DESC_WORDS)), words: Array.from(state.words),
      carryOut: state.carry === null ? '' : hex(state.carry, 200),
    };
    out.calls.push(record);
    if (n < 0 || n > DESC_CAPACITY) anomaly(call, `descriptor count ${n}`);
    if (r[R_CONSUMED] > inputLength) anomaly(call, `consumed ${r[R_CONSUMED]} of ${inputLength}`);
    if ((state.carry?.length ?? 0) !== inputLength - r[R_CONSUMED]) anomaly(call, 'carry is not the unconsumed tail');
    // (After a close frame the cores leave the rest unconsumed: checked in codec-parse.test.ts.)
    if (r[R_ERROR] === 0 && (state.words[S_FLAGS] & F_CLOSED) === 0 && (state.carry?.length ?? 0) > MAX_CARRY) anomaly(call, `carry of ${state.carry?.length} bytes > MAX_CARRY`);
    let last = 0;
    for (let i = 0; i < n; i++) {
      const d = i * DESC_WORDS;
      const info = c.descriptors[d + D_INFO];
      const offset = c.descriptors[d + D_OFFSET];
      const length = c.descriptors[d + D_LENGTH];
      const piece: Piece = {
        call, info: info & 0xff, pieceFlags: (info >>> 8) & 0xff, headerLength: (info >>> 16) & 0xff,
        offset, frameLength: c.descriptors[d + D_FRAME],
        payload: c.bytes.slice(c.base + offset, c.base + offset + length),
      };
      out.pieces.push(piece);
      if (info >>> 24 !== 0) anomaly(call, `descriptor ${i}: stray bits ${info.toString(16)}`);
      if (offset < last || offset + length > inputLength) anomaly(call, `descriptor ${i}: payload [${offset}, +${length}) out of order or range`);
      last = offset + length;
      const first = (piece.pieceFlags & P_FIRST) !== 0;
      const isLast = (piece.pieceFlags & P_LAST) !== 0;
      const control = (piece.info & 0x0f) >= 8;
      if (first !== (piece.headerLength >= 2)) anomaly(call, `descriptor ${i}: header length ${piece.headerLength} with flags ${piece.pieceFlags}`);
      if (control && piece.pieceFlags !== (P_FIRST | P_LAST)) anomaly(call, `descriptor ${i}: control frame split`);
      if ((piece.pieceFlags & P_MESSAGE_END) !== 0 && (!isLast || control || (piece.info & 0x80) === 0)) {
        anomaly(call, `descriptor ${i}: P_MESSAGE_END on a piece that does not end a message`);
      }
      if (first) {
        if (open !== null) anomaly(call, `descriptor ${i}: new frame while one is open`);
        open = { info: piece.info, headerLength: piece.headerLength, frameLength: piece.frameLength, parts: [], got: 0 };
      } else if (open === null || open.info !== piece.info || open.frameLength !== piece.frameLength) {
        anomaly(call, `descriptor ${i}: continues no open frame, or another one`);
        continue;
      }
      const frame = open as NonNullable<typeof open>;
      frame.parts.push(piece.payload);
      frame.got += length;
      if (frame.got > frame.frameLength || (isLast && frame.got !== frame.frameLength)) {
        anomaly(call, `descriptor ${i}: ${frame.got} payload bytes for a frame of ${frame.frameLength}`);
      }
      if (isLast) {
        const payload = new Uint8Array(frame.got);
        let at = 0;
        for (const p of frame.parts) {
          payload.set(p, at);
          at += p.length;
        }
        out.frames.push({ info: frame.info, headerLength: frame.headerLength, payload, messageEnd: (piece.pieceFlags & P_MESSAGE_END) !== 0 });
        open = null;
      }
    }
    if (r[R_ERROR] !== 0) {
      out.error = { code: r[R_ERROR], name: errorCodeName(r[R_ERROR]), closeCode: r[R_CLOSE_CODE], offset: inputStart + r[R_ERROR_AT] };
      break;
    }
    if (r[R_CLOSE_CODE] !== 0 || r[R_ERROR_AT] !== 0) anomaly(call, 'close code or error offset without an error');
  }
  return out;
}

/** A frame as a cheap-to-compare value: vitest's deep equality crawls typed arrays slowly. */
export interface FrameSummary {
  info: number;
  headerLength: number;
  messageEnd: boolean;
  /** Hex up to 512 bytes; beyond, the length, a SHA-1 and the first 32 bytes. */
  payload: string;
}

export function summarize(frames: readonly ParsedFrame[]): FrameSummary[] {
  return frames.map(({ info, headerLength, messageEnd, payload }) => ({
    info, headerLength, messageEnd,
    payload: payload.length <= 512
      ? Buffer.from(payload).toString('hex')
      : `${payload.length} bytes, sha1 ${createHash('sha1').update(payload).digest('hex')}, ${hex(payload, 32)}`,
  }));
}

/** The frames and error of a run, in the reference's shape (for toEqual). */
export function outcome(run: StreamResult): { frames: FrameSummary[]; error: Omit<StreamError, 'name'> | null } {
  const error = run.error === null ? null : { code: run.error.code, closeCode: run.error.closeCode, offset: run.error.offset };
  return { frames: summarize(run.frames), error };
}
