// Decoder conformance, RFC 6455 section 8.1 (text must be UTF-8, RFC 3629), after Autobahn
// cases 6.x: every sequence as one frame, as 1-byte fragments, split at every byte (on code
// point boundaries and inside code points), with context around it — and fail-fast: an
// invalid byte fails the connection as soon as it is fed, before the message ends.
import { describe, expect, it } from 'vitest';
import { encodeCodePoint, referenceUtf8 } from './reference/utf8.js';
import { CORES, decode, error, expectDecode, ping, text, type Event } from './protocol/harness.js';
import { everyByte, fromHex, ROLES, Wire, type Role } from './protocol/wire.js';
import type { Codec } from '../src/codec/index.js';

const KOSME = 'cebae1bdb9cf83cebcceb5'; // κόσμε
const range = (from: number, to: number, f: (b: number) => string): string =>
  Array.from({ length: to - from + 1 }, (_, i) => f(from + i)).join('');
const cp = (c: number): string => Buffer.from(encodeCodePoint(c)).toString('hex');

/** [Autobahn case, hex]: validity comes from the RFC 3629 reference, not from this table. */
const SEQUENCES: [string, string][] = [
  ['6.1.1 empty', ''],
  ['6.2.1 Hello-µ@ßöäüàá-UTF-8!!', Buffer.from('Hello-µ@ßöäüàá-UTF-8!!').toString('hex')],
  ['6.3.1 κόσμε-edited with a surrogate', 'cebae1bdb9cf83cebcceb5eda080656469746564'],
  ['6.5.1 κόσμε', KOSME],
  ...Array.from({ length: KOSME.length / 2 - 1 }, (_, i): [string, string] => [`6.6.${i + 1} κόσμε prefix of ${i + 1} bytes`, KOSME.slice(0, 2 * i + 2)]),
  ['6.7.1 U+0000', '00'], ['6.7.2 U+0080', 'c280'], ['6.7.3 U+0800', 'e0a080'], ['6.7.4 U+10000', 'f0908080'],
  ['6.8.1 first 5-byte sequence', 'f888808080'], ['6.8.2 first 6-byte sequence', 'fc8480808080'],
  ['6.9.1 U+007F', '7f'], ['6.9.2 U+07FF', 'dfbf'], ['6.9.3 U+FFFF', 'efbfbf'], ['6.9.4 U+10FFFF', 'f48fbfbf'],
  ['6.10.1 last 4-byte (U+1FFFFF)', 'f7bfbfbf'], ['6.10.2 last 5-byte', 'fbbfbfbfbf'], ['6.10.3 last 6-byte', 'fdbfbfbfbfbf'],
  ['6.11.1 U+D7FF', 'ed9fbf'], ['6.11.2 U+E000', 'ee8080'], ['6.11.3 U+FFFD', 'efbfbd'], ['6.11.4 U+10FFFF', 'f48fbfbf'],
  ['6.11.5 U+110000', 'f4908080'],
  ['6.12.1 lone continuation 80', '80'], ['6.12.2 lone continuation bf', 'bf'], ['6.12.3 80 bf', '80bf'],
  ['6.12.4 80 bf 80', '80bf80'], ['6.12.5 80 bf 80 bf', '80bf80bf'], ['6.12.6 80 bf 80 bf 80', '80bf80bf80'],
  ['6.12.7 80 bf 80 bf 80 bf', '80bf80bf80bf'], ['6.12.8 all 64 continuation bytes', range(0x80, 0xbf, (b) => b.toString(16))],
  ['6.13.1 lonely 2-byte leads, each + space', range(0xc0, 0xdf, (b) => `${b.toString(16)}20`)],
  ['6.13.2 lonely 3-byte leads', range(0xe0, 0xef, (b) => `${b.toString(16)}20`)],
  ['6.13.3 lonely 4-byte leads', range(0xf0, 0xf7, (b) => `${b.toString(16)}20`)],
  ['6.13.4 lonely 5-byte leads', range(0xf8, 0xfb, (b) => `${b.toString(16)}20`)],
  ['6.13.5 lonely 6-byte leads', 'fc20fd20'],
  ['6.14.1 c0 (last byte missing)', 'c0'], ['6.14.2 e0 80', 'e080'], ['6.14.3 f0 80 80', 'f08080'],
  ['6.14.4 f8 80 80 80', 'f8808080'], ['6.14.5 fc 80 80 80 80', 'fc80808080'], ['6.14.6 df', 'df'],
  ['6.14.7 ef bf', 'efbf'], ['6.14.8 f7 bf bf', 'f7bfbf'], ['6.14.9 fb bf bf bf', 'fbbfbfbf'], ['6.14.10 fd bf bf bf bf', 'fdbfbfbfbf'],
  ['truncated e2 82 at the end', 'e282'], ['truncated f0 9f 98 at the end', 'f09f98'], ['truncated after text', '61626364f4'],
  ['6.15.1 concatenated incomplete sequences', 'c0e080f08080f8808080fc80808080dfefbff7bfbffbbfbfbffdbfbfbfbf'],
  ['6.16.1 fe', 'fe'], ['6.16.2 ff', 'ff'], ['6.16.3 fe fe ff ff', 'fefeffff'],
  ['6.17.1 overlong / (2)', 'c0af'], ['6.17.2 overlong / (3)', 'e080af'], ['6.17.3 overlong / (4)', 'f08080af'],
  ['6.17.4 overlong / (5)', 'f8808080af'], ['6.17.5 overlong / (6)', 'fc80808080af'],
  ['6.18.1 max overlong (2)', 'c1bf'], ['6.18.2 max overlong (3)', 'e09fbf'], ['6.18.3 max overlong (4)', 'f08fbfbf'],
  ['6.18.4 max overlong (5)', 'f887bfbfbf'], ['6.18.5 max overlong (6)', 'fc83bfbfbfbf'],
  ['6.19.1 overlong NUL (2)', 'c080'], ['6.19.2 overlong NUL (3)', 'e08080'], ['6.19.3 overlong NUL (4)', 'f0808080'],
  ['6.19.4 overlong NUL (5)', 'f880808080'], ['6.19.5 overlong NUL (6)', 'fc8080808080'],
  ...['eda080', 'edadbf', 'edae80', 'edafbf', 'edb080', 'edbe80', 'edbfbf'].map((h, i): [string, string] => [`6.20.${i + 1} lone surrogate ${h}`, h]),
  ...['eda080edb080', 'eda080edbfbf', 'edadbfedb080', 'edadbfedbfbf', 'edae80edb080', 'edae80edbfbf', 'edafbfedb080', 'edafbfedbfbf']
    .map((h, i): [string, string] => [`6.21.${i + 1} paired surrogates ${h}`, h]),
  ['6.22 noncharacters U+FFFE/U+FFFF of every plane', range(0, 16, (p) => cp(p * 0x10000 + 0xfffe) + cp(p * 0x10000 + 0xffff))],
  ['6.22 noncharacters U+FDD0-U+FDEF', range(0xfdd0, 0xfdef, cp)],
  ['6.23.1 U+FFFD', 'efbfbd'], ['6.23.2 U+FFFD twice, between text', '61efbfbdefbfbd62'],
  ['every UTF-8 length edge', [0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x10ffff].map(cp).join('')],
];

/** The events a text message of `bytes` sent through `map` must produce. */
function verdict(bytes: Uint8Array, map: (i: number) => number): { events: Event[]; failFastAt?: number } {
  const r = referenceUtf8(bytes);
  if (r.errorAt >= 0) {
    const at = map(r.errorAt);
    return { events: [error('WS_ERR_INVALID_UTF8', 1007, at, 'not valid UTF-8')], failFastAt: at };
  }
  if (r.pending > 0) {
    // A message must not end inside a code point: the error is at the end of its payload.
    const at = map(bytes.length);
    return { events: [error('WS_ERR_INVALID_UTF8', 1007, at, 'not valid UTF-8')], failFastAt: at - 1 };
  }
  return { events: [text(bytes)] };
}

function check(codec: Codec, role: Role, label: string, bytes: Uint8Array, cuts: number[]): void {
  const w = new Wire(role, label);
  const map = w.message(0x1, bytes, cuts);
  const v = verdict(bytes, map);
  expectDecode(codec, w, v.events, { role, failFastAt: v.failFastAt, label: `${label}, cuts ${cuts.join(',')}` });
}

describe('the reference agrees with the hand-written verdicts', () => {
  it.each([
    ['c280', -1], ['f4908080', 1], ['eda080edb080', 1], ['c0af', 0], ['e080af', 1], ['80', 0], ['fe', 0], ['cebae1bdb9cf83cebcceb5eda080', 12],
  ] as const)('%s → first bad byte %i', (h, at) => expect(referenceUtf8(fromHex(h)).errorAt).toBe(at));
});

describe.each(CORES)('6 UTF-8 (%s core)', (_core, codec) => {
  describe.each(ROLES.map((r) => [r]))('Decoder role %s', (role) => {
    it.each(SEQUENCES)('%s: one frame, 1-byte fragments, every 2-way split, in context', (label, h) => {
      const bytes = fromHex(h);
      check(codec, role, label, bytes, []);
      check(codec, role, label, bytes, everyByte(bytes.length));
      for (let k = 1; k < bytes.length; k++) check(codec, role, label, bytes, [k]);
      const framed = Uint8Array.from([0x41, 0x42, ...bytes, 0x5a]);
      check(codec, role, `${label} in context`, framed, []);
      check(codec, role, `${label} in context`, framed, [1, 3]);
    });

    it('skipUtf8Validation delivers every invalid sequence as is', () => {
      for (const [label, h] of SEQUENCES) {
        const w = new Wire(role, label);
        w.message(0x1, fromHex(h), everyByte(h.length / 2));
        expectDecode(codec, w, [text(fromHex(h))], { role, options: { skipUtf8Validation: true }, label });
      }
    });

    it('a code point split across fragments with a ping between them', () => {
      const w = new Wire(role);
      w.frame(0x1, [0x61, 0xf0, 0x9f], { fin: false });
      w.frame(0x9, [0xf0]);
      w.frame(0x0, [0x98, 0x80, 0x62]);
      expectDecode(codec, w, [ping([0xf0]), text([0x61, 0xf0, 0x9f, 0x98, 0x80, 0x62])], { role });
    });

    describe('6.4 fail-fast', () => {
      const PART1 = KOSME;
      const PART3 = Buffer.from('edited').toString('hex');
      it('6.4.1 3 frames: κόσμε | f4 90 80 80 | edited — fails inside frame 2, without frame 3', () => {
        const w = new Wire(role);
        [PART1, 'f4908080', PART3].forEach((h, i) => w.frame(i === 0 ? 0x1 : 0x0, fromHex(h), { fin: i === 2 }));
        const at = w.payloadAt[1] + 1;
        expectDecode(codec, w, [error('WS_ERR_INVALID_UTF8', 1007, at, 'text message is not valid UTF-8')], { role, failFastAt: at });
        const { recorder } = decode(w.bytes.subarray(0, at + 1), [], { role, codec });
        expect(recorder.events).toHaveLength(1);
        expect(recorder.errors[0]).toMatchObject({ code: 'WS_ERR_INVALID_UTF8', closeCode: 1007, offset: at });
      });
      it('6.4.2 3 frames: κόσμε f4 | 90 | 80 80 edited — fails on the 90', () => {
        const w = new Wire(role);
        [PART1 + 'f4', '90', '8080' + PART3].forEach((h, i) => w.frame(i === 0 ? 0x1 : 0x0, fromHex(h), { fin: i === 2 }));
        const at = w.payloadAt[1];
        expectDecode(codec, w, [error('WS_ERR_INVALID_UTF8', 1007, at, 'text message is not valid UTF-8')], { role, failFastAt: at });
      });
      it.each([[11], [12]])('6.4.3/6.4.4 one frame κόσμε f4 90 80 80 edited, fed up to the bad byte (chop %i)', (chop) => {
        const w = new Wire(role);
        w.frame(0x1, fromHex(PART1 + 'f4908080' + PART3));
        const at = w.payloadAt[0] + 12;
        expectDecode(codec, w, [error('WS_ERR_INVALID_UTF8', 1007, at, 'text message is not valid UTF-8')], { role, failFastAt: at, chop: w.payloadAt[0] + chop });
      });
      it('an invalid byte early in a 256 KiB text of 4 KiB fragments fails before the rest arrives', () => {
        const payload = new Uint8Array(256 * 1024).fill(0x61);
        payload[5000] = 0xff;
        const w = new Wire(role);
        const map = w.message(0x1, payload, Array.from({ length: 63 }, (_, i) => (i + 1) * 4096));
        const at = map(5000);
        expectDecode(codec, w, [error('WS_ERR_INVALID_UTF8', 1007, at, 'at byte')], { role, failFastAt: at, byteLimit: 0 });
        const { recorder, decoder } = decode(w.bytes.subarray(0, at + 1), [], { role, codec });
        expect(recorder.errors.map((e) => e.offset)).toEqual([at]);
        expect(decoder.finished).toBe(true);
      });
      it('an invalid byte early in a frame declaring 50 MiB fails with only 10 KiB of it fed', () => {
        const prefix = new Uint8Array(10 * 1024).fill(0x62);
        prefix.set([0xe2, 0x82, 0x28], 7000); // E2 82 needs a continuation, 28 '(' is not one
        const w = new Wire(role);
        w.frame(0x1, prefix, { declaredLength: 50 * 1024 * 1024, form: 64 });
        const at = w.payloadAt[0] + 7002;
        expectDecode(codec, w, [error('WS_ERR_INVALID_UTF8', 1007, at, 'text message is not valid UTF-8')], { role, failFastAt: at });
      });
    });
  });
});
