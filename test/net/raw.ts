// A raw WebSocket peer for tests that must put exact bytes on the wire: net.connect, a
// handshake with a fixed key, then hand-built (masked) frames out and a minimal parser for
// the server's frames. Also a raw HTTP exchange for handshake-level tests.
//
//   RawClient.open(port) ── GET + fixed key ──► server
//                        ◄── 101 ──────────────  (status, headers)
//   send({ opcode, payload, fin, rsv, mask }) ─► frames
//   nextFrame() / closeFrame()              ◄── server frames (parsed minimally)
import * as net from 'node:net';
import { createHash } from 'node:crypto';
import { onCleanup, withTimeout } from './harness.js';

/** RFC 6455 section 1.3's example key and its accept value. */
export const FIXED_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
export const FIXED_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

export interface RawFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

export interface FrameSpec {
  opcode: number;
  payload?: Uint8Array | string;
  fin?: boolean;
  /** RSV1-3 as bits 0b100 (RSV1), 0b010 (RSV2), 0b001 (RSV3). */
  rsv?: number;
  /** Mask the payload (default true: we play a client). */
  mask?: boolean;
  key?: Uint8Array;
  /** Declared length, when it must differ from the payload's (e.g. near 2^63). */
  length?: bigint;
}

/** The bytes of one frame (RFC 6455 section 5.2). */
export function buildFrame(spec: FrameSpec): Buffer {
  const payload = typeof spec.payload === 'string' ? Buffer.from(spec.payload) : Buffer.from(spec.payload ?? []);
  const mask = spec.mask ?? true;
  const length = spec.length ?? BigInt(payload.length);
  const head: number[] = [((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | spec.opcode];
  const maskBit = mask ? 0x80 : 0;
  if (length < 126n) {
    head.push(maskBit | Number(length));
  } else if (length < 65536n) {
    head.push(maskBit | 126, Number(length >> 8n), Number(length & 0xffn));
  } else {
    head.push(maskBit | 127);
    for (let shift = 56n; shift >= 0n; shift -= 8n) head.push(Number((length >> shift) & 0xffn));
  }
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = spec.key ?? Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
  const masked = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) masked[i] = payload[i]! ^ key[i & 3]!;
  return Buffer.concat([Buffer.from(head), Buffer.from(key), masked]);
}

/** A close frame payload: code (big-endian) + reason. */
export function closeBody(code: number, reason: Uint8Array | string = ''): Buffer {
  const r = typeof reason === 'string' ? Buffer.from(reason) : Buffer.from(reason);
  const out = Buffer.alloc(2 + r.length);
  out.writeUInt16BE(code, 0);
  r.copy(out, 2);
  return out;
}

/** Parses whole frames off the front of `buffer` (lengths beyond 2^53 are not expected from servers). */
export function parseFrames(buffer: Buffer): { frames: RawFrame[]; rest: Buffer } {
  const frames: RawFrame[] = [];
  let p = 0;
  for (;;) {
    if (buffer.length - p < 2) break;
    const b0 = buffer[p]!;
    const b1 = buffer[p + 1]!;
    let length = b1 & 0x7f;
    let at = p + 2;
    if (length === 126) {
      if (buffer.length - at < 2) break;
      length = buffer.readUInt16BE(at);
      at += 2;
    } else if (length === 127) {
      if (buffer.length - at < 8) break;
      length = Number(buffer.readBigUInt64BE(at));
      at += 8;
    }
    const masked = (b1 & 0x80) !== 0;
    let key: Buffer | null = null;
    if (masked) {
      if (buffer.length - at < 4) break;
      key = buffer.subarray(at, at + 4);
      at += 4;
    }
    if (buffer.length - at < length) break;
    const payload = Buffer.from(buffer.subarray(at, at + length));
    if (key !== null) for (let i = 0; i < payload.length; i++) payload[i]! ^= key[i & 3]!;
    frames.push({ fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, masked, payload });
    p = at + length;
  }
  return { frames, rest: buffer.subarray(p) };
}

/** The handshake request a browser would send, with the fixed key. */
export function upgradeRequest(options: { path?: string; headers?: Record<string, string>; extraLines?: string[] } = {}): string {
  const lines = [
    `GET ${options.path ?? '/'} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${FIXED_KEY}`,
    'Sec-WebSocket-Version: 13',
  ];
  for (const [name, value] of Object.entries(options.headers ?? {})) lines.push(`${name}: ${value}`);
  lines.push(...(options.extraLines ?? []));
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** A raw TCP connection to 127.0.0.1:`port`, destroyed after the test. */
export function rawSocket(port: number): net.Socket {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {}); // EPIPE / ECONNRESET are expected when the server refuses
  onCleanup(() => { socket.destroy(); });
  return socket;
}

export interface HttpExchange {
  /** The status line's code (0 when nothing came back). */
  status: number;
  /** Everything received, as latin1 text. */
  response: string;
  /** Whether the server closed the connection before the deadline. */
  closed: boolean;
  /** Milliseconds from the write to the close (or the deadline). */
  elapsed: number;
}

/** Writes `request` and reads until the server closes or `ms` pass. */
export async function httpExchange(port: number, request: string | Buffer, ms = 3000): Promise<HttpExchange> {
  const socket = rawSocket(port);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const start = Date.now();
  socket.write(request);
  const closed = await Promise.race([
    new Promise<boolean>((resolve) => socket.once('close', () => resolve(true))),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref()),
  ]);
  const elapsed = Date.now() - start;
  socket.destroy();
  const response = Buffer.concat(chunks).toString('latin1');
  const match = /^HTTP\/1\.1 (\d{3})/.exec(response);
  return { status: match ? Number(match[1]) : 0, response, closed, elapsed };
}

/** A client speaking raw frames over an upgraded connection. */
export class RawClient {
  status = 0;
  head = '';
  readonly headers: Record<string, string> = {};
  readonly frames: RawFrame[] = [];
  /** Resolves when the TCP connection is closed (by either side). */
  readonly closed: Promise<void>;
  isClosed = false;
  private buffer: Buffer = Buffer.alloc(0);
  private handshakeDone = false;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: net.Socket) {
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.isClosed = true;
      resolve();
      this.wake();
    }));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  /** Connects and completes the handshake; throws unless the answer is 101. */
  static async open(port: number, options: Parameters<typeof upgradeRequest>[0] = {}): Promise<RawClient> {
    const client = RawClient.connect(port);
    client.socket.write(upgradeRequest(options));
    await client.response();
    if (client.status !== 101) throw new Error(`expected 101, got:\n${client.head}`);
    return client;
  }

  /** Connects without writing anything. */
  static connect(port: number): RawClient {
    return new RawClient(rawSocket(port));
  }

  /** Waits for the handshake response head. */
  async response(ms = 3000): Promise<void> {
    await this.wait(() => this.handshakeDone || this.isClosed, ms, 'the handshake response');
  }

  write(bytes: Uint8Array | string): boolean {
    return this.socket.write(bytes);
  }

  send(spec: FrameSpec): boolean {
    return this.write(buildFrame(spec));
  }

  /** The next server frame (frames are consumed in order). */
  async nextFrame(ms = 3000): Promise<RawFrame> {
    await this.wait(() => this.frames.length > 0 || this.isClosed, ms, 'a frame');
    const frame = this.frames.shift();
    if (frame === undefined) throw new Error('connection closed before a frame arrived');
    return frame;
  }

  /** Skips data frames up to the server's close frame; returns its code and reason. */
  async closeFrame(ms = 3000): Promise<{ code: number; reason: Buffer; payload: Buffer }> {
    for (;;) {
      const frame = await this.nextFrame(ms);
      if (frame.opcode === 0x8) {
        const code = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
        return { code, reason: frame.payload.subarray(2), payload: frame.payload };
      }
    }
  }

  /** Waits for the server to close TCP. */
  async waitClosed(ms = 3000): Promise<void> {
    await withTimeout(this.closed, ms, 'the server to close the connection');
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    if (!this.handshakeDone) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      this.head = this.buffer.subarray(0, end).toString('latin1');
      const [statusLine, ...lines] = this.head.split('\r\n');
      this.status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0);
      for (const line of lines) {
        const colon = line.indexOf(':');
        this.headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      this.buffer = this.buffer.subarray(end + 4);
      this.handshakeDone = true;
    }
    if (this.status === 101) {
      const { frames, rest } = parseFrames(this.buffer);
      this.frames.push(...frames);
      this.buffer = Buffer.from(rest);
    }
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private async wait(ready: () => boolean, ms: number, what: string): Promise<void> {
    const start = Date.now();
    while (!ready()) {
      const left = ms - (Date.now() - start);
      if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }
}

/** Sec-WebSocket-Accept for a key (RFC 6455 section 4.2.2, item 5.4). */
export function acceptFor(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

/**
 * A raw WebSocket server: answers any upgrade with a correct 101, then hands the socket
 * (and bytes that followed the request) to `onUpgraded`, which writes whatever it likes.
 */
export async function rawServer(
  onUpgraded: (socket: net.Socket, rest: Buffer) => void,
  /** The response head to write instead of a correct 101 (`accept` is the right value). */
  respond?: (accept: string, head: string) => string,
): Promise<{ port: number; url: string }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.removeListener('data', onData);
      const head = buffer.subarray(0, end).toString('latin1');
      const key = /^sec-websocket-key:\s*(\S+)/im.exec(head)?.[1] ?? '';
      socket.write(respond !== undefined
        ? respond(acceptFor(key), head)
        : `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n\r\n`);
      onUpgraded(socket, buffer.subarray(end + 4));
    };
    socket.on('data', onData);
  });
  onCleanup(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { port, url: `ws://127.0.0.1:${port}` };
}

/** Collects the frames a raw server socket receives (client frames, masked). */
export function collectFrames(socket: net.Socket, initial: Buffer = Buffer.alloc(0)): RawFrame[] {
  const frames: RawFrame[] = [];
  let buffer: Buffer = initial;
  const take = (): void => {
    const parsed = parseFrames(buffer);
    frames.push(...parsed.frames);
    buffer = Buffer.from(parsed.rest);
  };
  socket.on('data', (chunk: Buffer) => { buffer = Buffer.concat([buffer, chunk]); take(); });
  take();
  return frames;
}
