// Test harness for the connection-layer suites: servers and clients bound to 127.0.0.1 on
// port 0, every one registered for cleanup, and event waits that fail with a timeout
// instead of hanging. Call `useCleanup()` once per test file.
import { afterEach } from 'vitest';
import type { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { WebSocket as WsClient, WebSocketServer as WsServer } from 'ws';
import { WebSocket, WebSocketServer, type ClientOptions, type ServerOptions } from '../../src/index.js';

type Cleaner = () => void | Promise<void>;
const cleaners: Cleaner[] = [];

/** Registers work to run after the current test (last registered runs first). */
export function onCleanup(fn: Cleaner): void {
  cleaners.push(fn);
}

/** Runs every registered cleaner after each test. */
export function useCleanup(): void {
  afterEach(async () => {
    while (cleaners.length > 0) {
      const fn = cleaners.pop()!;
      try {
        await withTimeout(Promise.resolve(fn()), 5000, 'cleanup');
      } catch {
        // A cleaner that fails must not keep the others from running.
      }
    }
  });
}

/** Rejects with a named timeout when `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The arguments of the next `event` on `emitter` (never rejects on 'error', unlike events.once). */
export function next<T extends unknown[] = unknown[]>(emitter: EventEmitter, event: string, ms = 5000): Promise<T> {
  return withTimeout(new Promise<T>((resolve) => emitter.once(event, (...args: unknown[]) => resolve(args as T))), ms, `'${event}'`);
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Polls `check` until it is true; fails after `ms`. */
export async function until(check: () => boolean, ms = 5000, what = 'a condition'): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await delay(5);
  }
}

function port(server: { address(): AddressInfo | string | null }): number {
  return (server.address() as AddressInfo).port;
}

// ── servers ──

export interface Listening<S> {
  wss: S;
  port: number;
  url: string;
}

/** Our WebSocketServer on its own http server (`port: 0` on 127.0.0.1). */
export async function ourServer(options: Omit<ServerOptions, 'port' | 'server' | 'noServer'> = {}): Promise<Listening<WebSocketServer>> {
  const wss = new WebSocketServer({ host: '127.0.0.1', ...options, port: 0 });
  onCleanup(() => closeOurServer(wss));
  await next(wss, 'listening');
  const p = (wss.address() as AddressInfo).port;
  return { wss, port: p, url: `ws://127.0.0.1:${p}` };
}

async function closeOurServer(wss: WebSocketServer): Promise<void> {
  for (const ws of wss.clients ?? []) ws.terminate();
  const inner = (wss as unknown as { server: http.Server | null }).server;
  const closed = new Promise<void>((resolve) => wss.close(() => resolve()));
  inner?.closeAllConnections();
  await closed;
}

/** The `ws` package's server on 127.0.0.1, port 0. */
export async function wsServer(options: Omit<WsClient.ServerOptions, 'port' | 'server' | 'noServer'> = {}): Promise<Listening<WsServer>> {
  const wss = new WsServer({ host: '127.0.0.1', ...options, port: 0 });
  onCleanup(async () => {
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
  await next(wss, 'listening');
  const p = (wss.address() as AddressInfo).port;
  return { wss, port: p, url: `ws://127.0.0.1:${p}` };
}

/** A plain http server on 127.0.0.1, port 0, closed (with its connections) after the test. */
export async function httpServer(server: http.Server = http.createServer()): Promise<{ server: http.Server; port: number; url: string }> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // Upgraded sockets leave the http server's books: track them too.
  server.prependListener('upgrade', (_req, socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  onCleanup(async () => {
    for (const socket of sockets) socket.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const p = port(server);
  return { server, port: p, url: `ws://127.0.0.1:${p}` };
}

// ── clients ──

/** A `ws` client with a recorded error list (ws throws on an unhandled 'error'). */
export function wsClient(url: string, protocols?: string | string[], options?: WsClient.ClientOptions): WsClient & { errors: Error[] } {
  const client = new WsClient(url, protocols, options) as WsClient & { errors: Error[] };
  client.errors = [];
  client.on('error', (error) => client.errors.push(error));
  onCleanup(() => terminate(client));
  return client;
}

/** A `ws` client, open. */
export async function openWsClient(url: string, protocols?: string | string[], options?: WsClient.ClientOptions): Promise<WsClient & { errors: Error[] }> {
  const client = wsClient(url, protocols, options);
  await next(client, 'open');
  return client;
}

/** Our client, with a recorded error list. */
export function ourClient(url: string, protocols?: string | string[], options?: ClientOptions): WebSocket & { errors: Error[] } {
  const client = (protocols === undefined ? new WebSocket(url, options) : new WebSocket(url, protocols, options)) as WebSocket & { errors: Error[] };
  client.errors = [];
  client.on('error', (error: Error) => client.errors.push(error));
  onCleanup(() => terminate(client));
  return client;
}

/** Our client, open. */
export async function openOurClient(url: string, protocols?: string | string[], options?: ClientOptions): Promise<WebSocket & { errors: Error[] }> {
  const client = ourClient(url, protocols, options);
  await next(client, 'open');
  return client;
}

/** Terminates a client of either library and waits for its 'close' (bounded). */
export async function terminate(ws: WsClient | WebSocket): Promise<void> {
  if (ws.readyState === ws.CLOSED) return;
  const closed = next(ws as EventEmitter, 'close', 2000).catch(() => undefined);
  ws.terminate();
  await closed;
}

/** The next connection on a server of either library, with its request. */
export function nextConnection<W>(wss: EventEmitter): Promise<[W, http.IncomingMessage]> {
  return next<[W, http.IncomingMessage]>(wss, 'connection');
}

/**
 * Connects a `ws` client that the server refuses: the status, headers and body of the
 * `unexpected-response`.
 */
export async function wsRejection(url: string, protocols?: string | string[], options?: WsClient.ClientOptions): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const client = wsClient(url, protocols, options);
  const [, res] = await next<[http.ClientRequest, http.IncomingMessage]>(client, 'unexpected-response');
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  await next(res, 'end').catch(() => undefined);
  await terminate(client);
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() };
}

/** A text payload of exactly `bytes` UTF-8 bytes, with multi-byte characters when it fits. */
export function textOfBytes(bytes: number): string {
  const sample = 'héllo wörld ✓ 😀 ';
  let text = '';
  if (bytes >= 1024) {
    const unit = Buffer.byteLength(sample);
    text = sample.repeat(Math.floor((bytes - 64) / unit));
  }
  return text + 'a'.repeat(bytes - Buffer.byteLength(text));
}
