/**
 * Options of the server-side request validation, merged with defaults and validated once
 * (STYLE.md rule 11): call {@link resolveUpgradeOptions} when the server starts and pass
 * the result to every `validateUpgradeRequest` call.
 */
import { usageError } from './errors.js';

/** Default of {@link UpgradeRequestOptions.maxHeaderCount}. */
export const DEFAULT_MAX_HEADER_COUNT = 100;
/** Default of {@link UpgradeRequestOptions.maxHeaderBytes}: Node's default `--max-http-header-size`. */
export const DEFAULT_MAX_HEADER_BYTES = 16_384;

export interface UpgradeRequestOptions {
  /**
   * Most header fields a request may carry, counted from `rawHeaders` (repeated fields
   * count once each). More → `431 Request Header Fields Too Large` (RFC 6585 section 5).
   * A positive integer or `Infinity`. Default: `100`.
   */
  readonly maxHeaderCount?: number;
  /**
   * Most bytes of header lines (`name: value\r\n` each, request line excluded).
   * More → 431. A positive integer or `Infinity`. Default: `16384`, Node's default
   * `--max-http-header-size`, so behind Node's `http` server it only matters if that
   * limit was raised.
   */
  readonly maxHeaderBytes?: number;
  /**
   * Exact `Origin` values (`scheme://host[:port]`, compared as strings) allowed to
   * connect. When set, a request whose Origin is missing or not listed gets
   * `403 Forbidden` (RFC 6455 section 10.2). Default: `undefined`, any or no Origin.
   */
  readonly allowedOrigins?: readonly string[];
}

export interface ResolvedUpgradeOptions {
  readonly maxHeaderCount: number;
  readonly maxHeaderBytes: number;
  readonly allowedOrigins: ReadonlySet<string> | undefined;
}

const resolved = new WeakSet<object>();

function limit(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && (value === Infinity || (Number.isInteger(value) && value >= 1))) return value;
  throw usageError(RangeError, 'WS_ERR_INVALID_OPTION', `options.${name} must be a positive integer or Infinity, got ${String(value)}`);
}

/**
 * Merges `options` with the defaults and validates them. Unknown properties are ignored
 * (the same object may carry a `WebSocketServer`'s other options).
 *
 * @throws {RangeError|TypeError} code `WS_ERR_INVALID_OPTION`, naming the allowed values
 */
export function resolveUpgradeOptions(options: UpgradeRequestOptions | ResolvedUpgradeOptions = {}): ResolvedUpgradeOptions {
  if (resolved.has(options)) return options as ResolvedUpgradeOptions;
  if (typeof options !== 'object' || options === null) {
    throw usageError(TypeError, 'WS_ERR_INVALID_OPTION', 'options must be an object');
  }
  const { allowedOrigins } = options as UpgradeRequestOptions;
  if (allowedOrigins !== undefined && (!Array.isArray(allowedOrigins) || !allowedOrigins.every((o) => typeof o === 'string'))) {
    throw usageError(TypeError, 'WS_ERR_INVALID_OPTION', 'options.allowedOrigins must be an array of origin strings or undefined');
  }
  const result: ResolvedUpgradeOptions = Object.freeze({
    maxHeaderCount: limit(options.maxHeaderCount, 'maxHeaderCount', DEFAULT_MAX_HEADER_COUNT),
    maxHeaderBytes: limit(options.maxHeaderBytes, 'maxHeaderBytes', DEFAULT_MAX_HEADER_BYTES),
    allowedOrigins: allowedOrigins === undefined ? undefined : new Set(allowedOrigins),
  });
  resolved.add(result);
  return result;
}
