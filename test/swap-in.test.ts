// Drop-in check: the examples of ws's README (node_modules/ws/README.md, ws 8), written as
// they appear there with only the import changed, run against wsframe. Two unavoidable
// edits: `port: 8080` becomes `port: 0, host: '127.0.0.1'` (tests bind an ephemeral
// port), and the heartbeat intervals are milliseconds instead of 30 s. `console.log` and
// `console.error` are spied on, so the examples' own logging is what the tests check.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { WebSocket as WsClient } from 'ws';
import WebSocket, { WebSocketServer, Server, WebSocket as NamedWebSocket } from '../src/index.js';
import {
  delay, next, onCleanup, openOurClient, openWsClient, ourServer, until, useCleanup, wsClient, wsRejection,
} from './net/harness.js';
import { httpExchange, upgradeRequest } from './net/raw.js';

useCleanup();
afterEach(() => { vi.restoreAllMocks(); });

/** Captures console.log / console.error calls as formatted lines. */
function captureConsole(): { logs: string[]; errors: unknown[] } {
  const logs: string[] = [];
  const errors: unknown[] = [];
  vi.spyOn(console, 'log').mockImplementation((format?: unknown, ...args: unknown[]) => {
    let i = 0;
    logs.push(String(format).replace(/%s/g, () => String(args[i++])));
  });
  vi.spyOn(console, 'error').mockImplementation((error?: unknown) => { errors.push(error); });
  return { logs, errors };
}

/** Registers a server created by an example for cleanup and waits until it listens. */
async function listening(wss: WebSocketServer): Promise<string> {
  onCleanup(async () => {
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
  if ((wss.address() as AddressInfo | null)?.port === undefined) await next(wss, 'listening');
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
}

describe('the package shape', () => {
  it('has a default export (WebSocket) and the Server alias, as ws', () => {
    expect(WebSocket).toBe(NamedWebSocket);
    expect(Server).toBe(WebSocketServer);
    expect(WebSocket.CONNECTING).toBe(0);
    expect(WebSocket.OPEN).toBe(1);
    expect(WebSocket.CLOSING).toBe(2);
    expect(WebSocket.CLOSED).toBe(3);
    expect(typeof WebSocketServer.prototype.handleUpgrade).toBe('function');
    expect(typeof WebSocketServer.prototype.shouldHandle).toBe('function');
  });
});

describe("ws's README server examples", () => {
  it('Simple server', async () => {
    const { logs, errors } = captureConsole();
    // ── README: "Simple server" ──
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });

    wss.on('connection', function connection(ws) {
      ws.on('error', console.error);

      ws.on('message', function message(data) {
        console.log('received: %s', data);
      });

      ws.send('something');
    });
    // ──
    const url = await listening(wss);
    const client = wsClient(url);
    const [greeting] = await next<[Buffer]>(client, 'message');
    expect(String(greeting)).toBe('something');
    client.send('hello ✓');
    await until(() => logs.length > 0);
    expect(logs).toEqual(['received: hello ✓']);
    expect(errors).toEqual([]);
  });

  it('Simple server as an echo (send back what comes in, with its type)', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    wss.on('connection', function connection(ws) {
      ws.on('error', console.error);
      ws.on('message', function message(data, isBinary) {
        ws.send(data, { binary: isBinary });
      });
    });
    const url = await listening(wss);
    const client = await openWsClient(url);
    const text = next<[Buffer, boolean]>(client, 'message');
    client.send('text');
    expect((await text).map(String)).toEqual(['text', 'false']);
    const binary = next<[Buffer, boolean]>(client, 'message');
    client.send(Buffer.from([0, 1, 2]));
    const [data, isBinary] = await binary;
    expect([...data]).toEqual([0, 1, 2]);
    expect(isBinary).toBe(true);
  });

  it('External HTTP/S server (plain http here)', async () => {
    const { logs } = captureConsole();
    // ── README: "External HTTP/S server" ──
    const server = createServer();
    const wss = new WebSocketServer({ server });

    wss.on('connection', function connection(ws) {
      ws.on('error', console.error);

      ws.on('message', function message(data) {
        console.log('received: %s', data);
      });

      ws.send('something');
    });

    server.listen(0, '127.0.0.1');
    // ──
    onCleanup(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
    const url = await listening(wss);
    const client = wsClient(url);
    expect(String((await next<[Buffer]>(client, 'message'))[0])).toBe('something');
    client.send('over http');
    await until(() => logs.length > 0);
    expect(logs).toEqual(['received: over http']);
    onCleanup(() => { client.terminate(); });
  });

  it('Multiple servers sharing a single HTTP/S server (noServer + handleUpgrade)', async () => {
    // ── README: "Multiple servers sharing a single HTTP/S server" ──
    const server = createServer();
    const wss1 = new WebSocketServer({ noServer: true });
    const wss2 = new WebSocketServer({ noServer: true });

    wss1.on('connection', function connection(ws) {
      ws.on('error', console.error);

      // ...
      ws.send('foo');
    });

    wss2.on('connection', function connection(ws) {
      ws.on('error', console.error);

      // ...
      ws.send('bar');
    });

    server.on('upgrade', function upgrade(request, socket, head) {
      const { pathname } = new URL(request.url!, 'wss://base.url');

      if (pathname === '/foo') {
        wss1.handleUpgrade(request, socket, head, function done(ws) {
          wss1.emit('connection', ws, request);
        });
      } else if (pathname === '/bar') {
        wss2.handleUpgrade(request, socket, head, function done(ws) {
          wss2.emit('connection', ws, request);
        });
      } else {
        socket.destroy();
      }
    });

    server.listen(0, '127.0.0.1');
    // ──
    onCleanup(async () => {
      for (const ws of [...wss1.clients, ...wss2.clients]) ws.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    await next(server, 'listening');
    const base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const foo = wsClient(`${base}/foo`);
    const bar = wsClient(`${base}/bar`);
    expect(String((await next<[Buffer]>(foo, 'message'))[0])).toBe('foo');
    expect(String((await next<[Buffer]>(bar, 'message'))[0])).toBe('bar');
    expect(wss1.clients.size).toBe(1);
    expect(wss2.clients.size).toBe(1);
    expect(() => wss1.address()).toThrow(/noServer/);
    const other = wsClient(`${base}/other`);
    await next(other, 'close');
    expect(other.errors[0]?.message).toMatch(/socket hang up/);
    // A noServer server emits 'close' once its last client is gone (as ws).
    let closed = false;
    const done = new Promise<void>((resolve) => wss2.close(() => { closed = true; resolve(); }));
    await delay(20);
    expect(closed).toBe(false);
    bar.close();
    await done;
    expect(wss2.clients.size).toBe(0);
  });

  it('Client authentication (on the upgrade event)', async () => {
    const { logs, errors } = captureConsole();
    // Not defined in the README "on purpose": a bearer token check.
    function authenticate(request: IncomingMessage, next: (err: Error | null, client?: string) => void): void {
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      setImmediate(() => (token === 'good-token' ? next(null, 'alice') : next(new Error('unauthorized'))));
    }
    // ── README: "Client authentication" ──
    function onSocketError(err: Error) {
      console.error(err);
    }

    const server = createServer();
    const wss = new WebSocketServer({ noServer: true });

    wss.on('connection', function connection(ws: WebSocket, request: IncomingMessage, client: string) {
      ws.on('error', console.error);

      ws.on('message', function message(data) {
        console.log(`Received message ${data} from user ${client}`);
      });
    });

    server.on('upgrade', function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer) {
      socket.on('error', onSocketError);

      // This function is not defined on purpose. Implement it with your own logic.
      authenticate(request, function next(err, client) {
        if (err || !client) {
          socket.write('HTTP/1.1 401 Unauthorized\r\n\r\n');
          socket.destroy();
          return;
        }

        socket.removeListener('error', onSocketError);

        wss.handleUpgrade(request, socket, head, function done(ws) {
          wss.emit('connection', ws, request, client);
        });
      });
    });

    server.listen(0, '127.0.0.1');
    // ──
    onCleanup(async () => {
      for (const ws of wss.clients) ws.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    await next(server, 'listening');
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const refused = await wsRejection(url, undefined, { headers: { Authorization: 'Bearer bad-token' } });
    expect(refused.status).toBe(401);
    expect(wss.clients.size).toBe(0);
    const client = await openWsClient(url, undefined, { headers: { Authorization: 'Bearer good-token' } });
    client.send('hi');
    await until(() => logs.length > 0);
    expect(logs).toEqual(['Received message hi from user alice']);
    expect(errors).toEqual([]);
  });

  it('Server broadcast: to every client, itself included', async () => {
    // ── README: "Server broadcast" (first example) ──
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });

    wss.on('connection', function connection(ws) {
      ws.on('error', console.error);

      ws.on('message', function message(data, isBinary) {
        wss.clients.forEach(function each(client) {
          if (client.readyState === WebSocket.OPEN) {
            client.send(data, { binary: isBinary });
          }
        });
      });
    });
    // ──
    const url = await listening(wss);
    const clients = await Promise.all([openWsClient(url), openWsClient(url), openOurClient(url)]);
    await until(() => wss.clients.size === 3);
    const got = clients.map((c) => next<[Buffer, boolean]>(c, 'message'));
    clients[0]!.send(Buffer.from('to all'));
    for (const [data, isBinary] of await Promise.all(got)) {
      expect(String(data)).toBe('to all');
      expect(isBinary).toBe(true);
    }
  });

  it('Server broadcast: to every other client', async () => {
    // ── README: "Server broadcast" (second example) ──
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });

    wss.on('connection', function connection(ws) {
      ws.on('error', console.error);

      ws.on('message', function message(data, isBinary) {
        wss.clients.forEach(function each(client) {
          if (client !== ws && client.readyState === WebSocket.OPEN) {
            client.send(data, { binary: isBinary });
          }
        });
      });
    });
    // ──
    const url = await listening(wss);
    const [sender, a, b] = await Promise.all([openWsClient(url), openWsClient(url), openOurClient(url)]);
    await until(() => wss.clients.size === 3);
    let echoed = 0;
    sender!.on('message', () => echoed++);
    const got = [next<[Buffer, boolean]>(a!, 'message'), next<[Buffer, boolean]>(b!, 'message')];
    sender!.send('to the others');
    for (const [data, isBinary] of await Promise.all(got)) {
      expect(String(data)).toBe('to the others');
      expect(isBinary).toBe(false);
    }
    await delay(30);
    expect(echoed).toBe(0);
  });

  it('How to detect and close broken connections (server heartbeat)', async () => {
    // ── README FAQ: "How to detect and close broken connections?" (30000 ms → 50 ms) ──
    function heartbeat(this: WebSocket & { isAlive?: boolean }) {
      this.isAlive = true;
    }

    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });

    wss.on('connection', function connection(ws: WebSocket & { isAlive?: boolean }) {
      ws.isAlive = true;
      ws.on('error', console.error);
      ws.on('pong', heartbeat);
    });

    const interval = setInterval(function ping() {
      wss.clients.forEach(function each(ws: WebSocket & { isAlive?: boolean }) {
        if (ws.isAlive === false) return ws.terminate();

        ws.isAlive = false;
        ws.ping();
      });
    }, 50);

    wss.on('close', function close() {
      clearInterval(interval);
    });
    // ──
    onCleanup(() => clearInterval(interval));
    const url = await listening(wss);
    const alive = await openWsClient(url);
    const broken = await openWsClient(url, undefined, { autoPong: false }); // never answers pings
    const ours = await openOurClient(url);
    const [code] = await next<[number]>(broken, 'close', 3000);
    expect(code).toBe(1006);
    await delay(200); // several more intervals
    expect(alive.readyState).toBe(WsClient.OPEN);
    expect(ours.readyState).toBe(WebSocket.OPEN);
    expect(wss.clients.size).toBe(2);
  });

  it('How to detect and close broken connections (client heartbeat, with our client)', async () => {
    const { url, wss } = await ourServer();
    const serverPings = setInterval(() => wss.clients.forEach((ws) => ws.ping()), 40);
    onCleanup(() => clearInterval(serverPings));
    // ── README FAQ, client side (30000 + 1000 ms → 150 ms) ──
    function heartbeat(this: WebSocket & { pingTimeout?: ReturnType<typeof setTimeout> }) {
      clearTimeout(this.pingTimeout);

      // Use `WebSocket#terminate()`, which immediately destroys the connection,
      // instead of `WebSocket#close()`, which waits for the close timer.
      // Delay should be equal to the interval at which your server
      // sends out pings plus a conservative assumption of the latency.
      this.pingTimeout = setTimeout(() => {
        this.terminate();
      }, 150);
    }

    const client = new WebSocket(url);

    client.on('error', console.error);
    client.on('open', heartbeat);
    client.on('ping', heartbeat);
    client.on('close', function clear(this: WebSocket & { pingTimeout?: ReturnType<typeof setTimeout> }) {
      clearTimeout(this.pingTimeout);
    });
    // ──
    onCleanup(() => client.terminate());
    await next(client, 'open');
    await delay(300);
    expect(client.readyState).toBe(WebSocket.OPEN); // pings keep it alive
    clearInterval(serverPings);
    const [code] = await next<[number]>(client, 'close', 2000);
    expect(code).toBe(1006); // no pings: it gave up by itself
  });
});

describe("ws's README client examples, with our client", () => {
  it('Sending and receiving text data', async () => {
    const { logs } = captureConsole();
    const { wss, url } = await ourServer();
    wss.on('connection', (peer) => peer.on('message', (data) => peer.send(`echo ${String(data)}`)));
    // ── README: "Sending and receiving text data" ──
    const ws = new WebSocket(`${url}/path`);

    ws.on('error', console.error);

    ws.on('open', function open() {
      ws.send('something');
    });

    ws.on('message', function message(data) {
      console.log('received: %s', data);
    });
    // ──
    onCleanup(() => ws.terminate());
    await until(() => logs.length > 0);
    expect(logs).toEqual(['received: echo something']);
  });

  it('Sending binary data (a Float32Array)', async () => {
    const { wss, url } = await ourServer();
    const received = new Promise<[Buffer, boolean]>((resolve) => {
      wss.on('connection', (peer) => peer.on('message', (data, isBinary) => resolve([data as Buffer, isBinary])));
    });
    // ── README: "Sending binary data" ──
    const ws = new WebSocket(url);

    ws.on('error', console.error);

    ws.on('open', function open() {
      const array = new Float32Array(5);

      for (var i = 0; i < array.length; ++i) {
        array[i] = i / 2;
      }

      ws.send(array);
    });
    // ──
    onCleanup(() => ws.terminate());
    const [data, isBinary] = await received;
    expect(isBinary).toBe(true);
    expect([...new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))]).toEqual([0, 0.5, 1, 1.5, 2]);
  });

  it('Round-trip time (a number sent as text)', async () => {
    const { logs } = captureConsole();
    const { wss, url } = await ourServer();
    wss.on('connection', (peer) => peer.on('message', (data, isBinary) => peer.send(data as Buffer, { binary: isBinary })));
    // ── README: "Round-trip time" (the 500 ms re-send dropped: one round trip) ──
    const ws = new WebSocket(url);

    ws.on('error', console.error);

    ws.on('open', function open() {
      console.log('connected');
      ws.send(Date.now());
    });

    ws.on('message', function message(data, isBinary) {
      expect(isBinary).toBe(false);
      console.log(`Round-trip time: ${Date.now() - Number(data)} ms`);
    });
    // ──
    onCleanup(() => ws.terminate());
    await until(() => logs.length === 2);
    expect(logs[0]).toBe('connected');
    expect(logs[1]).toMatch(/^Round-trip time: \d+ ms$/);
  });
});

describe('the WHATWG surface', () => {
  it('onopen, onmessage, onclose and onerror handlers', async () => {
    const { wss, url } = await ourServer();
    wss.on('connection', (ws) => {
      ws.send('text');
      ws.send(Buffer.from([1, 2]));
      ws.close(4000, 'done');
    });
    const client = new WebSocket(url);
    onCleanup(() => client.terminate());
    const events: string[] = [];
    client.onopen = (event: { type: string }) => { events.push(event.type); };
    client.onmessage = (event: { type: string; data: unknown }) => {
      events.push(`${event.type}:${typeof event.data === 'string' ? event.data : Buffer.isBuffer(event.data) ? 'buffer' : '?'}`);
    };
    client.onerror = () => { events.push('error'); };
    const closed = new Promise<{ code: number; reason: string; wasClean: boolean; type: string }>((resolve) => {
      client.onclose = resolve;
    });
    expect(typeof client.onopen).toBe('function');
    const event = await closed;
    expect(events).toEqual(['open', 'message:text', 'message:buffer']);
    expect(event).toMatchObject({ type: 'close', code: 4000, reason: 'done', wasClean: true });
    client.onmessage = null;
    expect(client.onmessage).toBe(null);
  });

  it("addEventListener with { once: true }, removeEventListener, and handleEvent objects", async () => {
    const { wss, url } = await ourServer();
    const ready = new Promise<WebSocket>((resolve) => wss.on('connection', resolve));
    const client = await openOurClient(url);
    const server = await ready;
    const once: unknown[] = [];
    const removed: unknown[] = [];
    const all: unknown[] = [];
    const objectListener = { handleEvent: (event: { data: unknown }) => all.push(event.data) };
    const removedListener = (event: { data: unknown }) => removed.push(event.data);
    client.addEventListener('message', (event: { data: unknown }) => once.push(event.data), { once: true });
    client.addEventListener('message', removedListener);
    client.addEventListener('message', objectListener);
    client.addEventListener('message', objectListener); // a duplicate is ignored, as in the DOM
    client.removeEventListener('message', removedListener);
    server.send('first');
    server.send('second');
    await until(() => all.length === 2);
    expect(once).toEqual(['first']);
    expect(removed).toEqual([]);
    expect(all).toEqual(['first', 'second']);
  });

  it('removeEventListener removes a { once: true } listener before it fired', async () => {
    const { wss, url } = await ourServer();
    const ready = new Promise<WebSocket>((resolve) => wss.on('connection', resolve));
    const client = await openOurClient(url);
    const server = await ready;
    const calls: unknown[] = [];
    const listener = (event: { data: unknown }) => calls.push(event.data);
    client.addEventListener('message', listener, { once: true });
    client.removeEventListener('message', listener);
    const seen = next(client, 'message');
    server.send('x');
    await seen;
    expect(calls).toEqual([]);
  });

  it.each([
    ['nodebuffer', (d: unknown) => Buffer.isBuffer(d), (d: unknown) => [...(d as Buffer)]],
    ['arraybuffer', (d: unknown) => d instanceof ArrayBuffer, (d: unknown) => [...new Uint8Array(d as ArrayBuffer)]],
    ['fragments', (d: unknown) => Array.isArray(d) && d.every((f) => Buffer.isBuffer(f)), (d: unknown) => [...Buffer.concat(d as Buffer[])]],
  ] as const)('binaryType %s', async (binaryType, check, bytes) => {
    const { wss, url } = await ourServer();
    wss.on('connection', (ws) => ws.send(Buffer.from([9, 8, 7])));
    const client = new WebSocket(url);
    onCleanup(() => client.terminate());
    client.binaryType = binaryType;
    expect(client.binaryType).toBe(binaryType);
    const viaEvent = new Promise<unknown>((resolve) => client.addEventListener('message', (event: { data: unknown }) => resolve(event.data)));
    const [data, isBinary] = await next<[unknown, boolean]>(client, 'message');
    expect(isBinary).toBe(true);
    expect(check(data)).toBe(true);
    expect(bytes(data)).toEqual([9, 8, 7]);
    expect(check(await viaEvent)).toBe(true);
  });

  it('binaryType blob', async () => {
    const { wss, url } = await ourServer();
    wss.on('connection', (ws) => ws.send(Buffer.from('blob bytes')));
    const client = new WebSocket(url);
    onCleanup(() => client.terminate());
    client.binaryType = 'blob';
    const [data] = await next<[Blob]>(client, 'message');
    expect(data).toBeInstanceOf(Blob);
    expect(await data.text()).toBe('blob bytes');
  });

  it('an unknown binaryType is ignored; text stays a string in MessageEvent.data', async () => {
    const { wss, url } = await ourServer();
    wss.on('connection', (ws) => ws.send('just text'));
    const client = new WebSocket(url);
    onCleanup(() => client.terminate());
    client.binaryType = 'arraybuffer';
    client.binaryType = 'nonsense' as never;
    expect(client.binaryType).toBe('arraybuffer');
    const data = await new Promise<unknown>((resolve) => { client.onmessage = (event: { data: unknown }) => resolve(event.data); });
    expect(data).toBe('just text');
  });

  it('the server side WebSocket has the same surface', async () => {
    const { wss, url } = await ourServer();
    const received = new Promise<unknown>((resolve) => {
      wss.on('connection', (ws) => {
        ws.binaryType = 'arraybuffer';
        ws.onmessage = (event: { data: unknown }) => resolve(event.data);
      });
    });
    const client = await openWsClient(url);
    client.send(new Uint8Array([5, 6]));
    const data = await received;
    expect(data).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(data as ArrayBuffer)]).toEqual([5, 6]);
  });
});

describe('server bookkeeping', () => {
  it('clients tracks open connections', async () => {
    const { wss, url } = await ourServer();
    const a = await openWsClient(url);
    await openWsClient(url);
    await openOurClient(url);
    await until(() => wss.clients.size === 3);
    for (const ws of wss.clients) expect(ws.readyState).toBe(WebSocket.OPEN);
    a.close();
    await until(() => wss.clients.size === 2);
  });

  it('clientTracking: false leaves clients undefined', async () => {
    const { wss, url } = await ourServer({ clientTracking: false });
    await openWsClient(url);
    expect(wss.clients).toBeUndefined();
  });

  it('address() gives the listening address', async () => {
    const { wss, port } = await ourServer();
    expect(wss.address()).toEqual({ address: '127.0.0.1', family: 'IPv4', port });
  });

  it('close(cb): stops accepting, keeps existing connections, calls back when the last one is gone', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    wss.on('connection', (ws) => ws.on('message', (data) => ws.send(data as Buffer)));
    const url = await listening(wss);
    const client = await openWsClient(url);
    let closed = false;
    const done = new Promise<void>((resolve) => wss.close(() => { closed = true; resolve(); }));
    const late = wsClient(url);
    await next(late, 'close');
    expect(late.errors[0]?.message).toMatch(/ECONNREFUSED/);
    // The open connection still works.
    const echo = next<[Buffer]>(client, 'message');
    client.send('still here');
    expect(String((await echo)[0])).toBe('still here');
    expect(closed).toBe(false);
    client.close();
    await done;
    expect(closed).toBe(true);
    // Closing again calls back with an error, as ws.
    const again = await new Promise<Error | undefined>((resolve) => wss.close(resolve));
    expect(again?.message).toBe('The server is not running');
  });

  it('the listening callback and event', async () => {
    let called = false;
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' }, () => { called = true; });
    await listening(wss);
    expect(called).toBe(true);
  });

  it("'wsClientError' hands a bad request to the application, as ws", async () => {
    const { wss, port } = await ourServer();
    const seen: Array<{ code: string; statusCode: number }> = [];
    wss.on('wsClientError', (error: Error & { code: string; statusCode: number }, socket: Duplex) => {
      seen.push({ code: error.code, statusCode: error.statusCode });
      socket.end('HTTP/1.1 418 I\'m a teapot\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
    const result = await httpExchange(port, upgradeRequest().replace(/Sec-WebSocket-Key: [^\r]*\r\n/, ''));
    expect(result.status).toBe(418);
    expect(seen).toEqual([{ code: 'WS_ERR_HANDSHAKE_INVALID_KEY', statusCode: 400 }]);
  });

  it('requires exactly one of port, server, noServer', () => {
    expect(() => new WebSocketServer({})).toThrow(TypeError);
    expect(() => new WebSocketServer({ noServer: true, port: 0 })).toThrow(TypeError);
  });
});
