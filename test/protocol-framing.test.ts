// Decoder conformance, RFC 6455 section 5 (base framing, control frames, fragmentation), after
// the Autobahn TestSuite cases 1-5. Case names cite the Autobahn case they follow.
import { runCases, type Case } from './protocol/cases.js';
import { binary, error, ping, pong, text, type Event } from './protocol/harness.js';

const star = (n: number): Uint8Array => new Uint8Array(n).fill(0x2a); // Autobahn's '*' text
const fe = (n: number): Uint8Array => new Uint8Array(n).fill(0xfe);
const SIZES = [0, 125, 126, 127, 128, 65535, 65536];

// ── 1 Framing: text and binary of every length-encoding edge (section 5.2) ─────────────────
const framing: Case[] = [
  ...SIZES.map((n, i): Case => ({ name: `1.1.${i + 1} text of ${n} bytes`, build: (w) => (w.frame(0x1, star(n)), [text(star(n))]) })),
  { name: '1.1.8 text of 65536 bytes in chops of 997', chop: 997, byteLimit: 0, build: (w) => (w.frame(0x1, star(65536)), [text(star(65536))]) },
  ...SIZES.map((n, i): Case => ({ name: `1.2.${i + 1} binary of ${n} bytes`, build: (w) => (w.frame(0x2, fe(n)), [binary(fe(n))]) })),
  { name: '1.2.8 binary of 65536 bytes in chops of 997', chop: 997, byteLimit: 0, build: (w) => (w.frame(0x2, fe(65536)), [binary(fe(65536))]) },
  {
    name: 'non-minimal length forms are accepted (16- and 64-bit for 5 bytes, as ws)',
    build: (w) => (w.frame(0x1, 'hello', { form: 16 }), w.frame(0x2, [1, 2, 3], { form: 64 }), [text('hello'), binary([1, 2, 3])]),
  },
  {
    name: '64-bit length with the most significant bit set → 1002',
    build: (w) => (w.frame(0x2, [], { form: 64, declaredLength: 1n << 63n }),
      [error('WS_ERR_INVALID_PAYLOAD_LENGTH', 1002, w.starts[0] + 2, 'most significant bit')]),
  },
  {
    name: '64-bit length of 2^32 bytes → 1009 even without a limit',
    options: { maxPayload: 0 },
    build: (w) => (w.frame(0x2, [], { form: 64, declaredLength: 1n << 32n }),
      [error('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 1009, w.starts[0], 'larger than maxPayload')]),
  },
];

// ── 2 Pings and pongs (section 5.5.2, 5.5.3) ────────────────────────────────────────────────
const PING_BINARY = [0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff];
const pings: Case[] = [
  { name: '2.1 ping without payload', build: (w) => (w.frame(0x9), [ping()]) },
  { name: '2.2 ping with a small text payload', build: (w) => (w.frame(0x9, 'Hello, world!'), [ping('Hello, world!')]) },
  { name: '2.3 ping with a small binary payload', build: (w) => (w.frame(0x9, PING_BINARY), [ping(PING_BINARY)]) },
  { name: '2.4 ping with a 125-byte binary payload', build: (w) => (w.frame(0x9, fe(125)), [ping(fe(125))]) },
  {
    name: '2.5 ping with a 126-byte payload → 1002',
    build: (w) => (w.frame(0x9, fe(126)), [error('WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 1002, w.starts[0], 'longer than 125 bytes')]),
  },
  { name: '2.6 ping with 125 bytes, in chops of 1', chop: 1, build: (w) => (w.frame(0x9, fe(125)), [ping(fe(125))]) },
  { name: '2.7 unsolicited pong without payload', build: (w) => (w.frame(0xa), [pong()]) },
  { name: '2.8 unsolicited pong with payload', build: (w) => (w.frame(0xa, 'unsolicited pong payload'), [pong('unsolicited pong payload')]) },
  {
    name: '2.9 unsolicited pong, then ping',
    build: (w) => (w.frame(0xa, 'unsolicited pong payload'), w.frame(0x9, 'ping payload'), [pong('unsolicited pong payload'), ping('ping payload')]),
  },
  {
    name: '2.10 ten pings in a row',
    build: (w) => Array.from({ length: 10 }, (_, i) => (w.frame(0x9, `payload-${i}`), ping(`payload-${i}`))),
  },
];

// ── 3 Reserved bits (section 5.2: "MUST be 0 unless an extension is negotiated") ───────────
const RSV = { 1: { rsv1: true }, 2: { rsv2: true }, 3: { rsv3: true } } as const;
const rsvError = (bits: number, at: number) => (bits & 4) !== 0
  ? error('WS_ERR_UNEXPECTED_RSV_1', 1002, at, 'RSV1 must be clear')
  : error('WS_ERR_UNEXPECTED_RSV_2_3', 1002, at, 'RSV2 and RSV3 must be clear');
/** RSV value as Autobahn numbers it: 1 = RSV3, 2 = RSV2, 4 = RSV1. */
const rsvSpec = (v: number) => ({ rsv1: (v & 4) !== 0, rsv2: (v & 2) !== 0, rsv3: (v & 1) !== 0 });
const reserved: Case[] = [
  { name: '3.1 text with RSV1 (not negotiated)', build: (w) => (w.frame(0x1, 'Hello', RSV[1]), [rsvError(4, w.starts[0])]) },
  {
    name: '3.2 text, then text with RSV2',
    build: (w) => (w.frame(0x1, 'Hello'), w.frame(0x1, 'Hello', RSV[2]), [text('Hello'), rsvError(2, w.starts[1])]),
  },
  {
    name: '3.3 text, text with RSV3, ping (never seen)',
    build: (w) => (w.frame(0x1, 'Hello'), w.frame(0x1, 'Hello', RSV[3]), w.frame(0x9),
      [text('Hello'), rsvError(1, w.starts[1])]),
  },
  {
    name: '3.4 text, text with RSV=4, ping, in chops of 1',
    chop: 1,
    build: (w) => (w.frame(0x1, 'Hello'), w.frame(0x1, 'Hello', rsvSpec(4)), w.frame(0x9), [text('Hello'), rsvError(4, w.starts[1])]),
  },
  { name: '3.5 binary with RSV=5', build: (w) => (w.frame(0x2, fe(8), rsvSpec(5)), [rsvError(5, w.starts[0])]) },
  { name: '3.6 ping with RSV=6', build: (w) => (w.frame(0x9, 'Hello', rsvSpec(6)), [rsvError(6, w.starts[0])]) },
  { name: '3.7 close with RSV=7', build: (w) => (w.frame(0x8, [0x03, 0xe8], rsvSpec(7)), [rsvError(7, w.starts[0])]) },
  ...[1, 2, 3, 4, 5, 6, 7].flatMap((v): Case[] => [
    { name: `RSV=${v} on binary`, build: (w) => (w.frame(0x2, [1, 2], rsvSpec(v)), [rsvError(v, w.starts[0])]) },
    { name: `RSV=${v} on ping`, build: (w) => (w.frame(0x9, [], rsvSpec(v)), [rsvError(v, w.starts[0])]) },
    { name: `RSV=${v} on close`, build: (w) => (w.frame(0x8, [], rsvSpec(v)), [rsvError(v, w.starts[0])]) },
  ]),
  // RFC 7692 section 6: with permessage-deflate, RSV1 marks a compressed message's first frame.
  {
    name: 'allowRsv1: RSV1 on a text message is reported compressed (payload not validated yet)',
    options: { allowRsv1: true },
    build: (w) => (w.frame(0x1, [0xff, 0xfe], RSV[1]), w.frame(0x2, [1], RSV[1]), [text([0xff, 0xfe], true), binary([1], true)]),
  },
  {
    name: 'allowRsv1: RSV1 on the first fragment only',
    options: { allowRsv1: true },
    build: (w) => (w.message(0x2, [1, 2, 3, 4], [1, 3], RSV[1]), [binary([1, 2, 3, 4], true)]),
  },
  {
    name: 'allowRsv1: RSV1 on a continuation → 1002',
    options: { allowRsv1: true },
    build: (w) => (w.frame(0x1, 'a', { fin: false }), w.frame(0x0, 'b', RSV[1]), [rsvError(4, w.starts[1])]),
  },
  { name: 'allowRsv1: RSV1 on a ping → 1002', options: { allowRsv1: true }, build: (w) => (w.frame(0x9, 'x', RSV[1]), [rsvError(4, w.starts[0])]) },
  { name: 'allowRsv1: RSV1 on a close → 1002', options: { allowRsv1: true }, build: (w) => (w.frame(0x8, [], RSV[1]), [rsvError(4, w.starts[0])]) },
  { name: 'allowRsv1: RSV2 still → 1002', options: { allowRsv1: true }, build: (w) => (w.frame(0x1, 'x', rsvSpec(6)), [rsvError(2, w.starts[0])]) },
];

// ── 4 Reserved opcodes (section 5.2: "MUST _Fail the WebSocket Connection_") ────────────────
const opcodes: Case[] = [0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf].flatMap((op): Case[] => {
  const e = (at: number) => error('WS_ERR_INVALID_OPCODE', 1002, at, `reserved opcode (opcode 0x${op.toString(16)})`);
  const group = op < 8 ? 1 : 2;
  return [
    { name: `4.${group}.x opcode 0x${op.toString(16)} without payload`, build: (w) => (w.frame(op), [e(w.starts[0])]) },
    {
      name: `4.${group}.x text, opcode 0x${op.toString(16)} with payload, ping`,
      build: (w) => (w.frame(0x1, 'Hello'), w.frame(op, 'reserved payload'), w.frame(0x9), [text('Hello'), e(w.starts[1])]),
    },
  ];
});

// ── 5 Fragmentation (section 5.4) ─────────────────────────────────────────────────────────
const FRAGMENT_1 = 'fragment1';
const FRAGMENT_2 = 'fragment2';
const fragmentation: Case[] = [
  {
    name: '5.1 ping in 2 fragments → 1002',
    build: (w) => (w.frame(0x9, FRAGMENT_1, { fin: false }), w.frame(0x0, FRAGMENT_2),
      [error('WS_ERR_EXPECTED_FIN', 1002, w.starts[0], 'control frames must not be fragmented')]),
  },
  {
    name: '5.2 pong in 2 fragments → 1002',
    build: (w) => (w.frame(0xa, FRAGMENT_1, { fin: false }), w.frame(0x0, FRAGMENT_2),
      [error('WS_ERR_EXPECTED_FIN', 1002, w.starts[0], 'control frames must not be fragmented')]),
  },
  { name: '5.3-5.5 text in 2 fragments', build: (w) => (w.message(0x1, FRAGMENT_1 + FRAGMENT_2, [9]), [text(FRAGMENT_1 + FRAGMENT_2)]) },
  { name: 'binary in 2 fragments', build: (w) => (w.message(0x2, fe(300), [100]), [binary(fe(300))]) },
  {
    name: '5.6-5.8 text in 2 fragments, a ping between',
    build: (w) => (w.frame(0x1, FRAGMENT_1, { fin: false }), w.frame(0x9, 'pongme!'), w.frame(0x0, FRAGMENT_2),
      [ping('pongme!'), text(FRAGMENT_1 + FRAGMENT_2)]),
  },
  {
    name: 'binary in many fragments, pings and pongs between each',
    build: (w) => {
      const out: Event[] = [];
      for (let i = 0; i < 6; i++) {
        w.frame(i === 0 ? 0x2 : 0x0, fe(i * 50), { fin: i === 5 });
        if (i < 5) (w.frame(i % 2 ? 0xa : 0x9, [i]), out.push(i % 2 ? pong([i]) : ping([i])));
      }
      return [...out, binary(fe(750))];
    },
  },
  {
    name: '5.9-5.11 continuation (FIN) with nothing to continue, then text → 1002',
    build: (w) => (w.frame(0x0, FRAGMENT_2), w.frame(0x1, 'Hello'),
      [error('WS_ERR_UNEXPECTED_CONTINUATION', 1002, w.starts[0], 'continuation frame without a message')]),
  },
  {
    name: '5.12-5.14 continuation (no FIN) with nothing to continue → 1002',
    build: (w) => (w.frame(0x0, FRAGMENT_1, { fin: false }), w.frame(0x1, 'Hello'),
      [error('WS_ERR_UNEXPECTED_CONTINUATION', 1002, w.starts[0], 'continuation frame without a message')]),
  },
  {
    name: '5.15 text in 2 fragments, then continuation with nothing to continue → 1002',
    build: (w) => (w.message(0x1, FRAGMENT_1 + FRAGMENT_2, [9]), w.frame(0x0, 'fragment3', { fin: false }), w.frame(0x0, 'fragment4'),
      w.frame(0x1, 'Hello'),
      [text(FRAGMENT_1 + FRAGMENT_2), error('WS_ERR_UNEXPECTED_CONTINUATION', 1002, w.starts[2], 'continuation frame without a message')]),
  },
  {
    name: '5.16-5.17 continuation, text, continuation (twice) → 1002 at the first',
    build: (w) => {
      for (let i = 0; i < 2; i++) (w.frame(0x0, FRAGMENT_1, { fin: false }), w.frame(0x1, FRAGMENT_2, { fin: false }), w.frame(0x0, 'fragment3'));
      return [error('WS_ERR_UNEXPECTED_CONTINUATION', 1002, 0, 'continuation frame without a message')];
    },
  },
  {
    name: '5.18 text in 2 fragments, both with the text opcode → 1002',
    build: (w) => (w.frame(0x1, FRAGMENT_1, { fin: false }), w.frame(0x1, FRAGMENT_2),
      [error('WS_ERR_EXPECTED_CONTINUATION', 1002, w.starts[1], 'new data frame while a fragmented message is open')]),
  },
  {
    name: 'binary message starts during a fragmented text → 1002',
    build: (w) => (w.frame(0x1, FRAGMENT_1, { fin: false }), w.frame(0x9), w.frame(0x2, [1]),
      [ping(), error('WS_ERR_EXPECTED_CONTINUATION', 1002, w.starts[2], 'while a fragmented message is open')]),
  },
  {
    name: '5.19-5.20 text in 5 fragments, pings after the 2nd and 4th',
    build: (w) => {
      const parts = ['fragment1', 'fragment2', 'fragment3', 'fragment4', 'fragment5'];
      const out: Event[] = [];
      parts.forEach((p, i) => {
        w.frame(i === 0 ? 0x1 : 0x0, p, { fin: i === 4 });
        if (i === 1 || i === 3) (w.frame(0x9, `pongme ${i}!`), out.push(ping(`pongme ${i}!`)));
      });
      return [...out, text(parts.join(''))];
    },
  },
  {
    name: '6.1.2 text of 3 empty fragments',
    build: (w) => (w.message(0x1, '', [0, 0]), [text('')]),
  },
  {
    name: '6.1.3 text of empty, non-empty, empty fragments',
    build: (w) => (w.message(0x1, 'middle frame payload', [0, 20]), [text('middle frame payload')]),
  },
  {
    name: 'binary of empty fragments only, then a message',
    build: (w) => (w.message(0x2, [], [0, 0, 0, 0]), w.frame(0x1, 'next'), [binary([]), text('next')]),
  },
];

runCases('1 framing', framing);
runCases('2 ping/pong', pings);
runCases('3 reserved bits', reserved);
runCases('4 opcodes', opcodes);
runCases('5 fragmentation', fragmentation);
