// Regressions for attacks that hurt other WebSocket stacks. Each must get a bounded,
// well-formed refusal (a status line or a close code), the process stays up, and the
// server still serves a normal client afterwards. Tests are named after what they pin.
import { describe, expect, it } from 'vitest';
import * as http from 'node:http';
import { WebSocket, WebSocketError, WebSocketServer, type ServerOptions } from '../src/index.js';
import {
  delay, httpServer, next, nextConnection, openOurClient, openWsClient, ourClient, ourServer, until, useCleanup,
} from './net/harness.js';
import {
  FIXED_ACCEPT, RawClient, buildFrame, closeBody, collectFrames, httpExchange, rawServer, rawSocket, upgradeRequest,
} from './net/raw.js';

useCleanup();

const KiB = 1024;
const MiB = 1024 * KiB;
const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

interface Observed {
  errors: WebSocketError[];
  closes: Array<{ code: number; reason: string }>;
  serverErrors: Error[];
}

/** An echo server that records every connection's error and close events, and its own errors. */
async function guardedServer(options: Omit<ServerOptions, 'port' | 'server' | 'noServer'> = {}) {
  const server = await ourServer(options);
  const seen: Observed = { errors: [], closes: [], serverErrors: [] };
  server.wss.on('error', (error: Error) => seen.serverErrors.push(error));
  server.wss.on('connection', (ws) => {
    ws.on('error', (error: Error) => seen.errors.push(error as WebSocketError));
    ws.on('close', (code: number, reason: Buffer) => seen.closes.push({ code, reason: reason.toString() }));
    ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
  });
  return { ...server, seen };
}

/** A normal client still gets an echo: the server survived. */
async function stillServes(url: string): Promise<void> {
  const client = await openWsClient(url);
  const echo = next<[Buffer]>(client, 'message');
  client.send('still alive');
  expect(String((await echo)[0])).toBe('still alive');
  client.close();
}

function memory(): { rss: number; arrayBuffers: number } {
  const { rss, arrayBuffers } = process.memoryUsage();
  return { rss, arrayBuffers };
}

describe('handshake attacks', () => {
  /** A handshake with `count` filler fields before the WebSocket ones, so a parser that drops fields past a count loses those. */
  function manyHeaders(count: number): string {
    const filler = Array.from({ length: count }, (_, i) => `x${i}: 1`);
    const [requestLine, host, ...websocket] = upgradeRequest().trimEnd().split('\r\n');
    return [requestLine, host, ...filler, ...websocket].join('\r\n') + '\r\n\r\n';
  }

  it('ws CVE-2024-37890: 2,000 request headers on a port: server get a 4xx, no crash', async () => {
    const { port, url, seen } = await guardedServer();
    const result = await httpExchange(port, manyHeaders(2000));
    expect([400, 431]).toContain(result.status);
    expect(result.closed).toBe(true);
    expect(seen.serverErrors).toEqual([]);
    await stillServes(url);
  });

  it('ws CVE-2024-37890: 2,000 headers reaching handleUpgrade get our 431 (server: mode, Node limits raised)', async () => {
    const { server, port, url } = await httpServer(http.createServer({ maxHeaderSize: 1 * MiB }));
    server.maxHeadersCount = 0; // Node keeps every field: the upgrade handler sees them all
    const wss = new WebSocketServer({ server });
    const errors: Error[] = [];
    wss.on('error', (error: Error) => errors.push(error));
    wss.on('connection', (ws) => ws.on('message', (data) => ws.send(data as Buffer)));
    const result = await httpExchange(port, manyHeaders(2000));
    expect(result.status).toBe(431);
    expect(result.response).toMatch(/Too many header fields: 20\d\d, the limit is 100/);
    expect(result.closed).toBe(true);
    expect(errors).toEqual([]);
    await stillServes(url);
  });

  it('ws CVE-2024-37890: with Node dropping fields past maxHeadersCount (default server), still a 4xx', async () => {
    const { server, port, url } = await httpServer(http.createServer({ maxHeaderSize: 1 * MiB }));
    server.maxHeadersCount = 50; // fields past 50 vanish from req.headers, the key among them
    const wss = new WebSocketServer({ server });
    wss.on('connection', (ws) => ws.on('message', (data) => ws.send(data as Buffer)));
    const result = await httpExchange(port, manyHeaders(2000));
    expect([400, 431]).toContain(result.status);
    expect(result.closed).toBe(true);
    await stillServes(url);
  });

  describe('ws CVE-2021-32640 / faye-websocket CVE-2020-7662: headers built for backtracking', () => {
    const cases: Array<[string, string, string, number[]]> = [
      ['protocol: a + 50,000 spaces + b', 'Sec-WebSocket-Protocol', `a${' '.repeat(50_000)}b`, [400, 431]],
      ['protocol: a + 15,000 spaces + b', 'Sec-WebSocket-Protocol', `a${' '.repeat(15_000)}b`, [400]],
      ['protocol: 15,000 semicolons', 'Sec-WebSocket-Protocol', `a${';'.repeat(15_000)}`, [400]],
      ['protocol: quote soup', 'Sec-WebSocket-Protocol', `a${'"\\'.repeat(7000)}`, [400]],
      ['extensions: 15,000 semicolons', 'Sec-WebSocket-Extensions', `permessage-deflate${';'.repeat(15_000)}`, [400]],
      ['extensions: "; " × 7,000', 'Sec-WebSocket-Extensions', `permessage-deflate${'; '.repeat(7000)}`, [400]],
      ['extensions: escaped quotes', 'Sec-WebSocket-Extensions', `x; a="${'\\"'.repeat(7000)}`, [400]],
      ['extensions: spaces then junk', 'Sec-WebSocket-Extensions', `permessage-deflate; client_max_window_bits${' '.repeat(15_000)};`, [400]],
      ['extensions: = × 15,000', 'Sec-WebSocket-Extensions', `x; a=${'='.repeat(15_000)}`, [400]],
    ];
    it.each(cases)('%s: answered fast with a 4xx', async (_name, header, value, statuses) => {
      const { port, url } = await guardedServer({ perMessageDeflate: true });
      const result = await httpExchange(port, upgradeRequest({ headers: { [header]: value } }));
      expect(statuses).toContain(result.status);
      expect(result.closed).toBe(true);
      expect(result.elapsed).toBeLessThan(1000);
      await stillServes(url);
    });

    it('valid lists with long whitespace and empty elements are parsed correctly', async () => {
      const { port } = await guardedServer({ perMessageDeflate: true });
      const spaced = await RawClient.open(port, { headers: { 'Sec-WebSocket-Protocol': `chat,${' '.repeat(15_000)}superchat` } });
      expect(spaced.headers['sec-websocket-protocol']).toBe('chat');
      expect(spaced.headers['sec-websocket-accept']).toBe(FIXED_ACCEPT);
      const commas = await RawClient.open(port, { headers: { 'Sec-WebSocket-Protocol': `${', '.repeat(5000)}chat` } });
      expect(commas.headers['sec-websocket-protocol']).toBe('chat');
      const ext = await RawClient.open(port, { headers: { 'Sec-WebSocket-Extensions': `permessage-deflate${','.repeat(10_000)}` } });
      expect(ext.headers['sec-websocket-extensions']).toMatch(/^permessage-deflate/);
    });
  });

  it('protocol names __proto__, constructor, hasOwnProperty are plain strings', async () => {
    const names = ['__proto__', 'constructor', 'hasOwnProperty'];
    const first = await guardedServer();
    const a = await openWsClient(first.url, names);
    expect(a.protocol).toBe('__proto__');
    const chosen = await guardedServer({ handleProtocols: (protocols) => (protocols.has('hasOwnProperty') ? 'hasOwnProperty' : false) });
    const b = await openWsClient(chosen.url, names);
    expect(b.protocol).toBe('hasOwnProperty');
    const c = await openOurClient(chosen.url, ['constructor', 'hasOwnProperty']);
    expect(c.protocol).toBe('hasOwnProperty');
    // Offered but not by this client: a server answer outside the offer is never sent.
    const picky = await guardedServer({ handleProtocols: () => 'constructor' });
    const d = await RawClient.open(picky.port, { headers: { 'Sec-WebSocket-Protocol': '__proto__' } });
    expect(d.headers['sec-websocket-protocol']).toBeUndefined();
    await stillServes(picky.url);
  });

  it('tungstenite CVE-2023-43669: a huge header sent byte by byte is refused, memory bounded', async () => {
    const { port, url, seen } = await guardedServer({ handshakeTimeout: 1000 });
    const socket = rawSocket(port);
    await next(socket, 'connect');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    let closed = false;
    socket.once('close', () => { closed = true; });
    const before = memory();
    const start = Date.now();
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nX-Big: ');
    let sent = 0;
    while (sent < 100_000 && !closed && !socket.destroyed) {
      for (let i = 0; i < 64 && sent < 100_000; i++, sent++) socket.write('a'); // one byte per write
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => closed, 3000, 'the server to close the connection');
    const elapsed = Date.now() - start;
    // Node writes its 431 and destroys the socket at once: with our bytes still unread on
    // its side, the kernel may reset the connection and the status line can be lost.
    const response = Buffer.concat(chunks).toString('latin1');
    if (response !== '') expect(response).toMatch(/^HTTP\/1\.1 (431|408|400) /);
    expect(elapsed).toBeLessThan(2500);
    expect(sent).toBeLessThan(100_000); // refused long before the whole header was in
    const after = memory();
    expect(after.rss - before.rss).toBeLessThan(64 * MiB);
    expect(seen.serverErrors).toEqual([]);
    await stillServes(url);
  });

  it('a client that never finishes its request is closed after handshakeTimeout', async () => {
    const { port, url } = await guardedServer({ handshakeTimeout: 1000 });
    const silent = httpExchange(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n', 4000);
    // A byte every 50 ms: each write is progress, but the request never completes.
    const socket = rawSocket(port);
    await next(socket, 'connect');
    const start = Date.now();
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    const drip = setInterval(() => { if (!socket.destroyed) socket.write('a'); }, 50);
    await next(socket, 'close', 4000).finally(() => clearInterval(drip));
    const dripElapsed = Date.now() - start;
    const result = await silent;
    expect(result.closed).toBe(true);
    expect(result.elapsed).toBeGreaterThanOrEqual(900);
    expect(result.elapsed).toBeLessThan(2500);
    expect([0, 408]).toContain(result.status);
    expect(dripElapsed).toBeGreaterThanOrEqual(900);
    expect(dripElapsed).toBeLessThan(2500);
    await stillServes(url);
  });

  it('handshakeTimeout also bounds an asynchronous verifyClient that never answers (408)', async () => {
    const { server, port, url } = await httpServer();
    const wss = new WebSocketServer({
      server, handshakeTimeout: 300,
      verifyClient: (info: { req: http.IncomingMessage }, cb: (ok: boolean) => void) => { if (info.req.url === '/ok') cb(true); },
    });
    wss.on('connection', (ws) => ws.on('message', (data) => ws.send(data as Buffer)));
    const result = await httpExchange(port, upgradeRequest(), 3000);
    expect(result.status).toBe(408);
    expect(result.elapsed).toBeGreaterThanOrEqual(250);
    expect(result.elapsed).toBeLessThan(1500);
    await stillServes(`${url}/ok`);
  });
});

describe('frame attacks', () => {
  it.each([
    ['2^63 - 1', 1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 0x7fff_ffff_ffff_ffffn],
    ['2^53 + 1', 1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 2n ** 53n + 1n],
    ['2^63 (MSB set)', 1002, 'WS_ERR_INVALID_PAYLOAD_LENGTH', 2n ** 63n],
    ['2^64 - 1', 1002, 'WS_ERR_INVALID_PAYLOAD_LENGTH', 2n ** 64n - 1n],
  ] as const)('undici CVE-2026-1528: a 64-bit length of %s → close %i %s, no allocation', async (_name, closeCode, code, length) => {
    const { port, url, seen } = await guardedServer();
    const client = await RawClient.open(port);
    const before = memory();
    client.send({ opcode: OP.binary, length, payload: Buffer.alloc(16) });
    const close = await client.closeFrame();
    expect(close.code).toBe(closeCode);
    await client.waitClosed();
    const after = memory();
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(16 * MiB);
    await until(() => seen.closes.length === 1);
    expect(seen.errors[0]).toBeInstanceOf(WebSocketError);
    expect(seen.errors[0]).toMatchObject({ code, closeCode });
    await stillServes(url);
  });

  it('headers declaring 90 MiB (under maxPayload) on 5 connections do not make the server allocate 450 MiB', async () => {
    const { port, url } = await guardedServer();
    const before = memory();
    for (let i = 0; i < 5; i++) {
      const client = await RawClient.open(port);
      client.send({ opcode: OP.binary, length: 90n * BigInt(MiB), payload: Buffer.alloc(100_000) });
    }
    await delay(100);
    expect(memory().arrayBuffers - before.arrayBuffers).toBeLessThan(64 * MiB);
    await stillServes(url);
  });

  it('undici CVE-2026-1528, client side: our client refuses a 2^63 - 1 length from a server', async () => {
    let frames: ReturnType<typeof collectFrames> = [];
    const { url } = await rawServer((socket, rest) => {
      frames = collectFrames(socket, rest);
      socket.write(Buffer.from([0x82, 0x7f, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    });
    const client = ourClient(url);
    const error = next<[WebSocketError]>(client, 'error');
    const closed = next<[number]>(client, 'close');
    expect((await error)[0]).toMatchObject({ code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', closeCode: 1009 });
    expect((await closed)[0]).toBe(1009);
    await until(() => frames.some((f) => f.opcode === OP.close));
    const close = frames.find((f) => f.opcode === OP.close)!;
    expect(close.masked).toBe(true);
    expect(close.payload.readUInt16BE(0)).toBe(1009);
  });

  it('ws CVE-2026-45736: a close reason that views a larger buffer sends only its own bytes', async () => {
    const { wss, port } = await ourServer();
    const connection = nextConnection<WebSocket>(wss);
    const client = await RawClient.open(port);
    const [ws] = await connection;
    const big = Buffer.from('0123456789ABCDEFGHIJ-secret-rest-of-the-buffer');
    ws.close(1000, big.subarray(10, 20));
    const close = await client.closeFrame();
    expect(close.payload.length).toBe(12);
    expect(close.code).toBe(1000);
    expect(close.reason.toString()).toBe('ABCDEFGHIJ');
  });

  it('ws CVE-2026-45736: a Uint8Array view at an offset of an ArrayBuffer, seen by a ws client', async () => {
    const { wss, url } = await ourServer();
    const connection = nextConnection<WebSocket>(wss);
    const client = await openWsClient(url);
    const [ws] = await connection;
    const memoryBlock = new ArrayBuffer(4096);
    new Uint8Array(memoryBlock).fill(0x78); // 'x' everywhere
    const view = new Uint8Array(memoryBlock, 100, 5);
    view.set(Buffer.from('hello'));
    const closed = next<[number, Buffer]>(client, 'close');
    ws.close(4000, view as Buffer);
    const [code, reason] = await closed;
    expect(code).toBe(4000);
    expect(reason.toString()).toBe('hello');
  });

  describe('ws CVE-2026-48779: a flood of empty and one-byte fragments', () => {
    function flood(count: number, payload: Buffer): Buffer {
      const first = buildFrame({ opcode: OP.text, fin: false, payload: 'a' });
      const one = buildFrame({ opcode: OP.continuation, fin: false, payload });
      const out = Buffer.alloc(first.length + count * one.length);
      first.copy(out, 0);
      for (let i = 0, at = first.length; i < count; i++, at += one.length) one.copy(out, at);
      return out;
    }

    it.each([
      ['500,000 empty continuation frames, maxFragments 1000', 500_000, Buffer.alloc(0), 1000],
      ['500,000 one-byte continuation frames, maxFragments 1000', 500_000, Buffer.from('b'), 1000],
      ['500,000 empty continuation frames, default maxFragments', 500_000, Buffer.alloc(0), undefined],
    ] as const)('%s → 1009 WS_ERR_TOO_MANY_FRAGMENTS', async (_name, count, payload, maxFragments) => {
      const { port, url, seen } = await guardedServer(maxFragments === undefined ? {} : { maxFragments });
      const client = await RawClient.open(port);
      const bytes = flood(count, payload);
      const before = memory();
      const start = Date.now();
      client.write(bytes);
      const close = await client.closeFrame(10_000);
      expect(close.code).toBe(1009);
      await client.waitClosed(10_000);
      expect(Date.now() - start).toBeLessThan(10_000);
      await until(() => seen.closes.length === 1);
      expect(seen.errors).toHaveLength(1);
      expect(seen.errors[0]).toMatchObject({ code: 'WS_ERR_TOO_MANY_FRAGMENTS', closeCode: 1009 });
      expect(seen.closes[0]!.code).toBe(1009);
      expect(memory().arrayBuffers - before.arrayBuffers).toBeLessThan(64 * MiB);
      await stillServes(url);
    });

    it('exactly maxFragments fragments still make a message', async () => {
      const { port } = await guardedServer({ maxFragments: 1000 });
      const client = await RawClient.open(port);
      const frames = [buildFrame({ opcode: OP.text, fin: false, payload: 'a' })];
      for (let i = 0; i < 998; i++) frames.push(buildFrame({ opcode: OP.continuation, fin: false, payload: 'b' }));
      frames.push(buildFrame({ opcode: OP.continuation, fin: true, payload: 'c' }));
      client.write(Buffer.concat(frames));
      const echo = await client.nextFrame();
      expect(echo.opcode).toBe(OP.text);
      expect(echo.payload.toString()).toBe(`a${'b'.repeat(998)}c`);
    });
  });

  describe('malformed frames: the right close code, an error event with code and closeCode, then close', () => {
    const MALFORMED: Array<[string, number, string, Buffer]> = [
      ['RSV1 set without an extension', 1002, 'WS_ERR_UNEXPECTED_RSV_1', buildFrame({ opcode: OP.text, rsv: 0b100, payload: 'x' })],
      ['RSV2 set', 1002, 'WS_ERR_UNEXPECTED_RSV_2_3', buildFrame({ opcode: OP.text, rsv: 0b010, payload: 'x' })],
      ['RSV3 set', 1002, 'WS_ERR_UNEXPECTED_RSV_2_3', buildFrame({ opcode: OP.binary, rsv: 0b001 })],
      ['reserved data opcode 0x3', 1002, 'WS_ERR_INVALID_OPCODE', buildFrame({ opcode: 0x3, payload: 'x' })],
      ['reserved control opcode 0xB', 1002, 'WS_ERR_INVALID_OPCODE', buildFrame({ opcode: 0xb })],
      ['an unmasked client frame', 1002, 'WS_ERR_EXPECTED_MASK', buildFrame({ opcode: OP.text, payload: 'x', mask: false })],
      ['invalid UTF-8 (0xFF)', 1007, 'WS_ERR_INVALID_UTF8', buildFrame({ opcode: OP.text, payload: Buffer.from([0x61, 0xff]) })],
      ['UTF-8 surrogate (ED A0 80)', 1007, 'WS_ERR_INVALID_UTF8', buildFrame({ opcode: OP.text, payload: Buffer.from([0xed, 0xa0, 0x80]) })],
      ['overlong UTF-8 (C0 AF)', 1007, 'WS_ERR_INVALID_UTF8', buildFrame({ opcode: OP.text, payload: Buffer.from([0xc0, 0xaf]) })],
      ['invalid UTF-8 across fragments', 1007, 'WS_ERR_INVALID_UTF8', Buffer.concat([
        buildFrame({ opcode: OP.text, fin: false, payload: Buffer.from([0xe2, 0x82]) }),
        buildFrame({ opcode: OP.continuation, payload: Buffer.from([0x41]) }),
      ])],
      ['close code 1005 on the wire', 1002, 'WS_ERR_INVALID_CLOSE_CODE', buildFrame({ opcode: OP.close, payload: closeBody(1005) })],
      ['close code 999', 1002, 'WS_ERR_INVALID_CLOSE_CODE', buildFrame({ opcode: OP.close, payload: closeBody(999) })],
      ['close code 2000', 1002, 'WS_ERR_INVALID_CLOSE_CODE', buildFrame({ opcode: OP.close, payload: closeBody(2000) })],
      ['close code 5000', 1002, 'WS_ERR_INVALID_CLOSE_CODE', buildFrame({ opcode: OP.close, payload: closeBody(5000) })],
      ['a 1-byte close payload', 1002, 'WS_ERR_INVALID_CLOSE_PAYLOAD', buildFrame({ opcode: OP.close, payload: Buffer.from([3]) })],
      ['a close reason that is not UTF-8', 1007, 'WS_ERR_INVALID_CLOSE_REASON', buildFrame({ opcode: OP.close, payload: closeBody(1000, Buffer.from([0xff])) })],
      ['a 126-byte ping', 1002, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH', buildFrame({ opcode: OP.ping, payload: Buffer.alloc(126) })],
      ['a fragmented ping', 1002, 'WS_ERR_EXPECTED_FIN', buildFrame({ opcode: OP.ping, fin: false })],
      ['a continuation with nothing to continue', 1002, 'WS_ERR_UNEXPECTED_CONTINUATION', buildFrame({ opcode: OP.continuation, payload: 'x' })],
      ['a new message inside a fragmented one', 1002, 'WS_ERR_EXPECTED_CONTINUATION', Buffer.concat([
        buildFrame({ opcode: OP.text, fin: false, payload: 'x' }),
        buildFrame({ opcode: OP.text, payload: 'y' }),
      ])],
      ['a message over maxPayload', 1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', buildFrame({ opcode: OP.binary, payload: Buffer.alloc(2049) })],
    ];

    it.each(MALFORMED)('%s → %i %s', async (_name, closeCode, code, bytes) => {
      const { port, url, seen } = await guardedServer({ maxPayload: 2048 });
      const client = await RawClient.open(port);
      client.write(bytes);
      const close = await client.closeFrame();
      expect(close.code).toBe(closeCode);
      expect(close.reason.length).toBe(0);
      await client.waitClosed();
      await until(() => seen.closes.length === 1);
      expect(seen.errors).toHaveLength(1);
      const error = seen.errors[0]!;
      expect(error).toBeInstanceOf(WebSocketError);
      expect(error.code).toBe(code);
      expect(error.closeCode).toBe(closeCode);
      expect(error.message.length).toBeGreaterThan(0);
      expect(seen.closes[0]!.code).toBe(closeCode);
      await stillServes(url);
    });

    it('the frames before the bad one are delivered, nothing after it', async () => {
      const received: string[] = [];
      const { wss, port } = await guardedServer();
      wss.on('connection', (ws) => ws.on('message', (data) => received.push(String(data))));
      const client = await RawClient.open(port);
      client.write(Buffer.concat([
        buildFrame({ opcode: OP.text, payload: 'before' }),
        buildFrame({ opcode: 0x3 }),
        buildFrame({ opcode: OP.text, payload: 'after' }),
      ]));
      expect((await client.closeFrame()).code).toBe(1002);
      expect(received).toEqual(['before']);
    });
  });

  it('a server WebSocket with no error listener receiving garbage does not crash the process', async () => {
    const { wss, port, url } = await ourServer();
    const closes: number[] = [];
    wss.on('connection', (ws) => {
      ws.on('close', (code: number) => closes.push(code));
      ws.on('message', (data) => ws.send(data as Buffer));
    });
    const client = await RawClient.open(port);
    client.write(Buffer.alloc(64, 0xff));
    expect((await client.closeFrame()).code).toBe(1002);
    await client.waitClosed();
    await until(() => closes.length === 1);
    expect(closes).toEqual([1002]);
    await stillServes(url);
  });

  it('our client with no error listener receiving garbage does not crash the process', async () => {
    let frames: ReturnType<typeof collectFrames> = [];
    const { url } = await rawServer((socket, rest) => {
      frames = collectFrames(socket, rest);
      socket.write(Buffer.alloc(32, 0xff));
    });
    const client = new WebSocket(url);
    const closed = next<[number]>(client, 'close');
    expect((await closed)[0]).toBe(1002);
    await until(() => frames.some((f) => f.opcode === OP.close));
    expect(frames.find((f) => f.opcode === OP.close)!.payload.readUInt16BE(0)).toBe(1002);
  });

  it('a masked frame from a server is refused by our client (1002)', async () => {
    const { url } = await rawServer((socket) => {
      socket.write(buildFrame({ opcode: OP.text, payload: 'masked', mask: true }));
    });
    const client = ourClient(url);
    const closed = next<[number]>(client, 'close');
    expect((await closed)[0]).toBe(1002);
    expect(client.errors[0]).toMatchObject({ code: 'WS_ERR_UNEXPECTED_MASK', closeCode: 1002 });
  });

  it('a peer that floods pings while never reading is bounded by maxBackpressure', async () => {
    // Every ping asks for a pong; a peer that never reads must not make the server queue forever.
    const { port, url, seen } = await guardedServer({ maxBackpressure: 256 * KiB, closeTimeout: 300 });
    const client = await RawClient.open(port);
    client.socket.pause();
    const ping = buildFrame({ opcode: OP.ping, payload: Buffer.alloc(125, 1) });
    const burst = Buffer.concat(Array.from({ length: 8192 }, () => ping)); // ~1 MiB of pings
    const before = memory();
    for (let i = 0; i < 40 && !client.isClosed; i++) {
      client.write(burst);
      await delay(5);
    }
    await until(() => seen.closes.length === 1, 10_000, 'the server to drop the connection');
    expect(seen.errors[0]).toMatchObject({ code: 'WS_ERR_BACKPRESSURE_LIMIT', closeCode: 1008 });
    expect(seen.closes[0]!.code).toBe(1008);
    expect(memory().arrayBuffers - before.arrayBuffers).toBeLessThan(32 * MiB);
    await stillServes(url);
  });
});

describe('limits on both sides of their threshold', () => {
  it('a message of exactly maxPayload is accepted, one byte more is 1009', async () => {
    const { port } = await guardedServer({ maxPayload: 4096 });
    const client = await RawClient.open(port);
    client.send({ opcode: OP.binary, payload: Buffer.alloc(4096, 7) });
    const echo = await client.nextFrame();
    expect(echo.payload.length).toBe(4096);
    client.send({ opcode: OP.binary, payload: Buffer.alloc(4097, 7) });
    expect((await client.closeFrame()).code).toBe(1009);
  });

  it('fragments that add up past maxPayload are refused with 1009, at the fragment that crosses', async () => {
    const { port, seen } = await guardedServer({ maxPayload: 4096 });
    const client = await RawClient.open(port);
    client.send({ opcode: OP.binary, fin: false, payload: Buffer.alloc(4000) });
    client.send({ opcode: OP.continuation, fin: false, payload: Buffer.alloc(96) }); // exactly 4096 so far
    await delay(20);
    expect(seen.errors).toEqual([]);
    client.send({ opcode: OP.continuation, fin: true, payload: Buffer.alloc(1) });
    expect((await client.closeFrame()).code).toBe(1009);
    await until(() => seen.errors.length === 1);
    expect(seen.errors[0]).toMatchObject({ code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', closeCode: 1009 });
  });

  it('a ws client sending over maxPayload gets 1009 from our server', async () => {
    const { url } = await guardedServer({ maxPayload: 1024 });
    const client = await openWsClient(url);
    const closed = next<[number]>(client, 'close');
    client.send(Buffer.alloc(1025));
    expect((await closed)[0]).toBe(1009);
  });
});

describe('a server that lies in its handshake answer', () => {
  const cases: Array<[string, string, (accept: string) => string, string[] | undefined]> = [
    ['a wrong Sec-WebSocket-Accept', 'WS_ERR_HANDSHAKE_INVALID_ACCEPT',
      () => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n', undefined],
    // Node's http client only emits 'upgrade' with an Upgrade header: a bare 101 is a response.
    ['a 101 without an Upgrade header', 'WS_ERR_UNEXPECTED_RESPONSE',
      (accept) => `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`, undefined],
    ['a subprotocol that was not offered', 'WS_ERR_HANDSHAKE_UNEXPECTED_PROTOCOL',
      (accept) => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: evil\r\n\r\n`, ['chat']],
    ['an extension that was not offered', 'WS_ERR_HANDSHAKE_UNEXPECTED_EXTENSION',
      (accept) => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Extensions: x-evil\r\n\r\n`, undefined],
  ];

  it.each(cases)('%s: error %s, close 1006, no open', async (_name, code, respond, protocols) => {
    let opened = false;
    const { url } = await rawServer(() => {}, respond);
    const client = ourClient(url, protocols);
    client.on('open', () => { opened = true; });
    const [closeCode] = await next<[number]>(client, 'close');
    expect(closeCode).toBe(1006);
    expect(opened).toBe(false);
    expect(client.errors[0]).toMatchObject({ code, closeCode: 1006 });
    expect(client.readyState).toBe(WebSocket.CLOSED);
  });

  it('a server that never answers: handshakeTimeout ends the attempt', async () => {
    const { url } = await rawServer(() => {}, () => ''); // reads the request, writes nothing
    const start = Date.now();
    const client = ourClient(url, undefined, { handshakeTimeout: 200 });
    const [closeCode] = await next<[number]>(client, 'close');
    expect(Date.now() - start).toBeGreaterThanOrEqual(180);
    expect(closeCode).toBe(1006);
    expect(client.errors[0]).toMatchObject({ code: 'WS_ERR_HANDSHAKE_TIMEOUT' });
  });
});
