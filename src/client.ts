// The client side of the opening handshake (RFC 6455 section 4.1) for
// `new WebSocket(url, protocols?, options?)`: ws:, wss:, and http:/https: as the WHATWG API
// accepts them; redirects on request; the server's answer verified before 'open'.
//
//   client                                   server
//   GET /path HTTP/1.1  ───────────────────►
//   Sec-WebSocket-Key: <16 random bytes>
//                      ◄───────────────────  HTTP/1.1 101 Switching Protocols
//                                            Sec-WebSocket-Accept: base64(SHA-1(key + GUID))
//   verify 101, Upgrade, Connection, Accept, protocol/extension offered ─► 'open'
import * as http from 'node:http';
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import type { WebSocket } from './websocket.js';
import { WebSocketError } from './websocket.js';
import type { ConnectionOptions } from './connection/options.js';
import { nonNegativeInteger, flag, resolveConnectionOptions } from './connection/options.js';
import { buildClientRequestHeaders, generateKey, parseExtensionHeader, verifyServerResponse } from './handshake.js';
import { buildOffer, checkDeflateOptions, verifyAnswer, type PerMessageDeflateOptions } from './extensions/negotiate.js';
import { PerMessageDeflate } from './extensions/deflate.js';

export interface ClientOptions extends ConnectionOptions, Omit<https.RequestOptions, 'headers' | 'timeout' | 'protocol'> {
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** The Origin header to send. */
  origin?: string;
  /** Milliseconds for the whole opening handshake. Default 30000 (0: none). */
  handshakeTimeout?: number;
  /** Follow 3xx redirects (default false, as `ws`). */
  followRedirects?: boolean;
  /** Most redirects to follow. Default 10. */
  maxRedirects?: number;
  /** Only 13 is supported (RFC 6455). */
  protocolVersion?: number;
  /** Offer permessage-deflate (RFC 7692): true (default, as `ws`), false, or ws's options. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
}

interface ClientState {
  key: string;
  protocols: string[];
  redirects: number;
  request: http.ClientRequest | null;
  timer: ReturnType<typeof setTimeout> | null;
}

const kClient = Symbol('client');

/** Parses and checks a WebSocket URL as the WHATWG constructor does (SyntaxError). */
export function parseWebSocketUrl(address: string | URL): URL {
  let url: URL;
  try {
    url = address instanceof URL ? new URL(address.href) : new URL(address);
  } catch {
    throw new SyntaxError(`Invalid URL: ${String(address)}`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new SyntaxError(`The URL's protocol must be one of "ws:", "wss:", "http:", or "https:" (got ${url.protocol})`);
  }
  if (url.hash) throw new SyntaxError('The URL contains a fragment identifier');
  return url;
}

/** Starts the opening handshake for a client WebSocket. */
export function initClient(
  ws: WebSocket, address: string | URL, protocolsOrOptions?: string | string[] | ClientOptions, maybeOptions?: ClientOptions,
): void {
  let protocols: string[] = [];
  let options: ClientOptions = maybeOptions ?? {};
  if (typeof protocolsOrOptions === 'string') protocols = [protocolsOrOptions];
  else if (Array.isArray(protocolsOrOptions)) protocols = protocolsOrOptions;
  else if (protocolsOrOptions && typeof protocolsOrOptions === 'object') options = protocolsOrOptions;
  if (options.protocolVersion !== undefined && options.protocolVersion !== 13) {
    throw new RangeError(`Unsupported protocol version: ${options.protocolVersion} (supported versions: 13)`);
  }
  const url = parseWebSocketUrl(address);
  const connection = resolveConnectionOptions(options);
  const handshakeTimeout = nonNegativeInteger('handshakeTimeout', options.handshakeTimeout, 30_000);
  const followRedirects = flag('followRedirects', options.followRedirects, false);
  const maxRedirects = nonNegativeInteger('maxRedirects', options.maxRedirects, 10);
  const pmd = options.perMessageDeflate ?? true;
  const deflate: PerMessageDeflateOptions | null = pmd === false ? null : pmd === true ? {} : pmd;
  if (deflate !== null) checkDeflateOptions(deflate);
  const offer = deflate === null ? undefined : parseExtensionHeader(buildOffer(deflate));
  const offered = offer !== undefined && offer.ok ? offer.offers : [];
  const state: ClientState = { key: '', protocols, redirects: 0, request: null, timer: null };
  (ws as unknown as Record<symbol, ClientState>)[kClient] = state;
  ws._url = url.href;
  // Validates the protocols (throws SyntaxError for a bad or repeated one) before any I/O.
  buildClientRequestHeaders({ key: generateKey(), host: url.host, protocols });

  const abort = (message: string, code = 'WS_ERR_HANDSHAKE_FAILED'): void => {
    if (ws._readyState === ws.CLOSED) return;
    if (state.timer !== null) clearTimeout(state.timer);
    state.request?.destroy();
    state.request = null;
    ws._readyState = ws.CLOSING;
    const error = new WebSocketError(message, code, 1006);
    process.nextTick(() => {
      ws.emitError(error);
      ws.emitClose();
    });
  };
  ws.abortHandshake = (message: string) => abort(message, 'WS_ERR_HANDSHAKE_ABORTED');

  const connect = (target: URL): void => {
    state.key = generateKey();
    const headers = buildClientRequestHeaders({
      key: state.key, host: target.host, origin: options.origin, protocols, headers: options.headers,
      extensions: offered,
    });
    const secure = target.protocol === 'wss:';
    const {
      headers: _h, origin: _o, handshakeTimeout: _t, followRedirects: _f, maxRedirects: _m, perMessageDeflate: _p, ...rest
    } = options;
    const request = (secure ? https : http).request({
      ...rest,
      protocol: secure ? 'https:' : 'http:',
      host: undefined,
      hostname: target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname,
      port: target.port || (secure ? 443 : 80),
      path: `${target.pathname}${target.search}`,
      headers,
      method: 'GET',
    });
    state.request = request;
    request.on('error', (error: Error) => abort(error.message, (error as { code?: string }).code ?? 'WS_ERR_HANDSHAKE_FAILED'));
    request.on('response', (res: http.IncomingMessage) => {
      const location = res.headers.location;
      const status = res.statusCode ?? 0;
      if (followRedirects && location && status >= 300 && status < 400) {
        res.resume();
        request.destroy();
        if (++state.redirects > maxRedirects) return abort('Maximum redirects exceeded', 'WS_ERR_TOO_MANY_REDIRECTS');
        let next: URL;
        try {
          next = parseWebSocketUrl(new URL(location, target.href.replace(/^ws/, 'http')));
        } catch (error) {
          return abort(`Invalid redirect: ${(error as Error).message}`, 'WS_ERR_INVALID_REDIRECT');
        }
        ws._url = next.href;
        return connect(next);
      }
      if (ws.listenerCount('unexpected-response') > 0) {
        ws.emit('unexpected-response', request, res);
        return;
      }
      res.resume();
      abort(`Unexpected server response: ${status}`, 'WS_ERR_UNEXPECTED_RESPONSE');
    });
    request.on('upgrade', (res: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      ws.emit('upgrade', res);
      if (ws._readyState !== ws.CONNECTING) {
        socket.destroy();
        return;
      }
      if (state.timer !== null) clearTimeout(state.timer);
      state.request = null;
      const verdict = verifyServerResponse(
        { statusCode: res.statusCode ?? 0, headers: res.headers },
        { key: state.key, protocols, extensions: offered },
      );
      if (!verdict.ok) {
        socket.destroy();
        return abort(verdict.message, verdict.code);
      }
      if (verdict.extensions.length > 0) {
        const params = verifyAnswer(verdict.extensions, deflate ?? {});
        if (typeof params === 'string') {
          socket.destroy();
          return abort(`Invalid Sec-WebSocket-Extensions header: ${params}`, 'WS_ERR_HANDSHAKE_UNEXPECTED_EXTENSION');
        }
        ws._extensions = String(res.headers['sec-websocket-extensions']);
        ws._deflate = new PerMessageDeflate(params, false, deflate!, connection.maxPayload);
      }
      ws._protocol = verdict.protocol;
      ws._setSocket(socket, head, connection);
      ws.emit('open');
    });
    request.end();
  };

  if (handshakeTimeout > 0) {
    state.timer = setTimeout(() => abort('Opening handshake has timed out', 'WS_ERR_HANDSHAKE_TIMEOUT'), handshakeTimeout);
    state.timer.unref?.();
  }
  connect(url);
}
