// Interoperability with software we did not write: the `ws` package as the peer, both ways
// (our server with ws clients, ws's server with our client), then our client against our
// server. Payload sizes cross every length encoding of RFC 6455 section 5.2 (7-bit, 16-bit,
// 64-bit) and the writer's large-payload path.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type * as http from 'node:http';
import { WebSocket as WsClient, WebSocketServer as WsServer } from 'ws';
import { WebSocket, WebSocketError, type VerifyClientInfo } from '../src/index.js';
import {
  httpServer, next, nextConnection, openOurClient, ourClient, openWsClient, wsClient, ourServer, sha256, textOfBytes,
  useCleanup, wsRejection, wsServer,
} from './net/harness.js';

useCleanup();

const KiB = 1024;
const MiB = 1024 * KiB;
const SIZES: Array<[string, number]> = [['0 B', 0], ['125 B', 125], ['64 KiB', 64 * KiB], ['16 MiB', 16 * MiB]];
/** Every close code an endpoint may send (RFC 6455 section 7.4.1, 7.4.2; IANA registry). */
const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];

/** Our server echoing every message with its type. */
async function ourEchoServer(options: Parameters<typeof ourServer>[0] = {}) {
  const server = await ourServer(options);
  server.wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
  });
  return server;
}

async function wsEchoServer(options: ConstructorParameters<typeof WsServer>[0] = {}) {
  const server = await wsServer(options);
  server.wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  return server;
}

function payloadFor(kind: 'text' | 'binary', bytes: number): string | Buffer {
  return kind === 'text' ? textOfBytes(bytes) : randomBytes(bytes);
}

function same(received: Buffer | string, sent: Buffer | string): void {
  const a = typeof received === 'string' ? Buffer.from(received) : received;
  const b = typeof sent === 'string' ? Buffer.from(sent) : sent;
  expect(a.length).toBe(b.length);
  if (b.length <= 64 * KiB) expect(a.equals(b)).toBe(true);
  else expect(sha256(a)).toBe(sha256(b));
}

describe('our server ⇄ ws client', () => {
  describe.each(['text', 'binary'] as const)('%s echo', (kind) => {
    it.each(SIZES)('%s comes back byte for byte', async (_label, bytes) => {
      const { url } = await ourEchoServer();
      const client = await openWsClient(url);
      const sent = payloadFor(kind, bytes);
      const reply = next<[Buffer, boolean]>(client, 'message', 20_000);
      client.send(sent);
      const [data, isBinary] = await reply;
      expect(isBinary).toBe(kind === 'binary');
      same(data, sent);
    });
  });

  it('reassembles a message the ws client sends in fragments (fin: false)', async () => {
    const { wss, url } = await ourServer();
    const connection = nextConnection<WebSocket>(wss);
    const client = await openWsClient(url);
    const [ws] = await connection;
    const text = next<[Buffer, boolean]>(ws, 'message');
    client.send('fragm', { fin: false });
    client.ping('in between');
    client.send('ented ', { fin: false });
    client.send('✓', { fin: true });
    const [data, isBinary] = await text;
    expect(isBinary).toBe(false);
    expect(data.toString()).toBe('fragmented ✓');
    const bytes = randomBytes(3 * 70 * KiB);
    const binary = next<[Buffer, boolean]>(ws, 'message');
    client.send(bytes.subarray(0, 70 * KiB), { fin: false });
    client.send(bytes.subarray(70 * KiB, 140 * KiB), { fin: false });
    client.send(bytes.subarray(140 * KiB), { fin: true });
    const [got, gotBinary] = await binary;
    expect(gotBinary).toBe(true);
    expect(got.equals(bytes)).toBe(true);
  });

  it('sends fragments (fin: false) that the ws client reassembles', async () => {
    const { wss, url } = await ourServer();
    const connection = nextConnection<WebSocket>(wss);
    const client = await openWsClient(url);
    const [ws] = await connection;
    const got = next<[Buffer, boolean]>(client, 'message');
    ws.send('one ', { fin: false });
    ws.send('two ', { fin: false });
    ws.ping('between');
    ws.send('three', { fin: true });
    const [data, isBinary] = await got;
    expect(isBinary).toBe(false);
    expect(data.toString()).toBe('one two three');
  });

  it('answers a ws ping with a pong carrying the same payload, and emits ping', async () => {
    const { wss, url } = await ourServer();
    const connection = nextConnection<WebSocket>(wss);
    const client = await openWsClient(url);
    const [ws] = await connection;
    const pinged = next<[Buffer]>(ws, 'ping');
    const pong = next<[Buffer]>(client, 'pong');
    client.ping(Buffer.from('are you there?'));
    expect((await pinged)[0].toString()).toBe('are you there?');
    expect((await pong)[0].toString()).toBe('are you there?');
  });

  it('pings the ws client, which answers with the payload', async () => {
    const { wss, url } = await ourServer();
    const connection = nextConnection<WebSocket>(wss);
    const client = await openWsClient(url);
    const [ws] = await connection;
    const pinged = next<[Buffer]>(client, 'ping');
    const pong = next<[Buffer]>(ws, 'pong');
    const payload = randomBytes(125);
    ws.ping(payload);
    expect((await pinged)[0].equals(payload)).toBe(true);
    expect((await pong)[0].equals(payload)).toBe(true);
  });

  it('with autoPong: false emits ping but sends no pong', async () => {
    const { wss, url } = await ourServer({ autoPong: false });
    const connection = nextConnection<WebSocket>(wss);
    const client = await openWsClient(url);
    const [ws] = await connection;
    let pongs = 0;
    client.on('pong', () => pongs++);
    const pinged = next<[Buffer]>(ws, 'ping');
    client.ping('hello');
    expect((await pinged)[0].toString()).toBe('hello');
    // A message after the ping comes back after any pong would have.
    ws.on('message', (data) => ws.send(data as Buffer));
    const echo = next(client, 'message');
    client.send('after');
    await echo;
    expect(pongs).toBe(0);
    // The application may answer by hand.
    const pong = next<[Buffer]>(client, 'pong');
    ws.pong(Buffer.from('manual'));
    expect((await pong)[0].toString()).toBe('manual');
  });

  it('a ws client with autoPong: false leaves our ping unanswered', async () => {
    const { wss, url } = await ourServer();
    const connection = nextConnection<WebSocket>(wss);
    const client = await openWsClient(url, undefined, { autoPong: false });
    const [ws] = await connection;
    let pongs = 0;
    ws.on('pong', () => pongs++);
    const pinged = next(client, 'ping');
    ws.ping('x');
    await pinged;
    ws.on('message', (data) => ws.send(data as Buffer));
    const echo = next(client, 'message');
    client.send('after');
    await echo;
    expect(pongs).toBe(0);
  });

  describe('close codes', () => {
    it.each(VALID_CODES)('our server closes with %i: the ws client sees code and reason', async (code) => {
      const { wss, url } = await ourServer();
      const connection = nextConnection<WebSocket>(wss);
      const client = await openWsClient(url);
      const [ws] = await connection;
      const serverClosed = next<[number, Buffer]>(ws, 'close');
      const closed = next<[number, Buffer]>(client, 'close');
      ws.close(code, `reason ${code} ✓`);
      const [gotCode, reason] = await closed;
      expect(gotCode).toBe(code);
      expect(reason.toString()).toBe(`reason ${code} ✓`);
      // The ws client echoes the code: the close handshake completes on our side too.
      const [serverCode] = await serverClosed;
      expect(serverCode).toBe(code);
      expect(ws.wasClean).toBe(true);
    });

    it.each(VALID_CODES)('the ws client closes with %i: our server sees code and reason', async (code) => {
      const { wss, url } = await ourServer();
      const connection = nextConnection<WebSocket>(wss);
      const client = await openWsClient(url);
      const [ws] = await connection;
      const closed = next<[number, Buffer]>(ws, 'close');
      const clientClosed = next<[number, Buffer]>(client, 'close');
      client.close(code, `bye ${code}`);
      const [gotCode, reason] = await closed;
      expect(gotCode).toBe(code);
      expect(reason.toString()).toBe(`bye ${code}`);
      expect((await clientClosed)[0]).toBe(code);
    });

    it('close() without a code sends an empty close frame: 1005 on the other side', async () => {
      const { wss, url } = await ourServer();
      const connection = nextConnection<WebSocket>(wss);
      const client = await openWsClient(url);
      const [ws] = await connection;
      const closed = next<[number, Buffer]>(client, 'close');
      ws.close();
      const [code, reason] = await closed;
      expect(code).toBe(1005);
      expect(reason.length).toBe(0);
    });
  });

  describe('subprotocols', () => {
    it('handleProtocols picks the second offer', async () => {
      const seen: Array<Set<string>> = [];
      const { wss, url } = await ourServer({
        handleProtocols: (protocols) => {
          seen.push(protocols);
          return [...protocols][1]!;
        },
      });
      const connection = nextConnection<WebSocket>(wss);
      const client = await openWsClient(url, ['first', 'second', 'third']);
      const [ws] = await connection;
      expect([...seen[0]!]).toEqual(['first', 'second', 'third']);
      expect(client.protocol).toBe('second');
      expect(ws.protocol).toBe('second');
    });

    it('the default pick is the first offer', async () => {
      const { wss, url } = await ourServer();
      const connection = nextConnection<WebSocket>(wss);
      const client = await openWsClient(url, ['chat.v2', 'chat.v1']);
      const [ws] = await connection;
      expect(client.protocol).toBe('chat.v2');
      expect(ws.protocol).toBe('chat.v2');
    });

    it('none offered: no protocol, and handleProtocols is not called', async () => {
      let calls = 0;
      const { wss, url } = await ourServer({ handleProtocols: () => { calls++; return 'x'; } });
      const connection = nextConnection<WebSocket>(wss);
      const headers = next<[string[]]>(wss, 'headers');
      const client = await openWsClient(url);
      const [ws] = await connection;
      expect(client.protocol).toBe('');
      expect(ws.protocol).toBe('');
      expect(calls).toBe(0);
      expect((await headers)[0].some((h) => /^sec-websocket-protocol/i.test(h))).toBe(false);
    });

    it('handleProtocols returning false: no protocol (ws then fails the connection, as it asked for one)', async () => {
      const { url } = await ourServer({ handleProtocols: () => false });
      const client = new WsClient(url, ['a']);
      const error = next<[Error]>(client, 'error');
      expect((await error)[0].message).toMatch(/Server sent no subprotocol/);
      await next(client, 'close');
    });
  });

  describe('rejected handshakes', () => {
    it('verifyClient returning false: 401, seen as unexpected-response', async () => {
      let connections = 0;
      const { wss, url } = await ourServer({ verifyClient: () => false });
      wss.on('connection', () => connections++);
      const { status, body } = await wsRejection(url);
      expect(status).toBe(401);
      expect(body).toBe('Unauthorized');
      expect(connections).toBe(0);
    });

    it('asynchronous verifyClient with a custom status, message and header', async () => {
      const { url } = await ourServer({
        verifyClient: (_info: VerifyClientInfo, cb: (ok: boolean, code?: number, message?: string, headers?: Record<string, string>) => void) => {
          setTimeout(() => cb(false, 403, 'No entry for you', { 'X-Reason': 'banned' }), 20);
        },
      });
      const { status, body, headers } = await wsRejection(url);
      expect(status).toBe(403);
      expect(body).toBe('No entry for you');
      expect(headers['x-reason']).toBe('banned');
    });

    it('asynchronous verifyClient accepting', async () => {
      const { url } = await ourEchoServer({
        verifyClient: (_info: VerifyClientInfo, cb: (ok: boolean) => void) => { setTimeout(() => cb(true), 10); },
      });
      const client = await openWsClient(url);
      const echo = next<[Buffer]>(client, 'message');
      client.send('in');
      expect(String((await echo)[0])).toBe('in');
    });

    it('allowedOrigins: another origin gets 403, a listed one connects', async () => {
      const { url } = await ourServer({ allowedOrigins: ['https://good.example'] });
      expect((await wsRejection(url, undefined, { origin: 'https://evil.example' })).status).toBe(403);
      expect((await wsRejection(url)).status).toBe(403); // no Origin at all
      const client = await openWsClient(url, undefined, { origin: 'https://good.example' });
      expect(client.readyState).toBe(WsClient.OPEN);
    });

    it('a path other than the server path gets 400', async () => {
      const { url } = await ourServer({ path: '/ws' });
      expect((await wsRejection(`${url}/elsewhere`)).status).toBe(400);
      const client = await openWsClient(`${url}/ws?token=1`);
      expect(client.readyState).toBe(WsClient.OPEN);
    });

    it('verifyClient gets origin, secure and req', async () => {
      const infos: VerifyClientInfo[] = [];
      const { url } = await ourServer({ verifyClient: (info: VerifyClientInfo) => { infos.push(info); return true; } });
      await openWsClient(`${url}/path?q=1`, undefined, { origin: 'https://app.example', headers: { 'X-Custom': 'yes' } });
      expect(infos).toHaveLength(1);
      const info = infos[0]!;
      expect(info.origin).toBe('https://app.example');
      expect(info.secure).toBe(false);
      expect(info.req.url).toBe('/path?q=1');
      expect(info.req.headers['x-custom']).toBe('yes');
    });
  });

  describe('backpressure with a slow reader', () => {
    const MESSAGE = Buffer.alloc(64 * KiB, 0x61);
    /** The most a connection may hold: the limit plus one message and its header. */
    const slack = MESSAGE.length + 14;

    /** Our server connection to a ws client that stopped reading. */
    async function pausedReader(options: Parameters<typeof ourServer>[0]) {
      const { wss, url } = await ourServer(options);
      const connection = nextConnection<WebSocket>(wss);
      const client = await openWsClient(url);
      const [ws] = await connection;
      (client as unknown as { _socket: import('node:net').Socket })._socket.pause();
      return { ws, client };
    }

    /** Sends until the connection stops taking messages or `max` were sent, a tick apart per batch. */
    async function flood(ws: WebSocket, max: number, onSend?: () => void): Promise<{ sent: number; refused: Error[]; peak: number }> {
      const refused: Error[] = [];
      let sent = 0;
      let peak = 0;
      while (sent < max && ws.readyState === WebSocket.OPEN && refused.length === 0) {
        for (let i = 0; i < 16 && ws.readyState === WebSocket.OPEN; i++) {
          ws.send(MESSAGE, (error) => { if (error) refused.push(error); });
          sent++;
          peak = Math.max(peak, ws.bufferedAmount);
          onSend?.();
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      return { sent, refused, peak };
    }

    it('maxBackpressure with closeOnBackpressureLimit: fails the connection with 1008, memory bounded', async () => {
      const limit = 2 * MiB;
      const { ws, client } = await pausedReader({ maxBackpressure: limit, closeTimeout: 500 });
      const errors: WebSocketError[] = [];
      ws.on('error', (error: WebSocketError) => errors.push(error));
      const closed = next<[number]>(ws, 'close', 10_000);
      const before = process.memoryUsage();
      const { sent, peak } = await flood(ws, 4096, () => {
        expect(ws.bufferedAmount).toBeLessThanOrEqual(limit + slack);
      });
      const after = process.memoryUsage();
      expect(sent).toBeLessThan(4096);
      expect(peak).toBeLessThanOrEqual(limit + slack);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(WebSocketError);
      expect(errors[0]!.code).toBe('WS_ERR_BACKPRESSURE_LIMIT');
      expect(errors[0]!.closeCode).toBe(1008);
      expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(64 * MiB);
      expect(after.rss - before.rss).toBeLessThan(128 * MiB);
      // The reader never reads: the close timeout ends the connection.
      const [code] = await closed;
      expect(code).toBe(1008);
      expect(ws.readyState).toBe(WebSocket.CLOSED);
      expect(client.readyState).toBe(WsClient.OPEN); // it never read a byte since the pause
    });

    it('a reader that resumes after the limit was hit reads up to a 1008 close frame', async () => {
      const limit = 1 * MiB;
      const { ws, client } = await pausedReader({ maxBackpressure: limit });
      ws.on('error', () => {});
      const { sent } = await flood(ws, 4096);
      let received = 0;
      client.on('message', () => received++);
      const closed = next<[number, Buffer]>(client, 'close', 10_000);
      (client as unknown as { _socket: import('node:net').Socket })._socket.resume();
      const [code] = await closed;
      expect(code).toBe(1008);
      // Every message accepted before the limit arrived; the refused one did not.
      expect(received).toBe(sent - 1);
    });

    it('closeOnBackpressureLimit: false refuses sends with an error and stays open', async () => {
      const limit = 1 * MiB;
      const { ws, client } = await pausedReader({ maxBackpressure: limit, closeOnBackpressureLimit: false });
      const { sent, refused, peak } = await flood(ws, 4096);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused[0]).toBeInstanceOf(WebSocketError);
      expect((refused[0] as WebSocketError).code).toBe('WS_ERR_BACKPRESSURE_LIMIT');
      expect(peak).toBeLessThanOrEqual(limit + slack);
      expect(ws.bufferedAmount).toBeLessThanOrEqual(limit + slack);
      expect(ws.readyState).toBe(WebSocket.OPEN);
      // Refused, not queued: once the reader resumes, exactly the accepted messages arrive.
      let received = 0;
      client.on('message', () => received++);
      const closed = next<[number]>(client, 'close', 10_000);
      ws.close(1000);
      (client as unknown as { _socket: import('node:net').Socket })._socket.resume();
      expect((await closed)[0]).toBe(1000);
      expect(received).toBe(sent - refused.length);
    });

    it('without a limit: bufferedAmount grows, then drains when the reader resumes', async () => {
      const { ws, client } = await pausedReader({ maxBackpressure: 0 });
      const target = 8 * MiB;
      let sent = 0;
      while (ws.bufferedAmount < target && sent < 4096) {
        for (let i = 0; i < 16; i++, sent++) ws.send(MESSAGE);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(ws.bufferedAmount).toBeGreaterThanOrEqual(target);
      let received = 0;
      const all = new Promise<void>((resolve) => client.on('message', () => { if (++received === sent) resolve(); }));
      const drained = next(ws, 'drain', 10_000);
      (client as unknown as { _socket: import('node:net').Socket })._socket.resume();
      await drained;
      await all;
      expect(ws.bufferedAmount).toBe(0);
      expect(received).toBe(sent);
    });
  });
});

describe('ws server ⇄ our client', () => {
  describe.each(['text', 'binary'] as const)('%s echo', (kind) => {
    it.each(SIZES)('%s comes back byte for byte', async (_label, bytes) => {
      const { url } = await wsEchoServer();
      const client = await openOurClient(url);
      const sent = payloadFor(kind, bytes);
      const reply = next<[Buffer, boolean]>(client, 'message', 20_000);
      client.send(sent);
      const [data, isBinary] = await reply;
      expect(isBinary).toBe(kind === 'binary');
      same(data, sent);
    });
  });

  it('sends fragments (fin: false) that the ws server reassembles', async () => {
    const { wss, url } = await wsServer();
    const connection = nextConnection<WsClient>(wss);
    const client = await openOurClient(url);
    const [peer] = await connection;
    const got = next<[Buffer, boolean]>(peer, 'message');
    const bytes = randomBytes(100 * KiB);
    client.send(bytes.subarray(0, 10), { fin: false });
    client.ping('mid-message');
    client.send(bytes.subarray(10, 50 * KiB), { fin: false });
    client.send(bytes.subarray(50 * KiB), { fin: true });
    const [data, isBinary] = await got;
    expect(isBinary).toBe(true);
    expect(Buffer.from(data).equals(bytes)).toBe(true);
    const text = next<[Buffer, boolean]>(peer, 'message');
    client.send('a', { fin: false });
    client.send('b', { fin: false });
    client.send('', { fin: true });
    const [t, tBinary] = await text;
    expect(tBinary).toBe(false);
    expect(t.toString()).toBe('ab');
  });

  it('receives fragments the ws server sends', async () => {
    const { wss, url } = await wsServer();
    const connection = nextConnection<WsClient>(wss);
    const client = await openOurClient(url);
    const [peer] = await connection;
    const got = next<[Buffer, boolean]>(client, 'message');
    peer.send('x', { fin: false });
    peer.send('y', { fin: false });
    peer.send('z', { fin: true });
    const [data, isBinary] = await got;
    expect(isBinary).toBe(false);
    expect(data.toString()).toBe('xyz');
  });

  it('pings go both ways with payloads; autoPong answers', async () => {
    const { wss, url } = await wsServer();
    const connection = nextConnection<WsClient>(wss);
    const client = await openOurClient(url);
    const [peer] = await connection;
    const peerPong = next<[Buffer]>(peer, 'pong');
    const clientPinged = next<[Buffer]>(client, 'ping');
    peer.ping('from ws');
    expect((await clientPinged)[0].toString()).toBe('from ws');
    expect((await peerPong)[0].toString()).toBe('from ws');
    const clientPong = next<[Buffer]>(client, 'pong');
    const peerPinged = next<[Buffer]>(peer, 'ping');
    client.ping(Buffer.from([1, 2, 3]));
    expect([...(await peerPinged)[0]]).toEqual([1, 2, 3]);
    expect([...(await clientPong)[0]]).toEqual([1, 2, 3]);
  });

  it('our client with autoPong: false leaves the ws ping unanswered', async () => {
    const { wss, url } = await wsServer();
    const connection = nextConnection<WsClient>(wss);
    const client = await openOurClient(url, undefined, { autoPong: false });
    const [peer] = await connection;
    let pongs = 0;
    peer.on('pong', () => pongs++);
    peer.on('message', (data) => peer.send(data));
    const pinged = next(client, 'ping');
    peer.ping('p');
    await pinged;
    const echo = next(client, 'message');
    client.send('after');
    await echo;
    expect(pongs).toBe(0);
  });

  it('a ws server with autoPong: false leaves our ping unanswered', async () => {
    const { wss, url } = await wsServer({ autoPong: false });
    const connection = nextConnection<WsClient>(wss);
    const client = await openOurClient(url);
    const [peer] = await connection;
    let pongs = 0;
    client.on('pong', () => pongs++);
    peer.on('message', (data) => peer.send(data));
    const pinged = next<[Buffer]>(peer, 'ping');
    client.ping('unanswered');
    expect(String((await pinged)[0])).toBe('unanswered');
    const echo = next(client, 'message');
    client.send('after');
    await echo;
    expect(pongs).toBe(0);
  });

  describe('close codes', () => {
    it.each(VALID_CODES)('our client closes with %i: the ws server sees code and reason', async (code) => {
      const { wss, url } = await wsServer();
      const connection = nextConnection<WsClient>(wss);
      const client = await openOurClient(url);
      const [peer] = await connection;
      const closed = next<[number, Buffer]>(peer, 'close');
      const clientClosed = next<[number, Buffer]>(client, 'close');
      client.close(code, `client ${code}`);
      const [gotCode, reason] = await closed;
      expect(gotCode).toBe(code);
      expect(reason.toString()).toBe(`client ${code}`);
      expect((await clientClosed)[0]).toBe(code);
      expect(client.wasClean).toBe(true);
    });

    it.each(VALID_CODES)('the ws server closes with %i: our client sees code and reason', async (code) => {
      const { wss, url } = await wsServer();
      const connection = nextConnection<WsClient>(wss);
      const client = await openOurClient(url);
      const [peer] = await connection;
      const closed = next<[number, Buffer]>(client, 'close');
      peer.close(code, `server ${code}`);
      const [gotCode, reason] = await closed;
      expect(gotCode).toBe(code);
      expect(reason.toString()).toBe(`server ${code}`);
      expect(client.wasClean).toBe(true);
      expect(client.readyState).toBe(WebSocket.CLOSED);
    });
  });

  it('invalid close codes and reasons are refused by close() with a RangeError or TypeError', async () => {
    const { url } = await wsServer();
    const client = await openOurClient(url);
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535, 1000.5, NaN]) {
      expect(() => client.close(code), `code ${code}`).toThrow(RangeError);
    }
    expect(() => client.close(1000, 'x'.repeat(124))).toThrow(RangeError);
    expect(() => client.close(1000, '✓'.repeat(42))).toThrow(RangeError); // 126 bytes of UTF-8
    expect(() => client.close(undefined, 'reason without a code')).toThrow(TypeError);
    expect(client.readyState).toBe(WebSocket.OPEN);
    const closed = next<[number, Buffer]>(client, 'close');
    client.close(1000, 'x'.repeat(123));
    expect((await closed)[0]).toBe(1000);
  });

  it('subprotocols: the ws server picks the second offer', async () => {
    const { wss, url } = await wsServer({ handleProtocols: (protocols) => [...protocols][1] ?? false });
    const connection = nextConnection<WsClient>(wss);
    const client = await openOurClient(url, ['one', 'two']);
    const [peer] = await connection;
    expect(client.protocol).toBe('two');
    expect(peer.protocol).toBe('two');
  });

  it('subprotocols: default pick and none offered', async () => {
    const { url } = await wsServer();
    expect((await openOurClient(url, ['first', 'second'])).protocol).toBe('first');
    expect((await openOurClient(url)).protocol).toBe('');
  });

  it('a ws server refusing the handshake: error then close, or unexpected-response', async () => {
    const { url } = await wsServer({ verifyClient: (_info, cb) => cb(false, 403, 'nope') });
    const client = new WebSocket(url);
    const error = next<[WebSocketError]>(client, 'error');
    const closed = next<[number]>(client, 'close');
    expect((await error)[0].message).toMatch(/403/);
    expect((await closed)[0]).toBe(1006);
    const other = new WebSocket(url);
    const [, res] = await next<[http.ClientRequest, http.IncomingMessage]>(other, 'unexpected-response');
    expect(res.statusCode).toBe(403);
    res.resume();
    const otherClosed = next(other, 'close');
    other.terminate();
    await otherClosed;
  });

  it('our client offers permessage-deflate and works uncompressed when ws declines', async () => {
    const offered: string[] = [];
    const { wss, url } = await wsEchoServer();
    wss.on('headers', (_h, req) => offered.push(String(req.headers['sec-websocket-extensions'])));
    const client = await openOurClient(url);
    expect(offered[0]).toMatch(/^permessage-deflate/);
    expect(client.extensions).toBe('');
    const echo = next<[Buffer]>(client, 'message');
    client.send('plain');
    expect(String((await echo)[0])).toBe('plain');
  });
});

describe('more of the surface, against ws', () => {
  it('permessage-deflate: a ws client and our server negotiate it and echo compressed messages', async () => {
    const { url } = await ourEchoServer({ perMessageDeflate: { threshold: 0 } });
    const client = await openWsClient(url, undefined, { perMessageDeflate: { threshold: 0 } });
    expect(client.extensions).toMatch(/^permessage-deflate/);
    for (const sent of ['x', textOfBytes(200 * KiB), randomBytes(100 * KiB)]) {
      const reply = next<[Buffer, boolean]>(client, 'message');
      client.send(sent);
      const [data, isBinary] = await reply;
      expect(isBinary).toBe(typeof sent !== 'string');
      same(data, sent);
    }
  });

  it('permessage-deflate: our client and a ws server negotiate it and echo compressed messages', async () => {
    const { url } = await wsEchoServer({ perMessageDeflate: { threshold: 0 } });
    const client = await openOurClient(url);
    expect(client.extensions).toMatch(/^permessage-deflate/);
    for (const sent of ['y', textOfBytes(300 * KiB), randomBytes(64 * KiB)]) {
      const reply = next<[Buffer, boolean]>(client, 'message');
      client.send(sent);
      const [data, isBinary] = await reply;
      expect(isBinary).toBe(typeof sent !== 'string');
      same(data, sent);
    }
  });

  it('our client: options as the second argument, extra headers and origin reach the ws server', async () => {
    const { wss, url } = await wsServer();
    const connection = nextConnection<WsClient>(wss);
    await openOurClient(`${url}/p?q=1`, { headers: { 'X-Token': 'abc' }, origin: 'https://app.example' } as never);
    const [, req] = await connection;
    expect(req.url).toBe('/p?q=1');
    expect(req.headers['x-token']).toBe('abc');
    expect(req.headers.origin).toBe('https://app.example');
  });

  it("our server's 'headers' event can add response headers, as ws", async () => {
    const { wss, url } = await ourServer();
    wss.on('headers', (headers: string[]) => headers.push('Set-Cookie: session=1'));
    const client = wsClient(url);
    const [res] = await next<[http.IncomingMessage]>(client, 'upgrade');
    expect(res.headers['set-cookie']).toEqual(['session=1']);
  });

  it('our client follows a redirect when asked (followRedirects), and fails on it otherwise', async () => {
    const { server, url } = await httpServer();
    const { WebSocketServer } = await import('../src/index.js');
    const wss = new WebSocketServer({ noServer: true });
    wss.on('connection', (ws, req: http.IncomingMessage) => ws.send(`at ${req.url}`));
    server.on('upgrade', (req: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => {
      if (req.url === '/old') {
        socket.end('HTTP/1.1 302 Found\r\nLocation: /new?x=1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    });
    const followed = ourClient(`${url}/old`, undefined, { followRedirects: true });
    const [data] = await next<[Buffer]>(followed, 'message');
    expect(String(data)).toBe('at /new?x=1');
    expect(followed.url).toBe(`${url}/new?x=1`);
    const refused = ourClient(`${url}/old`);
    expect((await next<[number]>(refused, 'close'))[0]).toBe(1006);
    expect(refused.errors[0]?.message).toBe('Unexpected server response: 302');
  });

  it('a ws server closing without a code: our client sees 1005 and an empty reason', async () => {
    const { wss, url } = await wsServer();
    wss.on('connection', (ws) => ws.close());
    const client = ourClient(url);
    const [code, reason] = await next<[number, Buffer]>(client, 'close');
    expect(code).toBe(1005);
    expect(reason.length).toBe(0);
    expect(client.wasClean).toBe(true);
  });
});

describe('our client ⇄ our server', () => {
  it('echoes text and binary', async () => {
    const { url } = await ourEchoServer();
    const client = await openOurClient(url);
    const text = next<[Buffer, boolean]>(client, 'message');
    client.send('hello ✓');
    const [t, tb] = await text;
    expect(tb).toBe(false);
    expect(t.toString()).toBe('hello ✓');
    const bytes = randomBytes(200 * KiB);
    const binary = next<[Buffer, boolean]>(client, 'message');
    client.send(bytes);
    const [b, bb] = await binary;
    expect(bb).toBe(true);
    expect(b.equals(bytes)).toBe(true);
  });

  it.each([1000, 1001, 1011, 3000, 4999])('client close(%i): both sides see the code and reason, wasClean', async (code) => {
    const { wss, url } = await ourServer();
    const connection = nextConnection<WebSocket>(wss);
    const client = await openOurClient(url);
    const [ws] = await connection;
    const serverEvent = new Promise<{ code: number; reason: string; wasClean: boolean }>((resolve) => {
      ws.onclose = (event: { code: number; reason: string; wasClean: boolean }) => resolve(event);
    });
    const clientEvent = new Promise<{ code: number; reason: string; wasClean: boolean }>((resolve) => {
      client.addEventListener('close', (event: { code: number; reason: string; wasClean: boolean }) => resolve(event));
    });
    expect(client.readyState).toBe(WebSocket.OPEN);
    client.close(code, 'done');
    expect(client.readyState).toBe(WebSocket.CLOSING);
    const s = await serverEvent;
    const c = await clientEvent;
    expect(s).toMatchObject({ code, reason: 'done', wasClean: true });
    expect(c).toMatchObject({ code, reason: 'done', wasClean: true });
    expect(client.readyState).toBe(WebSocket.CLOSED);
    expect(ws.readyState).toBe(WebSocket.CLOSED);
  });

  it('server close: the server sends its close frame first and closes TCP after the echo', async () => {
    const { wss, url } = await ourServer();
    const connection = nextConnection<WebSocket>(wss);
    const client = await openOurClient(url);
    const [ws] = await connection;
    const clientClosed = next<[number, Buffer]>(client, 'close');
    const serverClosed = next<[number, Buffer]>(ws, 'close');
    ws.close(4001, 'server says bye');
    const [code, reason] = await clientClosed;
    expect(code).toBe(4001);
    expect(reason.toString()).toBe('server says bye');
    expect((await serverClosed)[0]).toBe(4001);
    expect(client.wasClean).toBe(true);
    expect(ws.wasClean).toBe(true);
  });

  it('terminate: 1006 on both sides, not clean', async () => {
    const { wss, url } = await ourServer();
    const connection = nextConnection<WebSocket>(wss);
    const client = await openOurClient(url);
    const [ws] = await connection;
    const serverClosed = next<[number]>(ws, 'close');
    const clientClosed = next<[number]>(client, 'close');
    client.terminate();
    expect((await clientClosed)[0]).toBe(1006);
    expect((await serverClosed)[0]).toBe(1006);
    expect(client.wasClean).toBe(false);
    expect(ws.wasClean).toBe(false);
  });

  it('many messages in both directions arrive in order', async () => {
    const { url } = await ourEchoServer();
    const client = await openOurClient(url);
    const got: string[] = [];
    const all = new Promise<void>((resolve) => client.on('message', (data) => { got.push(String(data)); if (got.length === 1000) resolve(); }));
    for (let i = 0; i < 1000; i++) client.send(`m${i}`);
    await all;
    expect(got).toEqual(Array.from({ length: 1000 }, (_, i) => `m${i}`));
  });

  it('a client behind an http server shared with plain requests', async () => {
    const { server, url } = await httpServer();
    server.on('request', (_req, res) => res.end('plain'));
    const { WebSocketServer } = await import('../src/index.js');
    const wss = new WebSocketServer({ server });
    wss.on('connection', (ws) => ws.send('hi'));
    // Registered before 'open': the greeting may arrive with the 101.
    const client = ourClient(url);
    const [data] = await next<[Buffer]>(client, 'message');
    expect(String(data)).toBe('hi');
    const response = await fetch(url.replace('ws:', 'http:'));
    expect(await response.text()).toBe('plain');
  });
});
