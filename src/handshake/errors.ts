/**
 * Error codes and result shapes of the handshake layer (ARCHITECTURE.md layer 4).
 *
 * Peer input never throws: every check returns a {@link HandshakeFailure} with a stable
 * `WS_ERR_*` code and a message naming what was wrong. Only programming errors in
 * application-supplied arguments (a header value with CR/LF, an invalid subprotocol
 * passed to the client) throw, like Node's own `setHeader`.
 */

/** Stable codes for handshake failures; tests and callers match on these, never on messages. */
export type HandshakeErrorCode =
  | 'WS_ERR_HANDSHAKE_INVALID_METHOD'
  | 'WS_ERR_HANDSHAKE_INVALID_HTTP_VERSION'
  | 'WS_ERR_HANDSHAKE_MISSING_UPGRADE'
  | 'WS_ERR_HANDSHAKE_MISSING_CONNECTION'
  | 'WS_ERR_HANDSHAKE_INVALID_KEY'
  | 'WS_ERR_HANDSHAKE_INVALID_VERSION'
  | 'WS_ERR_HANDSHAKE_DUPLICATE_HEADER'
  | 'WS_ERR_HANDSHAKE_TOO_MANY_HEADERS'
  | 'WS_ERR_HANDSHAKE_HEADERS_TOO_LARGE'
  | 'WS_ERR_HANDSHAKE_INVALID_TOKEN_LIST'
  | 'WS_ERR_HANDSHAKE_INVALID_PROTOCOL_HEADER'
  | 'WS_ERR_HANDSHAKE_INVALID_EXTENSION_HEADER'
  | 'WS_ERR_HANDSHAKE_ORIGIN_NOT_ALLOWED'
  | 'WS_ERR_HANDSHAKE_UNEXPECTED_STATUS'
  | 'WS_ERR_HANDSHAKE_INVALID_ACCEPT'
  | 'WS_ERR_HANDSHAKE_UNEXPECTED_PROTOCOL'
  | 'WS_ERR_HANDSHAKE_UNEXPECTED_EXTENSION';

/** Codes of the errors thrown for invalid application-supplied arguments. */
export type HandshakeUsageErrorCode =
  | 'WS_ERR_INVALID_HEADER_NAME'
  | 'WS_ERR_INVALID_HEADER_VALUE'
  | 'WS_ERR_RESERVED_HEADER'
  | 'WS_ERR_INVALID_STATUS'
  | 'WS_ERR_INVALID_SUBPROTOCOL'
  | 'WS_ERR_INVALID_EXTENSION'
  | 'WS_ERR_INVALID_KEY'
  | 'WS_ERR_INVALID_OPTION';

/** A failed parse of a header value (no HTTP status: the caller decides what it means). */
export interface ParseFailure {
  readonly ok: false;
  readonly code: HandshakeErrorCode;
  readonly message: string;
}

/** A failed server-side validation: the response to send is `status` + `headers`. */
export interface HandshakeRejection extends ParseFailure {
  /** HTTP status for {@link buildRejectResponse}. */
  readonly status: number;
  /** Headers the RFCs require with this status (`Allow`, `Sec-WebSocket-Version`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Alias used by the client-side verification (no status: the client fails the connection). */
export type HandshakeFailure = ParseFailure;

export function failure(code: HandshakeErrorCode, message: string): ParseFailure {
  return { ok: false, code, message };
}

export function rejection(
  status: number,
  code: HandshakeErrorCode,
  message: string,
  headers?: Readonly<Record<string, string>>,
): HandshakeRejection {
  return headers === undefined ? { ok: false, status, code, message } : { ok: false, status, code, message, headers };
}

/** An Error carrying a stable code, thrown only for invalid application arguments. */
export type UsageError = (TypeError | SyntaxError | RangeError) & { readonly code: HandshakeUsageErrorCode };

export function usageError(
  Kind: TypeErrorConstructor | SyntaxErrorConstructor | RangeErrorConstructor,
  code: HandshakeUsageErrorCode,
  message: string,
): UsageError {
  const err = new Kind(message) as TypeError & { code: HandshakeUsageErrorCode };
  err.code = code;
  return err as UsageError;
}

/**
 * Describes one character for an error message without echoing control characters or
 * attacker-chosen text into logs or response bodies.
 */
export function describeChar(code: number): string {
  const hex = `0x${code.toString(16).toUpperCase().padStart(2, '0')}`;
  return code > 0x20 && code < 0x7f ? `'${String.fromCharCode(code)}' (${hex})` : hex;
}

/** Quotes an already-validated token for a message, shortened so a huge header stays a short message. */
export function quoteToken(token: string): string {
  return token.length <= 64 ? `"${token}"` : `"${token.slice(0, 61)}..."`;
}
