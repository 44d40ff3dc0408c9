// UTF-8 validation (RFC 3629 section 4, RFC 6455 section 8.1) on every core against the
// code-point reference, with buffer.isUtf8 and a fatal TextDecoder as outside oracles.
import { isUtf8 } from 'node:buffer';
import { describe, expect, it, vi } from 'vitest';
import { UTF8_CROSSOVER } from '../src/codec/auto.js';
import type { Codec } from '../src/codec/index.js';
import { CORE_TABLE, hex, makeAuto, makeCodec } from './helpers/codecs.js';
import { corrupt, EDGE_CODE_POINTS, exactUtf8, randomUtf8 } from './helpers/generators.js';
import { Rng } from './reference/random.js';
import { encodeCodePoint, referenceUtf8 } from './reference/utf8.js';

const bytesOf = (...parts: (number | readonly number[] | Uint8Array)[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'number' ? [p] : Array.from(p))));
const ascii = (n: number): Uint8Array => new Uint8Array(n).fill(0x61);

/** What validateUtf8 must return for `bytes` from state 0: the reference's verdict. */
function expected(bytes: Uint8Array): number {
  const v = referenceUtf8(bytes);
  return v.errorAt >= 0 ? -1 - v.errorAt : v.state;
}

const WEIGHTS = [[4, 2, 2, 2], [1, 1, 1, 1], [0, 0, 1, 0], [0, 0, 0, 1], [10, 1, 0, 0], [1, 0, 0, 0], [60, 1, 1, 1]];

/** 10,000 near-valid strings of 0-5,000 bytes, and 40 of 64-70 KiB; a quarter left valid. */
const corpus = (() => {
  const rng = new Rng('utf8 corpus');
  const out: Uint8Array[] = [];
  for (let i = 0; i < 10_040; i++) {
    const r = rng.float();
    const length = i >= 10_000 ? rng.range(65536, 70000) : r < 0.5 ? rng.int(65) : r < 0.8 ? rng.range(65, 512) : rng.range(513, 5000);
    out.push(corrupt(rng, randomUtf8(rng, length, rng.pick(WEIGHTS))));
  }
  return { rng, strings: out };
})();

/** Invalid sequences with the index of their first invalid byte. */
const BAD: readonly [name: string, bytes: number[], errorAt: number][] = [
  ['overlong C0 80', [0xc0, 0x80], 0],
  ['overlong C1 BF', [0xc1, 0xbf], 0],
  ['overlong E0 80 80', [0xe0, 0x80, 0x80], 1],
  ['overlong E0 9F BF', [0xe0, 0x9f, 0xbf], 1],
  ['overlong F0 80 80 80', [0xf0, 0x80, 0x80, 0x80], 1],
  ['overlong F0 8F BF BF', [0xf0, 0x8f, 0xbf, 0xbf], 1],
  ['surrogate ED A0 80', [0xed, 0xa0, 0x80], 1],
  ['surrogate ED BF BF', [0xed, 0xbf, 0xbf], 1],
  ['U+110000 F4 90 80 80', [0xf4, 0x90, 0x80, 0x80], 1],
  ['F5 80 80 80', [0xf5, 0x80, 0x80, 0x80], 0],
  ['FF', [0xff], 0],
  ['lone 80', [0x80], 0],
  ['lone BF', [0xbf], 0],
  ['E2 82 then ASCII', [0xe2, 0x82, 0x41], 2],
  ['C3 then ASCII', [0xc3, 0x41], 1],
  ['F4 8F BF then ASCII', [0xf4, 0x8f, 0xbf, 0x41], 3],
  ['F0 9F 98 then a lead', [0xf0, 0x9f, 0x98, 0xc3], 3],
  ['C3 A9 then a continuation', [0xc3, 0xa9, 0xa9], 2],
  ['E1 then a lead', [0xe1, 0xe1, 0x80, 0x80], 1],
];

describe('the reference validator', () => {
  it('agrees with buffer.isUtf8 and a fatal TextDecoder on the corpus', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    corpus.strings.forEach((bytes, i) => {
      const v = referenceUtf8(bytes);
      const valid = v.errorAt < 0 && v.state === 0;
      let decodes = true;
      try {
        decoder.decode(bytes);
      } catch {
        decodes = false;
      }
      expect([isUtf8(bytes), decodes], `${corpus.rng.note} string ${i}: ${hex(bytes)}`).toEqual([valid, valid]);
    });
  });

  it('finds the first invalid byte of each classic case', () => {
    for (const [name, bytes, at] of BAD) expect(referenceUtf8(Uint8Array.from(bytes)).errorAt, name).toBe(at);
    expect(referenceUtf8(bytesOf(0xf4, 0x8f, 0xbf, 0xbf))).toEqual({ errorAt: -1, state: 0, pending: 0 });
  });
});

describe.each(CORE_TABLE)('validateUtf8 on the %s core', (label) => {
  const codec: Codec = makeCodec(label);
  const check = (bytes: Uint8Array, note: string): void => {
    const want = expected(bytes);
    const got = codec.validateUtf8(bytes);
    if (got !== want) expect(got, `${note}: ${hex(bytes, 100)}`).toBe(want);
  };

  it('matches the reference on 10,000 near-valid strings and 40 of 64 KiB+', () => {
    corpus.strings.forEach((bytes, i) => check(bytes, `${corpus.rng.note} string ${i}`));
  });

  it('rejects every overlong, surrogate and out-of-range form at its first invalid byte', () => {
    for (const [name, bytes, at] of BAD) expect(codec.validateUtf8(Uint8Array.from(bytes)), name).toBe(-1 - at);
    for (let b1 = 0xa0; b1 <= 0xbf; b1++) {
      for (let b2 = 0x80; b2 <= 0xbf; b2++) {
        const before = (b1 * 7 + b2) % 90; // short inputs stay scalar; longer reach the SIMD blocks
        expect(codec.validateUtf8(bytesOf(ascii(before), 0xed, b1, b2, ascii(40))), hex([0xed, b1, b2])).toBe(-2 - before);
      }
    }
    for (const cp of EDGE_CODE_POINTS) expect(codec.validateUtf8(bytesOf(encodeCodePoint(cp))), cp.toString(16)).toBe(0);
    expect(codec.validateUtf8(bytesOf(0xf4, 0x8f, 0xbf, 0xbf)), 'U+10FFFF').toBe(0);
  });

  it('rejects lone continuations, C0, C1 and F5-FF wherever they stand', () => {
    const bad = [...Array.from({ length: 64 }, (_, i) => 0x80 + i), 0xc0, 0xc1, 0xf5, 0xf6, 0xf7, 0xf8, 0xfb, 0xfc, 0xfe, 0xff];
    for (const b of bad) {
      for (const before of [[], [0x41], Array.from(encodeCodePoint(0xe9)), Array.from(ascii(40))]) {
        expect(codec.validateUtf8(bytesOf(before, b, ascii(30))), hex([...before, b])).toBe(-1 - before.length);
      }
    }
  });

  it('finds one bad byte at each offset 0..200 of a long ASCII run', () => {
    for (let at = 0; at <= 200; at++) {
      for (const b of [0x80, 0xbf, 0xc0, 0xf8, 0xff]) {
        const bytes = ascii(256);
        bytes[at] = b;
        expect(codec.validateUtf8(bytes), `0x${b.toString(16)} at ${at}`).toBe(-1 - at);
      }
      const truncated = ascii(256);
      truncated[at] = 0xe2; // a lead followed by ASCII: the ASCII byte is the invalid one
      expect(codec.validateUtf8(truncated), `E2 at ${at}`).toBe(-2 - at);
      expect(codec.validateUtf8(bytesOf(ascii(at), 0xf0, 0x9f)), `F0 9F ending after ${at}`).toBe(2);
    }
  });

  it('places errors at every position mod 64 around the 16- and 64-byte block edges', () => {
    const rng = new Rng('utf8 block edges');
    for (let r = 0; r < 64; r++) {
      for (const [name, bad, at] of BAD) {
        for (const multibyte of [false, true]) {
          const length = 64 * rng.range(1, 20) + r;
          const prefix = multibyte ? exactUtf8(rng, length) : ascii(length);
          // An ASCII suffix lets the 64-byte ASCII fast path follow a block ending mid-sequence.
          const suffix = rng.bool() ? ascii(rng.range(0, 200)) : randomUtf8(rng, rng.range(0, 200));
          const bytes = bytesOf(prefix, bad, suffix);
          expect(codec.validateUtf8(bytes), `${rng.note}: ${name} at ${length}`).toBe(-1 - (length + at));
          const cp = rng.pick([0x80, 0x7ff, 0x800, 0xffff, 0x10000, 0x10ffff]);
          check(bytesOf(prefix, encodeCodePoint(cp), randomUtf8(rng, 100)), `${rng.note}: valid U+${cp.toString(16)} at ${length}`);
        }
      }
    }
  });

  it('carries the state of a sequence split at every byte boundary across two calls', () => {
    const states: Record<number, number[]> = {
      0xe9: [1], 0x7ff: [1], 0x800: [4, 1], 0x20ac: [2, 1], 0xd7ff: [5, 1], 0xe000: [2, 1], 0xffff: [2, 1],
      0x10000: [6, 2, 1], 0x1f600: [6, 2, 1], 0x40000: [3, 2, 1], 0x10ffff: [7, 2, 1],
    };
    for (const [cpText, afterK] of Object.entries(states)) {
      const seq = encodeCodePoint(Number(cpText));
      for (const before of [0, 1, 15, 16, 17, 63, 64, 100]) {
        for (let k = 1; k < seq.length; k++) {
          const note = `U+${Number(cpText).toString(16)} after ${before} ASCII, split after ${k}`;
          const state = codec.validateUtf8(bytesOf(ascii(before), seq.slice(0, k)));
          expect(state, note).toBe(afterK[k - 1]);
          expect(state, note).toBe(referenceUtf8(bytesOf(ascii(before), seq.slice(0, k))).state);
          for (const after of [0, 20, 70]) {
            expect(codec.validateUtf8(bytesOf(seq.slice(k), ascii(after)), state), `${note}, ${after} after`).toBe(0);
          }
          expect(codec.validateUtf8(bytesOf(0x41, seq.slice(k + 1)), state), `${note}, ASCII next`).toBe(-1);
          expect(codec.validateUtf8(new Uint8Array(0), state), `${note}, nothing next`).toBe(state);
        }
      }
    }
  });

  it('maps errors back to the same absolute offset when a string is split into 2-10 pieces', () => {
    const rng = new Rng('utf8 splits');
    for (let i = 0; i < 3000; i++) {
      const bytes = corpus.strings[rng.int(corpus.strings.length)];
      const cuts = [0, ...rng.cuts(bytes.length, rng.range(1, 9)), bytes.length];
      const want = referenceUtf8(bytes);
      let state = 0;
      let errorAt = -1;
      for (let p = 0; p + 1 < cuts.length && errorAt < 0; p++) {
        const r = codec.validateUtf8(bytes.subarray(cuts[p], cuts[p + 1]), state);
        if (r < 0) errorAt = cuts[p] + (-1 - r);
        else state = r;
      }
      const note = `${rng.note} case ${i}, cuts ${cuts.join(',')}: ${hex(bytes, 100)}`;
      expect([errorAt, errorAt < 0 ? state : 0], note).toEqual([want.errorAt, want.state]);
    }
  });
});

describe(`auto validateUtf8 around UTF8_CROSSOVER (${UTF8_CROSSOVER})`, () => {
  it('uses JS below the crossover and WebAssembly from it, with the same answers', () => {
    const auto = makeAuto();
    const rng = new Rng('utf8 crossover');
    const js = vi.spyOn(auto.js, 'validateUtf8');
    const wasm = vi.spyOn(auto.wasm, 'validateUtf8');
    for (const length of [0, UTF8_CROSSOVER - 1, UTF8_CROSSOVER, UTF8_CROSSOVER + 1, 3 * UTF8_CROSSOVER]) {
      for (let i = 0; i < 200; i++) {
        js.mockClear();
        wasm.mockClear();
        const bytes = corrupt(rng, exactUtf8(rng, length), rng.int(2)).subarray(0, length);
        const note = `${rng.note}: ${hex(bytes, 100)}`;
        expect(auto.validateUtf8(bytes), note).toBe(expected(bytes));
        expect([js.mock.calls.length, wasm.mock.calls.length], note).toEqual(bytes.length < UTF8_CROSSOVER ? [1, 0] : [0, 1]);
      }
    }
  });
});
