// The connection layer on its own: a server-role WebSocket over an in-memory Duplex pair,
// with our Decoder/Encoder (client role) as the peer; real sockets where the behaviour
// needs a server (client states, idleTimeout).
import { describe, expect, it, vi } from 'vitest';
import type { Duplex } from 'node:stream';
import { WebSocket, closePayload } from '../src/index.js';
import { delay, next, openOurClient, openWsClient, ourClient, ourServer, until, useCleanup } from './net/harness.js';
import { serverOverPair } from './net/duplex-pair.js';
import { RawClient, buildFrame, upgradeRequest } from './net/raw.js';

useCleanup();

const OPCODE_PING = 0x9;
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('readyState', () => {
  it('a server-side WebSocket is CONNECTING until it has a socket, then OPEN', () => {
    const ws = new WebSocket(null);
    expect(ws.readyState).toBe(WebSocket.CONNECTING);
    expect(ws.readyState).toBe(ws.CONNECTING);
    const pair = serverOverPair();
    expect(pair.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('a client goes CONNECTING → OPEN → CLOSING → CLOSED', async () => {
    const { url } = await ourServer();
    const client = ourClient(url);
    const states: number[] = [client.readyState];
    await next(client, 'open');
    states.push(client.readyState);
    client.close(1000);
    states.push(client.readyState);
    await next(client, 'close');
    states.push(client.readyState);
    expect(states).toEqual([WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED]);
    expect(client.url).toBe(`${url}/`);
  });

  it('send, ping and pong while CONNECTING throw', async () => {
    const { url } = await ourServer();
    const client = ourClient(url);
    expect(() => client.send('too early')).toThrow(/CONNECTING/);
    expect(() => client.ping()).toThrow(/CONNECTING/);
    expect(() => client.pong()).toThrow(/CONNECTING/);
    expect(() => new WebSocket(null).send('x')).toThrow(/CONNECTING/);
    await next(client, 'open');
  });

  it('close() while CONNECTING aborts the handshake: error, then close 1006', async () => {
    const { url } = await ourServer();
    const client = ourClient(url);
    const closed = next<[number]>(client, 'close');
    client.close();
    expect((await closed)[0]).toBe(1006);
    expect(client.readyState).toBe(WebSocket.CLOSED);
    expect(client.errors[0]?.message).toMatch(/closed before the connection was established/);
  });

  it('the peer closing: CLOSING after its close frame is echoed, CLOSED once TCP is gone', async () => {
    const { ws, peer, socket } = serverOverPair();
    const closed = next<[number, Buffer]>(ws, 'close');
    const afterFrame: number[] = [];
    socket.on('data', () => afterFrame.push(ws.readyState)); // runs after the WebSocket's own listener
    peer.write(peer.encoder.close(4321, 'peer leaves'));
    await until(() => afterFrame.length > 0);
    expect(afterFrame[0]).toBe(WebSocket.CLOSING);
    const [code, reason] = await closed;
    expect(code).toBe(4321);
    expect(reason.toString()).toBe('peer leaves');
    expect(ws.readyState).toBe(WebSocket.CLOSED);
    expect(peer.closes).toEqual([{ code: 4321, reason: Buffer.from('peer leaves') }]); // echoed
    expect(ws.wasClean).toBe(true);
  });
});

describe('send()', () => {
  it.each([
    ['a string', 'héllo ✓', false, Buffer.from('héllo ✓')],
    ['a number (as text, as ws)', 42, false, Buffer.from('42')],
    ['a Buffer', Buffer.from([1, 2, 3]), true, Buffer.from([1, 2, 3])],
    ['an ArrayBuffer', new Uint8Array([4, 5, 6]).buffer, true, Buffer.from([4, 5, 6])],
    ['a Uint8Array view', new Uint8Array([0, 1, 2, 3, 4, 5]).subarray(2, 4), true, Buffer.from([2, 3])],
    ['a Uint16Array', new Uint16Array([0x0102, 0x0304]), true, Buffer.from(new Uint16Array([0x0102, 0x0304]).buffer)],
    ['a DataView at an offset', new DataView(new Uint8Array([9, 8, 7, 6, 5]).buffer, 1, 3), true, Buffer.from([8, 7, 6])],
    ['an array of Buffers', [Buffer.from('ab'), Buffer.from('cd')], true, Buffer.from('abcd')],
    ['an empty string', '', false, Buffer.alloc(0)],
  ] as const)('%s', async (_name, data, isBinary, bytes) => {
    const { ws, peer } = serverOverPair();
    ws.send(data as never);
    await until(() => peer.messages.length === 1);
    expect(peer.messages[0]!.isBinary).toBe(isBinary);
    expect(peer.messages[0]!.data.equals(bytes)).toBe(true);
  });

  it('a Float64Array view over a larger buffer sends its own bytes only', async () => {
    const { ws, peer } = serverOverPair();
    const all = new Float64Array([1.5, 2.5, 3.5, 4.5]);
    const view = new Float64Array(all.buffer, 8, 2); // 2.5, 3.5
    ws.send(view);
    await until(() => peer.messages.length === 1);
    const got = peer.messages[0]!.data;
    expect(got.length).toBe(16);
    expect([...new Float64Array(got.buffer.slice(got.byteOffset, got.byteOffset + 16))]).toEqual([2.5, 3.5]);
  });

  it('binary: false sends bytes as text; binary: true sends a string as binary', async () => {
    const { ws, peer } = serverOverPair();
    ws.send(Buffer.from('as text'), { binary: false });
    ws.send('as binary', { binary: true });
    await until(() => peer.messages.length === 2);
    expect(peer.messages.map((m) => [m.data.toString(), m.isBinary])).toEqual([['as text', false], ['as binary', true]]);
  });

  it('a Blob is sent as binary, and a string sent after it stays after it', async () => {
    const { ws, peer } = serverOverPair();
    ws.send(new Blob(['blob ', 'bytes']));
    ws.send('then text');
    ws.send(Buffer.from('then binary'));
    await until(() => peer.messages.length === 3);
    expect(peer.messages.map((m) => [m.data.toString(), m.isBinary])).toEqual([
      ['blob bytes', true], ['then text', false], ['then binary', true],
    ]);
  });

  it('close() right after a Blob send: the message still goes out before the close frame', async () => {
    const { ws, peer } = serverOverPair();
    ws.send(new Blob(['last words']));
    ws.close(1000, 'bye');
    await until(() => peer.closes.length === 1);
    expect(peer.messages.map((m) => m.data.toString())).toEqual(['last words']);
    expect(peer.closes[0]!.code).toBe(1000);
  });

  it('callbacks run once each, after the write, in order', async () => {
    const { ws, socket } = serverOverPair();
    socket.stalled = true;
    const calls: Array<[number, unknown]> = [];
    ws.send('a', (error) => calls.push([1, error]));
    ws.send(Buffer.alloc(20_000), (error) => calls.push([2, error])); // the large-payload path
    ws.ping('p', undefined, (error) => calls.push([3, error]));
    await tick();
    expect(calls).toEqual([]); // the socket has not taken the bytes yet
    socket.unstall();
    await until(() => calls.length === 3);
    await delay(10);
    expect(calls.map(([n]) => n)).toEqual([1, 2, 3]);
    for (const [, error] of calls) expect(error ?? null).toBe(null);
  });

  it('after close(): the callback gets an error, nothing is thrown, nothing is sent', async () => {
    const { ws, peer } = serverOverPair();
    ws.close(1000);
    const errors: unknown[] = [];
    expect(() => ws.send('late', (error) => errors.push(error))).not.toThrow();
    expect(() => ws.send('late, no callback')).not.toThrow();
    expect(() => ws.ping('late', undefined, (error) => errors.push(error))).not.toThrow();
    await until(() => errors.length === 2);
    for (const error of errors) expect((error as Error).message).toMatch(/not open: readyState 2 \(CLOSING\)/);
    await until(() => peer.closes.length === 1);
    expect(peer.messages).toEqual([]);
  });

  it('after the connection is CLOSED: the callback gets an error', async () => {
    const { ws } = serverOverPair();
    const closed = next(ws, 'close');
    ws.terminate();
    await closed;
    const error = await new Promise<Error | null | undefined>((resolve) => ws.send('x', resolve));
    expect(error?.message).toMatch(/readyState 3 \(CLOSED\)/);
  });

  it('ping and pong payloads over 125 bytes throw a RangeError', () => {
    const { ws } = serverOverPair();
    expect(() => ws.ping(Buffer.alloc(126))).toThrow(RangeError);
    expect(() => ws.pong('x'.repeat(126))).toThrow(RangeError);
    expect(() => ws.ping(Buffer.alloc(125))).not.toThrow();
  });
});

describe('the writer', () => {
  it('100 sends in one tick leave in one socket write', async () => {
    const { ws, socket, peer } = serverOverPair();
    const write = vi.spyOn(socket, 'write');
    for (let i = 0; i < 100; i++) ws.send(`message ${i}`);
    expect(write).not.toHaveBeenCalled(); // batched until the tick ends
    await tick();
    expect(write).toHaveBeenCalledTimes(1);
    await until(() => peer.messages.length === 100);
    expect(peer.messages.map((m) => m.data.toString())).toEqual(Array.from({ length: 100 }, (_, i) => `message ${i}`));
  });

  it('a client (masked frames) batches the same way over TCP', async () => {
    const { wss, url } = await ourServer();
    const received: string[] = [];
    wss.on('connection', (ws) => ws.on('message', (data) => received.push(String(data))));
    const client = await openOurClient(url);
    const socket = (client as unknown as { _socket: Duplex })._socket;
    const write = vi.spyOn(socket, 'write');
    for (let i = 0; i < 100; i++) client.send(`m${i}`);
    client.ping();
    await tick();
    expect(write).toHaveBeenCalledTimes(1);
    await until(() => received.length === 100);
    expect(received).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
  });

  it('after a flush the writer references none of the payloads or buffers it wrote', async () => {
    const { ws, peer } = serverOverPair();
    type Slots = { payloads: Uint8Array[]; out: Uint8Array[]; count: number };
    const writer = (): Slots => (ws as unknown as { _writer: Slots })._writer;
    ws.send(Buffer.alloc(100, 1));
    ws.send(Buffer.alloc(32 * 1024, 2)); // large: its own buffer, under a cork
    ws.send('small after');
    await tick();
    expect(writer().count).toBe(0);
    expect(writer().payloads.length).toBe(3);
    expect(writer().payloads.every((p) => p.length === 0)).toBe(true);
    expect(writer().out.every((b) => b.length === 0)).toBe(true);
    // A burst beyond the kept slots leaves fresh (empty) arrays behind.
    for (let i = 0; i < 100; i++) ws.send(`burst ${i}`);
    await tick();
    expect(writer().payloads.length).toBe(0);
    await until(() => peer.messages.length === 103);
    expect(peer.messages.map((m) => m.data.length).slice(0, 3)).toEqual([100, 32 * 1024, 11]);
    expect(String(peer.messages[102].data)).toBe('burst 99');
  });

  it('sends in different ticks are different writes; large payloads go under one cork', async () => {
    const { ws, socket, peer } = serverOverPair();
    const write = vi.spyOn(socket, 'write');
    const cork = vi.spyOn(socket, 'cork');
    ws.send('first tick');
    await tick();
    ws.send('second tick');
    ws.send(Buffer.alloc(64 * 1024, 1));
    ws.send('after the large one');
    await tick();
    expect(cork).toHaveBeenCalledTimes(1);
    expect(write.mock.calls.length).toBeGreaterThanOrEqual(3);
    await until(() => peer.messages.length === 4);
    expect(peer.messages.map((m) => m.data.length)).toEqual([10, 11, 65536, 19]);
  });

  it('over TCP, connections share a scratch buffer for writes done at once; a write that waits keeps its bytes', async () => {
    const { wss, url } = await ourServer();
    const servers: WebSocket[] = [];
    wss.on('connection', (ws) => servers.push(ws));
    const fast = await openOurClient(url);
    const slow = await openWsClient(url);
    await until(() => servers.length === 2);
    const fastReceived: string[] = [];
    fast.on('message', (data) => fastReceived.push(String(data)));
    const slowReceived: string[] = [];
    slow.on('message', (data) => slowReceived.push(String(data)));
    // The slow peer stops reading: its server-side writes wait in the socket, holding the
    // buffer they were encoded into, while the other connection keeps writing.
    (slow as unknown as { _socket: Duplex })._socket.pause();
    // The fast client connected first, so its server side came first.
    const [toFast, toSlow] = servers;
    // 10 × 4 KB a tick: one 40 KB write per connection, below the scratch size; 8 MB in all
    // to the slow peer, more than the kernel buffers take while it does not read.
    const word = (who: string, i: number): string => `${who} ${i} `.padEnd(4000, '.');
    for (let tickNo = 0; tickNo < 200; tickNo++) {
      for (let i = 0; i < 10; i++) {
        toSlow.send(word('slow', tickNo * 10 + i));
        toFast.send(word('fast', tickNo * 10 + i));
      }
      await tick();
    }
    expect((toSlow as unknown as { _socket: Duplex })._socket.writableLength).toBeGreaterThan(0);
    (slow as unknown as { _socket: Duplex })._socket.resume();
    await until(() => fastReceived.length + slowReceived.length === 4000, 10_000);
    const all = [...fastReceived, ...slowReceived].sort();
    const want = [...Array.from({ length: 2000 }, (_, i) => word('fast', i)), ...Array.from({ length: 2000 }, (_, i) => word('slow', i))].sort();
    expect(all).toEqual(want);
    // Each peer got its own messages in order, whichever server socket was which.
    for (const received of [fastReceived, slowReceived]) {
      const who = received[0].split(' ')[0];
      expect(received).toEqual(Array.from({ length: 2000 }, (_, i) => word(who, i)));
    }
  });
});

describe('the writer, sends made while a read is decoded', () => {
  // Masked client frames, as one chunk of received bytes.
  const frames = (peer: { encoder: { text(s: string): Uint8Array[] } }, ...texts: string[]): Buffer =>
    Buffer.concat(texts.flatMap((t) => peer.encoder.text(t)));

  it('echoes sent from message handlers leave in one write before the data listener returns', async () => {
    const { ws, socket, peer } = serverOverPair();
    ws.on('message', (data) => ws.send(`echo ${String(data)}`));
    const write = vi.spyOn(socket, 'write');
    socket.emit('data', frames(peer, 'a', 'b', 'c'));
    expect(write).toHaveBeenCalledTimes(1); // no tick has passed
    await until(() => peer.messages.length === 3);
    expect(peer.messages.map((m) => String(m.data))).toEqual(['echo a', 'echo b', 'echo c']);
  });

  it('a broadcast from one read flushes every connection it reached, once each', async () => {
    const a = serverOverPair();
    const b = serverOverPair();
    a.ws.on('message', (data) => { a.ws.send(data); b.ws.send(data); b.ws.send(data); });
    const writeA = vi.spyOn(a.socket, 'write');
    const writeB = vi.spyOn(b.socket, 'write');
    a.socket.emit('data', frames(a.peer, 'x', 'y'));
    expect(writeA).toHaveBeenCalledTimes(1);
    expect(writeB).toHaveBeenCalledTimes(1);
    await until(() => b.peer.messages.length === 4 && a.peer.messages.length === 2);
    expect(b.peer.messages.map((m) => String(m.data))).toEqual(['x', 'x', 'y', 'y']);
  });

  it('a flush that throws leaves the other writers of that read to flush at the end of the tick', async () => {
    const a = serverOverPair();
    const b = serverOverPair();
    a.ws.on('message', (data) => { a.ws.send(data); b.ws.send(data); });
    vi.spyOn(a.socket, 'write').mockImplementationOnce(() => { throw new Error('write failed'); });
    const writeB = vi.spyOn(b.socket, 'write');
    expect(() => a.socket.emit('data', frames(a.peer, 'z'))).toThrow('write failed');
    expect(writeB).not.toHaveBeenCalled();
    await tick();
    expect(writeB).toHaveBeenCalledTimes(1);
    await until(() => b.peer.messages.length === 1);
    expect(String(b.peer.messages[0].data)).toBe('z');
  });

  it('a read decoded inside another read is flushed when the outer one ends', async () => {
    const a = serverOverPair();
    const b = serverOverPair();
    const writeB = vi.spyOn(b.socket, 'write');
    b.ws.on('message', (data) => b.ws.send(`b got ${String(data)}`));
    let afterInner = -1;
    a.ws.on('message', () => {
      b.socket.emit('data', frames(b.peer, 'inner'));
      afterInner = writeB.mock.calls.length;
    });
    a.socket.emit('data', frames(a.peer, 'outer'));
    expect(afterInner).toBe(0);
    expect(writeB).toHaveBeenCalledTimes(1);
    await until(() => b.peer.messages.length === 1);
    expect(String(b.peer.messages[0].data)).toBe('b got inner');
  });

  it('a handler that throws still lets its sends out, and later sends are batched per tick again', async () => {
    const { ws, socket, peer } = serverOverPair();
    ws.on('message', (data) => { ws.send(data); throw new Error('handler failed'); });
    const write = vi.spyOn(socket, 'write');
    expect(() => socket.emit('data', frames(peer, 'boom'))).toThrow('handler failed');
    expect(write).toHaveBeenCalledTimes(1);
    ws.send('later');
    ws.send('later too');
    expect(write).toHaveBeenCalledTimes(1); // waits for the tick's end, as outside any read
    await tick();
    expect(write).toHaveBeenCalledTimes(2);
    await until(() => peer.messages.length === 3);
    expect(peer.messages.map((m) => String(m.data))).toEqual(['boom', 'later', 'later too']);
  });
});

describe('bufferedAmount', () => {
  it('counts frames queued this tick, then what the socket holds', async () => {
    const { ws, socket } = serverOverPair();
    expect(ws.bufferedAmount).toBe(0);
    socket.stalled = true;
    ws.send(Buffer.alloc(1000));
    ws.send(Buffer.alloc(1000));
    ws.send('✓'); // 3 bytes of UTF-8
    const queued = 2 * (4 + 1000) + (2 + 3); // headers included
    expect(ws.bufferedAmount).toBe(queued);
    await tick();
    expect(ws.bufferedAmount).toBe(queued); // now in the socket, still unsent
    socket.unstall();
    await until(() => ws.bufferedAmount === 0);
  });

  it('is 0 on a fresh connection and after everything was written', async () => {
    const { ws, peer } = serverOverPair();
    ws.send(Buffer.alloc(100_000));
    expect(ws.bufferedAmount).toBeGreaterThanOrEqual(100_000);
    await until(() => peer.messages.length === 1);
    expect(ws.bufferedAmount).toBe(0);
  });
});

describe('closing', () => {
  it('closeTimeout destroys the socket when the peer never answers the close frame', async () => {
    const { ws, socket, peer } = serverOverPair({ closeTimeout: 200 });
    peer.socket.removeAllListeners('end'); // the peer neither answers nor ends
    const start = Date.now();
    const closed = next<[number, Buffer]>(ws, 'close', 3000);
    ws.close(1001, 'going away');
    expect(ws.readyState).toBe(WebSocket.CLOSING);
    const [code] = await closed;
    const elapsed = Date.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(180);
    expect(elapsed).toBeLessThan(1000);
    expect(code).toBe(1006); // no close frame came back
    expect(socket.destroyed).toBe(true);
    expect(ws.wasClean).toBe(false);
    expect(peer.closes).toEqual([{ code: 1001, reason: Buffer.from('going away') }]);
  });

  it('a peer that answers completes the close handshake at once', async () => {
    const { ws, peer } = serverOverPair({ closeTimeout: 5000 });
    const start = Date.now();
    const closed = next<[number, Buffer]>(ws, 'close');
    ws.close(1000, 'done');
    await until(() => peer.closes.length === 1);
    peer.write(peer.encoder.close(1000, 'done'));
    const [code, reason] = await closed;
    expect(Date.now() - start).toBeLessThan(1000);
    expect(code).toBe(1000);
    expect(reason.toString()).toBe('done');
    expect(ws.wasClean).toBe(true);
  });

  it('the close frame carries the code and reason; close() twice sends one frame', async () => {
    const { ws, peer } = serverOverPair();
    ws.close(3001, 'x');
    ws.close(3002, 'y');
    await until(() => peer.closes.length >= 1);
    await delay(20);
    expect(peer.closes).toEqual([{ code: 3001, reason: Buffer.from('x') }]);
  });

  it('terminate() destroys the socket at once: CLOSING, then CLOSED with 1006', async () => {
    const { ws, socket, peer } = serverOverPair();
    const closed = next<[number]>(ws, 'close');
    ws.terminate();
    expect(ws.readyState).toBe(WebSocket.CLOSING);
    expect(socket.destroyed).toBe(true);
    expect((await closed)[0]).toBe(1006);
    expect(ws.readyState).toBe(WebSocket.CLOSED);
    expect(peer.closes).toEqual([]);
    ws.terminate(); // idempotent
    ws.close(); // no-op once CLOSED
  });

  it('a protocol error from the peer fails the connection with its close code', async () => {
    const { ws, peer } = serverOverPair();
    const errors: Array<{ code: string; closeCode: number }> = [];
    ws.on('error', (error: { code: string; closeCode: number }) => errors.push(error));
    const closed = next<[number]>(ws, 'close');
    peer.socket.write(Buffer.from([0x81, 0x01, 0x61])); // unmasked client frame
    expect((await closed)[0]).toBe(1002);
    expect(errors).toMatchObject([{ code: 'WS_ERR_EXPECTED_MASK', closeCode: 1002 }]);
    expect(peer.closes[0]!.code).toBe(1002);
  });

  it('closePayload is the exact close frame body (shared with the encoder)', () => {
    expect([...closePayload(1000, 'ok')]).toEqual([0x03, 0xe8, 0x6f, 0x6b]);
  });
});

describe('receiving', () => {
  it('pause() stops message events until resume()', async () => {
    const { ws, peer } = serverOverPair();
    const got: string[] = [];
    ws.on('message', (data) => got.push(String(data)));
    ws.pause();
    expect(ws.isPaused).toBe(true);
    peer.write(peer.encoder.text('while paused'));
    await delay(50);
    expect(got).toEqual([]);
    ws.resume();
    expect(ws.isPaused).toBe(false);
    await until(() => got.length === 1);
    expect(got).toEqual(['while paused']);
  });

  it('pings get automatic pongs with the same payload; pongs are events', async () => {
    const { ws, peer } = serverOverPair();
    const pings: string[] = [];
    const pongs: string[] = [];
    ws.on('ping', (data) => pings.push(String(data)));
    ws.on('pong', (data) => pongs.push(String(data)));
    peer.write(peer.encoder.control(OPCODE_PING, Buffer.from('ping!')));
    peer.write(peer.encoder.control(0xa, Buffer.from('pong!')));
    await until(() => peer.pongs.length === 1 && pongs.length === 1);
    expect(peer.pongs[0]!.toString()).toBe('ping!');
    expect(pings).toEqual(['ping!']);
    expect(pongs).toEqual(['pong!']);
  });

  it('messages split at every byte boundary are reassembled', async () => {
    const { ws, peer } = serverOverPair();
    const got: string[] = [];
    ws.on('message', (data) => got.push(String(data)));
    const frames = Buffer.concat(peer.encoder.text('ünïcødé split ✓', { fragmentSize: 3 }));
    for (const byte of frames) peer.socket.write(Buffer.from([byte]));
    await until(() => got.length === 1);
    expect(got).toEqual(['ünïcødé split ✓']);
  });

  it('a frame sent in the same packet as the handshake request (head) is not lost', async () => {
    const { wss, port } = await ourServer();
    wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`echo ${String(data)}`)));
    const client = RawClient.connect(port);
    client.write(Buffer.concat([Buffer.from(upgradeRequest()), buildFrame({ opcode: 0x1, payload: 'in the head' })]));
    await client.response();
    expect(client.status).toBe(101);
    expect((await client.nextFrame()).payload.toString()).toBe('echo in the head');
  });

  it("allowSynchronousEvents: false: 'close' comes after the messages that arrived before it", async () => {
    const { ws, peer } = serverOverPair({ allowSynchronousEvents: false });
    const order: string[] = [];
    ws.on('message', (data) => order.push(`message ${String(data)}`));
    ws.on('ping', () => order.push('ping'));
    ws.on('close', (code: number) => order.push(`close ${code}`));
    peer.socket.write(Buffer.concat([
      ...peer.encoder.text('1'), ...peer.encoder.text('2'), peer.encoder.control(OPCODE_PING),
      ...peer.encoder.text('3'), peer.encoder.close(1000),
    ]));
    await until(() => order.length === 5);
    expect(order).toEqual(['message 1', 'message 2', 'ping', 'message 3', 'close 1000']);
  });

  it("allowSynchronousEvents: false: a protocol error comes after the messages before it, then 'close'", async () => {
    const { ws, peer } = serverOverPair({ allowSynchronousEvents: false });
    const order: string[] = [];
    ws.on('message', (data) => order.push(`message ${String(data)}`));
    ws.on('error', (error: { code: string }) => order.push(`error ${error.code}`));
    ws.on('close', (code: number) => order.push(`close ${code}`));
    peer.socket.write(Buffer.concat([
      ...peer.encoder.text('1'), ...peer.encoder.text('2'),
      peer.encoder.frameBuffer(0x3, new Uint8Array(0)), // reserved opcode
    ]));
    await until(() => order.length === 4);
    expect(order).toEqual(['message 1', 'message 2', 'error WS_ERR_INVALID_OPCODE', 'close 1002']);
  });

  it('borrowPayload with allowSynchronousEvents: false: a deferred message keeps its own bytes', async () => {
    // Borrowed payloads view the shared codec's memory; the next parse (any connection) reuses it.
    const { wss, url } = await ourServer({ borrowPayload: true, allowSynchronousEvents: false });
    const got: string[] = [];
    wss.on('connection', (ws) => ws.on('message', (data) => got.push(String(data).slice(0, 4))));
    const a = await openWsClient(url);
    const b = await openWsClient(url);
    a.send(Buffer.alloc(3000, 'a'));
    b.send(Buffer.alloc(3000, 'b'));
    await until(() => got.length === 2);
    expect(got.sort()).toEqual(['aaaa', 'bbbb']);
    const pair = serverOverPair({ borrowPayload: true, allowSynchronousEvents: false });
    const pings: string[] = [];
    pair.ws.on('ping', (data) => pings.push(String(data)));
    pair.ws.on('message', (data) => pings.push(String(data).slice(0, 1)));
    pair.peer.socket.write(pair.peer.encoder.control(OPCODE_PING, Buffer.from('ping one')));
    pair.peer.socket.write(Buffer.concat(pair.peer.encoder.message(Buffer.alloc(3000, 'x'), true)));
    await until(() => pings.length === 2);
    expect(pings).toEqual(['ping one', 'x']);
  });

  it('borrowPayload: echoing borrowed payloads sends the bytes received, for many messages per read', async () => {
    // Each echo is queued until the end of the read, after later messages have reused the
    // codec's memory: the writer must have copied the borrowed bytes when send() was called.
    const { wss, url } = await ourServer({ borrowPayload: true });
    wss.on('connection', (ws) => ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary })));
    const a = await openWsClient(url);
    const b = await openWsClient(url);
    const sizes = [0, 1, 125, 126, 1000, 4095, 4096, 16 * 1024 - 1, 16 * 1024, 70_000];
    const sent = Array.from({ length: 120 }, (_, i) => Buffer.alloc(sizes[i % sizes.length], String.fromCharCode(65 + (i % 26))));
    const echoes = new Map<typeof a, Buffer[]>([[a, []], [b, []]]);
    for (const client of [a, b]) client.on('message', (data: Buffer) => echoes.get(client)!.push(data));
    for (const payload of sent) {
      a.send(payload);
      b.send(payload, { binary: true });
    }
    await until(() => echoes.get(a)!.length === sent.length && echoes.get(b)!.length === sent.length);
    for (const client of [a, b]) {
      const got = echoes.get(client)!;
      for (let i = 0; i < sent.length; i++) expect(got[i].equals(sent[i])).toBe(true);
    }
  });

  it('allowSynchronousEvents: false gives each message its own tick', async () => {
    const { ws, peer } = serverOverPair({ allowSynchronousEvents: false });
    const order: string[] = [];
    ws.on('message', (data) => {
      order.push(String(data));
      queueMicrotask(() => order.push(`after ${String(data)}`));
    });
    peer.socket.write(Buffer.concat([...peer.encoder.text('one'), ...peer.encoder.text('two')]));
    await until(() => order.length === 4);
    expect(order).toEqual(['one', 'after one', 'two', 'after two']);
  });
});

describe('idleTimeout', () => {
  it('pings an idle client (which answers and stays) and terminates a raw client that does not', async () => {
    const { wss, port, url } = await ourServer({ idleTimeout: 200 });
    const closes: number[] = [];
    wss.on('connection', (ws) => ws.on('close', (code: number) => closes.push(code)));
    const client = await openOurClient(url);
    let pinged = 0;
    client.on('ping', () => pinged++);
    const raw = await RawClient.open(port);
    const start = Date.now();
    const ping = await raw.nextFrame(2000);
    expect(ping.opcode).toBe(OPCODE_PING);
    await raw.waitClosed(2000);
    const elapsed = Date.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(350); // two idle periods
    expect(elapsed).toBeLessThan(1500);
    await until(() => closes.length === 1);
    expect(closes).toEqual([1006]);
    await delay(300);
    expect(pinged).toBeGreaterThanOrEqual(1);
    expect(client.readyState).toBe(WebSocket.OPEN);
    expect(wss.clients.size).toBe(1);
  });

  it('a client that keeps talking is never pinged', async () => {
    const { wss, url } = await ourServer({ idleTimeout: 200 });
    wss.on('connection', (ws) => ws.on('message', () => {}));
    const client = await openOurClient(url);
    let pinged = 0;
    client.on('ping', () => pinged++);
    const chatter = setInterval(() => client.send('still here'), 50);
    await delay(600);
    clearInterval(chatter);
    expect(pinged).toBe(0);
    expect(client.readyState).toBe(WebSocket.OPEN);
  });
});
