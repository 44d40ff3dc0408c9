// The demo server behind `npm start`: an echo endpoint and a page to try it from.
import * as http from 'node:http';
import { WebSocketServer } from '../server.js';
import { PAGE } from './page.js';

export interface DemoOptions {
  port?: number;
  host?: string;
}

/** Starts the demo: GET / serves the page, ws://host:port/echo echoes every message. */
export function startDemo(options: DemoOptions = {}): Promise<{ server: http.Server; url: string }> {
  const port = options.port ?? 8080;
  const host = options.host ?? '127.0.0.1';
  const server = http.createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(PAGE) });
      res.end(PAGE);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('Not found');
  });
  const echo = new WebSocketServer({ noServer: true });
  echo.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
  });
  server.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').split('?')[0] === '/echo') {
      echo.handleUpgrade(req, socket, head, (ws) => echo.emit('connection', ws, req));
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
