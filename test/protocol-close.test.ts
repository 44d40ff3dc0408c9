// Decoder conformance, RFC 6455 sections 5.5.1 and 7 (closing handshake, status codes), after
// Autobahn cases 7.x: a close is reported once and nothing after it is decoded.
import { describe, it } from 'vitest';
import { runCases, type Case } from './protocol/cases.js';
import { close, CORES, error, expectDecode, text, type Event } from './protocol/harness.js';
import { fromHex, ROLES, Wire } from './protocol/wire.js';

const code = (c: number, reason = ''): number[] => [c >> 8, c & 0xff, ...Buffer.from(reason)];
const star = (n: number): string => '*'.repeat(n);
const INVALID_REASON = fromHex('cebae1bdb9cf83cebcceb5eda080656469746564'); // κόσμε-edited, ED A0 at 11

const cases: Case[] = [
  { name: '7.1.1 text, then close', build: (w) => (w.frame(0x1, 'Hello World!'), w.frame(0x8, code(1000)), [text('Hello World!'), close(1000)]) },
  { name: '7.1.2 close twice: the second is ignored', build: (w) => (w.frame(0x8, code(1000)), w.frame(0x8, code(1001)), [close(1000)]) },
  { name: '7.1.3 close, then ping: ignored', build: (w) => (w.frame(0x8, code(1000)), w.frame(0x9, 'Hello'), [close(1000)]) },
  { name: '7.1.4 close, then text: ignored', build: (w) => (w.frame(0x8, code(1000)), w.frame(0x1, 'Hello'), [close(1000)]) },
  {
    name: '7.1.5 first fragment, close, last fragment: the message never completes',
    build: (w) => (w.frame(0x1, 'fragment1', { fin: false }), w.frame(0x8, code(1000)), w.frame(0x0, 'fragment2'), [close(1000)]),
  },
  {
    name: '7.1.6 256 KiB text, close, ping',
    byteLimit: 0,
    build: (w) => (w.frame(0x1, star(256 * 1024)), w.frame(0x8, code(1000)), w.frame(0x9, 'Hello'),
      [text(star(256 * 1024)), close(1000)]),
  },
  { name: 'close, then bytes that are no frame at all: ignored', build: (w) => (w.frame(0x8, code(1000)), w.raw([0xff, 0xff, 0xff, 0x7f]), [close(1000)]) },
  { name: 'close, then a truncated frame: ignored', build: (w) => (w.frame(0x8, code(4000, 'bye')), w.raw([0x82, 0x7e, 0x01]), [close(4000, 'bye')]) },
  { name: '7.3.1 close without payload → 1005 reported', build: (w) => (w.frame(0x8), [close(1005)]) },
  {
    name: '7.3.2 close with a 1-byte payload → 1002',
    build: (w) => (w.frame(0x8, [0x03]), [error('WS_ERR_INVALID_CLOSE_PAYLOAD', 1002, w.payloadAt[0], 'close frame payload of 1 byte')]),
  },
  { name: '7.3.3 close with a code only', build: (w) => (w.frame(0x8, code(1000)), [close(1000)]) },
  { name: '7.3.4 close with code and reason', build: (w) => (w.frame(0x8, code(1000, 'Hello World!')), [close(1000, 'Hello World!')]) },
  { name: '7.3.5 close with a 123-byte reason', build: (w) => (w.frame(0x8, code(1000, star(123))), [close(1000, star(123))]) },
  {
    name: '7.3.6 close with a 124-byte reason (payload 126) → 1002',
    build: (w) => (w.frame(0x8, code(1000, star(124))), [error('WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 1002, w.starts[0], 'longer than 125')]),
  },
  { name: 'close with a multi-byte UTF-8 reason', build: (w) => (w.frame(0x8, code(3000, 'κόσμε 😀')), [close(3000, 'κόσμε 😀')]) },
  {
    name: '7.5.1 close with an invalid UTF-8 reason → 1007 at the bad byte',
    build: (w) => (w.frame(0x8, [...code(1000), ...INVALID_REASON]),
      [error('WS_ERR_INVALID_CLOSE_REASON', 1007, w.payloadAt[0] + 2 + 12, 'close reason is not valid UTF-8')]),
  },
  {
    name: 'close reason ending inside a code point → 1007 at the end of the payload',
    build: (w) => (w.frame(0x8, [...code(1000), 0x61, 0xe2, 0x82]),
      [error('WS_ERR_INVALID_CLOSE_REASON', 1007, w.payloadAt[0] + 5, 'close reason is not valid UTF-8')]),
  },
  {
    name: 'close with an unmasked/masked mismatch is a framing error, not a close',
    build: (w) => (w.frame(0x8, code(1000), { mask: w.role === 'server' ? null : [1, 2, 3, 4] }),
      [w.role === 'server' ? error('WS_ERR_EXPECTED_MASK', 1002, 0, 'must be masked') : error('WS_ERR_UNEXPECTED_MASK', 1002, 0, 'must not be masked')]),
  },
];

runCases('7 close', cases);

/** RFC 6455 section 7.4 (and the IANA registry since): what a peer may send. */
const valid = (c: number): boolean => (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);

describe.each(CORES)('7.7/7.9/7.13 every close code 0..5000 and 65535 (%s core)', (_core, codec) => {
  it.each(ROLES.map((r) => [r]))('Decoder role %s', (role) => {
    for (let c = 0; c <= 5001; c++) {
      const value = c === 5001 ? 65535 : c;
      const w = new Wire(role, 'codes');
      w.frame(0x8, code(value, c % 7 === 0 ? 'reason' : ''));
      const want: Event = valid(value)
        ? close(value, c % 7 === 0 ? 'reason' : '')
        : error('WS_ERR_INVALID_CLOSE_CODE', 1002, w.payloadAt[0], `invalid close code (code ${value})`);
      expectDecode(codec, w, [want], { role, label: `code ${value}` });
    }
  });
});
