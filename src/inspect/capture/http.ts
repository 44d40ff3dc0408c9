// The opening handshake in a reassembled TCP stream (RFC 6455 section 4): the client's
// `GET … Upgrade: websocket` request and the server's `101 Switching Protocols`, and the
// permessage-deflate parameters the response accepted (RFC 7692 section 7.1).
import { parseExtensionHeader } from '../../handshake/extensions.js';
import type { DeflateParams } from '../types.js';

export interface HttpHead {
  /** 'GET /echo HTTP/1.1' or 'HTTP/1.1 101 Switching Protocols'. */
  readonly startLine: string;
  /** Lower-cased names; repeated headers joined with ', '. */
  readonly headers: Record<string, string>;
  /** Offset of the head in the stream, and one past its blank line. */
  readonly start: number;
  readonly end: number;
}

export interface Handshake {
  readonly request?: HttpHead;
  readonly response?: HttpHead;
  /** Status code of the response. */
  readonly status?: number;
  /** Deflate parameters for each sender, when permessage-deflate was accepted. */
  readonly deflate?: { client: DeflateParams; server: DeflateParams };
}

const latin1 = new TextDecoder('latin1');
const MAX_HEAD = 64 * 1024;

function indexOfBlankLine(bytes: Uint8Array, from: number): number {
  const limit = Math.min(bytes.length, from + MAX_HEAD);
  for (let i = from; i + 3 < limit; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i + 4;
  }
  return -1;
}

/** Reads an HTTP/1.x head at `start`, or undefined when there is none (or it never ends). */
export function readHead(bytes: Uint8Array, start = 0): HttpHead | undefined {
  const end = indexOfBlankLine(bytes, start);
  if (end < 0) return undefined;
  const lines = latin1.decode(bytes.subarray(start, end - 4)).split('\r\n');
  const startLine = lines[0];
  if (!/^(?:[A-Z]+ \S+ HTTP\/1\.\d|HTTP\/1\.\d \d{3})/.test(startLine)) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { startLine, headers, start, end };
}

/** True when the bytes start like an HTTP request or response. */
export function looksLikeHttp(bytes: Uint8Array): boolean {
  const head = latin1.decode(bytes.subarray(0, 8));
  return /^(GET|POST|PUT|HEAD|OPTIONS|DELETE|PATCH|CONNECT) /.test(head) || head.startsWith('HTTP/1.');
}

function hasToken(value: string | undefined, token: string): boolean {
  return value !== undefined && value.toLowerCase().split(',').some((t) => t.trim() === token);
}

/** The first request in `client` that asks to upgrade to WebSocket (earlier GETs skipped). */
export function findUpgradeRequest(client: Uint8Array): HttpHead | undefined {
  let at = 0;
  for (let i = 0; i < 100 && at < client.length; i++) {
    const head = readHead(client, at);
    if (head === undefined) return undefined;
    if (hasToken(head.headers.upgrade, 'websocket')) return head;
    at = head.end + Number(head.headers['content-length'] ?? 0);
  }
  return undefined;
}

/** The response that answers the upgrade: the 101, or the final (>= 200) refusal; 1xx others skipped. */
export function findUpgradeResponse(server: Uint8Array): HttpHead | undefined {
  let at = 0;
  for (let i = 0; i < 100 && at < server.length; i++) {
    const head = readHead(server, at);
    if (head === undefined) return undefined;
    const status = Number(head.startLine.split(' ')[1]);
    if (status === 101 || status >= 200) return head;
    at = head.end + Number(head.headers['content-length'] ?? 0);
  }
  return undefined;
}

/** The permessage-deflate parameters a 101 response accepted, per sender. */
export function deflateFromResponse(value: string | undefined): { client: DeflateParams; server: DeflateParams } | undefined {
  if (value === undefined) return undefined;
  const parsed = parseExtensionHeader(value);
  if (!parsed.ok) return undefined;
  const offer = parsed.offers.find((o) => o.name === 'permessage-deflate');
  if (offer === undefined) return undefined;
  const bits = (name: string): number | undefined => {
    const v = offer.params.get(name);
    return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
  };
  const side = (prefix: 'client' | 'server'): DeflateParams => {
    const p: DeflateParams = { noContextTakeover: offer.params.has(`${prefix}_no_context_takeover`) };
    const b = bits(`${prefix}_max_window_bits`);
    if (b !== undefined) p.maxWindowBits = b;
    return p;
  };
  return { client: side('client'), server: side('server') };
}

/** The handshake of one connection, from the start of each direction's stream. */
export function readHandshake(client: Uint8Array, server: Uint8Array): Handshake {
  const request = findUpgradeRequest(client);
  const response = request === undefined ? undefined : findUpgradeResponse(server);
  const status = response === undefined ? undefined : Number(response.startLine.split(' ')[1]);
  const deflate = status === 101 ? deflateFromResponse(response?.headers['sec-websocket-extensions']) : undefined;
  return {
    ...(request ? { request } : {}), ...(response ? { response } : {}),
    ...(status !== undefined ? { status } : {}), ...(deflate ? { deflate } : {}),
  };
}
