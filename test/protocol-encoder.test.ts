// Encoder: header bits (RFC 6455 section 5.2), masking (5.3: servers never, clients always with
// a fresh key), control frames (5.5), close payloads (5.5.1, 7.4) and auto-fragmentation
// (Autobahn 10.x). Frames are read back with the reference parser, not with our Decoder.
import { describe, expect, it } from 'vitest';
import {
  closePayload, Encoder, MAX_CLOSE_REASON, SEPARATE_PAYLOAD_MIN,
  OPCODE_BINARY, OPCODE_CLOSE, OPCODE_CONTINUATION, OPCODE_PING, OPCODE_PONG, OPCODE_TEXT,
} from '../src/protocol/index.js';
import { referenceParse } from './reference/frame-parser.js';
import { referenceMask } from './reference/mask.js';
import { Rng } from './reference/random.js';
import { binary, CORES, decode, show, text } from './protocol/harness.js';
import { ROLES, type Role } from './protocol/wire.js';

const concat = (parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
/** The frames in `bytes` as the reference reads them (a server reads a client's frames). */
function frames(bytes: Uint8Array, sender: Role) {
  const r = referenceParse(bytes, { server: sender === 'client', skipUtf8: true, allowRsv1: true });
  expect(r.error).toBeNull();
  return r.frames;
}
const VALID = (c: number): boolean => (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);

describe.each(CORES)('Encoder (%s core)', (_core, codec) => {
  it('server frames are unmasked, with minimal length forms at every edge', () => {
    const enc = new Encoder({ role: 'server', codec });
    for (const n of [0, 1, 125, 126, 127, 65535, 65536, 70000]) {
      const payload = new Uint8Array(n).fill(0x5a);
      const out = concat(enc.frame(OPCODE_BINARY, payload, false, true));
      const form = n < 126 ? 2 : n < 65536 ? 4 : 10;
      expect(out.length, `length ${n}`).toBe(form + n);
      expect(out[0]).toBe(0x40 | OPCODE_BINARY); // FIN clear, RSV1 set
      expect(out[1] & 0x80).toBe(0);
      expect(out[1] & 0x7f).toBe(n < 126 ? n : n < 65536 ? 126 : 127);
      expect(Buffer.from(out.subarray(form)).equals(payload)).toBe(true);
    }
  });

  it('client frames are masked with a different key each frame (3,000 frames, across key-pool refills)', () => {
    const enc = new Encoder({ role: 'client', codec });
    const payload = Uint8Array.from({ length: 40 }, (_, i) => i);
    const keys = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const out = enc.frameBuffer(i % 2 ? OPCODE_TEXT : OPCODE_PING, payload.subarray(0, i % 41));
      const n = i % 41;
      expect(out[0]).toBe(0x80 | (i % 2 ? OPCODE_TEXT : OPCODE_PING));
      expect(out[1]).toBe(0x80 | n);
      const key = out.subarray(2, 6);
      keys.add(Buffer.from(key).toString('hex'));
      expect(show(referenceMask(out.subarray(6), key))).toBe(show(payload.subarray(0, n)));
    }
    // 3,000 random 32-bit keys collide with probability ~0.1%: allow one.
    expect(keys.size).toBeGreaterThanOrEqual(2999);
    const other = new Encoder({ role: 'client', codec }).frameBuffer(OPCODE_PING, payload);
    expect(keys.has(Buffer.from(other.subarray(2, 6)).toString('hex'))).toBe(false);
  });

  it('frame() returns [header, payload] for unmasked payloads >= SEPARATE_PAYLOAD_MIN, one buffer otherwise', () => {
    const server = new Encoder({ role: 'server', codec });
    const client = new Encoder({ role: 'client', codec });
    for (const n of [0, 125, SEPARATE_PAYLOAD_MIN - 1, SEPARATE_PAYLOAD_MIN, SEPARATE_PAYLOAD_MIN + 1, 65536]) {
      const payload = new Uint8Array(n).fill(0xc3);
      const s = server.frame(OPCODE_BINARY, payload);
      expect(s, `server ${n}`).toHaveLength(n >= SEPARATE_PAYLOAD_MIN ? 2 : 1);
      if (s.length === 2) expect(s[1]).toBe(payload); // sent as is: no copy
      expect(frames(concat(s), 'server').map((f) => show(f.payload))).toEqual([show(payload)]);
      const c = client.frame(OPCODE_BINARY, payload);
      expect(c, `client ${n}`).toHaveLength(1);
      expect(frames(concat(c), 'client').map((f) => show(f.payload))).toEqual([show(payload)]);
    }
  });

  it("never mutates the caller's payload, and sends only a view's own bytes", () => {
    const rng = new Rng('encoder payload');
    for (const role of ROLES) {
      const enc = new Encoder({ role, codec });
      for (const n of [0, 1, 31, 32, 63, 64, 65, 1000, SEPARATE_PAYLOAD_MIN, 100_000]) {
        const backing = rng.bytes(n + 20);
        const payload = backing.subarray(7, 7 + n);
        const before = backing.slice();
        const out = [...enc.frame(OPCODE_BINARY, payload), enc.frameBuffer(OPCODE_TEXT, payload), ...enc.message(payload, true, { fragmentSize: 300 })];
        expect(Buffer.from(backing).equals(before), `${role} ${n}`).toBe(true);
        const got = frames(concat(out), role);
        expect(show(got[0].payload)).toBe(show(payload));
        expect(show(got[1].payload)).toBe(show(payload));
        expect(show(concat(got.slice(2).map((f) => f.payload)))).toBe(show(payload));
      }
    }
  });

  it('control frames: ping and pong up to 125 bytes, 126 throws RangeError', () => {
    for (const role of ROLES) {
      const enc = new Encoder({ role, codec });
      const out = concat([enc.control(OPCODE_PING), enc.control(OPCODE_PONG, new Uint8Array(125).fill(1))]);
      expect(frames(out, role).map((f) => [f.info, f.payload.length])).toEqual([[0x89, 0], [0x8a, 125]]);
      expect(() => enc.control(OPCODE_PING, new Uint8Array(126))).toThrow(RangeError);
      expect(() => enc.control(OPCODE_PONG, new Uint8Array(126))).toThrow(/at most 125 bytes/);
    }
  });

  it('close(): code and reason in one final frame', () => {
    for (const role of ROLES) {
      const enc = new Encoder({ role, codec });
      const got = frames(concat([enc.close(4000, 'bye')]), role);
      expect(got.map((f) => [f.info, show(f.payload)])).toEqual([[0x80 | OPCODE_CLOSE, show(Uint8Array.of(0x0f, 0xa0, 0x62, 0x79, 0x65))]]);
      expect(frames(concat([enc.close()]), role).map((f) => f.payload.length)).toEqual([0]);
      expect(() => enc.close(1000, 'x'.repeat(124))).toThrow(RangeError);
    }
  });

  // Autobahn 10.1.1 sends 65536 bytes auto-fragmented at 1300; here every fragment-size edge.
  it.each([1, 2, 3, 4, 125, 126, 127, 1300, 4096, 65535, 65536, 65537])('10 auto-fragmentation at fragmentSize %i', (size) => {
    const rng = new Rng(`autofrag ${size}`);
    const data = Uint8Array.from({ length: 65536 }, (_, i) => 0x20 + (i % 90));
    for (const role of ROLES) {
      const enc = new Encoder({ role, codec });
      // Tiny fragment sizes make 65,536 frames: one kind per role there, to keep runtime sane.
      const kinds = size >= 125 ? [[false, false], [true, false], [true, true]] : role === 'server' ? [[false, false]] : [[true, true]];
      for (const [isBinary, compressed] of kinds) {
        const out = concat(enc.message(data, isBinary, { fragmentSize: size, compressed }));
        const got = frames(out, role);
        const count = Math.ceil(data.length / size);
        expect(got).toHaveLength(count);
        const wrong = got.findIndex((f, i) => {
          const rsv1 = compressed && i === 0 ? 0x40 : 0;
          const fin = i === count - 1 ? 0x80 : 0;
          const info = fin | rsv1 | (i === 0 ? (isBinary ? OPCODE_BINARY : OPCODE_TEXT) : OPCODE_CONTINUATION);
          return f.info !== info || f.payload.length !== (i < count - 1 ? size : data.length - size * (count - 1));
        });
        expect(wrong, 'first frame with wrong header bits or length').toBe(-1);
        const cuts = rng.cuts(out.length, 50);
        const { recorder } = decode(out, cuts, { role: role === 'server' ? 'client' : 'server', codec, allowRsv1: true });
        expect(recorder.events, rng.note).toEqual([isBinary ? binary(data, compressed) : text(data)]);
      }
    }
  });

  it('fragmentSize 0, or not smaller than the message, gives one frame; an empty message is one frame', () => {
    const enc = new Encoder({ role: 'server', codec });
    const data = new Uint8Array(1000);
    for (const fragmentSize of [0, 1000, 5000, undefined]) expect(frames(concat(enc.message(data, true, { fragmentSize })), 'server')).toHaveLength(1);
    expect(frames(concat(enc.message(new Uint8Array(0), false, { fragmentSize: 10 })), 'server').map((f) => f.info)).toEqual([0x81]);
    expect(frames(concat(enc.text('héllo', { fragmentSize: 2 })), 'server').map((f) => f.payload.length)).toEqual([2, 2, 2]);
  });

  it('fragmentSize must be an integer >= 0 (NaN, -1, 1.5 throw RangeError)', () => {
    const enc = new Encoder({ role: 'server', codec });
    for (const fragmentSize of [NaN, -1, 1.5]) {
      expect(() => enc.message(new Uint8Array(10), true, { fragmentSize }), String(fragmentSize)).toThrow(RangeError);
    }
  });
});

describe('closePayload (RFC 6455 section 5.5.1, 7.4)', () => {
  it('no code: empty; code only: 2 bytes big-endian; code and reason', () => {
    expect(closePayload()).toHaveLength(0);
    expect(closePayload(undefined, '')).toHaveLength(0);
    expect(show(closePayload(1000))).toBe('[03e8]');
    expect(show(closePayload(4999, 'κ'))).toBe('[1387ceba]');
  });

  it('a Uint8Array reason contributes only its own bytes, never the rest of its buffer (ws CVE-2026-45736)', () => {
    const big = new Uint8Array(300).fill(0x21);
    big.set(Buffer.from('secret'), 100);
    const views = [new Uint8Array(big.buffer, 100, 6), big.subarray(100, 106), Buffer.from('secret'), Buffer.from(big.buffer, 100, 6)];
    for (const v of views) {
      expect(v.byteOffset > 0 || v.buffer.byteLength > v.length, 'a view over a larger buffer').toBe(true);
      expect(show(closePayload(1000, v))).toBe(show(Uint8Array.of(0x03, 0xe8, ...Buffer.from('secret'))));
    }
  });

  it(`reasons of ${MAX_CLOSE_REASON} bytes pass, ${MAX_CLOSE_REASON + 1} throw RangeError (bytes, not characters)`, () => {
    expect(closePayload(1000, 'a'.repeat(123))).toHaveLength(125);
    expect(closePayload(1000, 'é'.repeat(61) + 'a')).toHaveLength(125);
    expect(closePayload(1000, new Uint8Array(123))).toHaveLength(125);
    for (const reason of ['a'.repeat(124), 'é'.repeat(62), new Uint8Array(124), new Uint8Array(500).subarray(0, 124)]) {
      expect(() => closePayload(1000, reason)).toThrow(RangeError);
      expect(() => closePayload(1000, reason)).toThrow(/at most 123 bytes/);
    }
  });

  it('every code 0..5000 and 65535: valid iff 1000-1003, 1007-1014, 3000-4999; the rest throw RangeError', () => {
    for (let c = 0; c <= 5001; c++) {
      const code = c === 5001 ? 65535 : c;
      if (VALID(code)) expect(show(closePayload(code))).toBe(show(Uint8Array.of(code >> 8, code & 0xff)));
      else expect(() => closePayload(code), String(code)).toThrow(/invalid close code .*1000-1003, 1007-1014 or 3000-4999/);
    }
    for (const code of [1000.5, NaN, -1000, 65536 + 1000, Infinity]) expect(() => closePayload(code), String(code)).toThrow(RangeError);
  });

  it('a reason without a code throws TypeError', () => {
    expect(() => closePayload(undefined, 'why')).toThrow(TypeError);
    expect(() => closePayload(undefined, Uint8Array.of(1))).toThrow(/needs a close code/);
  });
});
