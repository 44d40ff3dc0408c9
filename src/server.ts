// WebSocketServer: `ws`'s options and events by the same names, attached to any
// http/https server (Express, Fastify, plain Node) through its 'upgrade' event, plus the
// limits `ws` lacks (handshakeTimeout, maxHeaderCount, maxFragments, maxBackpressure,
// idleTimeout with automatic pings, allowedOrigins).
//
//   'upgrade' (req, socket, head) ─► shouldHandle ─► validateUpgradeRequest (400/405/426/431/403)
//        ─► verifyClient (401/403…) ─► 101 + 'headers' ─► WebSocket ─► 'connection'(ws, req)
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { WebSocket } from './websocket.js';
import {
  resolveConnectionOptions, nonNegativeInteger, flag,
  type ConnectionOptions, type ResolvedConnectionOptions,
} from './connection/options.js';
import {
  acceptKey, buildRejectResponse, resolveUpgradeOptions, selectProtocol, validateUpgradeRequest,
  type ExtensionOffer, type ResolvedUpgradeOptions,
} from './handshake.js';
import { acceptOffer, checkDeflateOptions, type PerMessageDeflateOptions } from './extensions/negotiate.js';
import { PerMessageDeflate } from './extensions/deflate.js';

export interface VerifyClientInfo {
  origin: string | undefined;
  secure: boolean;
  req: http.IncomingMessage;
}
export type VerifyClientCallback = (result: boolean, code?: number, message?: string, headers?: http.OutgoingHttpHeaders) => void;
export type VerifyClient =
  | ((info: VerifyClientInfo) => boolean)
  | ((info: VerifyClientInfo, callback: VerifyClientCallback) => void);

export interface ServerOptions extends ConnectionOptions {
  /** Port to listen on: the server creates its own http.Server. */
  port?: number;
  host?: string;
  backlog?: number;
  /** An existing http/https server to attach to. */
  server?: http.Server | import('node:https').Server;
  /** No server at all: call handleUpgrade yourself. */
  noServer?: boolean;
  /** Only accept upgrades to this path. */
  path?: string;
  verifyClient?: VerifyClient;
  handleProtocols?: (protocols: Set<string>, req: http.IncomingMessage) => string | false | undefined;
  /** Track clients in `clients`. Default true. */
  clientTracking?: boolean;
  /** permessage-deflate (RFC 7692): true or ws's options object. Default false (as `ws`). */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Milliseconds from 'upgrade' to the 101 (async verifyClient included). Default 10000. */
  handshakeTimeout?: number;
  /** Most request headers accepted; more get 431. Default 100. */
  maxHeaderCount?: number;
  /** Milliseconds without receiving anything before a ping; as long again and the socket is closed. 0: off (default). */
  idleTimeout?: number;
  /** Exact origins allowed (RFC 6455 section 10.2); others get 403. Default: any. */
  allowedOrigins?: string[];
}

export class WebSocketServer extends EventEmitter {
  readonly clients: Set<WebSocket>;
  readonly options: ServerOptions;
  private readonly connection: ResolvedConnectionOptions;
  private readonly deflate: PerMessageDeflateOptions | null;
  private readonly upgrade: ResolvedUpgradeOptions;
  private readonly handshakeTimeout: number;
  private readonly maxHeaderCount: number;
  private readonly idleTimeout: number;
  private readonly live = new Set<WebSocket>();
  private server: http.Server | import('node:https').Server | null = null;
  private ownServer = false;
  private removeListeners: (() => void) | null = null;
  private idleTimer: ReturnType<typeof setInterval> | null = null;
  private state: 'running' | 'closing' | 'closed' = 'running';

  constructor(options: ServerOptions, callback?: () => void) {
    super();
    const modes = [options.port !== undefined, options.server !== undefined, options.noServer === true].filter(Boolean).length;
    if (modes !== 1) {
      throw new TypeError('One and only one of the "port", "server", or "noServer" options must be specified');
    }
    this.options = options;
    this.connection = resolveConnectionOptions(options);
    this.handshakeTimeout = nonNegativeInteger('handshakeTimeout', options.handshakeTimeout, 10_000);
    this.maxHeaderCount = nonNegativeInteger('maxHeaderCount', options.maxHeaderCount, 100);
    this.idleTimeout = nonNegativeInteger('idleTimeout', options.idleTimeout, 0);
    this.upgrade = resolveUpgradeOptions({ maxHeaderCount: this.maxHeaderCount, allowedOrigins: options.allowedOrigins });
    const pmd = options.perMessageDeflate ?? false;
    this.deflate = pmd === false ? null : pmd === true ? {} : pmd;
    if (this.deflate !== null) checkDeflateOptions(this.deflate);
    this.clients = new Set();
    if (!flag('clientTracking', options.clientTracking, true)) (this as { clients: Set<WebSocket> | undefined }).clients = undefined as never;

    if (options.port !== undefined) {
      const server = http.createServer({
        // A client that never finishes its request is dropped after handshakeTimeout.
        headersTimeout: this.handshakeTimeout || undefined,
        requestTimeout: this.handshakeTimeout || undefined,
        connectionsCheckingInterval: Math.max(100, Math.min(this.handshakeTimeout || 30_000, 30_000) / 4),
        maxHeaderSize: 16 * 1024,
      }, (_req, res) => {
        const body = http.STATUS_CODES[426]!;
        res.writeHead(426, { 'Content-Length': body.length, 'Content-Type': 'text/plain' });
        res.end(body);
      });
      server.maxHeadersCount = this.maxHeaderCount * 2;
      server.listen(options.port, options.host, options.backlog, callback);
      this.server = server;
      this.ownServer = true;
    } else if (options.server !== undefined) {
      this.server = options.server;
    }
    if (this.server !== null) {
      const server = this.server;
      const onListening = (): void => { this.emit('listening'); };
      const onError = (error: Error): void => { this.emit('error', error); };
      const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
        this.handleUpgrade(req, socket, head, (ws) => this.emit('connection', ws, req));
      };
      server.on('listening', onListening);
      server.on('error', onError);
      server.on('upgrade', onUpgrade);
      this.removeListeners = () => {
        server.removeListener('listening', onListening);
        server.removeListener('error', onError);
        server.removeListener('upgrade', onUpgrade);
      };
    }
    if (this.idleTimeout > 0) {
      this.idleTimer = setInterval(() => this.sweepIdle(), Math.max(50, this.idleTimeout / 2));
      this.idleTimer.unref?.();
    }
  }

  /** The listening address (throws in noServer mode, as `ws`). */
  address(): AddressInfo | string | null {
    if (this.options.noServer) throw new Error('The server is operating in "noServer" mode');
    return this.server?.address() ?? null;
  }

  /** Whether this server handles the request (the `path` option; override to filter). */
  shouldHandle(req: http.IncomingMessage): boolean {
    if (this.options.path !== undefined) {
      const url = req.url ?? '';
      const q = url.indexOf('?');
      if ((q === -1 ? url : url.slice(0, q)) !== this.options.path) return false;
    }
    return true;
  }

  /** Completes (or refuses) an upgrade; `cb` gets the new WebSocket. */
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, cb: (ws: WebSocket, req: http.IncomingMessage) => void): void {
    const marked = socket as Duplex & { [kUpgraded]?: boolean };
    if (marked[kUpgraded]) {
      throw new Error('server.handleUpgrade() was called more than once with the same socket, possibly due to a misconfiguration');
    }
    marked[kUpgraded] = true;
    socket.on('error', onHandshakeSocketError);
    const timer = this.handshakeTimeout > 0
      ? setTimeout(() => refuse(socket, 408, 'Handshake timed out'), this.handshakeTimeout)
      : null;
    const finish = (): void => { if (timer !== null) clearTimeout(timer); };
    if (this.state !== 'running') {
      finish();
      return refuse(socket, 503, 'Server is closing');
    }
    const verdict = validateUpgradeRequest(req, this.upgrade);
    if (!verdict.ok) {
      finish();
      if (this.listenerCount('wsClientError') > 0) {
        const error = Object.assign(new Error(verdict.message), { code: verdict.code, statusCode: verdict.status });
        this.emit('wsClientError', error, socket, req);
        return;
      }
      return refuse(socket, verdict.status, verdict.message, verdict.headers);
    }
    if (!this.shouldHandle(req)) {
      finish();
      return refuse(socket, 400, 'Invalid path');
    }
    const complete = (): void => {
      finish();
      this.completeUpgrade(req, socket, head, verdict.key, verdict.protocols, verdict.extensions, cb);
    };
    const verify = this.options.verifyClient;
    if (verify === undefined) return complete();
    const info: VerifyClientInfo = {
      origin: verdict.origin,
      secure: Boolean((req.socket as { encrypted?: boolean }).encrypted),
      req,
    };
    if (verify.length === 2) {
      (verify as (i: VerifyClientInfo, c: VerifyClientCallback) => void)(info, (ok, code = 401, message, headers) => {
        if (ok) return complete();
        finish();
        refuse(socket, code, message, headers);
      });
      return;
    }
    if ((verify as (i: VerifyClientInfo) => boolean)(info)) return complete();
    finish();
    refuse(socket, 401);
  }

  private completeUpgrade(
    req: http.IncomingMessage, socket: Duplex, head: Buffer, key: string, protocols: Set<string>,
    extensions: readonly ExtensionOffer[], cb: (ws: WebSocket, req: http.IncomingMessage) => void,
  ): void {
    if (!socket.readable || !socket.writable) {
      socket.destroy();
      return;
    }
    const protocol = selectProtocol(protocols, this.options.handleProtocols, req);
    const headers = [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${acceptKey(key)}`,
    ];
    if (protocol) headers.push(`Sec-WebSocket-Protocol: ${protocol}`);
    const accepted = this.deflate !== null ? acceptOffer(extensions, this.deflate) : null;
    if (accepted !== null) headers.push(`Sec-WebSocket-Extensions: ${accepted.response}`);
    this.emit('headers', headers, req);
    socket.write(headers.concat('\r\n').join('\r\n'));
    socket.removeListener('error', onHandshakeSocketError);
    const ws = new WebSocket(null);
    ws._protocol = protocol || '';
    if (accepted !== null) {
      ws._extensions = accepted.response;
      ws._deflate = new PerMessageDeflate(accepted.params, true, this.deflate!, this.connection.maxPayload);
    }
    ws._setSocket(socket, head, this.connection);
    if (this.clients) {
      this.clients.add(ws);
      ws.on('close', () => {
        this.clients.delete(ws);
        if (this.state === 'closing' && this.clients.size === 0) this.emitClose();
      });
    }
    if (this.idleTimeout > 0) {
      this.live.add(ws);
      ws.on('close', () => this.live.delete(ws));
    }
    cb(ws, req);
  }

  /** Pings connections idle for idleTimeout; closes those idle for twice that. */
  private sweepIdle(): void {
    const now = Date.now();
    for (const ws of this.live) {
      const idle = now - ws._lastReceived;
      if (idle < this.idleTimeout || ws.readyState !== WebSocket.OPEN) continue;
      if (!ws._pingSent) {
        ws._pingSent = true;
        ws.ping();
      } else if (idle >= 2 * this.idleTimeout) {
        ws.terminate();
      }
    }
  }

  /** Stops accepting connections; closes the internal http server. Existing ones stay open (as `ws`). */
  close(cb?: (error?: Error) => void): void {
    if (this.state === 'closed') {
      // As ws: closing a server that is not running calls back with an error.
      if (cb) this.once('close', () => cb(new Error('The server is not running')));
      process.nextTick(() => this.emit('close'));
      return;
    }
    if (cb) this.once('close', cb);
    if (this.state === 'closing') return;
    this.state = 'closing';
    if (this.idleTimer !== null) clearInterval(this.idleTimer);
    this.removeListeners?.();
    this.removeListeners = null;
    const done = (): void => {
      if (!this.clients || this.clients.size === 0) this.emitClose();
    };
    if (this.ownServer && this.server !== null) this.server.close(done);
    else process.nextTick(done);
  }

  private emitClose(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.emit('close');
  }
}

const kUpgraded = Symbol('wsframe.upgraded');

function onHandshakeSocketError(this: Duplex): void {
  this.destroy();
}

/** Answers with an HTTP error and closes the socket. */
function refuse(socket: Duplex, status: number, message?: string, headers?: http.OutgoingHttpHeaders | Record<string, string>): void {
  // verifyClient may hand us any number: only an error status makes sense here.
  if (!Number.isInteger(status) || status < 400 || status > 599) status = 401;
  if (!socket.writable || socket.destroyed) {
    socket.destroy();
    return;
  }
  let response: string;
  try {
    response = buildRejectResponse(status, message, headers as Record<string, string> | undefined);
  } catch {
    // Headers from verifyClient that could inject lines are dropped, not sent.
    response = buildRejectResponse(status, message);
  }
  socket.once('finish', () => socket.destroy());
  socket.end(response);
}

// Typed listeners, as @types/ws declares them.
export interface WebSocketServer {
  on(event: 'connection', listener: (this: WebSocketServer, ws: WebSocket, req: http.IncomingMessage) => void): this;
  on(event: 'headers', listener: (this: WebSocketServer, headers: string[], req: http.IncomingMessage) => void): this;
  on(event: 'wsClientError', listener: (this: WebSocketServer, error: Error, socket: Duplex, req: http.IncomingMessage) => void): this;
  on(event: 'error', listener: (this: WebSocketServer, error: Error) => void): this;
  on(event: 'listening' | 'close', listener: (this: WebSocketServer) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'connection', listener: (this: WebSocketServer, ws: WebSocket, req: http.IncomingMessage) => void): this;
  once(event: 'listening' | 'close', listener: (this: WebSocketServer) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}
