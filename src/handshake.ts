/**
 * Layer 4 of ARCHITECTURE.md: the HTTP/1.1 Upgrade handshake (RFC 6455 section 4), as
 * pure functions over parsed requests and responses. No sockets here.
 *
 *   client                                             server
 *   generateKey()
 *   buildClientRequestHeaders() ── GET, Upgrade ──►    validateUpgradeRequest(req)
 *                                                        ├─ fail → buildRejectResponse(status, message, headers)
 *                                                        └─ ok   → selectProtocol(), negotiate extensions,
 *   verifyServerResponse(res) ◄── 101 + Accept ─────       buildAcceptResponse({ accept: acceptKey(key), … })
 *
 * Peer input never throws: failures are values with stable `WS_ERR_HANDSHAKE_*` codes.
 * Invalid application arguments (header injection attempts, bad subprotocols, bad
 * options) throw errors carrying a `WS_ERR_*` code, as Node's `setHeader` does.
 */
export type {
  HandshakeErrorCode,
  HandshakeFailure,
  HandshakeRejection,
  HandshakeUsageErrorCode,
  ParseFailure,
  UsageError,
} from './handshake/errors.js';
export { parseTokenList, parseProtocolHeader, isToken } from './handshake/tokens.js';
export type { ProtocolHeaderResult, TokenListResult } from './handshake/tokens.js';
export { parseExtensionHeader, formatExtensionHeader } from './handshake/extensions.js';
export type { ExtensionHeaderResult, ExtensionOffer } from './handshake/extensions.js';
export type { IncomingHeaders, OutgoingHeaders } from './handshake/headers.js';
export { acceptKey, generateKey, isValidKey, WEBSOCKET_GUID } from './handshake/key.js';
export { DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_HEADER_COUNT, resolveUpgradeOptions } from './handshake/options.js';
export type { ResolvedUpgradeOptions, UpgradeRequestOptions } from './handshake/options.js';
export { validateUpgradeRequest, WEBSOCKET_VERSION } from './handshake/request.js';
export type { UpgradeRequestInfo, UpgradeRequestLike, UpgradeRequestValidation } from './handshake/request.js';
export { selectProtocol } from './handshake/protocol.js';
export type { HandleProtocols } from './handshake/protocol.js';
export { buildAcceptResponse, buildRejectResponse } from './handshake/response.js';
export type { AcceptResponseParts } from './handshake/response.js';
export { buildClientRequestHeaders, verifyServerResponse } from './handshake/client.js';
export type { ClientHandshakeOffer, ClientRequestParts, ServerResponseLike, ServerResponseVerification } from './handshake/client.js';
