// inspectFrames on crafted frames: every header field and its byte range, every problem
// (code, rule, offset), framing kept past violations and lost only where bytes run out,
// permessage-deflate (with and without context takeover), decoded views. Both cores.
import { describe, expect, it } from 'vitest';
import { createDeflateRaw, constants } from 'node:zlib';
import { encode as msgpack } from '@msgpack/msgpack';
import { encode as cbor } from 'cborg';
import { inspectFrames, StreamInspector, closeCodeName, type InspectOptions, type StreamResult } from '../src/inspect/index.js';
import { zlibInflater } from '../src/inspect/inflate-node.js';
import { streamInflater } from '../src/inspect/inflate.js';
import { buildFrame, concatBytes, utf8 } from './inspect-support.js';
import { makeCodec } from './helpers/codecs.js';
import { Rng } from './reference/random.js';

const KEY = [0x37, 0xfa, 0x21, 0x3d];
const codes = (r: StreamResult, i = 0): string[] => r.frames[i].problems.map((p) => p.code);

describe.each([['js'], ['wasm']] as const)('inspectFrames (%s core)', (core) => {
  const codec = makeCodec(core);
  const run = (bytes: Uint8Array, o: Partial<InspectOptions> = {}): Promise<StreamResult> =>
    inspectFrames(bytes, { role: 'client', codec, inflate: zlibInflater(), ...o });

  it('reads every header field with its byte range (7-bit length, masked)', async () => {
    const r = await run(buildFrame({ opcode: 1, payload: utf8('Hello'), mask: KEY }));
    const f = r.frames[0];
    expect(f).toMatchObject({ offset: 0, headerLength: 6, fin: true, opcode: 1, opcodeName: 'text', masked: true, maskingKey: KEY, lengthEncoding: 7, payloadLength: 5, preview: 'Hello' });
    expect(new TextDecoder().decode(f.payload)).toBe('Hello');
    expect(f.fields.map((x) => [x.name, x.start, x.end, x.bits, x.value])).toEqual([
      ['FIN', 0, 1, 0x80, '1'], ['RSV1', 0, 1, 0x40, '0'], ['RSV2', 0, 1, 0x20, '0'], ['RSV3', 0, 1, 0x10, '0'],
      ['opcode', 0, 1, 0x0f, '0x1 text'], ['MASK', 1, 2, 0x80, '1'], ['payload length', 1, 2, 0x7f, '5 (7-bit)'],
      ['masking key', 2, 6, undefined, '37 fa 21 3d'],
    ]);
    expect(f.problems).toEqual([]);
  });

  it('reads 16-bit and 64-bit lengths and their field ranges, at their stream offsets', async () => {
    const a = buildFrame({ opcode: 2, payload: new Uint8Array(300).fill(7), mask: KEY });
    const b = buildFrame({ opcode: 2, payload: new Uint8Array(70000).fill(9), mask: KEY });
    const r = await run(concatBytes([a, b]));
    expect(r.frames.map((f) => [f.offset, f.lengthEncoding, f.payloadLength, f.headerLength])).toEqual([[0, 16, 300, 8], [a.length, 64, 70000, 14]]);
    expect(r.frames[0].fields.find((x) => x.name === 'extended length')).toMatchObject({ start: 2, end: 4, value: '300 (16-bit)' });
    expect(r.frames[1].fields.find((x) => x.name === 'extended length')).toMatchObject({ start: a.length + 2, end: a.length + 10 });
    expect(r.frames[1].fields.find((x) => x.name === 'masking key')).toMatchObject({ start: a.length + 10, end: a.length + 14 });
    expect(r.frames[1].payload.every((x) => x === 9)).toBe(true);
    expect(r.frames[0].hex?.startsWith('07 07 07')).toBe(true);
  });

  it.each([
    ['RSV1 without deflate', { opcode: 1, rsv1: true }, 'WS_ERR_UNEXPECTED_RSV_1', 0],
    ['RSV2', { opcode: 1, rsv2: true }, 'WS_ERR_UNEXPECTED_RSV_2_3', 0],
    ['RSV3', { opcode: 2, rsv3: true }, 'WS_ERR_UNEXPECTED_RSV_2_3', 0],
    ['reserved data opcode 0x3', { opcode: 3 }, 'WS_ERR_INVALID_OPCODE', 0],
    ['reserved control opcode 0xB', { opcode: 0xb }, 'WS_ERR_INVALID_OPCODE', 0],
    ['fragmented ping', { opcode: 9, fin: false }, 'WS_ERR_EXPECTED_FIN', 0],
    ['ping over 125 bytes', { opcode: 9, payload: new Uint8Array(126) }, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', 1],
    ['unmasked client frame', { opcode: 1, mask: null }, 'WS_ERR_EXPECTED_MASK', 1],
    ['16-bit form for 5 bytes', { opcode: 2, payload: new Uint8Array(5), form: 16 }, 'WS_ERR_NON_MINIMAL_LENGTH', 1],
    ['64-bit form for 200 bytes', { opcode: 2, payload: new Uint8Array(200), form: 64 }, 'WS_ERR_NON_MINIMAL_LENGTH', 1],
    ['1-byte close payload', { opcode: 8, payload: new Uint8Array([3]) }, 'WS_ERR_INVALID_CLOSE_PAYLOAD', 6],
    ['close code 1005', { opcode: 8, payload: new Uint8Array([0x03, 0xed]) }, 'WS_ERR_INVALID_CLOSE_CODE', 6],
    ['close code 999', { opcode: 8, payload: new Uint8Array([0x03, 0xe7]) }, 'WS_ERR_INVALID_CLOSE_CODE', 6],
    ['close code 2000', { opcode: 8, payload: new Uint8Array([0x07, 0xd0]) }, 'WS_ERR_INVALID_CLOSE_CODE', 6],
    ['close reason not UTF-8', { opcode: 8, payload: new Uint8Array([0x03, 0xe8, 0x61, 0xff]) }, 'WS_ERR_INVALID_CLOSE_REASON', 9],
    ['continuation without start', { opcode: 0 }, 'WS_ERR_UNEXPECTED_CONTINUATION', 0],
  ])('%s: reports the rule at its byte, and reads the next frame', async (_name, spec, code, offset) => {
    const bad = buildFrame({ mask: KEY, ...spec });
    const good = buildFrame({ opcode: 1, payload: utf8('next'), mask: KEY });
    const r = await run(concatBytes([bad, good]));
    expect(r.frames).toHaveLength(2);
    const found = r.frames[0].problems.find((p) => p.code === code);
    expect(found, JSON.stringify(r.frames[0].problems)).toBeDefined();
    expect(found!.offset).toBe(offset);
    expect(found!.rule).toMatch(/^RFC (6455|7692) section/);
    expect(found!.message).toContain(`at byte ${offset}`);
    expect(r.frames[1]).toMatchObject({ offset: bad.length, preview: 'next' });
    expect(codes(r, 1)).toEqual(spec.opcode === 8 ? ['WS_ERR_DATA_AFTER_CLOSE'] : []);
    expect(r.lost).toBeUndefined();
  });

  it('flags a masked frame from a server', async () => {
    const r = await run(buildFrame({ opcode: 1, payload: utf8('x'), mask: KEY }), { role: 'server' });
    expect(codes(r)).toEqual(['WS_ERR_UNEXPECTED_MASK']);
    expect(r.frames[0].problems[0].offset).toBe(1);
  });

  it('flags a 64-bit length with its most significant bit set, and says where framing was lost', async () => {
    const r = await run(concatBytes([buildFrame({ opcode: 2, payload: new Uint8Array(3), declaredLength: 1n << 63n, form: 64, mask: KEY }), new Uint8Array(10)]));
    expect(codes(r)).toEqual(['WS_ERR_INVALID_PAYLOAD_LENGTH', 'WS_ERR_TRUNCATED']);
    expect(r.frames[0].problems[0].offset).toBe(2);
    expect(r.frames[0].truncated).toBe(true);
    expect(r.lost).toMatchObject({ offset: 0 });
  });

  it('reports invalid UTF-8 at its stream offset, across fragments, and a message ending inside a character', async () => {
    const euro = utf8('€'); // e2 82 ac
    const a = buildFrame({ opcode: 1, fin: false, payload: Uint8Array.from([0x61, euro[0]]), mask: KEY });
    const b = buildFrame({ opcode: 0, payload: Uint8Array.from([euro[1], 0x28]), mask: KEY }); // 0x28 cannot continue
    const c = buildFrame({ opcode: 1, payload: Uint8Array.from([0x61, 0xe2, 0x82]), mask: KEY });
    const r = await run(concatBytes([a, b, c]));
    expect(codes(r, 1)).toEqual(['WS_ERR_INVALID_UTF8']);
    expect(r.frames[1].problems[0].offset).toBe(a.length + 6 + 1);
    expect(codes(r, 2)).toEqual(['WS_ERR_INVALID_UTF8']);
    expect(r.frames[2].problems[0].message).toContain('ends inside a character');
    expect(r.frames[1].message).toMatchObject({ frames: 2, opcode: 1 });
  });

  it('reassembles a fragmented message with a ping in between; flags a new message while one is open', async () => {
    const r = await run(concatBytes([
      buildFrame({ opcode: 1, fin: false, payload: utf8('Hel'), mask: KEY }),
      buildFrame({ opcode: 9, payload: utf8('p'), mask: KEY }),
      buildFrame({ opcode: 0, payload: utf8('lo'), mask: KEY }),
      buildFrame({ opcode: 2, fin: false, payload: utf8('x'), mask: KEY }),
      buildFrame({ opcode: 1, payload: utf8('y'), mask: KEY }),
    ]));
    expect(r.frames[2].message?.text).toBe('Hello');
    expect(r.frames[2].preview).toBe('[2 frames] Hello');
    expect(r.frames.slice(0, 4).every((f) => f.problems.length === 0)).toBe(true);
    expect(codes(r, 4)).toEqual(['WS_ERR_EXPECTED_CONTINUATION']);
  });

  it('flags frames after a close frame, and RSV1 misuse with deflate negotiated', async () => {
    const r = await run(concatBytes([
      buildFrame({ opcode: 9, rsv1: true, mask: KEY }),
      buildFrame({ opcode: 1, fin: false, payload: utf8('a'), mask: KEY }),
      buildFrame({ opcode: 0, rsv1: true, payload: utf8('b'), mask: KEY }),
      buildFrame({ opcode: 8, payload: Uint8Array.from([0x03, 0xe8, 0x62, 0x79, 0x65]), mask: KEY }),
      buildFrame({ opcode: 1, payload: utf8('late'), mask: KEY }),
    ]), { deflate: true });
    expect(r.frames[0].problems[0].message).toContain('on a control frame');
    expect(r.frames[2].problems[0].message).toContain('on a continuation frame');
    expect(r.frames[3].close).toEqual({ code: 1000, name: 'Normal Closure', reason: 'bye' });
    expect(r.frames[3].preview).toBe('1000 Normal Closure: bye');
    expect(codes(r, 4)).toEqual(['WS_ERR_DATA_AFTER_CLOSE']);
  });

  it('says where framing was lost: a truncated header, a truncated payload, an unfinished message', async () => {
    const ok = buildFrame({ opcode: 1, payload: utf8('ok'), mask: KEY });
    const r1 = await run(concatBytes([ok, Uint8Array.from([0x81, 0xfe, 0x01])]));
    expect(r1.frames).toHaveLength(1);
    expect(r1.problems.map((p) => p.code)).toEqual(['WS_ERR_TRUNCATED']);
    expect(r1.lost).toEqual({ offset: ok.length, message: expect.stringContaining('needs 8 bytes, 3 captured') });
    const long = buildFrame({ opcode: 1, fin: false, payload: utf8('abcdef'), mask: KEY });
    const r2 = await run(concatBytes([ok, long.subarray(0, long.length - 2)]));
    expect(r2.frames[1]).toMatchObject({ truncated: true, payloadLength: 6 });
    expect(r2.frames[1].payload).toEqual(utf8('abcd'));
    expect(codes(r2, 1)).toEqual(['WS_ERR_TRUNCATED']);
    const r3 = await run(buildFrame({ opcode: 1, fin: false, payload: utf8('a'), mask: KEY }));
    expect(r3.problems.map((p) => p.code)).toEqual(['WS_ERR_UNFINISHED_MESSAGE']);
  });

  it('gives the same frames for any chunking (random splits)', async () => {
    const rng = new Rng(`inspect-chunks-${core}`);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) {
      const n = rng.pick([0, 1, 125, 126, 300, 70000]);
      parts.push(buildFrame({ opcode: rng.pick([1, 2, 9]) === 9 && n <= 125 ? 9 : 2, payload: rng.bytes(n), mask: rng.bytes(4) }));
    }
    const all = concatBytes(parts);
    const whole = await run(all);
    const s = new StreamInspector({ role: 'client', codec });
    for (let at = 0; at < all.length;) {
      const n = Math.min(all.length - at, rng.range(1, 5000));
      void s.feed(all.subarray(at, at + n));
      at += n;
    }
    const split = await s.finish();
    expect(split.frames.map((f) => [f.offset, f.opcode, f.payload]), rng.note).toEqual(whole.frames.map((f) => [f.offset, f.opcode, f.payload]));
  });

  it('shows JSON, MessagePack and CBOR views where payloads parse', async () => {
    const value = { a: 1, b: [true, 'x'] };
    const r = await run(concatBytes([
      buildFrame({ opcode: 1, payload: utf8(JSON.stringify(value)), mask: KEY }),
      buildFrame({ opcode: 2, payload: msgpack(value), mask: KEY }),
      buildFrame({ opcode: 2, payload: cbor(value), mask: KEY }),
      buildFrame({ opcode: 2, payload: Uint8Array.from([0xc1, 0xc1, 0xff]), mask: KEY }),
    ]));
    expect(r.frames[0].message?.views.json).toBe('{"a":1,"b":[true,"x"]}');
    expect(r.frames[1].message?.views.msgpack).toBe('{"a":1,"b":[true,"x"]}');
    expect(r.frames[1].preview).toMatch(/^msgpack /);
    expect(r.frames[2].message?.views.cbor).toBe('{"a":1,"b":[true,"x"]}');
    expect(r.frames[3].message?.views).toEqual({});
    expect(r.frames[3].preview).toBe('0x c1 c1 ff');
  });
});

/** Messages compressed as a permessage-deflate sender does (sync flush, tail removed). */
async function deflateMessages(messages: string[], noContextTakeover = false): Promise<Uint8Array[]> {
  let z = createDeflateRaw();
  const out: Uint8Array[] = [];
  for (const m of messages) {
    if (noContextTakeover) z = createDeflateRaw();
    const chunks: Buffer[] = [];
    const onData = (c: Buffer): void => { chunks.push(c); };
    z.on('data', onData);
    z.write(m);
    await new Promise<void>((resolve) => z.flush(constants.Z_SYNC_FLUSH, () => resolve()));
    z.off('data', onData);
    const all = Buffer.concat(chunks);
    out.push(all.subarray(0, all.length - 4));
  }
  return out;
}

describe('permessage-deflate', () => {
  const texts = ['hello hello hello hello', 'hello hello hello hello again', '{"json":"hello hello"}'];

  it.each([['zlib', zlibInflater()], ['DecompressionStream', streamInflater()!]])('inflates messages with context takeover (%s)', async (_n, inflate) => {
    const bodies = await deflateMessages(texts);
    // The second message refers back into the first: it inflates only with the window.
    const frames = bodies.map((b) => buildFrame({ opcode: 1, rsv1: true, payload: b }));
    const r = await inspectFrames(concatBytes(frames), { role: 'server', deflate: true, inflate });
    expect(r.frames.map((f) => f.message?.text)).toEqual(texts);
    expect(r.frames.every((f) => f.problems.length === 0 && f.message?.inflated)).toBe(true);
    expect(r.frames[0].preview).toBe('[inflated] hello hello hello hello');
    expect(r.frames[2].message?.views.json).toBe('{"json":"hello hello"}');
  });

  it('inflates without context takeover, and reports a message that does not inflate', async () => {
    const bodies = await deflateMessages(texts, true);
    const frames = bodies.map((b) => buildFrame({ opcode: 1, rsv1: true, payload: b, mask: KEY }));
    frames.push(buildFrame({ opcode: 1, rsv1: true, payload: Uint8Array.from([0xff, 0xff, 0xff]), mask: KEY }));
    const r = await inspectFrames(concatBytes(frames), { role: 'client', deflate: { noContextTakeover: true }, inflate: zlibInflater() });
    expect(r.frames.slice(0, 3).map((f) => f.message?.text)).toEqual(texts);
    expect(r.frames[3].problems.map((p) => p.code)).toEqual(['WS_ERR_INFLATE']);
  });

  it('inflates a compressed message split over fragments', async () => {
    const [body] = await deflateMessages(['fragmented and compressed, fragmented and compressed']);
    const r = await inspectFrames(concatBytes([
      buildFrame({ opcode: 1, rsv1: true, fin: false, payload: body.subarray(0, 5) }),
      buildFrame({ opcode: 0, payload: body.subarray(5) }),
    ]), { role: 'server', deflate: true, inflate: zlibInflater() });
    expect(r.frames[1].message).toMatchObject({ frames: 2, inflated: true, text: 'fragmented and compressed, fragmented and compressed' });
  });
});

describe('close code registry', () => {
  it('names the IANA-registered codes and the ranges', () => {
    expect([1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 1015].map(closeCodeName)).toEqual([
      'Normal Closure', 'Going Away', 'Protocol error', 'Unsupported Data', 'No Status Rcvd', 'Abnormal Closure',
      'Invalid frame payload data', 'Policy Violation', 'Message Too Big', 'Mandatory Ext.', 'Internal Error',
      'Service Restart', 'Try Again Later', 'Bad Gateway', 'TLS handshake',
    ]);
    expect(closeCodeName(3000)).toBe('Unauthorized');
    expect(closeCodeName(4001)).toBe('private use');
    expect(closeCodeName(2999)).toBe('reserved for this protocol and its extensions');
  });
});
