// Decoder limits (RFC 6455 section 10.4): maxPayload fails with 1009 as soon as a header shows
// the message is too big, before its payload; maxFragments fails a flood of tiny fragments
// (the ws CVE-2026-48779 shape) with 1009 early, so memory stays bounded.
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_MAX_FRAGMENTS } from '../src/protocol/index.js';
import { binary, CORES, decode, error, expectDecode, ping, text, type Event } from './protocol/harness.js';
import { ROLES, Wire } from './protocol/wire.js';

const TOO_BIG = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
const TOO_MANY = 'WS_ERR_TOO_MANY_FRAGMENTS';

describe.each(CORES)('limits (%s core)', (_core, codec) => {
  describe.each(ROLES.map((r) => [r]))('Decoder role %s', (role) => {
    it.each([
      [125, 7], [1000, 16], [70000, 64],
    ] as const)('maxPayload %i: a frame of exactly that size passes (%i-bit length)', (max, form) => {
      const w = new Wire(role);
      w.frame(0x2, new Uint8Array(max).fill(7), { form });
      expectDecode(codec, w, [binary(new Uint8Array(max).fill(7))], { role, options: { maxPayload: max }, byteLimit: 2000 });
    });

    it.each([
      [124, 7], [1000, 16], [65534, 16], [70000, 64],
    ] as const)('maxPayload %i: one byte more fails on its header alone (%i-bit length)', (max, form) => {
      const w = new Wire(role);
      w.frame(0x1, 'first');
      w.frame(0x2, [], { form, declaredLength: max + 1 }); // the header only: no payload follows
      const at = w.starts[1];
      expectDecode(codec, w, [text('first'), error(TOO_BIG, 1009, at, 'larger than maxPayload')],
        { role, options: { maxPayload: max }, failFastAt: w.payloadAt[1] - 1 });
    });

    it('maxPayload: a fragmented message fails on the header of the fragment that crosses it', () => {
      const w = new Wire(role);
      w.frame(0x1, 'a'.repeat(400), { fin: false });
      w.frame(0x9, 'x'.repeat(100)); // control frames do not count
      w.frame(0x0, 'b'.repeat(400), { fin: false });
      w.frame(0x0, [], { declaredLength: 201 });
      expectDecode(codec, w, [ping('x'.repeat(100)), error(TOO_BIG, 1009, w.starts[3], 'larger than maxPayload')],
        { role, options: { maxPayload: 1000 }, failFastAt: w.payloadAt[3] - 1 });
    });

    it('maxPayload: a fragmented message of exactly the limit passes; the count restarts per message', () => {
      const w = new Wire(role);
      for (let m = 0; m < 3; m++) w.message(0x2, new Uint8Array(1000).fill(m), [300, 300, 999]);
      const want = [0, 1, 2].map((m) => binary(new Uint8Array(1000).fill(m)));
      expectDecode(codec, w, want, { role, options: { maxPayload: 1000 } });
    });

    it('maxPayload 0 means no limit: a header declaring 4 GiB − 1 is accepted (default 100 MiB is not)', () => {
      const w = new Wire(role);
      w.frame(0x2, [], { form: 64, declaredLength: 0xffffffff });
      expectDecode(codec, w, [], { role, options: { maxPayload: 0 } });
      expectDecode(codec, w, [error(TOO_BIG, 1009, 0, 'larger than maxPayload')], { role });
      const big = new Wire(role);
      big.frame(0x2, new Uint8Array(200_000).fill(1));
      expectDecode(codec, big, [binary(new Uint8Array(200_000).fill(1))], { role, options: { maxPayload: 0 }, byteLimit: 0 });
    });

    it('maxFragments: exactly the limit passes, with control frames between and per message', () => {
      const w = new Wire(role);
      const want: Event[] = [];
      for (let m = 0; m < 2; m++) {
        for (let i = 0; i < 5; i++) {
          w.frame(i === 0 ? 0x1 : 0x0, [0x61 + i], { fin: i === 4 });
          if (i < 4) (w.frame(0x9), want.push(ping()));
        }
        want.push(text('abcde'));
      }
      expectDecode(codec, w, want, { role, options: { maxFragments: 5 } });
    });

    it('maxFragments: one fragment more → 1009 at its header', () => {
      const w = new Wire(role);
      for (let i = 0; i < 6; i++) w.frame(i === 0 ? 0x2 : 0x0, [i], { fin: i === 5 });
      expectDecode(codec, w, [error(TOO_MANY, 1009, w.starts[5], 'more frames than maxFragments')],
        { role, options: { maxFragments: 5 }, failFastAt: w.payloadAt[5] - 1 });
    });

    it('a header alone does not make the Decoder allocate the payload it declares', () => {
      // 10-14 bytes declaring 100 MiB − 1 (under the default maxPayload) must not reserve
      // 100 MiB per connection before a byte of payload arrived (ws grows with what it gets).
      const w = new Wire(role);
      w.frame(0x2, [], { declaredLength: 100 * 1024 * 1024 - 1 });
      w.raw(new Uint8Array(1000));
      const spy = vi.spyOn(Buffer, 'allocUnsafe');
      try {
        const { recorder } = decode(w.bytes, [], { role, codec });
        expect(recorder.events).toEqual([]);
        const largest = Math.max(0, ...spy.mock.calls.map(([size]) => size));
        expect(largest, 'largest allocation after a header and 1,000 payload bytes').toBeLessThan(1 << 20);
      } finally {
        spy.mockRestore();
      }
    });

    // ws CVE-2026-48779: a message of endless tiny fragments held every fragment in memory.
    it.each([
      ['200,000 one-byte fragments, maxFragments 1000', 200_000, 1, 1000],
      ['200,000 empty fragments, default maxFragments', 200_000, 0, DEFAULT_MAX_FRAGMENTS],
    ] as const)('%s → 1009 as soon as the limit is crossed, the rest ignored', (_label, count, size, max) => {
      const w = new Wire(role, 'flood');
      const one = new Uint8Array(size).fill(0x41);
      for (let i = 0; i < count; i++) w.frame(i === 0 ? 0x1 : 0x0, one, { fin: i === count - 1 });
      const bytes = w.bytes;
      const at = w.starts[max];
      const options = max === DEFAULT_MAX_FRAGMENTS ? {} : { maxFragments: max };
      const want = [error(TOO_MANY, 1009, at, 'more frames than maxFragments')];
      expectDecode(codec, bytes, want, { role, options, failFastAt: w.payloadAt[max] - 1, byteLimit: 0, label: 'flood' });
      // Fed as a socket would, 64 KiB at a time: nothing of the stream past the next read is
      // looked at, and the reassembly buffer never held more than the limit allows.
      const cuts = [];
      for (let c = 65536; c < bytes.length; c += 65536) cuts.push(c);
      const spy = vi.spyOn(Buffer, 'allocUnsafe');
      try {
        const { recorder } = decode(bytes, cuts, { role, codec, ...options });
        expect(recorder.errors.map((e) => [e.code, e.offset])).toEqual([[TOO_MANY, at]]);
        expect(recorder.fedAt[0]).toBeLessThanOrEqual(at + 65536 + 65536);
        const allocated = spy.mock.calls.reduce((sum, [n]) => sum + n, 0);
        expect(allocated, 'bytes allocated for the message').toBeLessThanOrEqual(4 * max * size + 4096);
      } finally {
        spy.mockRestore();
      }
    });
  });
});
