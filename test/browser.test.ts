// Connection layer interop with a real browser: Debian's Chromium (driven by playwright-core,
// never downloaded) talks to our WebSocketServer over 127.0.0.1. The page code is plain
// JavaScript in test/browser/client.js, served by the same node:http server the
// WebSocketServer is attached to.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { WebSocketServer, type WebSocket } from '../src/index.js';

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const CLIENT_JS = readFileSync(new URL('./browser/client.js', import.meta.url), 'utf8');
const HTML = '<!doctype html><meta charset="utf-8"><title>wsframe</title><script src="/client.js"></script>';
const WS_PATH = '/path';

const KiB = 1024;
const MiB = 1024 * KiB;
const SIZES = [0, 125, 126, 64 * KiB, 1 * MiB, 16 * MiB];

interface Received { isBinary: boolean; length: number; sha256: string }
/** What our server saw of one connection, recorded from the moment it exists. */
interface Session {
  ws: WebSocket;
  req: http.IncomingMessage;
  offered: string[];
  messages: Received[];
  closed: Promise<{ code: number; reason: Buffer }>;
  pong: Promise<Buffer>;
}

interface Deferred<T> { promise: Promise<T>; resolve(value: T): void }
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Server-side behaviour per connection, chosen by the page's URL (`?mode=…&id=…`). */
function attach(wss: WebSocketServer, sessions: Map<string, Deferred<Session>>): void {
  wss.on('connection', (ws: WebSocket, req: http.IncomingMessage) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const id = url.searchParams.get('id') ?? '';
    const mode = url.searchParams.get('mode') ?? 'echo';
    const closed = deferred<{ code: number; reason: Buffer }>();
    const pong = deferred<Buffer>();
    const session: Session = {
      ws, req, offered: String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim()),
      messages: [], closed: closed.promise, pong: pong.promise,
    };
    ws.on('close', (code, reason) => closed.resolve({ code, reason: Buffer.from(reason) }));
    ws.on('pong', (data) => pong.resolve(Buffer.from(data)));
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => {
      const bytes = data as Buffer;
      session.messages.push({ isBinary, length: bytes.length, sha256: sha256(bytes) });
      if (mode === 'echo') ws.send(bytes, { binary: isBinary });
      else if (mode === 'terminate') ws.terminate();
    });
    if (mode === 'close4001') ws.close(4001, 'bye ✓');
    else if (mode === 'ping') {
      ws.ping(Buffer.from('wsframe ping'));
      void pong.promise.then(() => ws.close(1000, 'pong seen'));
    }
    let entry = sessions.get(id);
    if (entry === undefined) sessions.set(id, (entry = deferred()));
    entry.resolve(session);
  });
}

function serveFiles(req: http.IncomingMessage, res: http.ServerResponse): void {
  const [body, type] = req.url === '/client.js' ? [CLIENT_JS, 'text/javascript'] : [HTML, 'text/html'];
  res.writeHead(200, { 'Content-Type': `${type}; charset=utf-8`, 'Cache-Control': 'no-store' });
  res.end(body);
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

function closeServer(server: http.Server | undefined): Promise<void> {
  if (server === undefined) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function closeWss(wss: WebSocketServer | undefined): Promise<void> {
  if (wss === undefined) return Promise.resolve();
  for (const ws of wss.clients ?? []) ws.terminate();
  return new Promise((resolve) => wss.close(() => resolve()));
}

function withTimeout<T>(promise: Promise<T>, what: string, ms = 20_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// The page's window.wsTest (test/browser/client.js), as seen from here.
interface PageClose { code: number; reason: string; wasClean: boolean; errors: number; readyState: number }
interface EchoResult {
  protocol: string; extensions: string; binaryType: string; receivedType: string;
  sentLength: number; receivedLength: number; sentSha256: string; receivedSha256: string;
  textEqual: boolean | null; textUnits: number | null; hasAstral: boolean | null; hasCjk: boolean | null;
  close: PageClose;
}
type EchoArgs = { url: string; kind: 'text' | 'binary' | 'blob'; size: number; seed: number; binaryType?: 'arraybuffer' | 'blob' };
interface WsTestApi {
  echo(args: EchoArgs): Promise<EchoResult>;
  awaitServerClose(args: { url: string; message?: string }): Promise<PageClose & { protocol: string }>;
  closeFromPage(args: { url: string; code: number; reason: string }): Promise<PageClose & { protocol: string; closingState: number }>;
}
type PageWindow = { wsTest: WsTestApi };

describe.skipIf(!HAS_CHROMIUM)(`browser interop (Chromium; skipped when ${CHROMIUM} is missing: apt-get install chromium)`, () => {
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  let httpServer: http.Server | undefined;
  let wss: WebSocketServer | undefined;
  let rawServer: http.Server | undefined;
  let rawWss: WebSocketServer | undefined;
  let port = 0;
  let rawPort = 0;
  let nextId = 0;
  const sessions = new Map<string, Deferred<Session>>();

  /** A fresh connection URL and the server-side session it will produce. */
  function open(mode: string, base = port): { url: string; session: Promise<Session> } {
    const id = String(++nextId);
    let entry = sessions.get(id);
    if (entry === undefined) sessions.set(id, (entry = deferred()));
    return {
      url: `ws://127.0.0.1:${base}${WS_PATH}?mode=${mode}&id=${id}`,
      session: withTimeout(entry.promise, `server connection ${mode}#${id}`),
    };
  }

  const inPage = {
    echo: (args: EchoArgs) => page.evaluate(async (a) => (window as unknown as PageWindow).wsTest.echo(a), args),
    awaitServerClose: (args: { url: string; message?: string }) =>
      page.evaluate(async (a) => (window as unknown as PageWindow).wsTest.awaitServerClose(a), args),
    closeFromPage: (args: { url: string; code: number; reason: string }) =>
      page.evaluate(async (a) => (window as unknown as PageWindow).wsTest.closeFromPage(a), args),
  };

  beforeAll(async () => {
    // { server }: attached to the same plain node:http server that serves the page.
    httpServer = http.createServer(serveFiles);
    wss = new WebSocketServer({
      server: httpServer,
      path: WS_PATH,
      handleProtocols: (protocols) => (protocols.has('superchat') ? 'superchat' : false),
    });
    attach(wss, sessions);
    port = await listen(httpServer);

    // noServer + handleUpgrade, on a second plain http server.
    rawServer = http.createServer(serveFiles);
    rawWss = new WebSocketServer({
      noServer: true,
      handleProtocols: (protocols) => (protocols.has('superchat') ? 'superchat' : false),
    });
    attach(rawWss, sessions);
    rawServer.on('upgrade', (req, socket, head) => {
      rawWss!.handleUpgrade(req, socket, head, (ws) => rawWss!.emit('connection', ws, req));
    });
    rawPort = await listen(rawServer);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-quic',
      ],
    });
    context = await browser.newContext();
    page = await context.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => 'wsTest' in window);
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([closeWss(wss), closeWss(rawWss)]);
    await Promise.all([closeServer(httpServer), closeServer(rawServer)]);
  });

  it('handshake: handleProtocols picks superchat; Chromium\'s permessage-deflate offer is left unanswered', async () => {
    const { url, session } = open('echo');
    const [result, s] = await Promise.all([inPage.echo({ url, kind: 'text', size: 5, seed: 1 }), session]);
    expect(s.offered).toEqual(['chat', 'superchat']);
    expect(s.ws.protocol).toBe('superchat');
    expect(result.protocol).toBe('superchat');
    // Chromium offers the extension in every handshake; we do not negotiate it (yet).
    expect(String(s.req.headers['sec-websocket-extensions'])).toMatch(/^permessage-deflate\b/);
    expect(s.ws.extensions).toBe('');
    expect(result.extensions).toBe('');
    expect(result.close).toMatchObject({ code: 1000, wasClean: true, errors: 0 });
  });

  it('noServer + handleUpgrade: same handshake and echo', async () => {
    const { url, session } = open('echo', rawPort);
    const [result, s] = await Promise.all([inPage.echo({ url, kind: 'text', size: 300, seed: 2 }), session]);
    expect(result.protocol).toBe('superchat');
    expect(result.extensions).toBe('');
    expect(result.textEqual).toBe(true);
    expect(s.messages).toEqual([{ isBinary: false, length: 300, sha256: result.sentSha256 }]);
    expect(result.close).toMatchObject({ code: 1000, wasClean: true });
  });

  describe.each([
    { kind: 'text', binaryType: undefined, label: 'text (multi-byte UTF-8)' },
    { kind: 'binary', binaryType: 'arraybuffer', label: 'binary, binaryType arraybuffer' },
    { kind: 'blob', binaryType: 'blob', label: 'binary sent as Blob, binaryType blob' },
  ] as const)('echo $label', ({ kind, binaryType }) => {
    it.each(SIZES)('%i bytes, byte-exact', async (size) => {
      const { url, session } = open('echo');
      const seed = 0x5eed0000 + size;
      const [result, s] = await Promise.all([inPage.echo({ url, kind, size, seed, binaryType }), session]);
      // What the page sent is what our server received ...
      expect(result.sentLength).toBe(size);
      expect(s.messages).toHaveLength(1);
      expect(s.messages[0]).toEqual({ isBinary: kind !== 'text', length: size, sha256: result.sentSha256 });
      // ... and what our server echoed is what the page received, as the right type.
      expect(result.receivedLength).toBe(size);
      expect(result.receivedSha256).toBe(result.sentSha256);
      expect(result.protocol).toBe('superchat');
      if (kind === 'text') {
        expect(result.receivedType).toBe('string');
        expect(result.textEqual).toBe(true);
        if (size >= 125) {
          // Really multi-byte: fewer UTF-16 units than bytes, with CJK and emoji.
          expect(result.textUnits).toBeLessThan(size);
          expect(result.hasCjk).toBe(true);
          expect(result.hasAstral).toBe(true);
        }
      } else {
        expect(result.binaryType).toBe(binaryType);
        expect(result.receivedType).toBe(binaryType === 'blob' ? 'Blob' : 'ArrayBuffer');
      }
      expect(result.close).toMatchObject({ code: 1000, reason: 'echo done', wasClean: true, errors: 0 });
      await expect(s.closed).resolves.toMatchObject({ code: 1000 });
    });
  });

  it('server-initiated close 4001 "bye ✓": clean CloseEvent in the page', async () => {
    const { url, session } = open('close4001');
    const [result, s] = await Promise.all([inPage.awaitServerClose({ url }), session]);
    expect(result).toMatchObject({ protocol: 'superchat', code: 4001, reason: 'bye ✓', wasClean: true, errors: 0, readyState: 3 });
    const closed = await withTimeout(s.closed, 'server close event');
    expect(closed.code).toBe(4001); // echoed by the browser
    expect(s.ws.readyState).toBe(3);
  });

  it('page-initiated close(3000, "page done"): our server\'s close event has code and reason', async () => {
    const { url, session } = open('idle');
    const [result, s] = await Promise.all([inPage.closeFromPage({ url, code: 3000, reason: 'page done' }), session]);
    expect(result).toMatchObject({ closingState: 2, code: 3000, reason: 'page done', wasClean: true, errors: 0 });
    const closed = await withTimeout(s.closed, 'server close event');
    expect(closed.code).toBe(3000);
    expect(Buffer.isBuffer(closed.reason)).toBe(true);
    expect(closed.reason.equals(Buffer.from('page done'))).toBe(true);
  });

  it('server ping: the browser answers with a pong carrying the same payload', async () => {
    const { url, session } = open('ping');
    const [result, s] = await Promise.all([inPage.awaitServerClose({ url }), session]);
    const pong = await withTimeout(s.pong, 'pong');
    expect(pong.toString()).toBe('wsframe ping');
    // The server closes once the pong arrived: the page saw a clean close after it.
    expect(result).toMatchObject({ code: 1000, reason: 'pong seen', wasClean: true });
  });

  it('server terminate(): the page sees code 1006, wasClean false', async () => {
    const { url, session } = open('terminate');
    const [result, s] = await Promise.all([inPage.awaitServerClose({ url, message: 'terminate me' }), session]);
    // No 'error' event is asserted: Chromium fires none when TCP simply closes (nothing failed).
    expect(result).toMatchObject({ code: 1006, reason: '', wasClean: false, readyState: 3 });
    const closed = await withTimeout(s.closed, 'server close event');
    expect(closed.code).toBe(1006);
    expect(s.messages).toEqual([{ isBinary: false, length: 12, sha256: sha256(Buffer.from('terminate me')) }]);
  });
});
