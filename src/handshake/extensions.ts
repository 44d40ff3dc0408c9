/**
 * `Sec-WebSocket-Extensions` (RFC 6455 section 9.1, RFC 7230 section 3.2.6 and 7):
 *
 *   extension-list  = 1#extension                   ; OWS "," OWS, empty elements ignored
 *   extension       = token *( OWS ";" OWS param )
 *   param           = token [ "=" ( token / quoted-string ) ]
 *   quoted-string   = DQUOTE *( qdtext / quoted-pair ) DQUOTE
 *
 * RFC 6455 section 9.1 adds that a quoted value, once unescaped, must itself be a token,
 * so a quoted-string is checked character by character as it is read and the parse stops
 * at the first character that cannot be part of a token. One forward pass, every step
 * advances the index: linear time on any input.
 */
import { describeChar, failure, quoteToken, usageError, type ParseFailure } from './errors.js';
import { COMMA, isTchar, isToken, scanToken, skipListSeparators, skipOws } from './tokens.js';

const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

/** One extension offered by a client (or accepted by a server), parameters in order. */
export interface ExtensionOffer {
  /** Extension token, compared case-sensitively (e.g. `permessage-deflate`). */
  readonly name: string;
  /** Parameter name → value (quoted values unescaped), `true` for a parameter without value. */
  readonly params: Map<string, string | true>;
  /**
   * `true` when a parameter name occurred more than once in this offer (only the first
   * value is kept in `params`). Not a syntax error: RFC 7692 section 7 makes it a
   * negotiation matter ("a server MUST decline an extension negotiation offer ... [that]
   * contains multiple extension parameters with the same name"), so the negotiation layer
   * declines such an offer instead of failing the whole handshake.
   */
  readonly duplicateParams?: boolean;
}

export type ExtensionHeaderResult = { readonly ok: true; readonly offers: ExtensionOffer[] } | ParseFailure;

const CODE = 'WS_ERR_HANDSHAKE_INVALID_EXTENSION_HEADER';

function syntaxError(value: string, i: number, expected: string): ParseFailure {
  const found = i < value.length ? `unexpected character ${describeChar(value.charCodeAt(i))}` : 'unexpected end of input';
  return failure(CODE, `Invalid Sec-WebSocket-Extensions header: ${found} at index ${i}, expected ${expected}`);
}

type QuotedResult = { readonly ok: true; readonly text: string; readonly end: number } | ParseFailure;

/**
 * Reads a quoted-string starting at the DQUOTE at `i`; its unescaped text must be a token.
 * Validation allocates nothing; the text is built once, at the closing quote. Every
 * escaped character is a tchar, never a backslash, so unescaping is removing every
 * backslash.
 */
function readQuotedToken(value: string, i: number): QuotedResult {
  const start = ++i;
  let escaped = false;
  while (i < value.length) {
    const c = value.charCodeAt(i);
    if (c === DQUOTE) {
      if (i === start) return syntaxError(value, i, 'a token inside the quoted-string (RFC 6455 section 9.1)');
      const raw = value.slice(start, i);
      return { ok: true, text: escaped ? raw.replaceAll('\\', '') : raw, end: i + 1 };
    }
    if (c === BACKSLASH) {
      // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ); the escaped character must
      // still be a tchar for the unescaped value to be a token.
      if (i + 1 >= value.length) break;
      if (!isTchar(value.charCodeAt(i + 1))) {
        return syntaxError(value, i + 1, 'a token character after the backslash (RFC 6455 section 9.1)');
      }
      escaped = true;
      i += 2;
      continue;
    }
    if (!isTchar(c)) return syntaxError(value, i, 'a token character inside the quoted-string (RFC 6455 section 9.1)');
    i++;
  }
  return failure(CODE, `Invalid Sec-WebSocket-Extensions header: unterminated quoted-string at index ${i}`);
}

/**
 * Parses a `Sec-WebSocket-Extensions` value into offers, in order. Offers of the same
 * extension may repeat (they are alternatives, RFC 6455 section 9.1). Only syntax errors
 * fail; duplicate parameters are flagged on the offer (see {@link ExtensionOffer}).
 */
export function parseExtensionHeader(value: string): ExtensionHeaderResult {
  const offers: ExtensionOffer[] = [];
  let i = 0;
  for (;;) {
    // Empty list elements and the OWS around commas (RFC 7230 section 7).
    i = skipListSeparators(value, i);
    if (i >= value.length) break;

    const nameStart = i;
    i = scanToken(value, i);
    if (i === nameStart) return syntaxError(value, i, 'an extension name');
    const name = value.slice(nameStart, i);
    const params = new Map<string, string | true>();
    let duplicateParams = false;

    i = skipOws(value, i);
    while (i < value.length && value.charCodeAt(i) === SEMICOLON) {
      i = skipOws(value, i + 1);
      const paramStart = i;
      i = scanToken(value, i);
      if (i === paramStart) return syntaxError(value, i, 'a parameter name');
      const paramName = value.slice(paramStart, i);
      let paramValue: string | true = true;
      if (i < value.length && value.charCodeAt(i) === EQUALS) {
        i++;
        if (i < value.length && value.charCodeAt(i) === DQUOTE) {
          const quoted = readQuotedToken(value, i);
          if (!quoted.ok) return quoted;
          paramValue = quoted.text;
          i = quoted.end;
        } else {
          const valueStart = i;
          i = scanToken(value, i);
          if (i === valueStart) return syntaxError(value, i, 'a parameter value');
          paramValue = value.slice(valueStart, i);
        }
      }
      if (params.has(paramName)) duplicateParams = true;
      else params.set(paramName, paramValue);
      i = skipOws(value, i);
    }
    if (i < value.length && value.charCodeAt(i) !== COMMA) return syntaxError(value, i, "';' or ','");
    offers.push({ name, params, duplicateParams });
  }
  if (offers.length === 0) return failure(CODE, 'Invalid Sec-WebSocket-Extensions header: the list is empty');
  return { ok: true, offers };
}

/**
 * Formats offers canonically: `name; param; param=value, name2`. Values are written as
 * bare tokens (RFC 6455 section 9.1 only allows token values, quoted or not), so
 * `parseExtensionHeader(formatExtensionHeader(x))` gives back `x`.
 *
 * @throws {TypeError} code `WS_ERR_INVALID_EXTENSION` when a name or value is not a token
 *   (application input; a peer's header never reaches this function unparsed).
 */
export function formatExtensionHeader(offers: readonly ExtensionOffer[]): string {
  const parts: string[] = [];
  for (const offer of offers) {
    if (!isToken(offer.name)) {
      throw usageError(TypeError, 'WS_ERR_INVALID_EXTENSION', 'Extension names must be RFC 7230 tokens');
    }
    let text = offer.name;
    for (const [name, value] of offer.params) {
      if (!isToken(name)) {
        throw usageError(TypeError, 'WS_ERR_INVALID_EXTENSION', `Parameter names of extension ${quoteToken(offer.name)} must be RFC 7230 tokens`);
      }
      if (value === true) text += `; ${name}`;
      else if (typeof value === 'string' && isToken(value)) text += `; ${name}=${value}`;
      else {
        throw usageError(TypeError, 'WS_ERR_INVALID_EXTENSION', `Parameter ${quoteToken(name)} of extension ${quoteToken(offer.name)} must be true or a token (RFC 6455 section 9.1)`);
      }
    }
    parts.push(text);
  }
  return parts.join(', ');
}
