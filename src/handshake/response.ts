/**
 * Server side: the bytes of the handshake answer (RFC 6455 section 4.2.2), accept or reject.
 *
 *   HTTP/1.1 101 Switching Protocols\r\n
 *   Upgrade: websocket\r\n
 *   Connection: Upgrade\r\n
 *   Sec-WebSocket-Accept: s3pPLMBiTxaeg3w4d1jsgsfvm7k=\r\n
 *   Sec-WebSocket-Protocol: chat\r\n              (when one was selected)
 *   Sec-WebSocket-Extensions: …\r\n               (when some were accepted)
 *   …extra headers…\r\n
 *   \r\n
 *
 * The line order matches ws's, byte for byte, when no extra headers are given.
 */
import { STATUS_CODES } from 'node:http';
import { usageError } from './errors.js';
import { formatExtensionHeader, type ExtensionOffer } from './extensions.js';
import { outgoingHeaderPairs, type OutgoingHeaders } from './headers.js';
import { isFieldValue, isToken } from './tokens.js';

export interface AcceptResponseParts {
  /** `Sec-WebSocket-Accept`, from `acceptKey(key)`. */
  readonly accept: string;
  /** The selected subprotocol (from `selectProtocol`); omitted or `''` for none. */
  readonly protocol?: string | undefined;
  /** The accepted extensions with their response parameters; omitted or empty for none. */
  readonly extensions?: readonly ExtensionOffer[] | undefined;
  /** Extra headers; may not repeat the handshake's own or `Content-Length`/`Transfer-Encoding`. */
  readonly headers?: OutgoingHeaders | undefined;
}

const ACCEPT_RESERVED = new Set([
  'upgrade',
  'connection',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  // A 101 has no body (RFC 9110 section 8.6: no Content-Length in a 1xx).
  'content-length',
  'transfer-encoding',
]);

/**
 * The complete `101 Switching Protocols` response, ready for `socket.write`.
 *
 * @throws {TypeError} `WS_ERR_INVALID_HEADER_VALUE` (bad accept value or extra header
 *   value), `WS_ERR_INVALID_HEADER_NAME`, `WS_ERR_RESERVED_HEADER`,
 *   `WS_ERR_INVALID_SUBPROTOCOL` (protocol not a token), `WS_ERR_INVALID_EXTENSION`
 */
export function buildAcceptResponse(parts: AcceptResponseParts): string {
  const { accept, protocol, extensions, headers } = parts;
  if (typeof accept !== 'string' || accept.length === 0 || !isFieldValue(accept)) {
    throw usageError(TypeError, 'WS_ERR_INVALID_HEADER_VALUE', 'accept must be the Sec-WebSocket-Accept value from acceptKey()');
  }
  let text = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n`;
  if (protocol !== undefined && protocol !== '') {
    if (typeof protocol !== 'string' || !isToken(protocol)) {
      throw usageError(TypeError, 'WS_ERR_INVALID_SUBPROTOCOL', 'protocol must be an RFC 7230 token offered by the client');
    }
    text += `Sec-WebSocket-Protocol: ${protocol}\r\n`;
  }
  if (extensions !== undefined && extensions.length > 0) {
    text += `Sec-WebSocket-Extensions: ${formatExtensionHeader(extensions)}\r\n`;
  }
  for (const [name, value] of outgoingHeaderPairs(headers, ACCEPT_RESERVED)) text += `${name}: ${value}\r\n`;
  return `${text}\r\n`;
}

const REJECT_RESERVED = new Set(['connection', 'content-length', 'transfer-encoding']);

/**
 * A complete error response that closes the connection, ready for `socket.end`:
 * `Connection: close`, `Content-Type: text/plain; charset=utf-8` (unless `headers`
 * supplies a Content-Type), `Content-Length`, then `headers` (e.g. a rejection's `Allow`
 * or `Sec-WebSocket-Version`), then `message` as the body. Write it as UTF-8 (the default).
 *
 * @param status 300–599 except 304 (a response that carries a body)
 * @param message body text; default: the reason phrase from `node:http` `STATUS_CODES`
 * @throws {RangeError} `WS_ERR_INVALID_STATUS`
 * @throws {TypeError} `WS_ERR_INVALID_HEADER_NAME`, `WS_ERR_INVALID_HEADER_VALUE`, `WS_ERR_RESERVED_HEADER`
 */
export function buildRejectResponse(status: number, message?: string, headers?: OutgoingHeaders): string {
  if (!Number.isInteger(status) || status < 300 || status > 599 || status === 304) {
    throw usageError(RangeError, 'WS_ERR_INVALID_STATUS', `status must be an integer from 300 to 599 other than 304, got ${String(status)}`);
  }
  if (message !== undefined && typeof message !== 'string') {
    throw usageError(TypeError, 'WS_ERR_INVALID_HEADER_VALUE', 'message must be a string');
  }
  // reason-phrase is optional (RFC 9112 section 4); Node knows the registered ones.
  const reason = STATUS_CODES[status] ?? '';
  const body = message ?? (reason || `HTTP ${status}`);
  const extra = outgoingHeaderPairs(headers, REJECT_RESERVED);
  let text = `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\n`;
  if (!extra.some(([name]) => name.toLowerCase() === 'content-type')) text += 'Content-Type: text/plain; charset=utf-8\r\n';
  text += `Content-Length: ${Buffer.byteLength(body, 'utf8')}\r\n`;
  for (const [name, value] of extra) text += `${name}: ${value}\r\n`;
  return `${text}\r\n${body}`;
}
