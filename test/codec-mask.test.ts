// Masking (RFC 6455 section 5.3) on every core against the byte-loop reference.
import { describe, expect, it, vi } from 'vitest';
import { maskKey } from '../src/codec/index.js';
import { MASK_CROSSOVER } from '../src/codec/auto.js';
import { CORE_TABLE, firstDifference, hex, makeAuto, makeCodec } from './helpers/codecs.js';
import { referenceMask } from './reference/mask.js';
import { Rng } from './reference/random.js';

/** Mostly small, some 16-bit, a tenth up to 70,000 bytes (past one 64 KiB page). */
function randomLength(rng: Rng): number {
  const r = rng.float();
  if (r < 0.7) return rng.int(257);
  if (r < 0.9) return rng.range(257, 4096);
  return rng.range(4097, 70000);
}

/** Phase 0-3, or any count of bytes before (only its value mod 4 matters). */
function randomPhase(rng: Rng): number {
  return rng.bool(0.8) ? rng.int(4) : rng.int(1 << 20);
}

describe('maskKey', () => {
  it('packs the wire bytes little-endian: byte 0 in bits 0-7', () => {
    expect(maskKey([0x01, 0x02, 0x03, 0x04])).toBe(0x04030201);
    expect(maskKey([0xff, 0x00, 0x00, 0x80])).toBe(0x800000ff);
    expect(maskKey([9, 9, 0x37, 0xfa, 0x21, 0x3d], 2)).toBe(0x3d21fa37);
  });
});

describe('the reference mask', () => {
  it('reproduces RFC 6455 section 5.7: "Hello" masked with 37 fa 21 3d', () => {
    const hello = new TextEncoder().encode('Hello');
    expect(hex(referenceMask(hello, [0x37, 0xfa, 0x21, 0x3d]))).toBe('7f 9f 4d 51 58');
  });
});

describe.each(CORE_TABLE)('mask on the %s core', (label) => {
  const codec = makeCodec(label);

  function check(data: Uint8Array, key: Uint8Array, phase: number, note: string): void {
    const want = referenceMask(data, key, phase);
    const got = data.slice();
    codec.mask(got, maskKey(key), phase);
    const at = firstDifference(got, want);
    if (at >= 0) {
      expect.fail(`${note}: length ${data.length} key ${hex(key)} phase ${phase}: first wrong byte ${at} (${got[at]} != ${want[at]})`);
    }
  }

  it('matches the byte loop on 10,000 seeded random (length, key, phase) cases', () => {
    const rng = new Rng('mask random');
    for (let i = 0; i < 10_000; i++) {
      const data = rng.bytes(randomLength(rng));
      check(data, rng.bytes(4), randomPhase(rng), `${rng.note} case ${i}`);
    }
  });

  it('matches on every length 0-64 at every phase 0-3', () => {
    const rng = new Rng('mask small');
    for (const key of [Uint8Array.of(0x37, 0xfa, 0x21, 0x3d), Uint8Array.of(0xff, 0, 0x80, 1), rng.bytes(4)]) {
      for (let length = 0; length <= 64; length++) {
        for (let phase = 0; phase < 4; phase++) check(rng.bytes(length), key, phase, `${rng.note}`);
      }
    }
  });

  it('restores the input when applied twice', () => {
    const rng = new Rng('mask twice');
    for (let i = 0; i < 500; i++) {
      const original = rng.bytes(randomLength(rng));
      const key = maskKey(rng.bytes(4));
      const phase = randomPhase(rng);
      const data = original.slice();
      codec.mask(data, key, phase);
      codec.mask(data, key, phase);
      expect(firstDifference(data, original), `${rng.note} case ${i}`).toBe(-1);
    }
  });

  it('masks a payload in random pieces with the running phase as it masks it whole', () => {
    const rng = new Rng('mask pieces');
    for (let i = 0; i < 500; i++) {
      const whole = rng.bytes(i % 50 === 0 ? rng.range(65536, 70000) : rng.int(3000));
      const keyBytes = rng.bytes(4);
      const want = referenceMask(whole, keyBytes);
      const got = whole.slice();
      const cuts = [0, ...rng.cuts(whole.length, rng.range(1, 12)), whole.length];
      for (let p = 0; p + 1 < cuts.length; p++) {
        // The phase may be passed as is or reduced mod 4.
        const phase = rng.bool() ? cuts[p] : cuts[p] & 3;
        codec.mask(got.subarray(cuts[p], cuts[p + 1]), maskKey(keyBytes), phase);
      }
      expect(firstDifference(got, want), `${rng.note} case ${i}, cuts ${cuts.join(',')}`).toBe(-1);
    }
  });

  it('masks unaligned subarrays and leaves the bytes around them alone', () => {
    const rng = new Rng('mask unaligned');
    for (let i = 0; i < 400; i++) {
      const length = i < 200 ? i : randomLength(rng);
      const offset = rng.range(1, 15);
      const backing = rng.bytes(offset + length + 16);
      const before = backing.slice();
      const view = backing.subarray(offset, offset + length);
      const keyBytes = rng.bytes(4);
      const phase = randomPhase(rng);
      codec.mask(view, maskKey(keyBytes), phase);
      const want = before.slice();
      want.set(referenceMask(before.subarray(offset, offset + length), keyBytes, phase), offset);
      expect(firstDifference(backing, want), `${rng.note} case ${i}: offset ${offset} length ${length}`).toBe(-1);
    }
  });
});

describe(`auto mask around MASK_CROSSOVER (${MASK_CROSSOVER})`, () => {
  it('uses JS below the crossover and WebAssembly from it, both correct', () => {
    const auto = makeAuto();
    const rng = new Rng('mask crossover');
    const js = vi.spyOn(auto.js, 'mask');
    const wasm = vi.spyOn(auto.wasm, 'mask');
    for (const length of [0, 1, MASK_CROSSOVER - 1, MASK_CROSSOVER, MASK_CROSSOVER + 1, 4 * MASK_CROSSOVER + 3]) {
      for (let phase = 0; phase < 4; phase++) {
        js.mockClear();
        wasm.mockClear();
        const data = rng.bytes(length);
        const keyBytes = rng.bytes(4);
        const got = data.slice();
        auto.mask(got, maskKey(keyBytes), phase);
        const note = `${rng.note}: length ${length} phase ${phase}`;
        expect(firstDifference(got, referenceMask(data, keyBytes, phase)), note).toBe(-1);
        expect(js.mock.calls.length, note).toBe(length < MASK_CROSSOVER ? 1 : 0);
        expect(wasm.mock.calls.length, note).toBe(length < MASK_CROSSOVER ? 0 : 1);
      }
    }
  });
});
