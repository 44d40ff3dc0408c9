// Seeded input generators: UTF-8 text of every sequence length, near-valid corruptions,
// and streams of mixed frames with their ground truth (built by the reference builder).
import type { Rng } from '../reference/random.js';
import { encodeCodePoint } from '../reference/utf8.js';
import { buildFrame, concatBytes, minimalForm } from '../reference/frame-builder.js';
import type { ExpectedFrame } from '../reference/frame-parser.js';

/** Code points at the edges of each UTF-8 length class and around the surrogates. */
export const EDGE_CODE_POINTS = [
  0x00, 0x7f, 0x80, 0x7ff, 0x800, 0xfff, 0x1000, 0xcfff, 0xd000, 0xd7ff, 0xe000, 0xfffd, 0xffff,
  0x10000, 0x3ffff, 0x40000, 0xfffff, 0x100000, 0x10ffff,
];

/** A random scalar value, its UTF-8 length class chosen with `weights` (1, 2, 3, 4 bytes). */
export function randomCodePoint(rng: Rng, weights: readonly number[] = [4, 2, 2, 2]): number {
  if (rng.bool(0.05)) return rng.pick(EDGE_CODE_POINTS);
  let pick = rng.float() * weights.reduce((a, b) => a + b, 0);
  let cls = 0;
  while (cls < 3 && pick >= weights[cls]) pick -= weights[cls++];
  if (cls === 0) return rng.int(0x80);
  if (cls === 1) return rng.range(0x80, 0x7ff);
  if (cls === 3) return rng.range(0x10000, 0x10ffff);
  const cp = rng.range(0x800, 0xffff - 0x800);
  return cp >= 0xd800 ? cp + 0x800 : cp; // skip the surrogates
}

/** Valid UTF-8 of at least `length` bytes (at most 3 more), random code points. */
export function randomUtf8(rng: Rng, length: number, weights?: readonly number[]): Uint8Array {
  const out: number[] = [];
  while (out.length < length) out.push(...encodeCodePoint(randomCodePoint(rng, weights)));
  return Uint8Array.from(out);
}

/** Valid UTF-8 of exactly `length` bytes (padded with ASCII). */
export function exactUtf8(rng: Rng, length: number): Uint8Array {
  const out: number[] = [];
  for (;;) {
    const bytes = encodeCodePoint(randomCodePoint(rng));
    if (out.length + bytes.length > length) break;
    out.push(...bytes);
  }
  while (out.length < length) out.push(0x20 + rng.int(0x5f));
  return Uint8Array.from(out);
}

/** Bytes an edit likes to insert: every UTF-8 byte class, and the ones never allowed. */
const INTERESTING = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf8, 0xfe, 0xff];

/** 0-3 random edits: flip a bit, insert a byte, delete a byte, swap two neighbours. */
export function corrupt(rng: Rng, input: Uint8Array, edits = rng.int(4)): Uint8Array {
  const b = Array.from(input);
  for (let e = 0; e < edits; e++) {
    const at = rng.int(b.length + 1);
    switch (rng.int(4)) {
      case 0: if (at < b.length) b[at] ^= 1 << rng.int(8); break;
      case 1: b.splice(at, 0, rng.bool(0.7) ? rng.pick(INTERESTING) : rng.int(256)); break;
      case 2: if (at < b.length) b.splice(at, 1); break;
      default: if (at + 1 < b.length) [b[at], b[at + 1]] = [b[at + 1], b[at]];
    }
  }
  return Uint8Array.from(b);
}

/** Payload sizes: mostly small, some 16-bit, a few over 64 KiB (when `big`). */
export function randomSize(rng: Rng, big: boolean): number {
  const r = rng.float();
  if (r < 0.6) return rng.range(0, 125);
  if (r < 0.85) return rng.range(126, 1000);
  if (r < 0.97 || !big) return rng.range(1001, 20000);
  return rng.range(65530, 70000);
}

export interface StreamSpec {
  /** At least this many frames. */
  frames: number;
  server: boolean;
  allowRsv1?: boolean;
  /** How many single-frame messages over 64 KiB (the 3rd, 10th, … message). */
  bigFrames?: number;
  /** Ends with a close frame. */
  close?: boolean;
  /** Caps data payload sizes (for byte-by-byte feeding). */
  maxSize?: number;
}

export interface GeneratedStream {
  bytes: Uint8Array;
  /** Ground truth, as the builder made it. */
  frames: ExpectedFrame[];
  /** Offset of every frame's first header byte. */
  starts: number[];
}

/** Messages of every kind, fragmented at random (also inside code points), pings between. */
export function randomStream(rng: Rng, spec: StreamSpec): GeneratedStream {
  const parts: Uint8Array[] = [];
  const frames: ExpectedFrame[] = [];
  const starts: number[] = [];
  let at = 0;
  let messages = 0;
  const emit = (opcode: number, payload: Uint8Array, fin: boolean, rsv1 = false): void => {
    // Now and then a longer length form than needed (RFC 6455 asks for the minimal one; ws and
    // the cores accept any). The 16-bit form only fits payloads up to 65535 bytes.
    const form = rng.bool(0.05) ? (payload.length > 0xffff ? 64 : rng.pick([16, 64] as const)) : minimalForm(payload.length);
    const mask = spec.server ? Array.from(rng.bytes(4)) : null;
    const bytes = buildFrame({ opcode, payload, fin, rsv1, mask, form: opcode >= 8 ? 7 : form });
    const headerLength = bytes.length - payload.length;
    frames.push({ info: (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode, headerLength, payload, messageEnd: fin && opcode < 8 });
    starts.push(at);
    parts.push(bytes);
    at += bytes.length;
  };
  const controlSize = (): number => Math.min(rng.bool(0.8) ? rng.int(20) : rng.range(0, 125), spec.maxSize ?? 125);
  const control = (): void => emit(rng.bool() ? 0x9 : 0xa, rng.bytes(controlSize()), true);
  while (frames.length < spec.frames) {
    if (rng.bool(0.2)) control();
    // Messages 2, 9, … (up to bigFrames of them) are single frames over 64 KiB.
    const big = messages % 7 === 2 && (messages - 2) / 7 < (spec.bigFrames ?? 0);
    messages++;
    const size = big ? rng.range(65536, 70000) : Math.min(randomSize(rng, false), spec.maxSize ?? Infinity);
    const compressed = spec.allowRsv1 === true && rng.bool(0.2);
    const text = rng.bool(0.5);
    const payload = text && !compressed ? randomUtf8(rng, size) : rng.bytes(size);
    const pieces = big || rng.bool(0.6) ? 1 : rng.range(2, 6);
    const cuts = rng.cuts(payload.length, pieces - 1);
    for (let i = 0; i < pieces; i++) {
      const piece = payload.subarray(i === 0 ? 0 : cuts[i - 1], i === pieces - 1 ? payload.length : cuts[i]);
      emit(i === 0 ? (text ? 0x1 : 0x2) : 0x0, piece, i === pieces - 1, i === 0 && compressed);
      if (i < pieces - 1 && rng.bool(0.4)) control();
    }
  }
  if (spec.close === true) {
    const code = rng.pick([1000, 1001, 1003, 1011, 3000, 4999]);
    emit(0x8, Uint8Array.from([code >> 8, code & 0xff, ...exactUtf8(rng, rng.int(100))]), true);
  }
  return { bytes: concatBytes(parts), frames, starts };
}
