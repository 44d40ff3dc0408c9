// permessage-deflate with a real browser: Debian's Chromium (never downloaded) through
// playwright-core. Chromium offers "permessage-deflate; client_max_window_bits"; our server
// accepts it and text/binary messages of 1 KiB, 64 KiB and 1 MiB cross byte-exact both ways.
// The page is served by the same http server as the WebSocket: Chromium's local network
// access checks block about:blank from connecting to 127.0.0.1.
import { existsSync } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { WebSocketServer } from '../src/index.js';
import { Cleanup } from './deflate/util.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic',
];
const PMD = 'permessage-deflate';
const SIZES = [1024, 64 * 1024, 1024 * 1024];

// Plain JavaScript run both in Node and in the page (a string, so no transform touches it):
// deterministic compressible text of exactly n UTF-8 bytes (1- to 4-byte characters), binary
// of n bytes, and FNV-1a over bytes.
const GEN = String.raw`
function rng(seed) { let s = seed >>> 0 || 1; return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; }; }
function makeText(n, seed) {
  const r = rng(seed);
  const pieces = [['deflate ', 8], ['window ', 7], ['context ', 8], ['é', 2], ['€', 3], ['😀', 4], ['takeover\n', 9], ['größe ', 8]];
  let out = ''; let bytes = 0;
  while (bytes < n) {
    let p, b;
    if (r() % 4 === 0) { p = String(r() % 100000) + ' '; b = p.length; } else { [p, b] = pieces[r() % pieces.length]; }
    if (bytes + b > n) { out += 'x'.repeat(n - bytes); break; }
    out += p; bytes += b;
  }
  return out;
}
function makeBinary(n, seed) {
  const r = rng(seed); const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i % 97 < 60) ? (i & 0xff) : (r() & 0xff);
  return out;
}
function fnv(bytes) { let h = 0x811c9dc5; for (let i = 0; i < bytes.length; i++) { h ^= bytes[i]; h = Math.imul(h, 0x01000193) >>> 0; } return h.toString(16) + ':' + bytes.length; }
`;
const gen = new Function(`${GEN}; return { makeText, makeBinary, fnv };`)() as {
  makeText(n: number, seed: number): string;
  makeBinary(n: number, seed: number): Uint8Array;
  fnv(bytes: Uint8Array): string;
};

// In the page: open, send every message (client → server), check each echo equals what was
// sent, then receive the server's own messages (server → client) and checksum them.
const PAGE = String.raw`async ({ url, sizes, serverCount }) => {
  ${GEN}
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const inbox = [];
  let wake = null;
  ws.onmessage = (e) => { inbox.push(e.data); if (wake) wake(); };
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error('websocket error')); });
  const next = async () => { while (inbox.length === 0) await new Promise((r) => { wake = r; }); return inbox.shift(); };
  const echoes = [];
  const sent = [];
  for (const size of sizes) {
    sent.push(makeText(size, size));
    sent.push(makeBinary(size, size + 1));
  }
  for (const m of sent) ws.send(m);
  for (const m of sent) {
    const got = await next();
    if (typeof m === 'string') echoes.push(typeof got === 'string' && got === m);
    else { const g = new Uint8Array(got); echoes.push(got instanceof ArrayBuffer && g.length === m.length && g.every((v, i) => v === m[i])); }
  }
  ws.send('send yours');
  const received = [];
  for (let i = 0; i < serverCount; i++) {
    const got = await next();
    received.push(typeof got === 'string' ? 'text ' + fnv(new TextEncoder().encode(got)) : 'binary ' + fnv(new Uint8Array(got)));
  }
  const closed = new Promise((r) => { ws.onclose = (e) => r(e.code); });
  ws.close(1000);
  return { extensions: ws.extensions, echoes, received, closeCode: await closed };
}`;

const available = existsSync(CHROMIUM);
let chromium: typeof import('playwright-core').chromium | null = null;
if (available) {
  try { ({ chromium } = await import('playwright-core')); } catch { chromium = null; }
}
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe.skipIf(!available || chromium === null)('Chromium ↔ our server with permessage-deflate', () => {
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    browser = await chromium!.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30_000 });
    page = await browser.newPage();
  }, 60_000);
  afterAll(async () => {
    await page?.goto('about:blank').catch(() => {});
    await browser?.close();
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['defaults', {}, PMD],
    ['no context takeover and 9-bit windows imposed by the server',
      { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 9 },
      `${PMD}; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9`],
  ])('%s: negotiated, text and binary of 1 KiB, 64 KiB, 1 MiB byte-exact both ways', async (_name, options, expected) => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>deflate</title>');
    });
    server.listen(0, '127.0.0.1');
    cleanup.add(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
    const wss = new WebSocketServer({ server, perMessageDeflate: { threshold: 0, ...options } });
    cleanup.add(() => new Promise<void>((resolve) => { for (const c of wss.clients) c.terminate(); wss.close(() => resolve()); }));
    await new Promise<void>((resolve) => server.listening ? resolve() : server.once('listening', resolve));
    const port = (server.address() as AddressInfo).port;
    await page.goto(`http://127.0.0.1:${port}/`);
    const expectedFromPage: string[] = [];
    for (const size of SIZES) {
      expectedFromPage.push(`text ${gen.fnv(Buffer.from(gen.makeText(size, size)))}`);
      expectedFromPage.push(`binary ${gen.fnv(gen.makeBinary(size, size + 1))}`);
    }
    const fromServer: Array<string | Uint8Array> = [];
    for (const size of SIZES) {
      fromServer.push(gen.makeText(size, size * 7 + 3));
      fromServer.push(gen.makeBinary(size, size * 7 + 4));
    }
    const receivedByServer: string[] = [];
    let offer: string | undefined;
    let socket: Socket | null = null;
    let serverExtensions = '';
    wss.on('connection', (ws, req: IncomingMessage) => {
      offer = req.headers['sec-websocket-extensions'];
      socket = req.socket;
      serverExtensions = ws.extensions;
      ws.on('message', (data, isBinary) => {
        const bytes = data as Buffer;
        if (!isBinary && bytes.toString() === 'send yours') {
          for (const m of fromServer) ws.send(m);
          return;
        }
        receivedByServer.push(`${isBinary ? 'binary' : 'text'} ${gen.fnv(bytes)}`);
        ws.send(bytes, { binary: isBinary });
      });
    });
    const result = await page.evaluate(`(${PAGE})(${JSON.stringify({ url: `ws://127.0.0.1:${port}/`, sizes: SIZES, serverCount: fromServer.length })})`) as {
      extensions: string; echoes: boolean[]; received: string[]; closeCode: number;
    };
    expect(offer).toBe(`${PMD}; client_max_window_bits`);
    expect(result.extensions).toBe(expected);
    expect(serverExtensions).toBe(expected);
    expect(receivedByServer).toEqual(expectedFromPage); // page → server, byte-exact
    expect(result.echoes).toEqual(expectedFromPage.map(() => true)); // and back
    expect(result.received).toEqual(fromServer.map((m) => typeof m === 'string' ? `text ${gen.fnv(Buffer.from(m))}` : `binary ${gen.fnv(m)}`));
    expect(result.closeCode).toBe(1000);
    // Compressed on the wire both ways: the page sent P bytes of payload, the server 2P.
    const P = 2 * SIZES.reduce((a, b) => a + b, 0);
    console.log(`[deflate-browser] ${expected}: page → server ${socket!.bytesRead} B on the wire for ${P} B, server → page ${socket!.bytesWritten} B for ${2 * P} B`);
    expect(socket!.bytesRead).toBeLessThan(P * 0.75); // ~0.33 with 15-bit windows, ~0.64 with 9-bit ones
    expect(socket!.bytesWritten).toBeLessThan(2 * P * 0.75);
  }, 60_000);
});
