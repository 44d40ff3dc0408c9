// codec.parse on every core: each header form, each violation with its WS_ERR_* code,
// close code and offset (RFC 6455 sections 5, 7.4, 8.1; RFC 7692 section 6), whole and
// in random chunks, against the reference parser and explicit expectations.
import { describe, expect, it } from 'vitest';
import { ParserState, type Codec } from '../src/codec/index.js';
import {
  E_RSV1, E_RSV23, E_OPCODE, E_CONTROL_FIN, E_CONTROL_LENGTH, E_MASK_EXPECTED, E_MASK_UNEXPECTED,
  E_LENGTH_MSB, E_CONTINUATION, E_EXPECTED_CONTINUATION, E_UTF8, E_TOO_BIG, E_CLOSE_LENGTH,
  E_CLOSE_CODE, E_CLOSE_UTF8, F_CLOSED, F_COMPRESSED, MAX_CARRY, O_ALLOW_RSV1, O_SERVER, O_SKIP_UTF8, S_FLAGS,
} from '../src/codec/layout.js';
import { CORE_TABLE, hex, makeCodec } from './helpers/codecs.js';
import { outcome, parseStream } from './helpers/parse-stream.js';
import { expectedOutcome, NO_LIMIT, randomCuts } from './helpers/parse-cases.js';
import { buildFrame, concatBytes, type FrameSpec } from './reference/frame-builder.js';
import { Rng } from './reference/random.js';

const KEY = [0x37, 0xfa, 0x21, 0x3d];
const CLIENT = 0;
const SERVER = O_SERVER;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const u8 = (...b: number[]): Uint8Array => Uint8Array.from(b);
/** A frame as the peer of `options` sends it: masked to a server, unmasked to a client. */
const frame = (options: number, spec: FrameSpec): Uint8Array =>
  buildFrame({ mask: (options & O_SERVER) !== 0 ? KEY : null, ...spec });
/** Valid frames before each violation, so offsets are not trivially 0. */
const lead = (o: number): Uint8Array =>
  concatBytes([frame(o, { opcode: 0x9, payload: text('hi') }), frame(o, { opcode: 0x2, payload: new Uint8Array(300).fill(7) })]);

interface Violation {
  name: string;
  options: number;
  /** The offending frames (the lead frames go before them). */
  bytes: (o: number) => Uint8Array;
  code: number;
  wsErr: string;
  closeCode: number;
  /** Offset of the offending byte within `bytes`. */
  at: number;
  maxPayload?: number;
}

const v = (name: string, options: number, bytes: (o: number) => Uint8Array, code: number, wsErr: string, closeCode: number, at: number, maxPayload?: number): Violation =>
  ({ name, options, bytes, code, wsErr, closeCode, at, maxPayload });
const RSV1 = 'WS_ERR_UNEXPECTED_RSV_1';
const OPCODE = 'WS_ERR_INVALID_OPCODE';
const TOO_BIG = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
const UTF8 = 'WS_ERR_INVALID_UTF8';
const hl = (o: number): number => ((o & O_SERVER) !== 0 ? 6 : 2);

const VIOLATIONS: Violation[] = [
  v('RSV1 without O_ALLOW_RSV1', SERVER, (o) => frame(o, { opcode: 1, rsv1: true, payload: text('x') }), E_RSV1, RSV1, 1002, 0),
  v('RSV1 on a continuation, even with O_ALLOW_RSV1', SERVER | O_ALLOW_RSV1, (o) => concatBytes([
    frame(o, { opcode: 1, rsv1: true, fin: false, payload: text('a') }), frame(o, { opcode: 0, rsv1: true, payload: text('b') })]), E_RSV1, RSV1, 1002, 7),
  v('RSV1 on a ping, even with O_ALLOW_RSV1', CLIENT | O_ALLOW_RSV1, (o) => frame(o, { opcode: 9, rsv1: true }), E_RSV1, RSV1, 1002, 0),
  v('RSV1 on a close, even with O_ALLOW_RSV1', SERVER | O_ALLOW_RSV1, (o) => frame(o, { opcode: 8, rsv1: true }), E_RSV1, RSV1, 1002, 0),
  v('RSV2', SERVER, (o) => frame(o, { opcode: 2, rsv2: true }), E_RSV23, 'WS_ERR_UNEXPECTED_RSV_2_3', 1002, 0),
  v('RSV3', CLIENT, (o) => frame(o, { opcode: 9, rsv3: true }), E_RSV23, 'WS_ERR_UNEXPECTED_RSV_2_3', 1002, 0),
  ...[3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf].flatMap((op) => [SERVER, CLIENT].map((role) =>
    v(`reserved opcode ${op} to a ${role === SERVER ? 'server' : 'client'}`, role, (o) => frame(o, { opcode: op, payload: text('x') }), E_OPCODE, OPCODE, 1002, 0))),
  v('ping without FIN', SERVER, (o) => frame(o, { opcode: 9, fin: false }), E_CONTROL_FIN, 'WS_ERR_EXPECTED_FIN', 1002, 0),
  v('close without FIN', CLIENT, (o) => frame(o, { opcode: 8, fin: false }), E_CONTROL_FIN, 'WS_ERR_EXPECTED_FIN', 1002, 0),
  v('ping of 126 bytes', SERVER, (o) => frame(o, { opcode: 9, payload: new Uint8Array(126) }), E_CONTROL_LENGTH, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 1002, 0),
  v('pong with a 64-bit length', CLIENT, (o) => frame(o, { opcode: 0xa, payload: new Uint8Array(5), form: 64 }), E_CONTROL_LENGTH, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 1002, 0),
  v('unmasked frame to a server', SERVER, () => buildFrame({ opcode: 1, payload: text('x') }), E_MASK_EXPECTED, 'WS_ERR_EXPECTED_MASK', 1002, 0),
  v('masked frame to a client', CLIENT, () => buildFrame({ opcode: 2, mask: KEY }), E_MASK_UNEXPECTED, 'WS_ERR_UNEXPECTED_MASK', 1002, 0),
  v('64-bit length with the top bit set', SERVER, (o) => frame(o, { opcode: 2, form: 64, declaredLength: 1n << 63n }), E_LENGTH_MSB, 'WS_ERR_INVALID_PAYLOAD_LENGTH', 1002, 2),
  v('64-bit length of all ones', CLIENT, (o) => frame(o, { opcode: 2, form: 64, declaredLength: (1n << 64n) - 1n }), E_LENGTH_MSB, 'WS_ERR_INVALID_PAYLOAD_LENGTH', 1002, 2),
  v('64-bit length of 2^32', SERVER, (o) => frame(o, { opcode: 2, form: 64, declaredLength: 1n << 32n }), E_TOO_BIG, TOO_BIG, 1009, 0),
  v('64-bit length of 2^63 - 1', CLIENT, (o) => frame(o, { opcode: 1, form: 64, declaredLength: (1n << 63n) - 1n }), E_TOO_BIG, TOO_BIG, 1009, 0),
  v('a frame over maxPayload', SERVER, (o) => frame(o, { opcode: 2, payload: new Uint8Array(1001) }), E_TOO_BIG, TOO_BIG, 1009, 0, 1000),
  v('a fragmented message over maxPayload', CLIENT, (o) => concatBytes([
    frame(o, { opcode: 1, fin: false, payload: text('a'.repeat(600)) }), frame(o, { opcode: 9 }),
    frame(o, { opcode: 0, payload: text('b'.repeat(401)) })]), E_TOO_BIG, TOO_BIG, 1009, 604 + 2, 1000),
  v('a continuation without a message', SERVER, (o) => frame(o, { opcode: 0, payload: text('x') }), E_CONTINUATION, 'WS_ERR_UNEXPECTED_CONTINUATION', 1002, 0),
  v('a new data frame while fragmented', CLIENT, (o) => concatBytes([
    frame(o, { opcode: 2, fin: false, payload: text('ab') }), frame(o, { opcode: 1, payload: text('c') })]), E_EXPECTED_CONTINUATION, 'WS_ERR_EXPECTED_CONTINUATION', 1002, 4),
  v('invalid UTF-8 in a text frame', SERVER, (o) => frame(o, { opcode: 1, payload: u8(0x61, 0x62, 0xed, 0xa0, 0x80) }), E_UTF8, UTF8, 1007, 6 + 3),
  v('invalid UTF-8 split across continuations', CLIENT, (o) => concatBytes([
    frame(o, { opcode: 1, fin: false, payload: u8(0x61, 0xe2, 0x82) }), frame(o, { opcode: 0xa }),
    frame(o, { opcode: 0, payload: u8(0x28, 0x61) })]), E_UTF8, UTF8, 1007, 5 + 2 + 2),
  v('a text message ending mid-code-point', SERVER, (o) => concatBytes([
    frame(o, { opcode: 1, fin: false, payload: u8(0x61) }), frame(o, { opcode: 0, payload: u8(0xf0, 0x9f, 0x98) })]), E_UTF8, UTF8, 1007, 7 + 6 + 3),
  v('a text message ending mid-code-point in an empty final frame', CLIENT, (o) => concatBytes([
    frame(o, { opcode: 1, fin: false, payload: u8(0xc3) }), frame(o, { opcode: 0 })]), E_UTF8, UTF8, 1007, 3 + 2),
  v('a close payload of 1 byte', SERVER, (o) => frame(o, { opcode: 8, payload: u8(0x03) }), E_CLOSE_LENGTH, 'WS_ERR_INVALID_CLOSE_PAYLOAD', 1002, 6),
  v('a close code of 1005', CLIENT, (o) => frame(o, { opcode: 8, payload: u8(0x03, 0xed) }), E_CLOSE_CODE, 'WS_ERR_INVALID_CLOSE_CODE', 1002, 2),
  v('a close reason with invalid UTF-8', SERVER, (o) => frame(o, { opcode: 8, payload: u8(0x03, 0xe8, 0x6f, 0x6b, 0xc0, 0xaf) }), E_CLOSE_UTF8, 'WS_ERR_INVALID_CLOSE_REASON', 1007, 6 + 4),
  v('a close reason ending mid-code-point', CLIENT, (o) => frame(o, { opcode: 8, payload: u8(0x03, 0xe8, 0x6f, 0xe2, 0x82) }), E_CLOSE_UTF8, 'WS_ERR_INVALID_CLOSE_REASON', 1007, 2 + 5),
];

const LENGTHS = [0, 1, 125, 126, 127, 65535, 65536, 70000];
const VALID_CLOSE = (c: number): boolean => (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);

describe.each(CORE_TABLE)('parse on the %s core', (label) => {
  const codec: Codec = makeCodec(label);

  /** Parses whole, byte by byte (small inputs) and in random chunks: all must agree. */
  function everyWay(bytes: Uint8Array, options: number, maxPayload: number, note: string, rng: Rng) {
    const whole = parseStream(codec, bytes, [], options, maxPayload);
    const want = expectedOutcome(bytes, options, maxPayload);
    expect(whole.anomalies, note).toEqual([]);
    expect(outcome(whole), `${note}: whole`).toEqual(want);
    const ways = bytes.length <= 2000 ? [Array.from({ length: bytes.length }, (_, i) => i)] : [];
    for (let i = 0; i < 12; i++) ways.push(randomCuts(rng, bytes.length));
    for (const cuts of ways) {
      const run = parseStream(codec, bytes, cuts, options, maxPayload);
      expect(run.anomalies, note).toEqual([]);
      expect(outcome(run), `${rng.note} ${note}: cuts ${cuts.join(',')}`).toEqual(want);
    }
    return whole;
  }

  it.each(VIOLATIONS.map((c) => [c.name, c] as const))('reports %s', (_, c) => {
    const rng = new Rng(`violation ${c.name}`);
    const before = lead(c.options);
    const bytes = concatBytes([before, c.bytes(c.options)]);
    const run = everyWay(bytes, c.options, c.maxPayload ?? NO_LIMIT, `${c.name}: ${hex(bytes.subarray(before.length))}`, rng);
    expect(run.error).toEqual({ code: c.code, name: c.wsErr, closeCode: c.closeCode, offset: before.length + c.at });
    expect(run.frames.length).toBeGreaterThanOrEqual(2);
  });

  it.each(LENGTHS)('parses a %i-byte payload in its header form, masked and unmasked', (length) => {
    const rng = new Rng(`forms ${length}`);
    for (const options of [SERVER, CLIENT]) {
      for (const opcode of [1, 2]) {
        const payload = new Uint8Array(length).fill(0x41 + opcode);
        const bytes = concatBytes([frame(options, { opcode, payload }), frame(options, { opcode: 0xa, payload: text('p') })]);
        const run = everyWay(bytes, options, NO_LIMIT, `length ${length} options ${options}`, rng);
        const extended = length <= 125 ? 0 : length <= 0xffff ? 2 : 8;
        expect(run.frames.map((f) => [f.info, f.headerLength, f.payload.length, f.messageEnd])).toEqual([
          [0x80 | opcode, hl(options) + extended, length, true], [0x8a, hl(options), 1, false]]);
        expect(run.frames[0].payload.every((b) => b === 0x41 + opcode)).toBe(true);
        for (const form of [16, 64] as const) {
          if (length > 0xffff && form === 16) continue;
          everyWay(frame(options, { opcode, payload, form }), options, NO_LIMIT, `non-minimal ${form}-bit length ${length}`, rng);
        }
      }
    }
  });

  it('stops at the header of a frame over maxPayload before its payload arrives', () => {
    for (const [options, maxPayload] of [[SERVER, 0], [CLIENT, 125], [SERVER, 65535], [CLIENT, 69999]]) {
      const big = frame(options, { opcode: 2, payload: new Uint8Array(maxPayload + 1) });
      const ping = frame(options, { opcode: 9, payload: text('ping') });
      const headerOnly = concatBytes([ping, big.subarray(0, big.length - maxPayload - 1)]);
      const run = parseStream(codec, headerOnly, [], options, maxPayload);
      expect(run.error, `maxPayload ${maxPayload}`).toEqual({ code: E_TOO_BIG, name: TOO_BIG, closeCode: 1009, offset: ping.length });
      const exact = frame(options, { opcode: 2, payload: new Uint8Array(maxPayload) });
      expect(parseStream(codec, exact, [], options, maxPayload).error, `exactly maxPayload ${maxPayload}`).toBeNull();
    }
  });

  it('fails fast on invalid UTF-8 in the first chunk of a large text frame', () => {
    for (const options of [SERVER, CLIENT]) {
      const payload = new Uint8Array(70000).fill(0x61);
      payload[1000] = 0xff;
      const whole = frame(options, { opcode: 1, payload });
      const state = new ParserState();
      const run = parseStream(codec, whole.subarray(0, 4000), [], options, NO_LIMIT, state);
      expect(run.error).toEqual({ code: E_UTF8, name: UTF8, closeCode: 1007, offset: whole.length - 70000 + 1000 });
    }
  });

  it('accepts valid UTF-8 split inside code points across fragments with a ping between', () => {
    const rng = new Rng('utf8 fragments');
    for (const options of [SERVER, CLIENT]) {
      const bytes = concatBytes([
        frame(options, { opcode: 1, fin: false, payload: u8(0x61, 0xf0, 0x9f) }), frame(options, { opcode: 9, payload: text('x') }),
        frame(options, { opcode: 0, fin: false, payload: u8(0x98) }), frame(options, { opcode: 0, payload: u8(0x80, 0xe2, 0x82, 0xac) }),
      ]);
      const run = everyWay(bytes, options, NO_LIMIT, 'split code points', rng);
      expect(run.frames.map((f) => [f.info, hex(f.payload), f.messageEnd])).toEqual([
        [0x01, '61 f0 9f', false], [0x89, '78', false], [0x00, '98', false], [0x80, '80 e2 82 ac', true]]);
    }
  });

  it('accepts close codes 1000-1003, 1007-1014 and 3000-4999 only (RFC 6455 section 7.4)', () => {
    for (let code = 0; code <= 5000; code++) {
      const bytes = frame(SERVER, { opcode: 8, payload: u8(code >> 8, code & 0xff, 0x6f, 0x6b) });
      const run = parseStream(codec, bytes, [], SERVER, NO_LIMIT);
      const want = VALID_CLOSE(code) ? null : { code: E_CLOSE_CODE, name: 'WS_ERR_INVALID_CLOSE_CODE', closeCode: 1002, offset: 6 };
      expect(run.error, `close code ${code}`).toEqual(want);
      expect(run.frames.length, `close code ${code}`).toBe(want === null ? 1 : 0);
    }
  });

  it('ignores everything after a close frame (F_CLOSED)', () => {
    const rng = new Rng('after close');
    for (const options of [SERVER, CLIENT]) {
      const close = frame(options, { opcode: 8, payload: u8(0x03, 0xe8) });
      const garbage = rng.bytes(3000);
      const run = everyWay(concatBytes([lead(options), close, garbage]), options, NO_LIMIT, 'after close', rng);
      expect(run.frames.at(-1)?.info).toBe(0x88);
      expect(run.state.words[S_FLAGS] & F_CLOSED).toBe(F_CLOSED);
      for (const chunk of [garbage.subarray(0, 1), garbage, new Uint8Array(0)]) {
        const carried = run.state.carry?.length ?? 0;
        expect(codec.parse(run.state, chunk.slice(), options, NO_LIMIT)).toBe(0);
        expect(Array.from(codec.result), 'consumes everything, no error').toEqual([carried + chunk.length, 0, 0, 0]);
        expect(run.state.carry).toBeNull();
      }
    }
  });

  it('consumes the rest of the chunk that holds the close frame (carry stays within MAX_CARRY)', () => {
    for (const options of [SERVER, CLIENT]) {
      const bytes = concatBytes([frame(options, { opcode: 8 }), new Uint8Array(1000).fill(0x82)]);
      const state = new ParserState();
      expect(codec.parse(state, bytes.slice(), options, NO_LIMIT)).toBe(1);
      expect(state.words[S_FLAGS] & F_CLOSED).toBe(F_CLOSED);
      expect(state.carry?.length ?? 0, `${hex(bytes)}: bytes left in carry`).toBeLessThanOrEqual(MAX_CARRY);
    }
  });

  it('skips text validation with O_SKIP_UTF8', () => {
    const rng = new Rng('skip utf8');
    const bytes = concatBytes([frame(SERVER, { opcode: 1, payload: u8(0xff, 0xed, 0xa0, 0x80) }), frame(SERVER, { opcode: 1, fin: false, payload: u8(0xe2) }), frame(SERVER, { opcode: 0, payload: u8(0x61) })]);
    const run = everyWay(bytes, SERVER | O_SKIP_UTF8, NO_LIMIT, 'skip utf8', rng);
    expect(run.error).toBeNull();
    expect(run.frames.map((f) => hex(f.payload))).toEqual(['ff ed a0 80', 'e2', '61']);
  });

  it('marks an RSV1 message compressed: no UTF-8 check; maxPayload bounds its wire bytes', () => {
    const rng = new Rng('compressed');
    for (const options of [SERVER | O_ALLOW_RSV1, CLIENT | O_ALLOW_RSV1]) {
      const first = frame(options, { opcode: 1, rsv1: true, fin: false, payload: u8(0xff, 0xfe, 0xfd) });
      const bytes = concatBytes([first, frame(options, { opcode: 0, payload: new Uint8Array(200).fill(0xc0) }), frame(options, { opcode: 1, payload: text('ok') })]);
      const run = everyWay(bytes, options, 203, 'compressed', rng);
      expect(run.error).toBeNull();
      expect(run.frames.map((f) => [f.info, f.payload.length, f.messageEnd])).toEqual([[0x41, 3, false], [0x80, 200, true], [0x81, 2, true]]);
      // Since 9be91b6 a compressed message is bounded on the wire too (empty deflate blocks).
      expect(everyWay(bytes, options, 202, 'compressed over maxPayload', rng).error)
        .toEqual({ code: E_TOO_BIG, name: TOO_BIG, closeCode: 1009, offset: first.length });
      const state = new ParserState();
      parseStream(codec, first, [], options, 203, state);
      expect(state.words[S_FLAGS] & F_COMPRESSED, 'F_COMPRESSED while the message is open').toBe(F_COMPRESSED);
    }
  });
});
