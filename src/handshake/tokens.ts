/**
 * RFC 7230 lexical rules shared by every handshake header: tokens, OWS, `#rule` lists.
 *
 * Every scanner here is a single forward pass over the input with a table lookup per
 * character, so its cost is linear in the input length whatever the input is: no regular
 * expressions, no backtracking (the ReDoS class of ws CVE-2021-32640 and
 * faye-websocket CVE-2020-7662 cannot happen).
 */
import { describeChar, failure, quoteToken, type HandshakeErrorCode, type ParseFailure } from './errors.js';

export const SP = 0x20;
export const HTAB = 0x09;
export const COMMA = 0x2c;

/**
 * `tchar` of RFC 7230 section 3.2.6:
 * "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
 */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

export function isTchar(code: number): boolean {
  return code < 128 && TCHAR[code] === 1;
}

/** `token = 1*tchar` (RFC 7230 section 3.2.6). */
export function isToken(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) if (!isTchar(value.charCodeAt(i))) return false;
  return true;
}

export function isOws(code: number): boolean {
  return code === SP || code === HTAB;
}

/**
 * Whether `value` may be sent as a header field value: VCHAR / SP / HTAB only
 * (RFC 9110 section 5.5: senders generate US-ASCII; obs-text is for recipients). Excludes
 * CR, LF, NUL and every other control character, so a value can neither end its header
 * line nor start a new one, and the string encodes to the same bytes in UTF-8 and latin1.
 */
export function isFieldValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === HTAB) continue;
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** Removes leading and trailing OWS (RFC 7230 section 3.2.4: not part of the field value). */
export function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isOws(value.charCodeAt(start))) start++;
  while (end > start && isOws(value.charCodeAt(end - 1))) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

/** Advances past OWS from `i`; returns the first index that is not SP or HTAB. */
export function skipOws(value: string, i: number): number {
  while (i < value.length && isOws(value.charCodeAt(i))) i++;
  return i;
}

/** Advances past `1*tchar` from `i`; returns `i` unchanged when there is no token there. */
export function scanToken(value: string, i: number): number {
  while (i < value.length && isTchar(value.charCodeAt(i))) i++;
  return i;
}

/**
 * Skips empty list elements and the OWS around commas (RFC 7230 section 7) from `i`;
 * returns the index of the next element's first character (or the end).
 */
export function skipListSeparators(value: string, i: number): number {
  while (i < value.length) {
    const c = value.charCodeAt(i);
    if (c !== COMMA && !isOws(c)) break;
    i++;
  }
  return i;
}

export type TokenListResult = { readonly ok: true; readonly tokens: string[] } | ParseFailure;

function scanTokenList(value: string, code: HandshakeErrorCode, what: string): TokenListResult {
  // `1#token` (RFC 7230 section 7): elements separated by OWS "," OWS; a recipient
  // MUST accept and ignore empty elements, but at least one element must be present.
  const tokens: string[] = [];
  let i = 0;
  for (;;) {
    i = skipListSeparators(value, i);
    if (i >= value.length) break;
    const start = i;
    i = scanToken(value, i);
    if (i === start) {
      return failure(code, `Invalid ${what}: unexpected character ${describeChar(value.charCodeAt(i))} at index ${i}`);
    }
    tokens.push(value.slice(start, i));
    i = skipOws(value, i);
    if (i < value.length && value.charCodeAt(i) !== COMMA) {
      return failure(code, `Invalid ${what}: unexpected character ${describeChar(value.charCodeAt(i))} at index ${i}`);
    }
  }
  if (tokens.length === 0) return failure(code, `Invalid ${what}: the list is empty`);
  return { ok: true, tokens };
}

/**
 * Parses a comma-separated list of RFC 7230 tokens (`1#token`), keeping order and
 * duplicates. Empty elements and OWS around commas are accepted (RFC 7230 section 7).
 */
export function parseTokenList(value: string): TokenListResult {
  return scanTokenList(value, 'WS_ERR_HANDSHAKE_INVALID_TOKEN_LIST', 'token list');
}

export type ProtocolHeaderResult = { readonly ok: true; readonly protocols: Set<string> } | ParseFailure;

/**
 * Parses `Sec-WebSocket-Protocol = 1#token` (RFC 6455 section 4.1 and 11.3.4) into a Set
 * in the client's order of preference. Subprotocol names are compared case-sensitively;
 * a name offered twice is an error (RFC 6455 section 11.3.4: "the elements ... MUST be
 * ... unique").
 */
export function parseProtocolHeader(value: string): ProtocolHeaderResult {
  const code = 'WS_ERR_HANDSHAKE_INVALID_PROTOCOL_HEADER';
  const list = scanTokenList(value, code, 'Sec-WebSocket-Protocol header');
  if (!list.ok) return list;
  const protocols = new Set<string>();
  for (const protocol of list.tokens) {
    if (protocols.has(protocol)) {
      return failure(code, `Invalid Sec-WebSocket-Protocol header: subprotocol ${quoteToken(protocol)} is duplicated`);
    }
    protocols.add(protocol);
  }
  return { ok: true, protocols };
}

/**
 * Whether a comma-separated header list contains `token` (ASCII case-insensitive, OWS
 * around elements ignored). Other elements are not validated: `Upgrade` elements may carry
 * a version (`h2c/2`), and `Connection` is Node's business; only the token we need counts.
 * `token` must be lower-case.
 */
export function listHasToken(value: string, token: string): boolean {
  let i = 0;
  while (i < value.length) {
    let end = value.indexOf(',', i);
    if (end === -1) end = value.length;
    const start = skipOws(value, i);
    let stop = end;
    while (stop > start && isOws(value.charCodeAt(stop - 1))) stop--;
    if (stop - start === token.length && equalsLowerAscii(value, start, token)) return true;
    i = end + 1;
  }
  return false;
}

/** Compares `value[start…]` to lower-case ASCII `lower`, folding A-Z only. */
export function equalsLowerAscii(value: string, start: number, lower: string): boolean {
  if (value.length - start < lower.length) return false;
  for (let j = 0; j < lower.length; j++) {
    let c = value.charCodeAt(start + j);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== lower.charCodeAt(j)) return false;
  }
  return true;
}
