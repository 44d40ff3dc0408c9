// Helpers for the permessage-deflate tests (RFC 7692): servers on 127.0.0.1:0 that are
// always cleaned up, a raw client and a raw server that see every frame bit as sent, and
// zlib streams with context takeover for the raw side.
import crypto from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import zlib from 'node:zlib';
import { buildFrame, type FrameSpec } from '../reference/frame-builder.js';

export const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
export const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export const sha256 = (data: Uint8Array | string): string => crypto.createHash('sha256').update(data).digest('hex');
export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Cleanup functions run in reverse order (afterEach); every server and socket registers one. */
export class Cleanup {
  private readonly jobs: Array<() => unknown> = [];
  add(job: () => unknown): void { this.jobs.push(job); }
  async run(): Promise<void> {
    while (this.jobs.length > 0) {
      try { await this.jobs.pop()!(); } catch { /* already gone */ }
    }
  }
}

/** Anything shaped like our or ws's WebSocketServer. */
interface AnyServer {
  clients?: Set<{ terminate(): void }> | undefined;
  address(): AddressInfo | string | null;
  close(cb?: (error?: Error) => void): void;
  once(event: 'listening', cb: () => void): unknown;
  on(event: string, cb: (...args: any[]) => void): unknown;
}

/** Waits for a server created with `port: 0, host: '127.0.0.1'`, registers its cleanup, returns its port. */
export async function listening(server: AnyServer, cleanup: Cleanup): Promise<number> {
  cleanup.add(() => new Promise<void>((resolve) => {
    for (const client of server.clients ?? []) client.terminate();
    server.close(() => resolve());
    setTimeout(resolve, 1000).unref();
  }));
  const address = server.address();
  if (address === null || typeof address === 'string') await new Promise<void>((resolve) => server.once('listening', resolve));
  return (server.address() as AddressInfo).port;
}

export interface RawFrame {
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

/** Incremental RFC 6455 frame parser for what a peer wrote (masked or not). */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);
  readonly frames: RawFrame[] = [];
  private waiters: Array<() => void> = [];

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const b = this.buffer;
      if (b.length < 2) break;
      const masked = (b[1] & 0x80) !== 0;
      let length = b[1] & 0x7f;
      let at = 2;
      if (length === 126) {
        if (b.length < 4) break;
        length = b.readUInt16BE(2);
        at = 4;
      } else if (length === 127) {
        if (b.length < 10) break;
        length = Number(b.readBigUInt64BE(2));
        at = 10;
      }
      const keyAt = at;
      if (masked) at += 4;
      if (b.length < at + length) break;
      const payload = Buffer.from(b.subarray(at, at + length));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= b[keyAt + (i & 3)];
      this.frames.push({
        fin: (b[0] & 0x80) !== 0, rsv1: (b[0] & 0x40) !== 0, rsv2: (b[0] & 0x20) !== 0, rsv3: (b[0] & 0x10) !== 0,
        opcode: b[0] & 0x0f, masked, payload,
      });
      this.buffer = b.subarray(at + length);
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves once `count` frames arrived (or `predicate` holds); rejects after `ms`. */
  async waitFor(predicate: (frames: RawFrame[]) => boolean, ms = 5000, what = 'frames'): Promise<RawFrame[]> {
    const deadline = Date.now() + ms;
    while (!predicate(this.frames)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${this.frames.map((f) => f.opcode).join(',')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
    return this.frames;
  }

  async closeFrame(ms = 5000): Promise<{ code: number; reason: string }> {
    const frames = await this.waitFor((f) => f.some((x) => x.opcode === 8), ms, 'a close frame');
    const close = frames.find((x) => x.opcode === 8)!;
    return { code: close.payload.length >= 2 ? close.payload.readUInt16BE(0) : 1005, reason: close.payload.subarray(2).toString() };
  }
}

/** A client that speaks frames by hand: exactly the bits given, masked as RFC 6455 requires. */
export class RawClient {
  readonly reader = new FrameReader();
  readonly closed: Promise<void>;
  private constructor(readonly socket: net.Socket, readonly status: number, readonly headers: Map<string, string>) {
    this.closed = socket.destroyed ? Promise.resolve() : once(socket, 'close').then(() => undefined);
  }

  /** Opens a socket and completes the opening handshake; `extensions` is the offer (or none). */
  static async connect(port: number, cleanup: Cleanup, extensions?: string | string[]): Promise<RawClient> {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    cleanup.add(() => socket.destroy());
    socket.on('error', () => {});
    await once(socket, 'connect');
    const key = crypto.randomBytes(16).toString('base64');
    const offers = extensions === undefined ? [] : Array.isArray(extensions) ? extensions : [extensions];
    socket.write([
      'GET / HTTP/1.1', 'Host: 127.0.0.1', 'Upgrade: websocket', 'Connection: Upgrade',
      `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13',
      ...offers.map((o) => `Sec-WebSocket-Extensions: ${o}`), '', '',
    ].join('\r\n'));
    let head = Buffer.alloc(0);
    const chunks: Buffer[] = [];
    const client = await new Promise<RawClient>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.removeListener('data', onData);
        socket.removeListener('close', onClose);
        const lines = head.subarray(0, end).toString('latin1').split('\r\n');
        const status = Number(lines[0].split(' ')[1]);
        const headers = new Map<string, string>();
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(':');
          headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
        }
        if (status === 101 && headers.get('sec-websocket-accept') !== crypto.createHash('sha1').update(key + GUID).digest('base64')) {
          reject(new Error('bad Sec-WebSocket-Accept'));
        }
        chunks.push(head.subarray(end + 4));
        resolve(new RawClient(socket, status, headers));
      };
      const onClose = (): void => reject(new Error('closed during the handshake'));
      socket.on('data', onData);
      socket.on('close', onClose);
    });
    socket.on('data', (chunk: Buffer) => client.reader.push(chunk));
    if (chunks[0].length > 0) client.reader.push(chunks[0]);
    return client;
  }

  get extensions(): string | undefined { return this.headers.get('sec-websocket-extensions'); }

  /** One frame's bytes, masked with a random key. */
  static frame(spec: Omit<FrameSpec, 'mask'>): Buffer {
    return Buffer.from(buildFrame({ ...spec, mask: crypto.randomBytes(4) }));
  }

  send(spec: Omit<FrameSpec, 'mask'>): void { this.socket.write(RawClient.frame(spec)); }

  /** Writes `bytes` in pieces of the given sizes (cycled), one socket write per piece, yielding between. */
  async writeChunked(bytes: Uint8Array, sizes: readonly number[]): Promise<void> {
    let at = 0;
    for (let i = 0; at < bytes.length; i++) {
      const size = sizes[i % sizes.length];
      await new Promise<void>((resolve) => this.socket.write(bytes.subarray(at, at + size), () => resolve()));
      at += size;
      if (i % 4 === 3) await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/**
 * A raw server: answers the opening handshake with `answer` as Sec-WebSocket-Extensions
 * (nothing when null) and records the client's frames, unmasked.
 */
export async function rawServer(cleanup: Cleanup, answer: (offer: string | undefined) => string | null): Promise<{
  port: number;
  connections: Array<{ socket: net.Socket; reader: FrameReader; offer: string | undefined }>;
  next(): Promise<{ socket: net.Socket; reader: FrameReader; offer: string | undefined }>;
}> {
  const connections: Array<{ socket: net.Socket; reader: FrameReader; offer: string | undefined }> = [];
  let waiter: (() => void) | null = null;
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => {});
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.removeListener('data', onData);
      const lines = head.subarray(0, end).toString('latin1').split('\r\n');
      let key = '';
      const offers: string[] = [];
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (name === 'sec-websocket-key') key = value;
        if (name === 'sec-websocket-extensions') offers.push(value);
      }
      const offer = offers.length > 0 ? offers.join(', ') : undefined;
      const extensions = answer(offer);
      socket.write([
        'HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade',
        `Sec-WebSocket-Accept: ${crypto.createHash('sha1').update(key + GUID).digest('base64')}`,
        ...(extensions === null ? [] : [`Sec-WebSocket-Extensions: ${extensions}`]), '', '',
      ].join('\r\n'));
      const reader = new FrameReader();
      socket.on('data', (c: Buffer) => reader.push(c));
      const rest = head.subarray(end + 4);
      if (rest.length > 0) reader.push(rest);
      connections.push({ socket, reader, offer });
      waiter?.();
    };
    socket.on('data', onData);
    cleanup.add(() => socket.destroy());
  });
  server.listen(0, '127.0.0.1');
  cleanup.add(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await once(server, 'listening');
  let taken = 0;
  return {
    port: (server.address() as AddressInfo).port,
    connections,
    async next() {
      while (connections.length <= taken) await new Promise<void>((resolve) => { waiter = resolve; });
      return connections[taken++];
    },
  };
}

/** A server frame (unmasked). */
export function serverFrame(spec: Omit<FrameSpec, 'mask'>): Buffer {
  return Buffer.from(buildFrame(spec));
}

/** One message compressed on its own (no context), SYNC_FLUSH tail removed (RFC 7692 section 7.2.1). */
export function deflateMessage(data: Uint8Array, options: zlib.ZlibOptions = {}): Buffer {
  const out = zlib.deflateRawSync(data, { ...options, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

/** zlib stream wrapper for one direction of a connection: keeps the context between messages. */
abstract class StreamCodec<T extends zlib.DeflateRaw | zlib.InflateRaw> {
  protected constructor(protected readonly stream: T) {}
  protected run(input: Uint8Array[], flush: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const onData = (c: Buffer): void => { chunks.push(c); };
      const onError = (e: Error): void => { cleanup(); reject(e); };
      const cleanup = (): void => { this.stream.removeListener('data', onData); this.stream.removeListener('error', onError); };
      this.stream.on('data', onData);
      this.stream.on('error', onError);
      for (const part of input) this.stream.write(part);
      this.stream.flush(flush, () => { cleanup(); resolve(Buffer.concat(chunks)); });
    });
  }
  close(): void { this.stream.close(); }
}

export class StreamDeflater extends StreamCodec<zlib.DeflateRaw> {
  constructor(options: zlib.ZlibOptions = {}) { super(zlib.createDeflateRaw(options)); }
  /** A message's payload for the wire, tail removed; context kept for the next one. */
  async message(data: Uint8Array): Promise<Buffer> {
    const out = await this.run([data], zlib.constants.Z_SYNC_FLUSH);
    if (!out.subarray(-4).equals(TAIL)) throw new Error('no SYNC_FLUSH tail');
    return out.subarray(0, out.length - 4);
  }
}

export class StreamInflater extends StreamCodec<zlib.InflateRaw> {
  constructor(options: zlib.ZlibOptions = {}) {
    super(zlib.createInflateRaw(options));
    this.stream.on('error', () => {});
  }
  /** Inflates one message's payload (the tail added back). */
  message(payload: Uint8Array): Promise<Buffer> { return this.run([payload, TAIL], zlib.constants.Z_SYNC_FLUSH); }
}

/** Deterministic pseudo-random generator (xorshift32) for reproducible payloads. */
export class Prng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0 || 1; }
  next(): number {
    let x = this.s;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    this.s = x;
    return x;
  }
  int(n: number): number { return this.next() % n; }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.next() & 0xff;
    return b;
  }
}

const WORDS = [
  'the', 'websocket', 'frame', 'deflate', 'window', 'context', 'takeover', 'message', 'server', 'client',
  'payload', 'extension', 'zlib', 'compress', 'inflate', 'fragment', 'continuation', 'opcode', 'mask', 'bits',
  'größe', 'сообщение', '消息', 'κείμενο', 'emoji😀', 'naïve', 'façade', '∑∫√', 'données', 'ünïcödé',
];

/** Text of exactly `bytes` UTF-8 bytes: words with multi-byte characters, some randomness, compressible. */
export function textOf(rng: Prng, bytes: number): string {
  let out = '';
  let length = 0;
  while (length < bytes) {
    let piece = rng.int(5) === 0 ? String(rng.next()) : WORDS[rng.int(WORDS.length)];
    piece += rng.int(9) === 0 ? '\n' : ' ';
    const n = Buffer.byteLength(piece);
    if (length + n > bytes) {
      out += 'x'.repeat(bytes - length);
      break;
    }
    out += piece;
    length += n;
  }
  return out;
}

/** Binary of `n` bytes: runs, structured records and random noise (partly compressible). */
export function binaryOf(rng: Prng, n: number): Buffer {
  const out = Buffer.alloc(n);
  let at = 0;
  while (at < n) {
    const kind = rng.int(3);
    const len = Math.min(n - at, 1 + rng.int(64));
    if (kind === 0) out.fill(rng.next() & 0xff, at, at + len);
    else if (kind === 1) rng.bytes(len).copy(out, at);
    else for (let i = 0; i < len; i++) out[at + i] = (at + i) & 0xff;
    at += len;
  }
  return out;
}

/**
 * A full-GC function: global.gc when the process runs with --expose-gc, else V8's flag
 * switched on at run time (a fresh context then sees `gc`); null if neither works.
 */
export function gcFunction(): { gc: (() => void) | null; how: string } {
  const g = globalThis as { gc?: () => void };
  if (typeof g.gc === 'function') return { gc: g.gc, how: 'global.gc' };
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    if (typeof gc === 'function') return { gc: gc as () => void, how: 'v8.setFlagsFromString' };
  } catch { /* not available */ }
  return { gc: null, how: 'waits only' };
}

/** Settles and measures: a few GC passes (or GC-friendly waits) then process.memoryUsage(). */
export async function settledMemory(gc: (() => void) | null): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 4; i++) {
    await delay(50);
    if (gc) gc();
    else {
      // Allocation pressure and idle ticks let V8 run its own collections.
      for (let j = 0; j < 20; j++) new Array(100_000).fill(j);
      await delay(100);
    }
  }
  return process.memoryUsage();
}

export const MiB = 1024 * 1024;
export const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;
