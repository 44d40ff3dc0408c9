// The Node inflater: node:zlib, synchronous (kept out of inflate.ts so the browser bundle
// never sees node:zlib).
import { inflateRawSync } from 'node:zlib';
import type { Inflater } from './types.js';

export function zlibInflater(maxOutput = 64 * 1024 * 1024): Inflater {
  return (raw) => inflateRawSync(raw, { maxOutputLength: maxOutput });
}
