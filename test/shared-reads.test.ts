// Reads into one buffer shared by every connection (src/connection/reader.ts): the buffer
// is overwritten by the next read, so every message a handler keeps must be its own bytes.
// Messages are kept unread until the whole stream has arrived, then compared with what was
// sent; the stream is cut at random places and written in pieces, so carries (a header or
// control frame split between reads), payloads split between reads and many frames in one
// read all occur, with each core.
import { describe, expect, it } from 'vitest';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Decoder, type DecoderHandler } from '../src/protocol/index.js';
import { readsShared } from '../src/connection/reader.js';
import { WebSocket, WebSocketServer } from '../src/index.js';
import { buildFrame, RawClient, upgradeRequest } from './net/raw.js';
import { delay, next, ourServer, onCleanup, until, useCleanup } from './net/harness.js';
import { CORES, makeCodec, type CoreLabel } from './helpers/codecs.js';
import { Rng } from './reference/random.js';

useCleanup();

interface Sent { data: Buffer; binary: boolean }

/**
 * A client byte stream of `count` messages (text or binary, 0 B to 150 KB, some in several
 * frames with a ping between them) and the messages it carries.
 */
function messageStream(rng: Rng, count: number, sizes = [0, 1, 7, 125, 126, 1000, 4096, 65535, 65536, 150_000]): { bytes: Buffer; messages: Sent[] } {
  const frames: Buffer[] = [];
  const messages: Sent[] = [];
  for (let i = 0; i < count; i++) {
    const size = rng.pick(sizes) + (rng.bool(0.5) ? rng.int(40) : 0);
    const binary = rng.bool();
    const data = Buffer.alloc(size);
    for (let j = 0; j < size; j++) data[j] = binary ? rng.int(256) : 0x20 + rng.int(95);
    messages.push({ data, binary });
    const pieces = size > 2 && rng.bool(0.3) ? rng.range(2, 4) : 1;
    const cuts = [0, ...Array.from({ length: pieces - 1 }, () => rng.int(size)).sort((a, b) => a - b), size];
    for (let p = 0; p < pieces; p++) {
      frames.push(buildFrame({ opcode: p === 0 ? (binary ? 2 : 1) : 0, fin: p === pieces - 1, payload: data.subarray(cuts[p], cuts[p + 1]) }));
      if (p < pieces - 1 && rng.bool(0.5)) frames.push(buildFrame({ opcode: 9, payload: `ping ${i}` }));
    }
  }
  return { bytes: Buffer.concat(frames), messages };
}

/** Small messages only (headers and control frames are then often cut between reads). */
const SMALL = [0, 1, 2, 5, 60, 125, 126, 300];
/** Piece sizes: any, or tiny ones (a header cut in two or three places). */
const ANY_PIECES = [1, 2, 3, 13, 700, 5000, 70_000, 200_000];
const TINY_PIECES = [1, 2, 3, 5, 7];

/** Writes `bytes` in random pieces, yielding to the event loop between some. */
async function writeInPieces(rng: Rng, client: RawClient, bytes: Buffer, pieces = ANY_PIECES): Promise<void> {
  for (let at = 0; at < bytes.length;) {
    const n = Math.min(bytes.length - at, rng.pick(pieces));
    client.write(bytes.subarray(at, at + n));
    at += n;
    if (rng.bool(0.3)) await delay(0);
  }
}

function expectSame(got: Sent[], sent: Sent[]): void {
  expect(got.length).toBe(sent.length);
  for (let i = 0; i < sent.length; i++) {
    expect(got[i].binary, `message ${i}: binary`).toBe(sent[i].binary);
    // Compared whole, long after they arrived: a view of the read buffer would have changed.
    expect(got[i].data.equals(sent[i].data), `message ${i} (${sent[i].data.length} B) intact`).toBe(true);
  }
}

describe('server reads into the shared buffer; kept messages stay intact', () => {
  it.each([
    ['wasm', 'any'], ['js', 'any'], ['auto', 'any'], ['wasm', 'small'], ['js', 'small'], ['auto', 'small'],
  ] as const)('core %s, %s messages', async (core, kind) => {
    const { wss, port } = await ourServer({ core });
    const got: Sent[] = [];
    const sockets: Duplex[] = [];
    wss.on('connection', (ws) => {
      sockets.push((ws as unknown as { _socket: Duplex })._socket);
      ws.on('message', (data, binary) => got.push({ data: data as Buffer, binary }));
    });
    const rng = new Rng(`shared-reads ${core} ${kind}`);
    const { bytes, messages } = kind === 'small' ? messageStream(rng, 300, SMALL) : messageStream(rng, 120);
    const client = await RawClient.open(port);
    await until(() => sockets.length === 1, 3000, 'the connection');
    expect(readsShared(sockets[0])).toBe(true);
    await writeInPieces(rng, client, bytes, kind === 'small' ? TINY_PIECES : ANY_PIECES);
    await until(() => got.length === messages.length, 10_000, `${messages.length} messages (${got.length} so far)`);
    expectSame(got, messages);
  });

  it('two connections reading in turns: neither sees the other\'s bytes', async () => {
    const { wss, port } = await ourServer({ core: 'wasm' });
    const got = new Map<string, Sent[]>();
    wss.on('connection', (ws, req) => {
      const list: Sent[] = [];
      got.set(req.url ?? '', list);
      ws.on('message', (data, binary) => list.push({ data: data as Buffer, binary }));
    });
    const streams = ['/a', '/b'].map((path) => ({ path, ...messageStream(new Rng(`two ${path}`), 60) }));
    const clients = await Promise.all(streams.map((s) => RawClient.open(port, { path: s.path })));
    const rng = new Rng('two connections');
    const at = [0, 0];
    while (at[0] < streams[0].bytes.length || at[1] < streams[1].bytes.length) {
      const i = rng.int(2);
      const n = Math.min(streams[i].bytes.length - at[i], rng.pick([1, 9, 3000, 80_000]));
      clients[i].write(streams[i].bytes.subarray(at[i], at[i] + n));
      at[i] += n;
      if (rng.bool(0.4)) await delay(0);
    }
    await until(() => streams.every((s) => got.get(s.path)?.length === s.messages.length), 10_000, 'both streams');
    for (const s of streams) expectSame(got.get(s.path)!, s.messages);
  });

  it('frames sent with the upgrade request (the head) come first, in order', async () => {
    const { wss, port } = await ourServer();
    const got: string[] = [];
    wss.on('connection', (ws) => ws.on('message', (data) => got.push(String(data))));
    const client = RawClient.connect(port);
    client.write(Buffer.concat([Buffer.from(upgradeRequest()), buildFrame({ opcode: 1, payload: 'in the head' })]));
    await client.response();
    client.send({ opcode: 1, payload: 'after' });
    await until(() => got.length === 2, 3000, 'both messages');
    expect(got).toEqual(['in the head', 'after']);
  });

  it('the head is dropped when the connection is terminated before it is read', async () => {
    const { wss, port } = await ourServer();
    const got: string[] = [];
    const closed: number[] = [];
    wss.on('connection', (ws) => {
      ws.on('message', (data) => got.push(String(data)));
      ws.on('close', (code) => closed.push(code));
      ws.terminate();
    });
    const client = RawClient.connect(port);
    client.write(Buffer.concat([Buffer.from(upgradeRequest()), buildFrame({ opcode: 1, payload: 'in the head' })]));
    await until(() => closed.length === 1, 3000, 'the close');
    await delay(50);
    expect(got).toEqual([]);
  });

  it('pause() stops reading and resume() starts it again', async () => {
    const { wss, port } = await ourServer();
    const got: string[] = [];
    const opened = next<[WebSocket]>(wss, 'connection');
    const client = await RawClient.open(port);
    const [ws] = await opened;
    expect(readsShared((ws as unknown as { _socket: Duplex })._socket)).toBe(true);
    ws.on('message', (data) => got.push(String(data)));
    ws.pause();
    client.send({ opcode: 1, payload: 'while paused' });
    await delay(100);
    expect(got).toEqual([]);
    ws.resume();
    await until(() => got.length === 1, 3000, 'the message after resume');
    expect(got).toEqual(['while paused']);
  });

  it('a peer closing TCP still ends the connection (end and close arrive)', async () => {
    const { wss, port } = await ourServer();
    const opened = next<[WebSocket]>(wss, 'connection');
    const client = await RawClient.open(port);
    const [ws] = await opened;
    const closed = next<[number]>(ws, 'close');
    client.socket.end();
    const [code] = await closed;
    expect(code).toBe(1006);
  });
});

describe('where the socket keeps its \'data\' events', () => {
  it('sharedReadBuffer: false', async () => {
    const { wss, port } = await ourServer({ sharedReadBuffer: false });
    const got: Sent[] = [];
    const sockets: Duplex[] = [];
    wss.on('connection', (ws) => {
      sockets.push((ws as unknown as { _socket: Duplex })._socket);
      ws.on('message', (data, binary) => got.push({ data: data as Buffer, binary }));
    });
    const rng = new Rng('shared-reads off');
    const { bytes, messages } = messageStream(rng, 40);
    const client = await RawClient.open(port);
    await writeInPieces(rng, client, bytes);
    await until(() => got.length === messages.length, 10_000, 'the messages');
    expect(readsShared(sockets[0])).toBe(false);
    expectSame(got, messages);
  });

  it('a socket somebody else already listens to: both see every byte', async () => {
    const server = http.createServer();
    const wss = new WebSocketServer({ noServer: true });
    const tapped: Buffer[] = [];
    const got: Sent[] = [];
    let socketOf: Duplex | null = null;
    server.on('upgrade', (req, socket, head) => {
      socket.on('data', (d: Buffer) => tapped.push(Buffer.from(d)));
      wss.handleUpgrade(req, socket, head, (ws) => {
        socketOf = socket;
        ws.on('message', (data, binary) => got.push({ data: data as Buffer, binary }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
    const rng = new Rng('shared-reads tapped');
    const { bytes, messages } = messageStream(rng, 30);
    const client = await RawClient.open((server.address() as AddressInfo).port);
    await writeInPieces(rng, client, bytes);
    await until(() => got.length === messages.length, 10_000, 'the messages');
    expect(readsShared(socketOf!)).toBe(false);
    expectSame(got, messages);
    expect(Buffer.concat(tapped).equals(bytes)).toBe(true);
  });
});

describe('our client reads into the shared buffer too', () => {
  it('echoes kept by the client stay intact', async () => {
    const { wss, url } = await ourServer();
    wss.on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data as Buffer, { binary })));
    const ws = new WebSocket(url);
    onCleanup(() => ws.terminate());
    await next(ws, 'open');
    expect(readsShared((ws as unknown as { _socket: Duplex })._socket)).toBe(true);
    const { messages } = messageStream(new Rng('client echoes'), 80);
    const got: Sent[] = [];
    ws.on('message', (data, binary) => got.push({ data: data as Buffer, binary }));
    for (const m of messages) ws.send(m.data, { binary: m.binary });
    await until(() => got.length === messages.length, 10_000, 'the echoes');
    expectSame(got, messages);
  });
});

describe('Decoder.feed with a transient chunk (one buffer reused for every chunk)', () => {
  it.each(CORES.flatMap((c) => [[c, 'any'], [c, 'small']]))('core %s, %s messages: kept payloads and carries are copies', (label, kind) => {
    const rng = new Rng(`transient ${label} ${kind}`);
    const small = kind === 'small';
    const { bytes, messages } = small ? messageStream(rng, 300, SMALL) : messageStream(rng, 80);
    const got: Sent[] = [];
    const handler: DecoderHandler = {
      onMessage: (data, binary) => got.push({ data: Buffer.from(data.buffer, data.byteOffset, data.length), binary }),
      onPing: () => {}, onPong: () => {}, onClose: () => {},
      onError: (e) => { throw e; },
    };
    const decoder = new Decoder({ role: 'server', codec: makeCodec(label as CoreLabel) }, handler);
    const reused = Buffer.alloc(256 * 1024);
    for (let at = 0; at < bytes.length;) {
      const n = Math.min(bytes.length - at, rng.pick(small ? TINY_PIECES : [1, 2, 5, 100, 3000, 65_536, 200_000]));
      bytes.copy(reused, 0, at, at + n);
      decoder.feed(reused.subarray(0, n), true);
      reused.fill(0xee); // what the next read would do to a view of it
      at += n;
    }
    expectSame(got, messages);
  });

  it.each(CORES.map((c) => [c]))('core %s: one chunk of many parse slices (over 64 KiB) of small messages', (label) => {
    const { bytes, messages } = messageStream(new Rng(`transient slices ${label}`), 2500, SMALL);
    expect(bytes.length).toBeGreaterThan(3 * 65_536);
    const got: Sent[] = [];
    const decoder = new Decoder({ role: 'server', codec: makeCodec(label) }, {
      onMessage: (data, binary) => got.push({ data: Buffer.from(data.buffer, data.byteOffset, data.length), binary }),
      onPing: () => {}, onPong: () => {}, onClose: () => {},
      onError: (e) => { throw e; },
    });
    const reused = Buffer.from(bytes);
    decoder.feed(reused, true);
    reused.fill(0xee);
    expectSame(got, messages);
  });
});
