/**
 * Reading incoming header objects defensively and writing outgoing header lines safely.
 *
 * Incoming: only own properties count (a polluted `Object.prototype.origin` must not
 * become an Origin header), and `rawHeaders` is the source of truth for counting, because
 * Node joins repeated fields with ", " or drops them from `headers`.
 * Outgoing: names must be tokens and values VCHAR/SP/HTAB, so no header can inject lines.
 */
import { usageError } from './errors.js';
import { equalsLowerAscii, isFieldValue, isToken } from './tokens.js';

/** Incoming headers as Node's `IncomingMessage.headers` has them: lower-case names. */
export type IncomingHeaders = { readonly [name: string]: string | readonly string[] | undefined };

/** Outgoing extra headers: a value per name, an array for a repeated field. */
export type OutgoingHeaders = { readonly [name: string]: string | number | readonly string[] };

export interface HeaderField {
  /** The field value, OWS-trimmed by Node; repeated fields joined with ", " (RFC 7230 section 3.2.2). */
  readonly value: string;
  /** How many values the `headers` object held for the name (an array means repeated). */
  readonly count: number;
}

/** Reads `name` (lower-case) from a headers object; `undefined` when absent or unusable. */
export function readHeader(headers: unknown, name: string): HeaderField | undefined {
  if (typeof headers !== 'object' || headers === null || !Object.hasOwn(headers, name)) return undefined;
  const value: unknown = (headers as Record<string, unknown>)[name];
  if (typeof value === 'string') return { value, count: 1 };
  if (Array.isArray(value)) {
    const parts = value.filter((v): v is string => typeof v === 'string');
    return parts.length === 0 ? undefined : { value: parts.join(', '), count: parts.length };
  }
  return undefined;
}

export interface RawHeaderStats {
  /** Number of header fields. */
  readonly count: number;
  /** Bytes of the header lines, `name: value\r\n` each. */
  readonly bytes: number;
  /** Occurrences of each watched name, in the order of `watch`. */
  readonly occurrences: number[];
}

/**
 * Counts fields and bytes from `rawHeaders` (`[name, value, name, value, …]`), and how
 * often each lower-case name in `watch` occurs. Without a usable `rawHeaders`, counts the
 * `headers` object instead (plain objects in tests, or a caller that built its own).
 */
export function rawHeaderStats(rawHeaders: unknown, headers: unknown, watch: readonly string[]): RawHeaderStats {
  const occurrences = watch.map(() => 0);
  let count = 0;
  let bytes = 0;
  const visit = (name: string, value: string): void => {
    count++;
    bytes += name.length + value.length + 4;
    for (let w = 0; w < watch.length; w++) {
      const watched = watch[w]!;
      if (name.length === watched.length && equalsLowerAscii(name, 0, watched)) occurrences[w]!++;
    }
  };
  if (Array.isArray(rawHeaders)) {
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name: unknown = rawHeaders[i];
      const value: unknown = rawHeaders[i + 1];
      visit(typeof name === 'string' ? name : '', typeof value === 'string' ? value : '');
    }
  } else if (typeof headers === 'object' && headers !== null) {
    for (const name of Object.keys(headers)) {
      const value: unknown = (headers as Record<string, unknown>)[name];
      if (Array.isArray(value)) for (const v of value) visit(name, typeof v === 'string' ? v : '');
      else visit(name, typeof value === 'string' ? value : '');
    }
  }
  return { count, bytes, occurrences };
}

/**
 * Validates application-supplied extra headers and returns them as `[name, value]` pairs
 * (an array value gives one pair per element).
 *
 * @param reserved lower-case names the caller sets itself; supplying one throws
 * @throws {TypeError} `WS_ERR_INVALID_HEADER_NAME`, `WS_ERR_INVALID_HEADER_VALUE`, `WS_ERR_RESERVED_HEADER`
 */
export function outgoingHeaderPairs(headers: OutgoingHeaders | undefined, reserved: ReadonlySet<string>): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (headers === undefined) return pairs;
  if (typeof headers !== 'object' || headers === null) {
    throw usageError(TypeError, 'WS_ERR_INVALID_HEADER_VALUE', 'headers must be an object');
  }
  for (const name of Object.keys(headers)) {
    if (!isToken(name)) {
      throw usageError(TypeError, 'WS_ERR_INVALID_HEADER_NAME', `Header name ${JSON.stringify(name.slice(0, 64))} is not an RFC 7230 token`);
    }
    if (reserved.has(name.toLowerCase())) {
      throw usageError(TypeError, 'WS_ERR_RESERVED_HEADER', `Header "${name}" is set by the handshake and cannot be supplied`);
    }
    const value: unknown = headers[name];
    const values: unknown[] = Array.isArray(value) ? value : [value];
    for (const v of values) {
      const text = typeof v === 'number' && Number.isFinite(v) ? String(v) : v;
      if (typeof text !== 'string' || !isFieldValue(text)) {
        throw usageError(TypeError, 'WS_ERR_INVALID_HEADER_VALUE', `Invalid value for header "${name}": expected a string of visible ASCII, space or tab (no CR, LF or NUL)`);
      }
      pairs.push([name, text]);
    }
  }
  return pairs;
}
