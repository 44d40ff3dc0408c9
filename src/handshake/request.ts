/**
 * Server side: validate an HTTP/1.1 Upgrade request (RFC 6455 section 4.2.1).
 *
 *   GET /chat HTTP/1.1                              1. method GET, HTTP/1.1 or later
 *   Upgrade: websocket                              3. token "websocket"
 *   Connection: Upgrade                             4. token "Upgrade"
 *   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==     5. base64 of 16 bytes, once
 *   Sec-WebSocket-Version: 13                       6. exactly 13, once (else 426)
 *   Origin: http://example.com                      7. optional, checked if configured
 *   Sec-WebSocket-Protocol: chat, superchat         8. 1#token, no duplicates
 *   Sec-WebSocket-Extensions: permessage-deflate    9. extension-list
 *
 * Item 2 (Host) is left to the HTTP server (Node answers 400 itself, `requireHostHeader`).
 */
import { rejection, type HandshakeRejection } from './errors.js';
import { parseExtensionHeader, type ExtensionOffer } from './extensions.js';
import { rawHeaderStats, readHeader, type IncomingHeaders } from './headers.js';
import { isValidKey } from './key.js';
import { resolveUpgradeOptions, type ResolvedUpgradeOptions, type UpgradeRequestOptions } from './options.js';
import { listHasToken, parseProtocolHeader, trimOws } from './tokens.js';

/** The parts of Node's `http.IncomingMessage` the handshake reads; plain objects work. */
export interface UpgradeRequestLike {
  readonly method?: string | undefined;
  readonly httpVersion?: string | undefined;
  /** Lower-case names, as Node's `IncomingMessage.headers`. */
  readonly headers: IncomingHeaders;
  /** `[name, value, …]` as received; used to count fields and find repeated ones. */
  readonly rawHeaders?: readonly string[];
}

/** A request that passed validation. */
export interface UpgradeRequestInfo {
  readonly ok: true;
  /** `Sec-WebSocket-Key`, for `acceptKey`. */
  readonly key: string;
  /** `Sec-WebSocket-Version`: always 13. */
  readonly version: number;
  /** Offered subprotocols in the client's order (empty when none). */
  readonly protocols: Set<string>;
  /** Offered extensions in the client's order (empty when none). */
  readonly extensions: ExtensionOffer[];
  /** `Origin`, when sent. */
  readonly origin?: string;
}

export type UpgradeRequestValidation = UpgradeRequestInfo | HandshakeRejection;

/** The only version this library speaks (RFC 6455 section 4.1, item 9). */
export const WEBSOCKET_VERSION = '13';

const WATCHED = ['sec-websocket-key', 'sec-websocket-version'] as const;

/** `HTTP-version = "HTTP/" DIGIT "." DIGIT` as Node reports it (`"1.1"`); at least 1.1? */
function isHttp11OrLater(version: unknown): boolean {
  if (typeof version !== 'string') return false;
  const dot = version.indexOf('.');
  if (dot <= 0 || dot === version.length - 1) return false;
  let major = 0;
  let minor = 0;
  for (let i = 0; i < version.length; i++) {
    if (i === dot) continue;
    const d = version.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return false;
    if (i < dot) major = Math.min(major * 10 + d, 1000);
    else minor = Math.min(minor * 10 + d, 1000);
  }
  return major > 1 || (major === 1 && minor >= 1);
}

/**
 * Validates an upgrade request. Never throws for any `req` (it only throws for invalid
 * `options`; pass the result of `resolveUpgradeOptions` to validate those once).
 *
 * Statuses: 431 (too many / too large headers), 405 with `Allow: GET`, 400, 426 with
 * `Sec-WebSocket-Version: 13`, 403 (origin). Checks run in the RFC's order after the
 * header limits, which are checked first because they bound the work of the others.
 */
export function validateUpgradeRequest(
  req: UpgradeRequestLike,
  options?: UpgradeRequestOptions | ResolvedUpgradeOptions,
): UpgradeRequestValidation {
  const opts = resolveUpgradeOptions(options);
  const r: Partial<UpgradeRequestLike> = typeof req === 'object' && req !== null ? req : {};
  const headers: unknown = r.headers;

  const stats = rawHeaderStats(r.rawHeaders, headers, WATCHED);
  if (stats.count > opts.maxHeaderCount) {
    // ws CVE-2024-37890: past Node's maxHeadersCount, fields silently vanish from
    // `headers`; bounding the count here answers before relying on any of them.
    return rejection(431, 'WS_ERR_HANDSHAKE_TOO_MANY_HEADERS', `Too many header fields: ${stats.count}, the limit is ${opts.maxHeaderCount}`);
  }
  if (stats.bytes > opts.maxHeaderBytes) {
    return rejection(431, 'WS_ERR_HANDSHAKE_HEADERS_TOO_LARGE', `Header fields too large: ${stats.bytes} bytes, the limit is ${opts.maxHeaderBytes}`);
  }

  // 1. "The method of the request MUST be GET". RFC 6455 section 4.2.1 suggests 400 for
  // any mismatch, but 405 is the precise status (RFC 9110 section 15.5.6: the method is
  // known but not allowed here) and MUST come with `Allow`; ws answers 405 too.
  if (r.method !== 'GET') {
    return rejection(405, 'WS_ERR_HANDSHAKE_INVALID_METHOD', 'Invalid HTTP method: the WebSocket handshake must use GET', { Allow: 'GET' });
  }
  // 1. "... and the HTTP version MUST be at least 1.1" (RFC 6455 section 4.1, item 2).
  if (!isHttp11OrLater(r.httpVersion)) {
    return rejection(400, 'WS_ERR_HANDSHAKE_INVALID_HTTP_VERSION', 'Invalid HTTP version: the WebSocket handshake needs HTTP/1.1 or later');
  }
  // 3. Upgrade contains "websocket", ASCII case-insensitive.
  const upgrade = readHeader(headers, 'upgrade');
  if (upgrade === undefined || !listHasToken(upgrade.value, 'websocket')) {
    return rejection(400, 'WS_ERR_HANDSHAKE_MISSING_UPGRADE', 'Missing or invalid Upgrade header: expected the token "websocket"');
  }
  // 4. Connection contains the token "Upgrade", ASCII case-insensitive.
  const connection = readHeader(headers, 'connection');
  if (connection === undefined || !listHasToken(connection.value, 'upgrade')) {
    return rejection(400, 'WS_ERR_HANDSHAKE_MISSING_CONNECTION', 'Missing or invalid Connection header: expected the token "Upgrade"');
  }
  // 5. Sec-WebSocket-Key, once, base64 of 16 bytes.
  const key = readHeader(headers, 'sec-websocket-key');
  const keyCount = Math.max(stats.occurrences[0]!, key?.count ?? 0);
  if (keyCount > 1) {
    return rejection(400, 'WS_ERR_HANDSHAKE_DUPLICATE_HEADER', `Sec-WebSocket-Key header appears ${keyCount} times, it must appear once`);
  }
  if (key === undefined) {
    return rejection(400, 'WS_ERR_HANDSHAKE_INVALID_KEY', 'Missing Sec-WebSocket-Key header');
  }
  const keyValue = trimOws(key.value);
  if (!isValidKey(keyValue)) {
    return rejection(400, 'WS_ERR_HANDSHAKE_INVALID_KEY', 'Invalid Sec-WebSocket-Key header: must be the canonical base64 of 16 bytes (24 characters ending in "==")');
  }
  // 6. Sec-WebSocket-Version: 13; otherwise 426 naming the version we speak
  // (RFC 6455 section 4.2.2, item 4). A repeated field is malformed, not a version: 400.
  const version = readHeader(headers, 'sec-websocket-version');
  const versionCount = Math.max(stats.occurrences[1]!, version?.count ?? 0);
  if (versionCount > 1) {
    return rejection(400, 'WS_ERR_HANDSHAKE_DUPLICATE_HEADER', `Sec-WebSocket-Version header appears ${versionCount} times, it must appear once`);
  }
  if (version === undefined || trimOws(version.value) !== WEBSOCKET_VERSION) {
    const what = version === undefined ? 'Missing Sec-WebSocket-Version header' : 'Unsupported Sec-WebSocket-Version';
    return rejection(426, 'WS_ERR_HANDSHAKE_INVALID_VERSION', `${what}: this server speaks version 13`, { 'Sec-WebSocket-Version': WEBSOCKET_VERSION });
  }
  // 7. Origin: optional for non-browser clients; when the server restricts it, anything
  // else is 403 (RFC 6455 section 10.2).
  const origin = readHeader(headers, 'origin');
  if (opts.allowedOrigins !== undefined && (origin === undefined || !opts.allowedOrigins.has(origin.value))) {
    const what = origin === undefined ? 'Missing Origin header' : 'Origin not allowed';
    return rejection(403, 'WS_ERR_HANDSHAKE_ORIGIN_NOT_ALLOWED', `${what}: this server accepts only its configured origins`);
  }
  // 8. Sec-WebSocket-Protocol = 1#token. Repeated fields were joined with ", " by Node,
  // which is the same list (RFC 7230 section 3.2.2).
  let protocols = new Set<string>();
  const protocolHeader = readHeader(headers, 'sec-websocket-protocol');
  if (protocolHeader !== undefined) {
    const parsed = parseProtocolHeader(protocolHeader.value);
    if (!parsed.ok) return rejection(400, parsed.code, parsed.message);
    protocols = parsed.protocols;
  }
  // 9. Sec-WebSocket-Extensions = extension-list.
  let extensions: ExtensionOffer[] = [];
  const extensionHeader = readHeader(headers, 'sec-websocket-extensions');
  if (extensionHeader !== undefined) {
    const parsed = parseExtensionHeader(extensionHeader.value);
    if (!parsed.ok) return rejection(400, parsed.code, parsed.message);
    extensions = parsed.offers;
  }

  const info = { ok: true as const, key: keyValue, version: 13, protocols, extensions };
  return origin === undefined ? info : { ...info, origin: origin.value };
}
