// Encoder → Decoder round trips, byte-exact: every message size class, text and binary, both
// directions, fragment sizes on both sides of every length-form edge, fed whole and in seeded
// random chunks; and one 16 MiB frame fed 4 KiB at a time.
import { describe, expect, it } from 'vitest';
import type { Codec } from '../src/codec/index.js';
import { Decoder, Encoder, type DecoderHandler } from '../src/protocol/index.js';
import { exactUtf8 } from './helpers/generators.js';
import { Rng } from './reference/random.js';
import { bounds, CORES, decode, ping, pong, close, binary, text, type Event } from './protocol/harness.js';
import { ROLES, type Role } from './protocol/wire.js';

const SIZES = [0, 125, 126, 65535, 65536, 1 << 20];
const FRAGMENT_SIZES = [0, 1, 7, 125, 126, 4096, 65535, 65536];
const peer = (role: Role): Role => (role === 'server' ? 'client' : 'server');

const payloads = new Map<string, Uint8Array>();
function payload(size: number, isText: boolean): Uint8Array {
  const key = `${size} ${isText}`;
  let p = payloads.get(key);
  if (p === undefined) {
    const rng = new Rng(`roundtrip payload ${key}`);
    p = isText ? exactUtf8(rng, size) : rng.bytes(size);
    payloads.set(key, p);
  }
  return p;
}

/** Decodes and returns the single message, checking nothing else arrived. */
function roundTrip(codec: Codec, sender: Role, data: Uint8Array, isText: boolean, fragmentSize: number, cuts: (n: number) => number[]): void {
  const enc = new Encoder({ role: sender, codec });
  const wire = new Uint8Array(Buffer.concat(enc.message(data, !isText, { fragmentSize })));
  const got: { data: Uint8Array; isBinary: boolean }[] = [];
  const others: string[] = [];
  const handler: DecoderHandler = {
    onMessage: (d, isBinary) => void got.push({ data: d, isBinary }),
    onPing: () => void others.push('ping'), onPong: () => void others.push('pong'),
    onClose: () => void others.push('close'), onError: (e) => void others.push(e.message),
  };
  // 1 MiB in 7-byte fragments is 149,797 frames: above the default maxFragments (131,072).
  const decoder = new Decoder({ role: peer(sender), codec, maxFragments: 1 << 20 }, handler);
  for (const [a, b] of bounds(wire.length, cuts(wire.length))) decoder.feed(wire.subarray(a, b)); // the wire buffer is ours to unmask
  const note = `${sender} → ${peer(sender)}, ${isText ? 'text' : 'binary'} ${data.length}, fragmentSize ${fragmentSize}`;
  expect(others, note).toEqual([]);
  expect(got.length, note).toBe(1);
  expect(got[0].isBinary, note).toBe(!isText);
  const same = Buffer.from(got[0].data.buffer, got[0].data.byteOffset, got[0].data.length).equals(data);
  expect(same, `${note}: bytes differ`).toBe(true);
}

describe.each(CORES)('round trips (%s core)', (_core, codec) => {
  describe.each(ROLES.map((r) => [r]))('Encoder role %s', (sender) => {
    it.each(SIZES)('messages of %i bytes, every fragment size, whole and random chunks', (size) => {
      const rng = new Rng(`roundtrip cuts ${size} ${sender}`);
      for (const isText of [true, false]) {
        const data = payload(size, isText);
        for (const fs of FRAGMENT_SIZES) {
          if (fs > 0 && fs >= size) continue; // the same single frame as fragmentSize 0
          if (fs === 1 && size > 65536) continue;
          roundTrip(codec, sender, data, isText, fs, () => []);
          // A few big random chunks and, for smaller wires, many small ones.
          roundTrip(codec, sender, data, isText, fs, (n) => rng.cuts(n, n > 200_000 ? rng.range(1, 40) : rng.range(1, Math.max(1, n >> 4))));
        }
      }
    });

    it('a mixed conversation survives any chunking', () => {
      const rng = new Rng(`conversation ${sender}`);
      const enc = new Encoder({ role: sender, codec });
      const parts: Uint8Array[] = [];
      const want: Event[] = [];
      for (let i = 0; i < 200; i++) {
        const kind = rng.int(5);
        const n = rng.pick([0, 1, 125, 126, 300, 5000, 70000]);
        if (kind === 0) {
          const p = rng.bytes(rng.int(126));
          parts.push(enc.control(0x9, p));
          want.push(ping(p));
        } else if (kind === 1) {
          const p = rng.bytes(rng.int(126));
          parts.push(enc.control(0xa, p));
          want.push(pong(p));
        } else {
          const isText = kind === 2;
          const data = isText ? exactUtf8(rng, n) : rng.bytes(n);
          parts.push(...enc.message(data, !isText, { fragmentSize: rng.pick([0, 0, 1, 3, 125, 1000, 4096]) }));
          want.push(isText ? text(data) : binary(data));
        }
      }
      parts.push(enc.close(3001, 'done'));
      want.push(close(3001, 'done'));
      const wire = new Uint8Array(Buffer.concat(parts));
      for (const cuts of [[], rng.cuts(wire.length, 20), rng.cuts(wire.length, 5000)]) {
        const { recorder } = decode(wire, cuts, { role: peer(sender), codec });
        expect(recorder.events, rng.note).toEqual(want);
      }
    });
  });

  it('one 16 MiB text frame from a client, fed 4 KiB at a time', () => {
    const block = exactUtf8(new Rng('16 MiB block'), 65536);
    const data = new Uint8Array(16 << 20);
    for (let at = 0; at < data.length; at += block.length) data.set(block, at);
    const wire = new Encoder({ role: 'client', codec }).frameBuffer(0x1, data);
    let got: Uint8Array | undefined;
    let calls = 0;
    const decoder = new Decoder({ role: 'server', codec }, {
      onMessage: (d) => void ((got = d), calls++), onPing() {}, onPong() {}, onClose() {},
      onError: (e) => expect.fail(e.message),
    });
    for (let at = 0; at < wire.length; at += 4096) decoder.feed(wire.subarray(at, Math.min(at + 4096, wire.length)));
    expect(calls).toBe(1);
    expect(Buffer.from(got!.buffer, got!.byteOffset, got!.length).equals(data)).toBe(true);
  });
});
