// permessage-deflate negotiation (RFC 7692 section 7.1), server and client side, on the
// offers parsed by src/handshake/extensions.ts. Pure functions: no zlib here.
//
//   client offer:  permessage-deflate; client_max_window_bits          (what Chromium sends)
//   server answer: permessage-deflate; server_no_context_takeover? ; client_max_window_bits=N?
import type { ExtensionOffer } from '../handshake/extensions.js';

export const EXTENSION_NAME = 'permessage-deflate';

/** `ws`'s perMessageDeflate options, by the same names. */
export interface PerMessageDeflateOptions {
  /** Messages smaller than this many bytes are sent uncompressed. Default 1024. */
  threshold?: number;
  /** Most zlib operations in flight per process. Default 10. */
  concurrencyLimit?: number;
  /** Options for zlib.createDeflateRaw (level, memLevel, strategy…). */
  zlibDeflateOptions?: import('node:zlib').ZlibOptions;
  /** Options for zlib.createInflateRaw. */
  zlibInflateOptions?: import('node:zlib').ZlibOptions;
  /** Server: ask not to keep the server's compression context. Default false. */
  serverNoContextTakeover?: boolean;
  /** Ask the client not to keep its compression context. Default false. */
  clientNoContextTakeover?: boolean;
  /** Server window bits (8-15), or false to refuse offers that limit it. Default: as offered. */
  serverMaxWindowBits?: number | boolean;
  /** Client window bits (8-15), or false/true. Default: as offered. */
  clientMaxWindowBits?: number | boolean;
}

/** What both sides agreed, from this endpoint's point of view. */
export interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  /** 8-15; 15 when unrestricted. */
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

const KNOWN = new Set(['server_no_context_takeover', 'client_no_context_takeover', 'server_max_window_bits', 'client_max_window_bits']);

/** RFC 7692 section 7.1.2: window bits are a decimal integer 8-15 without leading zeros. */
function windowBits(value: string | true): number | null {
  // Digits only: Number() would also read "+9" and "9." as 9.
  if (typeof value !== 'string' || !/^[1-9][0-9]?$/.test(value)) return null;
  const n = Number(value);
  return n >= 8 && n <= 15 ? n : null;
}

/** Validates option values once, naming what is allowed. */
export function checkDeflateOptions(options: PerMessageDeflateOptions): void {
  for (const name of ['serverMaxWindowBits', 'clientMaxWindowBits'] as const) {
    const v = options[name];
    if (v !== undefined && typeof v !== 'boolean' && !(Number.isInteger(v) && v >= 8 && v <= 15)) {
      throw new RangeError(`perMessageDeflate.${name} must be a boolean or an integer 8-15 (got ${String(v)})`);
    }
  }
  for (const name of ['threshold', 'concurrencyLimit'] as const) {
    const v = options[name];
    if (v !== undefined && !(Number.isInteger(v) && v >= (name === 'threshold' ? 0 : 1))) {
      throw new RangeError(`perMessageDeflate.${name} must be an integer >= ${name === 'threshold' ? 0 : 1} (got ${String(v)})`);
    }
  }
}

/**
 * Server side: the first acceptable permessage-deflate offer (RFC 7692 section 5.1), the
 * parameters to answer with, and what they mean. Offers with unknown, repeated or
 * invalid parameters are declined (section 7.1); null when none is acceptable.
 */
export function acceptOffer(
  offers: readonly ExtensionOffer[], options: PerMessageDeflateOptions,
): { response: string; params: DeflateParams } | null {
  for (const offer of offers) {
    if (offer.name !== EXTENSION_NAME || offer.duplicateParams) continue;
    const p = offer.params;
    let valid = true;
    for (const [name, value] of p) {
      if (!KNOWN.has(name)) valid = false;
      else if (name.endsWith('_no_context_takeover') && value !== true) valid = false;
      else if (name === 'server_max_window_bits' && windowBits(value) === null) valid = false;
      else if (name === 'client_max_window_bits' && value !== true && windowBits(value) === null) valid = false;
    }
    if (!valid) continue;
    const offeredServerBits = p.has('server_max_window_bits') ? windowBits(p.get('server_max_window_bits')!)! : 15;
    const clientBitsOffered = p.get('client_max_window_bits');
    // The client asks us not to keep context: we must comply or decline.
    if (p.has('server_no_context_takeover') && options.serverNoContextTakeover === false) continue;
    if (p.has('server_max_window_bits')) {
      if (options.serverMaxWindowBits === false) continue;
      if (typeof options.serverMaxWindowBits === 'number' && options.serverMaxWindowBits > offeredServerBits) continue;
    }
    // We may only limit the client's window if it said it can (client_max_window_bits offered).
    if (typeof options.clientMaxWindowBits === 'number' && clientBitsOffered === undefined) continue;

    const params: DeflateParams = {
      serverNoContextTakeover: p.has('server_no_context_takeover') || options.serverNoContextTakeover === true,
      clientNoContextTakeover: p.has('client_no_context_takeover') || options.clientNoContextTakeover === true,
      serverMaxWindowBits: typeof options.serverMaxWindowBits === 'number'
        ? Math.min(options.serverMaxWindowBits, offeredServerBits) : offeredServerBits,
      clientMaxWindowBits: 15,
    };
    const parts = [EXTENSION_NAME];
    if (params.serverNoContextTakeover) parts.push('server_no_context_takeover');
    if (params.clientNoContextTakeover) parts.push('client_no_context_takeover');
    if (p.has('server_max_window_bits') || typeof options.serverMaxWindowBits === 'number') {
      parts.push(`server_max_window_bits=${params.serverMaxWindowBits}`);
    }
    if (clientBitsOffered !== undefined) {
      const offeredClient = clientBitsOffered === true ? 15 : windowBits(clientBitsOffered)!;
      if (typeof options.clientMaxWindowBits === 'number') {
        params.clientMaxWindowBits = Math.min(options.clientMaxWindowBits, offeredClient);
        parts.push(`client_max_window_bits=${params.clientMaxWindowBits}`);
      } else if (clientBitsOffered !== true) {
        params.clientMaxWindowBits = offeredClient;
        parts.push(`client_max_window_bits=${offeredClient}`);
      }
    }
    return { response: parts.join('; '), params };
  }
  return null;
}

/** Client side: the offer to send (one offer, RFC 7692 section 5). */
export function buildOffer(options: PerMessageDeflateOptions): string {
  const parts = [EXTENSION_NAME];
  if (options.serverNoContextTakeover) parts.push('server_no_context_takeover');
  if (options.clientNoContextTakeover) parts.push('client_no_context_takeover');
  if (typeof options.serverMaxWindowBits === 'number') parts.push(`server_max_window_bits=${options.serverMaxWindowBits}`);
  if (typeof options.clientMaxWindowBits === 'number') parts.push(`client_max_window_bits=${options.clientMaxWindowBits}`);
  else if (options.clientMaxWindowBits !== false) parts.push('client_max_window_bits');
  return parts.join('; ');
}

/**
 * Client side: checks the server's answer against our offer (RFC 7692 section 7.1);
 * a string describes what is wrong.
 */
export function verifyAnswer(answers: readonly ExtensionOffer[], options: PerMessageDeflateOptions): DeflateParams | string {
  if (answers.length !== 1) return `expected one extension in the answer, got ${answers.length}`;
  const a = answers[0];
  if (a.name !== EXTENSION_NAME) return `the server accepted an extension that was not offered: ${a.name}`;
  if (a.duplicateParams) return 'a parameter is repeated in the permessage-deflate answer';
  // An offered client_max_window_bits=N binds us even when the answer omits it (RFC 7692 section 7.1.2.2).
  const offeredClientBits = typeof options.clientMaxWindowBits === 'number' ? options.clientMaxWindowBits : 15;
  const params: DeflateParams = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: offeredClientBits };
  for (const [name, value] of a.params) {
    if (name === 'server_no_context_takeover' || name === 'client_no_context_takeover') {
      if (value !== true) return `${name} must not have a value`;
      if (name === 'server_no_context_takeover') params.serverNoContextTakeover = true;
      else params.clientNoContextTakeover = true;
    } else if (name === 'server_max_window_bits') {
      const bits = windowBits(value);
      if (bits === null) return `invalid server_max_window_bits: ${String(value)}`;
      if (typeof options.serverMaxWindowBits === 'number' && bits > options.serverMaxWindowBits) {
        return `server_max_window_bits ${bits} is above the ${options.serverMaxWindowBits} offered`;
      }
      params.serverMaxWindowBits = bits;
    } else if (name === 'client_max_window_bits') {
      const bits = windowBits(value);
      if (bits === null) return `invalid client_max_window_bits: ${String(value)}`;
      if (options.clientMaxWindowBits === false) return 'client_max_window_bits was not offered';
      if (typeof options.clientMaxWindowBits === 'number' && bits > options.clientMaxWindowBits) {
        return `client_max_window_bits ${bits} is above the ${options.clientMaxWindowBits} offered`;
      }
      params.clientMaxWindowBits = bits;
    } else {
      return `unknown permessage-deflate parameter: ${name}`;
    }
  }
  if (options.serverNoContextTakeover && !params.serverNoContextTakeover) return 'server_no_context_takeover was requested but not answered';
  // RFC 7692 section 7.1.2.1: a server accepts server_max_window_bits by answering it.
  if (typeof options.serverMaxWindowBits === 'number' && !a.params.has('server_max_window_bits')) {
    return 'server_max_window_bits was requested but not answered';
  }
  return params;
}
