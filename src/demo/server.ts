// The demo server behind `npm start`: the frame inspector page at /, an echo endpoint at
// /echo, and the live tap at /tap?id=… (the raw bytes of /echo?tap=… connections).
import * as http from 'node:http';
import { readFileSync } from 'node:fs';
import { WebSocketServer } from '../server.js';
import { PAGE } from './page.js';
import { TapHub, validTapId } from './tap.js';

export interface DemoOptions {
  port?: number;
  host?: string;
  /** Offer permessage-deflate on /echo (default false). */
  deflate?: boolean;
}

/** The inspector page (web/dist/index.html, built by `npm run build:web`), or the plain echo page. */
function inspectorPage(): string {
  try {
    return readFileSync(new URL('../../web/dist/index.html', import.meta.url), 'utf8');
  } catch {
    return PAGE.replace('<h1>wsframe echo</h1>', '<h1>wsframe echo</h1><p>(run <code>npm run build:web</code> for the frame inspector)</p>');
  }
}

/** Starts the demo: GET / serves the page, ws://host:port/echo echoes every message. */
export function startDemo(options: DemoOptions = {}): Promise<{ server: http.Server; url: string }> {
  const port = options.port ?? 8080;
  const host = options.host ?? '127.0.0.1';
  const page = inspectorPage();
  const server = http.createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(page) });
      res.end(page);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('Not found');
  });
  const echo = new WebSocketServer({ noServer: true, perMessageDeflate: options.deflate ?? false });
  // Tapped connections mirror the socket's 'data' events, so they keep them.
  const tappedEcho = new WebSocketServer({ noServer: true, perMessageDeflate: options.deflate ?? false, sharedReadBuffer: false });
  for (const server of [echo, tappedEcho]) {
    server.on('connection', (ws) => {
      ws.on('error', () => {});
      ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
    });
  }
  const taps = new TapHub();
  const tapServer = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/echo') {
      const id = url.searchParams.get('tap');
      const tap = validTapId(id) ? taps.wrap(id, req, socket) : undefined;
      const target = tap ? tappedEcho : echo;
      target.handleUpgrade(req, socket, head, (ws) => {
        tap?.attachReads();
        target.emit('connection', ws, req);
      });
    } else if (url.pathname === '/tap' && validTapId(url.searchParams.get('id'))) {
      tapServer.handleUpgrade(req, socket, head, (ws) => {
        ws.on('error', () => {});
        taps.subscribe(url.searchParams.get('id')!, ws);
        ws.send(JSON.stringify({ tap: url.searchParams.get('id') }));
      });
    } else {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address() as { port: number };
      resolve({ server, url: `http://${host}:${address.port}/` });
    });
  });
}
