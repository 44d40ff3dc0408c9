/**
 * `Sec-WebSocket-Key` and `Sec-WebSocket-Accept` (RFC 6455 sections 1.3, 4.1 and 4.2.2).
 *
 *   client: Sec-WebSocket-Key:    base64(16 random bytes)               e.g. dGhlIHNhbXBsZSBub25jZQ==
 *   server: Sec-WebSocket-Accept: base64(SHA-1(key + GUID))             e.g. s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
 */
import { createHash, getRandomValues } from 'node:crypto';

/** The GUID every server appends to the key (RFC 6455 section 1.3). */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** `Sec-WebSocket-Accept` for a key: base64(SHA-1(key + GUID)), RFC 6455 section 4.2.2 step 5.4. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + WEBSOCKET_GUID, 'latin1').digest('base64');
}

/** A fresh key: 16 bytes from the CSPRNG, base64-encoded (RFC 6455 section 4.1, item 7). */
export function generateKey(): string {
  return Buffer.from(getRandomValues(new Uint8Array(16))).toString('base64');
}

/** base64 alphabet index of a character code, or -1 (RFC 4648 section 4, not the URL-safe one). */
function base64Index(c: number): number {
  if (c >= 0x41 && c <= 0x5a) return c - 0x41; // A-Z
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 26; // a-z
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 52; // 0-9
  if (c === 0x2b) return 62; // +
  if (c === 0x2f) return 63; // /
  return -1;
}

/**
 * Whether `key` is the canonical base64 of exactly 16 bytes (RFC 6455 section 4.2.1,
 * item 5: "when decoded, is 16 bytes in length"):
 *
 *   16 bytes = 128 bits = 21 chars × 6 bits + 2 bits in char 22, then "=="
 *   char 22 carries 2 data bits and 4 zero bits, so its index is a multiple of 16 (A, Q, g, w)
 *
 * Canonical encoding is required (RFC 4648 section 3.5 lets decoders reject non-zero pad
 * bits), so one key has one spelling and the accept value cannot be made to differ for
 * the same 16 bytes.
 */
export function isValidKey(key: string): boolean {
  if (key.length !== 24 || key.charCodeAt(22) !== 0x3d || key.charCodeAt(23) !== 0x3d) return false;
  for (let i = 0; i < 21; i++) if (base64Index(key.charCodeAt(i)) < 0) return false;
  const last = base64Index(key.charCodeAt(21));
  return last >= 0 && (last & 0x0f) === 0;
}
