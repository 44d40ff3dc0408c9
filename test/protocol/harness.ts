// Bytes in, events out: feeds a stream to a Decoder in a given chunking and records what the
// handler saw (and how many bytes had been fed when it saw it). expectDecode() runs one case
// in every chunking — whole, byte by byte, seeded random — and asserts the events in order,
// that nothing follows a close or an error, and where fail-fast errors arrive.
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { createCodec, type Codec, type FrameError } from '../../src/codec/index.js';
import { Decoder, type DecoderHandler, type DecoderOptions } from '../../src/protocol/index.js';
import { Rng } from '../reference/random.js';
import { bytesOf, Wire, type ByteSource, type Role } from './wire.js';

/** Both cores, by parameter: describe.each(CORES)('%s core', (name, codec) => …). */
export const CORES: [string, Codec][] = [
  ['wasm', createCodec({ core: 'wasm' })],
  ['js', createCodec({ core: 'js' })],
];

export type Event =
  | { type: 'message'; data: string; binary: boolean; compressed: boolean }
  | { type: 'ping' | 'pong'; data: string }
  | { type: 'close'; code: number; reason: string }
  | { type: 'error'; code: string; closeCode: number; offset: number; message: string };

/** A payload as comparable text: hex when short, length and digest when long. */
export function show(bytes: Uint8Array): string {
  if (bytes.length <= 48) return `[${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex')}]`;
  const digest = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  return `[${bytes.length} bytes sha256:${digest}]`;
}

export const text = (data: ByteSource, compressed = false): Event =>
  ({ type: 'message', data: show(bytesOf(data)), binary: false, compressed });
export const binary = (data: ByteSource, compressed = false): Event =>
  ({ type: 'message', data: show(bytesOf(data)), binary: true, compressed });
export const ping = (data: ByteSource = []): Event => ({ type: 'ping', data: show(bytesOf(data)) });
export const pong = (data: ByteSource = []): Event => ({ type: 'pong', data: show(bytesOf(data)) });
export const close = (code: number, reason: ByteSource = []): Event => ({ type: 'close', code, reason: show(bytesOf(reason)) });
/** An error: `message` is a substring the error's message must contain. */
export const error = (code: string, closeCode: number, offset: number, message = ''): Event =>
  ({ type: 'error', code, closeCode, offset, message });

export class Recorder implements DecoderHandler {
  readonly events: Event[] = [];
  /** Bytes fed (to the end of the chunk being fed) when each event arrived. */
  readonly fedAt: number[] = [];
  readonly errors: FrameError[] = [];
  fed = 0;

  private push(e: Event): void {
    this.events.push(e);
    this.fedAt.push(this.fed);
  }

  onMessage(data: Uint8Array, isBinary: boolean, compressed: boolean): void {
    this.push({ type: 'message', data: show(data), binary: isBinary, compressed });
  }
  onPing(data: Uint8Array): void {
    this.push({ type: 'ping', data: show(data) });
  }
  onPong(data: Uint8Array): void {
    this.push({ type: 'pong', data: show(data) });
  }
  onClose(code: number, reason: Uint8Array): void {
    this.push({ type: 'close', code, reason: show(reason) });
  }
  onError(e: FrameError): void {
    this.errors.push(e);
    this.push({ type: 'error', code: e.code, closeCode: e.closeCode, offset: e.offset, message: e.message });
  }
}

/** Chunk bounds from sorted cut points. */
export function bounds(length: number, cuts: readonly number[]): [number, number][] {
  const points = [0, ...cuts, length];
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < points.length; i++) out.push([points[i], points[i + 1]]);
  return out;
}

export interface Run {
  decoder: Decoder;
  recorder: Recorder;
}

/** Feeds `bytes` cut at `cuts`; every chunk is a fresh copy (the JS core unmasks in place). */
export function decode(bytes: Uint8Array, cuts: readonly number[], options: DecoderOptions, recorder = new Recorder()): Run {
  const decoder = new Decoder(options, recorder);
  for (const [a, b] of bounds(bytes.length, cuts)) {
    recorder.fed = b;
    decoder.feed(new Uint8Array(bytes.subarray(a, b))); // a copy, also when `bytes` is a Buffer
  }
  return { decoder, recorder };
}

export interface Chunking {
  label: string;
  cuts: number[];
}

/** Whole, byte by byte (up to `byteLimit` bytes), a few random cuts, many random cuts. */
export function chunkings(length: number, rng: Rng, byteLimit = 1 << 17): Chunking[] {
  const out: Chunking[] = [{ label: 'whole', cuts: [] }];
  if (length <= byteLimit) out.push({ label: 'byte by byte', cuts: Array.from({ length: Math.max(0, length - 1) }, (_, i) => i + 1) });
  out.push({ label: `random few, ${rng.note}`, cuts: rng.cuts(length, rng.range(1, 6)) });
  const many = Math.min(length, 4096, Math.max(2, rng.int(Math.ceil(length / 3) + 1)));
  out.push({ label: `random many, ${rng.note}`, cuts: rng.cuts(length, many) });
  return out;
}

/** Frames (text, ping, close) that would be events if anything were still decoded. */
function trailer(role: Role): Uint8Array {
  const w = new Wire(role, 'trailer');
  w.frame(0x1, 'after the end');
  w.frame(0x9, 'ping');
  w.frame(0x8, [0x03, 0xe8]);
  return w.bytes;
}

export interface DecodeCase {
  role: Role;
  options?: Omit<DecoderOptions, 'role' | 'codec'>;
  /** The stream byte whose arrival must trigger the (final) error event. */
  failFastAt?: number;
  byteLimit?: number;
  /** Also feed in chunks of exactly this many bytes (Autobahn's "chops"). */
  chop?: number;
  label?: string;
}

/** Replaces an error's message by the expected substring when it contains it (for toEqual). */
function normalize(actual: Event[], expected: readonly Event[]): Event[] {
  return actual.map((e, i) => {
    const want = expected[i];
    if (e.type === 'error' && want?.type === 'error' && e.message.includes(want.message)) return { ...e, message: want.message };
    return e;
  });
}

/** Decodes `input` in every chunking on `codec` and asserts exactly `expected`. */
export function expectDecode(codec: Codec, input: Wire | Uint8Array, expected: readonly Event[], c: DecodeCase): void {
  const bytes = input instanceof Wire ? input.bytes : input;
  const rng = new Rng(`chunks ${c.label ?? ''} ${bytes.length}`);
  const options: DecoderOptions = { ...c.options, role: c.role, codec };
  const terminal = expected.length > 0 && ['close', 'error'].includes(expected[expected.length - 1].type);
  const all = chunkings(bytes.length, rng, c.byteLimit);
  if (c.chop !== undefined) {
    const cuts: number[] = [];
    for (let at = c.chop; at < bytes.length; at += c.chop) cuts.push(at);
    all.push({ label: `chops of ${c.chop}`, cuts });
  }
  for (const chunking of all) {
    const note = `${c.label ?? ''} [${c.role}, ${chunking.label}]`;
    const { decoder, recorder } = decode(bytes, chunking.cuts, options);
    expect(normalize(recorder.events, expected), note).toEqual(expected);
    for (const e of recorder.errors) expect(e.message, `${note}: message names the offset`).toContain(`at byte ${e.offset}`);
    expect(decoder.finished, `${note}: finished`).toBe(terminal);
    if (c.failFastAt !== undefined) {
      // The error must come from the feed call whose chunk holds the offending byte.
      const chunkEnd = bounds(bytes.length, chunking.cuts).find(([, b]) => b > c.failFastAt!)![1];
      expect(recorder.fedAt[recorder.fedAt.length - 1], `${note}: error not reported on the feed of the offending byte`).toBe(chunkEnd);
    }
    if (terminal) {
      const before = recorder.events.length;
      decoder.feed(trailer(c.role));
      expect(recorder.events.length, `${note}: events after ${expected[expected.length - 1].type}`).toBe(before);
    }
  }
}
