// permessage-deflate for a reader (RFC 7692 section 7.2.2): a message is a raw DEFLATE
// stream whose final `00 00 ff ff` (an empty stored block from a sync flush) was removed.
// With context takeover, the sender's LZ77 window carries over from earlier messages.
//
// One-shot inflaters have no "set dictionary" call in browsers, so the window is handed
// over as data instead:
//
//   [00 LEN NLEN window…] [message…] [00 00 ff ff] [01 00 00 ff ff]
//    stored block, not final          the removed   an empty final stored block,
//    (puts the window in the          tail          so the stream ends cleanly
//    history, and in the output)
//
// and the first window.length bytes of the output are dropped. Works with node:zlib's
// inflateRawSync and with DecompressionStream('deflate-raw') alike.
import type { Inflater } from './types.js';

/** The largest DEFLATE window (RFC 1951 section 2: distances up to 32768). */
export const WINDOW_BYTES = 32768;
const TAIL = [0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff];

/** The input for a one-shot inflate of `message` after `window` (see above). */
export function framedInput(message: Uint8Array, window: Uint8Array, tail = true): Uint8Array {
  const prefix = window.length > 0 ? 5 + window.length : 0;
  const out = new Uint8Array(prefix + message.length + (tail ? TAIL.length : 0));
  if (prefix > 0) {
    const n = window.length;
    out[0] = 0x00;
    out[1] = n & 0xff; out[2] = n >>> 8;
    out[3] = ~n & 0xff; out[4] = (~n >>> 8) & 0xff;
    out.set(window, 5);
  }
  out.set(message, prefix);
  if (tail) out.set(TAIL, prefix + message.length);
  return out;
}

/** Inflates one message after `window`; throws when it does not inflate. */
export async function inflateMessage(inflate: Inflater, message: Uint8Array, window: Uint8Array): Promise<Uint8Array> {
  let out: Uint8Array;
  try {
    out = await inflate(framedInput(message, window));
  } catch (error) {
    // A sender that ended the message with a final block (BFINAL) leaves no room for our
    // tail: some inflaters reject the bytes after the end. Try again without it.
    try {
      out = await inflate(framedInput(message, window, false));
    } catch {
      throw error;
    }
  }
  return out.subarray(window.length);
}

/** The window after `data`: its last WINDOW_BYTES bytes, following `window`. */
export function nextWindow(window: Uint8Array, data: Uint8Array): Uint8Array {
  if (data.length >= WINDOW_BYTES) return data.slice(data.length - WINDOW_BYTES);
  const keep = Math.min(window.length, WINDOW_BYTES - data.length);
  const out = new Uint8Array(keep + data.length);
  out.set(window.subarray(window.length - keep), 0);
  out.set(data, keep);
  return out;
}

/** An inflater on DecompressionStream('deflate-raw') (browsers, Node >= 20), or undefined. */
export function streamInflater(maxOutput = 64 * 1024 * 1024): Inflater | undefined {
  const DS = (globalThis as { DecompressionStream?: typeof DecompressionStream }).DecompressionStream;
  if (DS === undefined) return undefined;
  try {
    new DS('deflate-raw' as CompressionFormat);
  } catch {
    return undefined;
  }
  return async (raw) => {
    const stream = new DS('deflate-raw' as CompressionFormat);
    const writer = stream.writable.getWriter();
    writer.write(raw as Uint8Array<ArrayBuffer>).catch(() => {});
    writer.close().catch(() => {});
    const reader = stream.readable.getReader();
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxOutput) {
        await reader.cancel();
        throw new RangeError(`inflated message larger than ${maxOutput} bytes`);
      }
      parts.push(value);
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  };
}
