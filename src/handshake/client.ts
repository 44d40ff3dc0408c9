/**
 * Client side: the request headers (RFC 6455 section 4.1, items 1–11) and the checks on
 * the server's answer (section 4.1, the numbered list after "the client MUST validate").
 */
import { failure, quoteToken, usageError, type HandshakeFailure } from './errors.js';
import { formatExtensionHeader, parseExtensionHeader, type ExtensionOffer } from './extensions.js';
import { outgoingHeaderPairs, readHeader, type IncomingHeaders, type OutgoingHeaders } from './headers.js';
import { acceptKey, isValidKey } from './key.js';
import { equalsLowerAscii, isFieldValue, isToken, listHasToken, trimOws } from './tokens.js';

export interface ClientRequestParts {
  /** `Sec-WebSocket-Key`, from `generateKey()`. */
  readonly key: string;
  /** `Host`: the server's authority, `host[:port]` (RFC 6455 section 4.1, item 4). */
  readonly host: string;
  /** `Origin`, for browser-like clients (item 8). Default: not sent. */
  readonly origin?: string | undefined;
  /** Subprotocols in order of preference (item 10). A single string means one. Default: none. */
  readonly protocols?: string | readonly string[] | undefined;
  /** Extension offers (item 11), formatted with `formatExtensionHeader`. Default: none. */
  readonly extensions?: readonly ExtensionOffer[] | undefined;
  /**
   * Extra headers. A name that the handshake sets (case-insensitively: Host, Origin when
   * `origin` is given, Upgrade, Connection, Sec-WebSocket-*) is dropped, as ws does.
   */
  readonly headers?: OutgoingHeaders | undefined;
}

const HANDSHAKE_OWNED = ['host', 'upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions'];

/** Validates the constructor's subprotocols like the WHATWG `WebSocket` constructor (step 6). */
function checkProtocols(protocols: string | readonly string[] | undefined): readonly string[] {
  if (protocols === undefined) return [];
  const list: readonly unknown[] = typeof protocols === 'string' ? [protocols] : protocols;
  const seen = new Set<string>();
  for (const protocol of list) {
    if (typeof protocol !== 'string' || !isToken(protocol)) {
      throw usageError(SyntaxError, 'WS_ERR_INVALID_SUBPROTOCOL', 'An invalid or duplicated subprotocol was specified: subprotocols must be RFC 7230 tokens');
    }
    if (seen.has(protocol)) {
      throw usageError(SyntaxError, 'WS_ERR_INVALID_SUBPROTOCOL', `An invalid or duplicated subprotocol was specified: ${quoteToken(protocol)} is duplicated`);
    }
    seen.add(protocol);
  }
  return list as readonly string[];
}

function checkValue(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || !isFieldValue(value)) {
    throw usageError(TypeError, 'WS_ERR_INVALID_HEADER_VALUE', `${what} must be a non-empty string of visible ASCII (no CR, LF or NUL)`);
  }
  return value;
}

/**
 * Headers for `http.request` (a null-prototype object, so a header named `__proto__`
 * is just a header).
 *
 * @throws {SyntaxError} `WS_ERR_INVALID_SUBPROTOCOL` for a non-token or repeated subprotocol
 * @throws {TypeError} `WS_ERR_INVALID_KEY`, `WS_ERR_INVALID_HEADER_VALUE`,
 *   `WS_ERR_INVALID_HEADER_NAME`, `WS_ERR_INVALID_EXTENSION`
 */
export function buildClientRequestHeaders(parts: ClientRequestParts): Record<string, string> {
  if (typeof parts.key !== 'string' || !isValidKey(parts.key)) {
    throw usageError(TypeError, 'WS_ERR_INVALID_KEY', 'key must be the base64 of 16 bytes, from generateKey()');
  }
  const protocols = checkProtocols(parts.protocols);
  const owned = new Set(HANDSHAKE_OWNED);
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  out['Host'] = checkValue(parts.host, 'host');
  if (parts.origin !== undefined) {
    out['Origin'] = checkValue(parts.origin, 'origin');
    owned.add('origin');
  }
  out['Upgrade'] = 'websocket';
  out['Connection'] = 'Upgrade';
  out['Sec-WebSocket-Key'] = parts.key;
  out['Sec-WebSocket-Version'] = '13';
  if (protocols.length > 0) out['Sec-WebSocket-Protocol'] = protocols.join(', ');
  if (parts.extensions !== undefined && parts.extensions.length > 0) {
    out['Sec-WebSocket-Extensions'] = formatExtensionHeader(parts.extensions);
  }
  for (const [name, value] of outgoingHeaderPairs(parts.headers, new Set())) {
    if (owned.has(name.toLowerCase())) continue;
    // Repeated fields become one list value (RFC 7230 section 3.2.2).
    out[name] = Object.hasOwn(out, name) ? `${out[name]}, ${value}` : value;
  }
  return out;
}

/** What the client sent, to check the answer against. */
export interface ClientHandshakeOffer {
  readonly key: string;
  /** Subprotocols offered. Default: none. */
  readonly protocols?: readonly string[] | undefined;
  /** Extensions offered (only names are compared here). Default: none. */
  readonly extensions?: readonly ExtensionOffer[] | undefined;
}

/** The parts of Node's `IncomingMessage` (the `'upgrade'`/`'response'` one) that are read. */
export interface ServerResponseLike {
  readonly statusCode?: number | undefined;
  readonly headers: IncomingHeaders;
}

export type ServerResponseVerification =
  | { readonly ok: true; readonly protocol: string; readonly extensions: ExtensionOffer[] }
  | HandshakeFailure;

/**
 * Checks the server's answer (RFC 6455 section 4.1, "the client MUST validate", 1–6).
 * Never throws. `protocol` is `''` when the server selected none, which is allowed even
 * when some were offered (the RFC and WHATWG allow it; ws fails it).
 */
export function verifyServerResponse(res: ServerResponseLike, offer: ClientHandshakeOffer): ServerResponseVerification {
  const r: Partial<ServerResponseLike> = typeof res === 'object' && res !== null ? res : {};
  const o: Partial<ClientHandshakeOffer> = typeof offer === 'object' && offer !== null ? offer : {};
  const headers: unknown = r.headers;
  // 1. Status 101; anything else is an HTTP answer, not a WebSocket one.
  if (r.statusCode !== 101) {
    return failure('WS_ERR_HANDSHAKE_UNEXPECTED_STATUS', `Unexpected server response: ${typeof r.statusCode === 'number' ? r.statusCode : 'no status'}`);
  }
  // 2. Upgrade: an ASCII case-insensitive match for "websocket" (the whole value).
  const upgrade = readHeader(headers, 'upgrade');
  const upgradeValue = upgrade === undefined || upgrade.count !== 1 ? '' : trimOws(upgrade.value);
  if (upgradeValue.length !== 9 || !equalsLowerAscii(upgradeValue, 0, 'websocket')) {
    return failure('WS_ERR_HANDSHAKE_MISSING_UPGRADE', 'Missing or invalid Upgrade header in the response: expected "websocket"');
  }
  // 3. Connection: contains the token "Upgrade".
  const connection = readHeader(headers, 'connection');
  if (connection === undefined || !listHasToken(connection.value, 'upgrade')) {
    return failure('WS_ERR_HANDSHAKE_MISSING_CONNECTION', 'Missing or invalid Connection header in the response: expected the token "Upgrade"');
  }
  // 4. Sec-WebSocket-Accept: base64(SHA-1(key + GUID)), exactly once.
  const accept = readHeader(headers, 'sec-websocket-accept');
  if (typeof o.key !== 'string' || accept === undefined || accept.count !== 1 || trimOws(accept.value) !== acceptKey(o.key)) {
    return failure('WS_ERR_HANDSHAKE_INVALID_ACCEPT', 'Missing or invalid Sec-WebSocket-Accept header');
  }
  // 5. Extensions: only ones offered, each at most once.
  let extensions: ExtensionOffer[] = [];
  const extensionHeader = readHeader(headers, 'sec-websocket-extensions');
  if (extensionHeader !== undefined) {
    const parsed = parseExtensionHeader(extensionHeader.value);
    if (!parsed.ok) return parsed;
    const offered = new Set(Array.isArray(o.extensions) ? o.extensions.map((e: ExtensionOffer) => e.name) : []);
    const accepted = new Set<string>();
    for (const extension of parsed.offers) {
      if (!offered.has(extension.name)) {
        return failure('WS_ERR_HANDSHAKE_UNEXPECTED_EXTENSION', `Server accepted extension ${quoteToken(extension.name)}, which was not offered`);
      }
      if (accepted.has(extension.name)) {
        return failure('WS_ERR_HANDSHAKE_UNEXPECTED_EXTENSION', `Server accepted extension ${quoteToken(extension.name)} more than once`);
      }
      accepted.add(extension.name);
    }
    extensions = parsed.offers;
  }
  // 6. Subprotocol: absent, or exactly one of the offered values.
  const protocolHeader = readHeader(headers, 'sec-websocket-protocol');
  if (protocolHeader === undefined) return { ok: true, protocol: '', extensions };
  const offeredProtocols: readonly unknown[] = Array.isArray(o.protocols) ? o.protocols : [];
  const protocol = trimOws(protocolHeader.value);
  if (offeredProtocols.length === 0) {
    return failure('WS_ERR_HANDSHAKE_UNEXPECTED_PROTOCOL', 'Server sent a subprotocol but none was offered');
  }
  if (protocolHeader.count !== 1 || !offeredProtocols.includes(protocol)) {
    return failure('WS_ERR_HANDSHAKE_UNEXPECTED_PROTOCOL', 'Server sent a subprotocol that was not offered');
  }
  return { ok: true, protocol, extensions };
}
