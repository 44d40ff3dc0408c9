// Cross-check with `ws` 8: frames from ws's Sender.frame decode byte-exact with our Decoder;
// our Encoder's output reads byte-exact with ws's Receiver; and on corrupted streams both
// agree on the events before the failure and on the close code (known divergences named).
import { describe, expect, it } from 'vitest';
import { Encoder } from '../src/protocol/index.js';
import { exactUtf8 } from './helpers/generators.js';
import { Rng } from './reference/random.js';
import { binary, close, CORES, decode, error, expectDecode, ping, pong, text, type Event } from './protocol/harness.js';
import { ROLES, type Role } from './protocol/wire.js';
import { wsFrame, wsReceive } from './protocol/ws.js';

const concat = (parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

interface Conversation {
  bytes: Uint8Array;
  events: Event[];
  /** Offset of every frame's first byte. */
  starts: number[];
}

/** Messages (some fragmented), pings and pongs between, a close at the end; built by ws. */
function wsConversation(rng: Rng, masked: boolean, sizes: readonly number[], count: number): Conversation {
  const parts: Uint8Array[] = [];
  const starts: number[] = [];
  const events: Event[] = [];
  let at = 0;
  const emit = (frame: Uint8Array): void => {
    starts.push(at);
    parts.push(frame);
    at += frame.length;
  };
  const control = (): void => {
    const op = rng.bool() ? 0x9 : 0xa;
    const p = rng.bytes(rng.int(126));
    emit(wsFrame(op, p, { mask: masked }));
    events.push(op === 0x9 ? ping(p) : pong(p));
  };
  for (let i = 0; i < count; i++) {
    if (rng.bool(0.25)) control();
    const isText = rng.bool();
    const data = isText ? exactUtf8(rng, rng.pick(sizes)) : rng.bytes(rng.pick(sizes));
    const cuts = data.length > 1 && rng.bool(0.4) ? rng.cuts(data.length, rng.range(1, 4)) : [];
    const points = [0, ...cuts, data.length];
    const controls: Event[] = [];
    for (let k = 0; k + 1 < points.length; k++) {
      const fin = k + 2 === points.length;
      emit(wsFrame(k === 0 ? (isText ? 0x1 : 0x2) : 0x0, data.subarray(points[k], points[k + 1]), { fin, mask: masked }));
      if (!fin && rng.bool(0.3)) {
        const before = events.length;
        control();
        controls.push(...events.splice(before));
      }
    }
    events.push(...controls, isText ? text(data) : binary(data));
  }
  const code = rng.pick([1000, 1001, 1011, 3000, 4999]);
  emit(wsFrame(0x8, Uint8Array.of(code >> 8, code & 0xff, ...Buffer.from('ws says bye')), { mask: masked }));
  events.push(close(code, 'ws says bye'));
  return { bytes: concat(parts), events, starts };
}

describe.each(CORES)('ws Sender.frame → our Decoder (%s core)', (_core, codec) => {
  describe.each(ROLES.map((r) => [r]))('Decoder role %s', (role) => {
    it('small frames, byte-exact in every chunking', () => {
      const c = wsConversation(new Rng(`ws small ${role}`), role === 'server', [0, 1, 2, 7, 125, 126, 300], 60);
      expectDecode(codec, c.bytes, c.events, { role, label: 'ws small' });
    });
    it('large frames (64 KiB edges, 100 KB), whole and random chunks', () => {
      const c = wsConversation(new Rng(`ws large ${role}`), role === 'server', [65535, 65536, 100_000, 5], 12);
      expectDecode(codec, c.bytes, c.events, { role, label: 'ws large', byteLimit: 0 });
    });
    it('ws frames we must refuse: RSV1 without the extension, reserved opcodes, the wrong masking', () => {
      const masked = role === 'server';
      const rsv1 = wsFrame(0x1, Buffer.from('deflated?'), { mask: masked, rsv1: true });
      expectDecode(codec, rsv1, [error('WS_ERR_UNEXPECTED_RSV_1', 1002, 0, 'RSV1 must be clear')], { role });
      expectDecode(codec, rsv1, [text('deflated?', true)], { role, options: { allowRsv1: true } });
      expectDecode(codec, wsFrame(0x3, Uint8Array.of(1), { mask: masked }), [error('WS_ERR_INVALID_OPCODE', 1002, 0, 'opcode 0x3')], { role });
      const wrong = wsFrame(0x2, Uint8Array.of(1), { mask: !masked });
      expectDecode(codec, wrong, [error(masked ? 'WS_ERR_EXPECTED_MASK' : 'WS_ERR_UNEXPECTED_MASK', 1002, 0, masked ? 'must be masked' : 'must not be masked')], { role });
    });
  });
});

describe.each(CORES)('our Encoder → ws Receiver (%s core)', (_core, codec) => {
  describe.each(ROLES.map((r) => [r]))('Encoder role %s', (sender) => {
    it.each([
      ['small', [0, 1, 125, 126, 1000], 80],
      ['large', [65535, 65536, 200_000], 8],
    ] as const)('%s messages, auto-fragmented or not, controls, close: byte-exact', async (label, sizes, count) => {
      const rng = new Rng(`to ws ${label} ${sender}`);
      const enc = new Encoder({ role: sender, codec });
      const parts: Uint8Array[] = [];
      const want: Event[] = [];
      for (let i = 0; i < count; i++) {
        if (rng.bool(0.3)) {
          const p = rng.bytes(rng.int(126));
          const isPing = rng.bool();
          parts.push(enc.control(isPing ? 0x9 : 0xa, p));
          want.push(isPing ? ping(p) : pong(p));
        }
        const isText = rng.bool();
        const data = isText ? exactUtf8(rng, rng.pick(sizes)) : rng.bytes(rng.pick(sizes));
        parts.push(...enc.message(data, !isText, { fragmentSize: rng.pick([0, 0, 1, 7, 125, 126, 4096, 65536]) }));
        want.push(isText ? text(data) : binary(data));
      }
      parts.push(enc.close(4321, 'κόσμε'));
      want.push(close(4321, 'κόσμε'));
      const bytes = concat(parts);
      for (const cuts of [[], rng.cuts(bytes.length, 7), rng.cuts(bytes.length, Math.min(3000, bytes.length))]) {
        expect(await wsReceive(bytes, cuts, sender === 'client'), rng.note).toEqual(want);
      }
    });
  });
});

// Where the two may rightly differ: we fail text at the first bad byte (ws at the message
// end), we refuse a 64-bit length with its top bit set as a protocol error (1002, RFC 6455
// section 5.2; ws says 1009) and lengths of 4 GiB or more (ws waits up to 2^53 - 1).
describe.each(CORES)('corrupted ws streams: we and ws agree (%s core)', (_core, codec) => {
  it.each(ROLES.map((r) => [r]))('Decoder role %s: 400 streams with one corrupted byte', async (role) => {
    const rng = new Rng(`corrupt ${role}`);
    let compared = 0;
    let failed = 0;
    for (let n = 0; n < 400; n++) {
      const c = wsConversation(rng, role === 'server', [0, 3, 20, 125, 126, 200], 6);
      const bytes = c.bytes.slice();
      // Mostly header bytes (the first 2-3 of a frame), sometimes anywhere.
      const at = rng.bool(0.7) ? Math.min(bytes.length - 1, rng.pick(c.starts) + rng.int(3)) : rng.int(bytes.length);
      bytes[at] ^= rng.bool(0.5) ? 1 << rng.int(8) : rng.range(1, 255);
      const cuts = rng.cuts(bytes.length, rng.range(0, 8));
      const note = `${rng.note} stream ${n}, byte ${at}`;
      const ours = decode(bytes, cuts, { role, codec, maxPayload: 0 }).recorder.events;
      const theirs = await wsReceive(bytes, cuts, role === 'server');
      const ourError = ours.find((e) => e.type === 'error');
      const theirError = theirs.find((e) => e.type === 'error');
      if (ourError?.type === 'error' && ['WS_ERR_INVALID_PAYLOAD_LENGTH', 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'].includes(ourError.code)) continue;
      if (theirError?.type === 'error' && theirError.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') continue;
      compared++;
      const plain = (events: Event[]): Event[] => events.filter((e) => e.type !== 'error');
      if (ourError?.type === 'error' && ourError.closeCode === 1007 && ourError.code === 'WS_ERR_INVALID_UTF8') {
        // Fail-fast: what we saw is what ws saw up to there; ws may see more before its 1007.
        expect(plain(theirs).slice(0, plain(ours).length), note).toEqual(plain(ours));
        continue;
      }
      expect(plain(ours), note).toEqual(plain(theirs));
      expect(ourError === undefined, `${note}: ours ${ourError?.type === 'error' ? ourError.message : 'none'}`).toBe(theirError === undefined);
      if (ourError?.type === 'error' && theirError?.type === 'error') {
        expect(ourError.closeCode, `${note}: ${theirError.message}`).toBe(theirError.closeCode);
        failed++;
      }
    }
    expect(compared).toBeGreaterThan(300);
    expect(failed, 'streams both refused').toBeGreaterThan(100);
  });
});
