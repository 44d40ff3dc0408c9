// Decoder behaviour beyond the wire rules: roles (RFC 6455 section 5.1), payload ownership
// (copies by default, borrowed views with borrowPayload), nested feeds on a shared codec,
// chunks larger than one core call, and option validation.
import { describe, expect, it } from 'vitest';
import { createCodec } from '../src/codec/index.js';
import { Decoder, Encoder, type DecoderHandler } from '../src/protocol/index.js';
import { Rng } from './reference/random.js';
import { binary, close, CORES, decode, error, expectDecode, ping, pong, Recorder, show, text } from './protocol/harness.js';
import { ROLES, Wire, type Role } from './protocol/wire.js';

const NOOP: DecoderHandler = { onMessage() {}, onPing() {}, onPong() {}, onClose() {}, onError() {} };
/** A handler that keeps every message and ping payload it is given. */
const record = (into: Uint8Array[]): DecoderHandler => ({ ...NOOP, onMessage: (d) => void into.push(d), onPing: (d) => void into.push(d) });

/** A mixed stream: small and large, fragmented and whole messages, controls between. */
function mixed(role: Role, rng: Rng): { wire: Wire; payloads: Uint8Array[] } {
  const wire = new Wire(role, 'mixed');
  const payloads: Uint8Array[] = [];
  for (let i = 0; i < 40; i++) {
    const data = rng.bytes(rng.pick([0, 5, 125, 126, 1000, 70000]));
    wire.message(0x2, data, data.length > 10 && rng.bool() ? rng.cuts(data.length, 3) : []);
    payloads.push(data);
    if (rng.bool(0.3)) (wire.frame(0x9, [i]), payloads.push(Uint8Array.of(i)));
  }
  return { wire, payloads };
}

describe.each(CORES)('Decoder (%s core)', (_core, codec) => {
  describe.each(ROLES.map((r) => [r]))('role %s', (role) => {
    it('rejects frames masked the wrong way for its role, after what came before', () => {
      const w = new Wire(role);
      w.frame(0x1, 'ok');
      w.frame(0x2, [1, 2, 3], { mask: role === 'server' ? null : [9, 8, 7, 6] });
      const want = role === 'server'
        ? error('WS_ERR_EXPECTED_MASK', 1002, w.starts[1], 'frames from a client must be masked')
        : error('WS_ERR_UNEXPECTED_MASK', 1002, w.starts[1], 'frames from a server must not be masked');
      expectDecode(codec, w, [text('ok'), want], { role });
    });

    /** Message and ping payloads the handler got (and kept) from a mixed stream fed in 300 random chunks, each made by `chunk`. */
    const keptFromRandomChunks = (label: string, chunk: (bytes: Uint8Array) => Uint8Array) => {
      const rng = new Rng(`${label} ${role}`);
      const { wire, payloads } = mixed(role, rng);
      const kept: Uint8Array[] = [];
      const decoder = new Decoder({ role, codec }, record(kept));
      const bytes = wire.bytes;
      const cuts = rng.cuts(bytes.length, 300);
      for (let i = 0, a = 0; i <= cuts.length; i++) {
        const b = i < cuts.length ? cuts[i] : bytes.length;
        decoder.feed(chunk(bytes.slice(a, b)));
        a = b;
      }
      return { kept, payloads, note: rng.note };
    };

    it('payloads are copies the handler owns: still intact after every later feed', () => {
      const { kept, payloads, note } = keptFromRandomChunks('ownership', (b) => b);
      expect(kept.map(show), note).toEqual(payloads.map(show));
      for (const k of kept) if (k.length > 0) expect(k.buffer).not.toBe(codec.bytes.buffer);
    });

    it('Buffer chunks (as sockets read them): payloads are Buffers the handler owns, intact after every later feed', () => {
      // A Buffer over its own memory, as a socket read.
      const { kept, payloads, note } = keptFromRandomChunks('buffer chunks', (b) => Buffer.from(b.buffer));
      expect(kept.map(show), note).toEqual(payloads.map(show));
      for (const k of kept) {
        expect(Buffer.isBuffer(k)).toBe(true);
        // Never the WebAssembly core's memory (the js core's input is the chunk itself).
        if (k.length > 0 && codec.core === 'wasm') expect(k.buffer).not.toBe(codec.bytes.buffer);
      }
    });

    it('a Buffer chunk: whole payloads are views of it, unmasked in place; one that began in carried bytes is a copy', () => {
      const w = new Wire(role);
      w.frame(0x9, 'ping payload');
      w.frame(0x2, new Uint8Array(500).fill(5));
      w.frame(0x1, 'second message');
      const want = ['ping payload', new Uint8Array(500).fill(5), 'second message'].map((p) => show(typeof p === 'string' ? new TextEncoder().encode(p) : p));
      // Buffers over their own memory, as socket reads are (Buffer.from(bytes) would copy into
      // the shared pool, where copies made by the Decoder may land too).
      const whole: Uint8Array[] = [];
      const chunk = Buffer.from(w.bytes.slice().buffer);
      new Decoder({ role, codec }, record(whole)).feed(chunk);
      expect(whole.map(show)).toEqual(want);
      for (const view of whole) expect(view.buffer).toBe(chunk.buffer);
      // Split inside the ping's payload: the ping is carried whole into the next call, so its
      // payload starts in carried bytes and is a copy; the payloads after it lie in the chunk.
      const split: Uint8Array[] = [];
      const d = new Decoder({ role, codec }, record(split));
      const cut = w.starts[0] + (role === 'server' ? 6 : 2) + 4;
      const rest = Buffer.from(w.bytes.slice(cut).buffer);
      d.feed(Buffer.from(w.bytes.slice(0, cut).buffer));
      d.feed(rest);
      expect(split.map(show)).toEqual(want);
      for (const payload of split) expect(Buffer.isBuffer(payload)).toBe(true);
      expect(split[0].buffer).not.toBe(rest.buffer);
      // The WebAssembly core copies whole payloads back over the chunk; the js core parsed a
      // copy of carry + chunk, so its payloads are copies.
      if (codec.core === 'wasm') for (const view of split.slice(1)) expect(view.buffer).toBe(rest.buffer);
    });

    it('borrowPayload: views with the same content during the callback, in every chunking', () => {
      const rng = new Rng(`borrow ${role}`);
      const { wire, payloads } = mixed(role, rng);
      const w = new Wire(role, 'borrow');
      w.frame(0x1, 'hello');
      w.message(0x2, new Uint8Array(3000).fill(3), [1000, 2000]);
      w.frame(0x9, 'ping');
      w.frame(0xa, 'pong');
      w.frame(0x8, [0x03, 0xe8, 0x62, 0x79, 0x65]);
      const events = [text('hello'), binary(new Uint8Array(3000).fill(3)), ping('ping'), pong('pong'), close(1000, 'bye')];
      expectDecode(codec, w, events, { role, options: { borrowPayload: true } });
      expectDecode(codec, wire, payloads.map((p) => (p.length === 1 ? ping(p) : binary(p))), { role, options: { borrowPayload: true }, byteLimit: 0 });
    });

    it('borrowPayload: an unfragmented message fed whole is a view, not a copy', () => {
      const w = new Wire(role);
      w.frame(0x2, new Uint8Array(500).fill(5));
      let view: Uint8Array | undefined;
      const d = new Decoder({ role, codec, borrowPayload: true }, { ...NOOP, onMessage: (data) => void (view = data) });
      const chunk = w.bytes;
      d.feed(chunk);
      expect(view).toHaveLength(500);
      // The wasm core hands out its own memory; the js core parses (and unmasks) the chunk in place.
      expect(view!.buffer).toBe(codec.core === 'wasm' ? codec.bytes.buffer : chunk.buffer);
    });

    it('a handler may feed another Decoder that shares its codec (a nested feed)', () => {
      const inner = new Recorder();
      const innerDecoder = new Decoder({ role, codec }, inner);
      const innerWire = new Wire(role, 'inner');
      innerWire.message(0x1, 'x'.repeat(5000), [100, 4000]);
      innerWire.frame(0x9, 'inner ping');
      const innerBytes = innerWire.bytes;
      const outer = new Recorder();
      const onMessage = outer.onMessage.bind(outer);
      outer.onMessage = (data, isBinary, compressed) => {
        innerDecoder.feed(new Uint8Array(innerBytes));
        onMessage(data, isBinary, compressed);
      };
      const w = new Wire(role, 'outer');
      for (let i = 0; i < 3; i++) (w.frame(0x2, new Uint8Array(200).fill(i)), w.frame(0xa, [i]));
      decode(w.bytes, [], { role, codec }, outer);
      expect(outer.events).toEqual([0, 1, 2].flatMap((i) => [binary(new Uint8Array(200).fill(i)), pong([i])]));
      expect(inner.events).toEqual([0, 1, 2].flatMap(() => [text('x'.repeat(5000)), ping('inner ping')]));
    });

    it('a handler may send through an Encoder that shares the codec (a client echoing)', () => {
      // Three 70,000-byte messages in one chunk: the Decoder is still reading the chunk when
      // the handler masks its echo with the same codec.
      const enc = new Encoder({ role: 'client', codec });
      const w = new Wire(role);
      for (let i = 1; i <= 3; i++) w.frame(0x2, new Uint8Array(70_000).fill(i));
      const recorder = new Recorder();
      const onMessage = recorder.onMessage.bind(recorder);
      recorder.onMessage = (data, isBinary, compressed) => {
        onMessage(data, isBinary, compressed);
        enc.message(new Uint8Array(70_000).fill(0xee), true);
      };
      decode(w.bytes, [], { role, codec }, recorder);
      expect(recorder.events).toEqual([1, 2, 3].map((i) => binary(new Uint8Array(70_000).fill(i))));
    });

    it('one chunk larger than a core call: offsets stay absolute across the 64 KiB slices', () => {
      const payload = new Uint8Array(300_000).fill(0x61);
      payload[200_001] = 0xc0;
      const w = new Wire(role);
      w.frame(0x1, 'before');
      const map = w.message(0x1, payload, [70_000, 140_000]);
      const { recorder } = decode(w.bytes, [], { role, codec });
      expect(recorder.events[0]).toEqual(text('before'));
      expect(recorder.errors).toHaveLength(1);
      expect(recorder.errors[0]).toMatchObject({ code: 'WS_ERR_INVALID_UTF8', closeCode: 1007, offset: map(200_001) });
      expect(map(200_001)).toBeGreaterThan(3 * 65536);
    });

    it('an Encoder of the other role speaks to it (text, binary, ping, pong, close)', () => {
      const enc = new Encoder({ role: role === 'server' ? 'client' : 'server', codec });
      const parts = [...enc.text('héllo'), ...enc.message(new Uint8Array([1, 2]), true), enc.control(0x9, Uint8Array.of(7)),
        enc.control(0xa), enc.close(1001, 'going away')];
      const bytes = Buffer.concat(parts);
      expectDecode(codec, bytes, [text('héllo'), binary([1, 2]), ping([7]), pong(), close(1001, 'going away')], { role });
    });
  });
});

describe('options are validated once, naming the allowed values', () => {
  const codec = createCodec({ core: 'js' });
  const make = (o: object) => () => new Decoder({ role: 'server', codec, ...o } as never, NOOP);
  it('role must be server or client', () => {
    for (const role of ['peer', undefined, 'Server', 1]) {
      expect(() => new Decoder({ role, codec } as never, NOOP)).toThrow(TypeError);
      expect(() => new Decoder({ role, codec } as never, NOOP)).toThrow(/'server' or 'client'/);
      expect(() => new Encoder({ role } as never)).toThrow(TypeError);
      expect(() => new Encoder({ role } as never)).toThrow(/'server' or 'client'/);
    }
  });
  it('maxPayload must be an integer >= 0', () => {
    for (const v of [-1, 1.5, NaN, Infinity, '100']) expect(make({ maxPayload: v }), String(v)).toThrow(/maxPayload must be an integer >= 0/);
    for (const v of [-1, 1.5, NaN]) expect(make({ maxPayload: v })).toThrow(RangeError);
    for (const v of [0, 1, 2 ** 32, 2 ** 40]) expect(make({ maxPayload: v })).not.toThrow();
  });
  it('maxFragments must be an integer >= 1', () => {
    for (const v of [0, -1, 1.5, NaN]) expect(make({ maxFragments: v }), String(v)).toThrow(RangeError);
    expect(make({ maxFragments: 0 })).toThrow(/maxFragments must be an integer >= 1/);
    expect(make({ maxFragments: 1 })).not.toThrow();
  });
  it('createCodec core must be auto, wasm or js', () => {
    expect(() => createCodec({ core: 'simd' as never })).toThrow(TypeError);
    expect(() => createCodec({ core: 'simd' as never })).toThrow(/'auto', 'wasm', 'js'/);
  });
  it('boolean options must be booleans (a string "false" must not switch RSV1 on)', () => {
    for (const key of ['allowRsv1', 'skipUtf8Validation', 'borrowPayload']) {
      for (const v of ['false', 1, 'yes']) expect(make({ [key]: v }), `${key}: ${String(v)}`).toThrow(TypeError);
    }
  });
});
