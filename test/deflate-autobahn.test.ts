// permessage-deflate on the wire, Autobahn TestSuite sections 12 and 13 style (from their
// public descriptions): echo of text and binary messages of 16 B … 128 KiB under the 13.x
// parameter sets, against the `ws` package in both roles, byte-exact; then the RFC 7692
// bit-level rules seen from a raw socket (threshold, context takeover, window bits, RSV1
// placement, failures, fragmentation, arbitrary chunking).
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as WsClient, WebSocketServer as WsServer, type PerMessageDeflateOptions as WsDeflateOptions } from 'ws';
import type { PerMessageDeflateOptions } from '../src/extensions/negotiate.js';
import { WebSocket, WebSocketServer } from '../src/index.js';
import {
  binaryOf, Cleanup, deflateMessage, delay, listening, Prng, RawClient, rawServer, serverFrame, sha256,
  StreamDeflater, StreamInflater, TAIL, textOf, type RawFrame,
} from './deflate/util.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const PMD = 'permessage-deflate';
const SIZES = [16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536, 131072];
const OP_TEXT = 1;
const OP_BINARY = 2;

interface Message { data: string | Buffer; binary: boolean; hash: string; length: number }

/**
 * For each size, text and binary interleaved: a base message, a slightly changed copy, a
 * fresh one and the base again, so context takeover has something to find.
 */
function corpus(seed: number): Message[] {
  const rng = new Prng(seed);
  const out: Message[] = [];
  const add = (data: string | Buffer): void => {
    const binary = typeof data !== 'string';
    out.push({ data, binary, hash: sha256(data), length: binary ? data.length : Buffer.byteLength(data) });
  };
  for (const size of SIZES) {
    const text = textOf(rng, size);
    const bin = binaryOf(rng, size);
    const changedText = `${text.slice(0, Math.floor(text.length / 2))}#${text.slice(Math.floor(text.length / 2) + 1)}`;
    const changedBin = Buffer.from(bin);
    changedBin[size >> 1] ^= 0xff;
    for (const [t, b] of [[text, bin], [changedText, changedBin], [textOf(rng, size), binaryOf(rng, size)], [text, bin]] as const) {
      add(t);
      add(b);
    }
  }
  return out;
}
const MESSAGES = corpus(0x12131213);
const TOTAL = MESSAGES.reduce((sum, m) => sum + m.length, 0);

interface EchoSide {
  send(data: string | Buffer): void;
  on(event: 'message', cb: (data: Buffer, isBinary: boolean) => void): void;
}

/** Sends every message at once (pipelined) and checks the echoes, in order, byte for byte. */
async function echoAll(client: EchoSide): Promise<void> {
  const got: Array<{ binary: boolean; hash: string }> = [];
  const done = new Promise<void>((resolve) => {
    client.on('message', (data, isBinary) => {
      got.push({ binary: isBinary, hash: sha256(data) });
      if (got.length === MESSAGES.length) resolve();
    });
  });
  for (const m of MESSAGES) client.send(m.data);
  await done;
  expect(got).toEqual(MESSAGES.map((m) => ({ binary: m.binary, hash: m.hash })));
}

// [name, client's perMessageDeflate, server's perMessageDeflate, the answer both must agree on]
const SETS: Array<[string, PerMessageDeflateOptions, PerMessageDeflateOptions, string]> = [
  ['13.1 default', {}, {}, PMD],
  ['13.2 client_no_context_takeover offered', { clientNoContextTakeover: true }, {}, `${PMD}; client_no_context_takeover`],
  ['13.3 server_no_context_takeover offered', { serverNoContextTakeover: true }, {}, `${PMD}; server_no_context_takeover`],
  ['13.4 both no_context_takeover offered', { serverNoContextTakeover: true, clientNoContextTakeover: true }, {},
    `${PMD}; server_no_context_takeover; client_no_context_takeover`],
  ['13.5 client_max_window_bits=9 offered', { clientMaxWindowBits: 9 }, {}, `${PMD}; client_max_window_bits=9`],
  ['13.5 client_max_window_bits=15 offered', { clientMaxWindowBits: 15 }, {}, `${PMD}; client_max_window_bits=15`],
  ['13.6 server_max_window_bits=9 offered', { serverMaxWindowBits: 9 }, {}, `${PMD}; server_max_window_bits=9`],
  ['13.6 server_max_window_bits=15 offered', { serverMaxWindowBits: 15 }, {}, `${PMD}; server_max_window_bits=15`],
  ['13.7 all parameters offered', { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 9 }, {},
    `${PMD}; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9`],
  ['server imposes server_no_context_takeover', {}, { serverNoContextTakeover: true }, `${PMD}; server_no_context_takeover`],
  ['server imposes client_no_context_takeover', {}, { clientNoContextTakeover: true }, `${PMD}; client_no_context_takeover`],
  ['server imposes server_max_window_bits=9', {}, { serverMaxWindowBits: 9 }, `${PMD}; server_max_window_bits=9`],
  ['server imposes client_max_window_bits=9', {}, { clientMaxWindowBits: 9 }, `${PMD}; client_max_window_bits=9`],
];

describe(`Autobahn 12/13 style echo: ${MESSAGES.length} messages, ${SIZES[0]} B to ${SIZES[SIZES.length - 1] / 1024} KiB, ${(TOTAL / 1024 / 1024).toFixed(1)} MiB each way`, () => {
  describe.each(SETS)('%s', (_name, clientOptions, serverOptions, expected) => {
    it('our server ↔ ws client', async () => {
      const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0, ...serverOptions } });
      const port = await listening(wss, cleanup);
      let serverExtensions = '';
      let serverSocket: Socket | null = null;
      wss.on('connection', (ws, req) => {
        serverExtensions = ws.extensions;
        serverSocket = req.socket;
        ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
      });
      const client = new WsClient(`ws://127.0.0.1:${port}`, { perMessageDeflate: { threshold: 0, ...clientOptions } as WsDeflateOptions });
      cleanup.add(() => client.terminate());
      let answered: string | undefined;
      client.on('upgrade', (res: IncomingMessage) => { answered = res.headers['sec-websocket-extensions'] as string; });
      await new Promise<void>((resolve, reject) => { client.on('open', resolve); client.on('error', reject); });
      expect(answered).toBe(expected);
      expect(serverExtensions).toBe(expected);
      expect(client.extensions).toBe(PMD); // ws reports extension names only
      await echoAll(client as unknown as EchoSide);
      // Compression happened both ways (the corpus is compressible).
      expect(serverSocket!.bytesRead).toBeLessThan(TOTAL * 0.75);
      expect(serverSocket!.bytesWritten).toBeLessThan(TOTAL * 0.75);
    });

    it('ws server ↔ our client', async () => {
      const wss = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0, ...serverOptions } as WsDeflateOptions });
      const port = await listening(wss, cleanup);
      let headerLine: string | undefined;
      let serverSocket: Socket | null = null;
      wss.on('headers', (headers: string[]) => { headerLine = headers.find((h) => /^sec-websocket-extensions:/i.test(h)); });
      wss.on('connection', (ws, req) => {
        serverSocket = req.socket;
        ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
      });
      const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: { threshold: 0, ...clientOptions } });
      cleanup.add(() => client.terminate());
      await new Promise<void>((resolve, reject) => { client.on('open', resolve); client.on('error', reject); });
      expect(headerLine).toBe(`Sec-WebSocket-Extensions: ${expected}`);
      expect(client.extensions).toBe(expected);
      await echoAll(client as unknown as EchoSide);
      expect(serverSocket!.bytesRead).toBeLessThan(TOTAL * 0.75);
      expect(serverSocket!.bytesWritten).toBeLessThan(TOTAL * 0.75);
    });
  });

  it('our client ↔ our server, all parameters, plus an empty message and one at exactly the threshold', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0, serverMaxWindowBits: 10 } });
    const port = await listening(wss, cleanup);
    wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary })));
    const client = new WebSocket(`ws://127.0.0.1:${port}`, {
      perMessageDeflate: { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true, clientMaxWindowBits: 11 },
    });
    cleanup.add(() => client.terminate());
    await new Promise<void>((resolve) => client.on('open', resolve));
    expect(client.extensions).toBe(`${PMD}; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11`);
    await echoAll(client as unknown as EchoSide);
    const empty = new Promise<[Buffer, boolean]>((resolve) => client.once('message', (d, b) => resolve([d as Buffer, b])));
    client.send(Buffer.alloc(0));
    const [data, binary] = await empty;
    expect(data.length).toBe(0);
    expect(binary).toBe(true);
  });
});

// ── Raw-socket checks ──

/** Our server echoing every message, with deflate options; returns the port and server-side errors. */
async function echoServer(perMessageDeflate: boolean | PerMessageDeflateOptions, extra: Record<string, unknown> = {}) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate, ...extra });
  const port = await listening(wss, cleanup);
  const errors: Array<Error & { code?: string }> = [];
  const closes: number[] = [];
  wss.on('connection', (ws) => {
    ws.on('error', (e) => errors.push(e));
    ws.on('close', (code) => closes.push(code));
    ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
  });
  return { wss, port, errors, closes };
}

/** The messages of frames (reassembled), inflated with one context-keeping inflater. */
async function messagesOf(frames: RawFrame[], inflater = new StreamInflater()): Promise<Array<{ opcode: number; compressed: boolean; data: Buffer }>> {
  const out: Array<{ opcode: number; compressed: boolean; data: Buffer }> = [];
  let parts: Buffer[] = [];
  let first: RawFrame | null = null;
  for (const f of frames) {
    if (f.opcode >= 8) continue;
    if (f.opcode !== 0) first = f;
    parts.push(f.payload);
    if (!f.fin) continue;
    const payload = Buffer.concat(parts);
    parts = [];
    out.push({ opcode: first!.opcode, compressed: first!.rsv1, data: first!.rsv1 ? await inflater.message(payload) : payload });
  }
  inflater.close();
  return out;
}

describe('threshold and the compress option (RSV1 as seen on the wire)', () => {
  it('server: below the default threshold (1024) RSV1 is clear, at and above it set', async () => {
    const { port } = await echoServer(true);
    const raw = await RawClient.connect(port, cleanup, PMD);
    expect(raw.extensions).toBe(PMD);
    const rng = new Prng(7);
    const sent = [1023, 1024, 4096, 0, 1].map((n) => Buffer.from(textOf(rng, n)));
    for (const s of sent) raw.send({ opcode: OP_TEXT, payload: s });
    const frames = await raw.reader.waitFor((f) => f.length >= sent.length);
    expect(frames.map((f) => f.rsv1)).toEqual([false, true, true, false, false]);
    expect(frames[0].payload.equals(sent[0])).toBe(true);
    expect(frames[1].payload.length).toBeLessThan(1024);
    const messages = await messagesOf(frames);
    expect(messages.map((m) => sha256(m.data))).toEqual(sent.map((s) => sha256(s)));
  });

  it('server: threshold 0 compresses everything, even an empty message; compress: false never', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0 } });
    const port = await listening(wss, cleanup);
    const big = Buffer.from('abc'.repeat(5000));
    wss.on('connection', (ws) => {
      ws.send(Buffer.alloc(0));
      ws.send('x');
      ws.send(big, { compress: false });
      ws.send(big);
      ws.send(big, { compress: true, binary: true });
    });
    const raw = await RawClient.connect(port, cleanup, `${PMD}; client_max_window_bits`);
    const frames = await raw.reader.waitFor((f) => f.length >= 5);
    expect(frames.map((f) => [f.opcode, f.rsv1])).toEqual([[OP_BINARY, true], [OP_TEXT, true], [OP_BINARY, false], [OP_BINARY, true], [OP_BINARY, true]]);
    expect(frames[2].payload.equals(big)).toBe(true);
    expect(frames[3].payload.length).toBeLessThan(200);
    const messages = await messagesOf(frames);
    expect(messages.map((m) => m.data.toString())).toEqual(['', 'x', big.toString(), big.toString(), big.toString()]);
  });

  it('client: threshold 100 → 99 bytes clear, 100 set; compress: false clear; frames are masked', async () => {
    const server = await rawServer(cleanup, () => PMD);
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}`, { perMessageDeflate: { threshold: 100 } });
    cleanup.add(() => ws.terminate());
    await new Promise<void>((resolve) => ws.on('open', resolve));
    const conn = await server.next();
    expect(conn.offer).toBe(`${PMD}; client_max_window_bits`);
    const a = 'a'.repeat(99);
    const b = 'b'.repeat(100);
    const c = Buffer.alloc(500, 7);
    ws.send(a);
    ws.send(b);
    ws.send(c, { compress: false });
    ws.send(c);
    const frames = await conn.reader.waitFor((f) => f.length >= 4);
    expect(frames.map((f) => f.rsv1)).toEqual([false, true, false, true]);
    expect(frames.every((f) => f.masked)).toBe(true);
    const messages = await messagesOf(frames);
    expect(messages.map((m) => m.data.toString('latin1'))).toEqual([a, b, c.toString('latin1'), c.toString('latin1')]);
  });

  it('no extension negotiated: nothing is compressed whatever the send options', async () => {
    const { port } = await echoServer(false);
    const raw = await RawClient.connect(port, cleanup, PMD);
    expect(raw.extensions).toBeUndefined();
    raw.send({ opcode: OP_TEXT, payload: Buffer.from('z'.repeat(5000)) });
    const [frame] = await raw.reader.waitFor((f) => f.length >= 1);
    expect(frame.rsv1).toBe(false);
    expect(frame.payload.toString()).toBe('z'.repeat(5000));
  });
});

describe('send order around compression', () => {
  const big = Buffer.from('ordered '.repeat(128 * 1024));

  it('server: compressed, ping, uncompressed, close leave in the order called', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0 } });
    const port = await listening(wss, cleanup);
    wss.on('connection', (ws) => {
      ws.send(big);
      ws.ping('p');
      ws.send('small', { compress: false });
      ws.send(big, { binary: true });
      ws.close(1000, 'bye');
    });
    const raw = await RawClient.connect(port, cleanup, PMD);
    const close = await raw.reader.closeFrame();
    expect(close).toEqual({ code: 1000, reason: 'bye' });
    const frames = raw.reader.frames;
    expect(frames.map((f) => [f.opcode, f.rsv1])).toEqual([[OP_BINARY, true], [9, false], [OP_TEXT, false], [OP_BINARY, true], [8, false]]);
    const messages = await messagesOf(frames);
    expect(messages.map((m) => sha256(m.data))).toEqual([sha256(big), sha256('small'), sha256(big)]);
  });

  it('client: the same order, masked', async () => {
    const server = await rawServer(cleanup, () => PMD);
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}`, { perMessageDeflate: { threshold: 0 } });
    cleanup.add(() => ws.terminate());
    await new Promise<void>((resolve) => ws.on('open', resolve));
    const sent: Record<string, string | null> = {};
    const note = (name: string) => (e?: Error | null): void => { sent[name] = e ? e.constructor.name : null; };
    ws.send(big, note('big'));
    ws.ping('p');
    ws.send('small', { compress: false }, note('small'));
    ws.close(1000, 'bye');
    ws.send('after close', note('after close'));
    const conn = await server.next();
    const close = await conn.reader.closeFrame();
    expect(close).toEqual({ code: 1000, reason: 'bye' });
    expect(conn.reader.frames.map((f) => [f.opcode, f.rsv1, f.masked])).toEqual([[OP_BINARY, true, true], [9, false, true], [OP_TEXT, false, true], [8, false, true]]);
    const messages = await messagesOf(conn.reader.frames);
    expect(messages.map((m) => sha256(m.data))).toEqual([sha256(big), sha256('small')]);
    await delay(10);
    expect(sent).toEqual({ big: null, small: null, 'after close': 'Error' });
  });
});

describe('context takeover and window bits on the wire', () => {
  const block = new Prng(99).bytes(2048);

  /** Server frames for `block` sent twice, with the client's offer. */
  async function serverSendsTwice(offer: string): Promise<RawFrame[]> {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0 } });
    const port = await listening(wss, cleanup);
    wss.on('connection', (ws) => { ws.send(block); ws.send(block); });
    const raw = await RawClient.connect(port, cleanup, offer);
    return raw.reader.waitFor((f) => f.length >= 2);
  }

  it('server with context takeover: the repeated message is a back-reference into the previous one', async () => {
    const frames = await serverSendsTwice(PMD);
    expect(frames[1].payload.length).toBeLessThan(64);
    expect(frames[0].payload.length).toBeGreaterThan(2000);
    expect(() => zlib.inflateRawSync(Buffer.concat([frames[1].payload, TAIL]))).toThrow(); // needs the context
    const messages = await messagesOf(frames);
    expect(messages.every((m) => m.data.equals(block))).toBe(true);
  });

  it('server_no_context_takeover: every message inflates on its own (and identical input gives identical frames)', async () => {
    const frames = await serverSendsTwice(`${PMD}; server_no_context_takeover`);
    expect(frames[1].payload.equals(frames[0].payload)).toBe(true);
    for (const f of frames) {
      expect(zlib.inflateRawSync(Buffer.concat([f.payload, TAIL]), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).equals(block)).toBe(true);
    }
  });

  it('server_max_window_bits=9: frames inflate with a 512-byte window across messages (15 would not)', async () => {
    const limited = await serverSendsTwice(`${PMD}; server_max_window_bits=9`);
    const messages = await messagesOf(limited, new StreamInflater({ windowBits: 9 }));
    expect(messages.every((m) => m.data.equals(block))).toBe(true);
    // Control: with the full window the second frame reaches 2 KiB back, which a 9-bit inflater refuses.
    const full = await serverSendsTwice(PMD);
    await expect(messagesOf(full, new StreamInflater({ windowBits: 9 }))).rejects.toThrow(/distance too far back/);
  });

  /** Our client's frames for `block` sent twice, when the server answers `answer`. */
  async function clientSendsTwice(options: PerMessageDeflateOptions, answer: string): Promise<RawFrame[]> {
    const server = await rawServer(cleanup, () => answer);
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}`, { perMessageDeflate: { threshold: 0, ...options } });
    cleanup.add(() => ws.terminate());
    await new Promise<void>((resolve) => ws.on('open', resolve));
    expect(ws.extensions).toBe(answer);
    ws.send(block);
    ws.send(block);
    const conn = await server.next();
    return conn.reader.waitFor((f) => f.length >= 2);
  }

  it('client with context takeover vs client_no_context_takeover (offered, or imposed by the server)', async () => {
    const taking = await clientSendsTwice({}, PMD);
    expect(taking[1].payload.length).toBeLessThan(64);
    for (const [options, answer] of [
      [{ clientNoContextTakeover: true }, `${PMD}; client_no_context_takeover`],
      [{}, `${PMD}; client_no_context_takeover`],
    ] as const) {
      const frames = await clientSendsTwice(options, answer);
      expect(frames[1].payload.equals(frames[0].payload)).toBe(true);
      for (const f of frames) expect(zlib.inflateRawSync(Buffer.concat([f.payload, TAIL]), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).equals(block)).toBe(true);
    }
  });

  it('client_max_window_bits=9 answered (or offered and not answered): a 512-byte window', async () => {
    for (const [options, answer] of [
      [{}, `${PMD}; client_max_window_bits=9`],
      [{ clientMaxWindowBits: 9 }, PMD], // what we offered binds us (RFC 7692 section 7.1.2.2)
    ] as const) {
      const frames = await clientSendsTwice(options, answer);
      const messages = await messagesOf(frames, new StreamInflater({ windowBits: 9 }));
      expect(messages.every((m) => m.data.equals(block))).toBe(true);
    }
    const full = await clientSendsTwice({}, PMD);
    await expect(messagesOf(full, new StreamInflater({ windowBits: 9 }))).rejects.toThrow(/distance too far back/);
  });
});

describe('RSV1 rules and failures (raw client → our server)', () => {
  const compressed = deflateMessage(Buffer.from('Hello, compressed world! '.repeat(40)));

  it.each([
    ['a continuation frame', [{ opcode: OP_TEXT, fin: false, rsv1: true, payload: compressed.subarray(0, 10) },
      { opcode: 0, fin: true, rsv1: true, payload: compressed.subarray(10) }]],
    ['a ping', [{ opcode: 9, rsv1: true, payload: Buffer.from('p') }]],
    ['a pong', [{ opcode: 10, rsv1: true }]],
    ['a close frame', [{ opcode: 8, rsv1: true, payload: Buffer.from([0x03, 0xe8]) }]],
    ['a ping between the fragments of a compressed message', [{ opcode: OP_TEXT, fin: false, rsv1: true, payload: compressed.subarray(0, 10) },
      { opcode: 9, rsv1: true }, { opcode: 0, fin: true, payload: compressed.subarray(10) }]],
  ])('RSV1 on %s → 1002', async (_name, specs) => {
    const { port, errors } = await echoServer({ threshold: 0 });
    const raw = await RawClient.connect(port, cleanup, PMD);
    expect(raw.extensions).toBe(PMD);
    for (const spec of specs) raw.send(spec);
    expect((await raw.reader.closeFrame()).code).toBe(1002);
    await raw.closed;
    expect(errors[0]?.code).toBe('WS_ERR_UNEXPECTED_RSV_1');
  });

  it.each([
    ['no offer', undefined, { threshold: 0 }],
    ['offered, server perMessageDeflate false', PMD, false],
    ['only unacceptable offers', `${PMD}; server_max_window_bits=7`, { threshold: 0 }],
  ] as const)('RSV1 without negotiation (%s) → 1002', async (_name, offer, option) => {
    const { port, errors } = await echoServer(option as boolean | PerMessageDeflateOptions);
    const raw = await RawClient.connect(port, cleanup, offer);
    expect(raw.extensions).toBeUndefined();
    raw.send({ opcode: OP_TEXT, rsv1: true, payload: compressed });
    expect((await raw.reader.closeFrame()).code).toBe(1002);
    expect(errors[0]?.code).toBe('WS_ERR_UNEXPECTED_RSV_1');
  });

  it('RSV2 and RSV3 stay forbidden with deflate negotiated → 1002', async () => {
    const { port } = await echoServer({ threshold: 0 });
    for (const bit of ['rsv2', 'rsv3'] as const) {
      const raw = await RawClient.connect(port, cleanup, PMD);
      raw.send({ opcode: OP_TEXT, rsv1: true, [bit]: true, payload: compressed });
      expect((await raw.reader.closeFrame()).code).toBe(1002);
    }
  });

  // Garbage: BFINAL=1 BTYPE=11 (reserved block type); a stored block whose LEN/NLEN disagree;
  // a valid stream followed by bytes after its final block.
  const GARBAGE: Array<[string, Buffer]> = [
    ['reserved block type', Buffer.from([0xff, 0xff, 0xff, 0xff])],
    ['stored block with bad NLEN', Buffer.from([0x00, 0x05, 0x00, 0x05, 0x00, 0x41, 0x41, 0x41, 0x41, 0x41])],
    ['random bytes', new Prng(5).bytes(300)],
  ];
  it.each(GARBAGE)('a compressed message that does not inflate (%s) → 1007, as ws', async (_name, payload) => {
    const { port, errors } = await echoServer({ threshold: 0 });
    const raw = await RawClient.connect(port, cleanup, PMD);
    raw.send({ opcode: OP_BINARY, rsv1: true, payload });
    expect((await raw.reader.closeFrame()).code).toBe(1007);
    expect(errors.length).toBe(1);
    // The same bytes to ws's server.
    const wss = new WsServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true });
    const wsPort = await listening(wss, cleanup);
    wss.on('connection', (ws) => ws.on('error', () => {}));
    const rawWs = await RawClient.connect(wsPort, cleanup, PMD);
    rawWs.send({ opcode: OP_BINARY, rsv1: true, payload });
    expect((await rawWs.reader.closeFrame()).code).toBe(1007);
  });

  it('a compressed text message that inflates to invalid UTF-8 → 1007', async () => {
    const { port, errors } = await echoServer({ threshold: 0 });
    const raw = await RawClient.connect(port, cleanup, PMD);
    raw.send({ opcode: OP_TEXT, rsv1: true, payload: deflateMessage(Buffer.from([0x61, 0xc3, 0x28, 0x62])) });
    expect((await raw.reader.closeFrame()).code).toBe(1007);
    expect(errors[0]?.code).toBe('WS_ERR_INVALID_UTF8');
    // The same bytes as binary are fine.
    const raw2 = await RawClient.connect(port, cleanup, PMD);
    raw2.send({ opcode: OP_BINARY, rsv1: true, payload: deflateMessage(Buffer.from([0x61, 0xc3, 0x28, 0x62])) });
    const [frame] = await raw2.reader.waitFor((f) => f.length >= 1);
    expect(frame.opcode).toBe(OP_BINARY);
  });

  it('a fragmented compressed message (RSV1 on the first frame only, a ping in between) inflates correctly', async () => {
    const { port } = await echoServer({ threshold: 0 });
    const raw = await RawClient.connect(port, cleanup, PMD);
    const text = textOf(new Prng(3), 20_000);
    const payload = deflateMessage(Buffer.from(text));
    const cuts = [0, 1, 2, 50, Math.floor(payload.length / 2), payload.length - 1, payload.length];
    for (let i = 0; i + 1 < cuts.length; i++) {
      raw.send({ opcode: i === 0 ? OP_TEXT : 0, rsv1: i === 0, fin: i + 2 === cuts.length, payload: payload.subarray(cuts[i], cuts[i + 1]) });
      if (i === 2) raw.send({ opcode: 9, payload: Buffer.from('mid') });
    }
    // An empty final fragment after an empty first one, too.
    raw.send({ opcode: OP_BINARY, rsv1: true, fin: false, payload: Buffer.alloc(0) });
    raw.send({ opcode: 0, fin: false, payload: deflateMessage(Buffer.from('tail')) });
    raw.send({ opcode: 0, fin: true, payload: Buffer.alloc(0) });
    const frames = await raw.reader.waitFor((f) => f.filter((x) => x.opcode !== 10).length >= 2);
    expect(frames[0].opcode).toBe(10); // the pong is not held behind the message being reassembled
    expect(frames[0].payload.toString()).toBe('mid');
    const messages = await messagesOf(frames);
    expect(messages.map((m) => [m.opcode, m.data.toString()])).toEqual([[OP_TEXT, text], [OP_BINARY, 'tail']]);
  });

  it('an uncompressed message between compressed ones keeps its place', async () => {
    const { port } = await echoServer({ threshold: 0 });
    const raw = await RawClient.connect(port, cleanup, PMD);
    const deflater = new StreamDeflater();
    const texts = ['first '.repeat(300), 'plain', 'third '.repeat(300), 'fourth'];
    raw.send({ opcode: OP_TEXT, rsv1: true, payload: await deflater.message(Buffer.from(texts[0])) });
    raw.send({ opcode: OP_TEXT, payload: Buffer.from(texts[1]) });
    raw.send({ opcode: OP_TEXT, rsv1: true, payload: await deflater.message(Buffer.from(texts[2])) });
    raw.send({ opcode: OP_TEXT, payload: Buffer.from(texts[3]) });
    deflater.close();
    const frames = await raw.reader.waitFor((f) => f.length >= 4);
    expect((await messagesOf(frames)).map((m) => m.data.toString())).toEqual(texts);
  });

  // The same stream of frames (context-keeping compressed messages, fragments, a ping, an
  // uncompressed message) written in pieces of various sizes.
  async function frameStream(): Promise<{ bytes: Buffer; texts: string[] }> {
    const rng = new Prng(11);
    const deflater = new StreamDeflater({ windowBits: 15 });
    const texts = [textOf(rng, 40), textOf(rng, 300), 'x'.repeat(700), textOf(rng, 120), 'plain one', textOf(rng, 60)];
    const parts: Buffer[] = [];
    for (const [i, t] of texts.entries()) {
      if (i === 4) {
        parts.push(RawClient.frame({ opcode: OP_TEXT, payload: Buffer.from(t) }));
        continue;
      }
      const p = await deflater.message(Buffer.from(t));
      if (i === 3) {
        parts.push(RawClient.frame({ opcode: OP_TEXT, rsv1: true, fin: false, payload: p.subarray(0, 7) }));
        parts.push(RawClient.frame({ opcode: 9, payload: Buffer.from('pp') }));
        parts.push(RawClient.frame({ opcode: 0, fin: true, payload: p.subarray(7) }));
      } else {
        parts.push(RawClient.frame({ opcode: OP_TEXT, rsv1: true, payload: p }));
      }
    }
    deflater.close();
    return { bytes: Buffer.concat(parts), texts };
  }

  it.each([[[1]], [[2]], [[3]], [[5, 1]], [[7]], [[13, 2, 1]], [[64]], [[1000]], [[100_000]]])('chunked in pieces of %j bytes', async (sizes) => {
    const { port } = await echoServer({ threshold: 0 });
    const raw = await RawClient.connect(port, cleanup, `${PMD}; client_max_window_bits`);
    const { bytes, texts } = await frameStream();
    await raw.writeChunked(bytes, sizes);
    const frames = await raw.reader.waitFor((f) => f.filter((x) => x.opcode === OP_TEXT).length >= texts.length);
    expect(frames.filter((f) => f.opcode === 10).map((f) => f.payload.toString())).toEqual(['pp']);
    expect((await messagesOf(frames)).map((m) => m.data.toString())).toEqual(texts);
  });
});

describe('RSV1 rules on our client (raw server → our client)', () => {
  async function clientReceiving(frames: Buffer[], answer: string | null = PMD): Promise<{ code: number; errors: Array<Error & { code?: string }>; sent: RawFrame[] }> {
    const server = await rawServer(cleanup, () => answer);
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}`, { perMessageDeflate: { threshold: 0 } });
    cleanup.add(() => ws.terminate());
    const errors: Array<Error & { code?: string }> = [];
    ws.on('error', (e) => errors.push(e));
    await new Promise<void>((resolve) => ws.on('open', resolve));
    const conn = await server.next();
    for (const f of frames) conn.socket.write(f);
    const close = await conn.reader.closeFrame();
    return { code: close.code, errors, sent: conn.reader.frames };
  }

  it('RSV1 on a ping → 1002', async () => {
    const { code, errors } = await clientReceiving([serverFrame({ opcode: 9, rsv1: true })]);
    expect(code).toBe(1002);
    expect(errors[0]?.code).toBe('WS_ERR_UNEXPECTED_RSV_1');
  });

  it('RSV1 on a continuation → 1002', async () => {
    const p = deflateMessage(Buffer.from('abc'.repeat(100)));
    const { code } = await clientReceiving([
      serverFrame({ opcode: OP_TEXT, rsv1: true, fin: false, payload: p.subarray(0, 5) }),
      serverFrame({ opcode: 0, rsv1: true, payload: p.subarray(5) }),
    ]);
    expect(code).toBe(1002);
  });

  it('RSV1 when the server answered no extension → 1002', async () => {
    const { code } = await clientReceiving([serverFrame({ opcode: OP_TEXT, rsv1: true, payload: deflateMessage(Buffer.from('hi')) })], null);
    expect(code).toBe(1002);
  });

  it('garbage deflate data → 1007', async () => {
    const { code } = await clientReceiving([serverFrame({ opcode: OP_BINARY, rsv1: true, payload: Buffer.from([0xff, 0xff, 0xff]) })]);
    expect(code).toBe(1007);
  });

  it('fragmented compressed messages from the server, with context takeover, reach the application whole', async () => {
    const server = await rawServer(cleanup, () => PMD);
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}`);
    cleanup.add(() => ws.terminate());
    const got: string[] = [];
    const all = new Promise<void>((resolve) => ws.on('message', (d) => { got.push(String(d)); if (got.length === 3) resolve(); }));
    await new Promise<void>((resolve) => ws.on('open', resolve));
    const conn = await server.next();
    const deflater = new StreamDeflater();
    const texts = ['one '.repeat(500), 'one '.repeat(500), 'three'];
    for (const t of texts) {
      const p = await deflater.message(Buffer.from(t));
      conn.socket.write(serverFrame({ opcode: OP_TEXT, rsv1: true, fin: false, payload: p.subarray(0, 1) }));
      await delay(1);
      conn.socket.write(serverFrame({ opcode: 0, fin: true, payload: p.subarray(1) }));
    }
    deflater.close();
    await all;
    expect(got).toEqual(texts);
  });
});
