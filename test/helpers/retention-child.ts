// Run by test/allocator.test.ts in a fresh process (node --expose-gc), bundled by esbuild:
//   node child.mjs <allocatorRetain> <MiB received>
// Asks for the retention, counts the bytes as received, then makes and drops one 20 MiB
// Buffer and prints, as JSON, how much of it glibc handed back to the kernel (RSS before
// and after the drop). With glibc's defaults such a block is mapped on its own and unmapped
// when freed; once its thresholds are raised it comes from the heap and stays there when
// freed. That one block is the deterministic probe: 320 blocks of 64 KiB showed the trim
// itself, but a small allocation landing above them (V8's bookkeeping of each buffer) pins
// the top of the heap at times, and then nothing came back even with the defaults. No
// sockets here for the same reason.
import { noteReceived, requestRetention, retentionState } from '../../src/connection/allocator.js';

const [retain, mib] = process.argv.slice(2).map(Number);
const gc = (globalThis as { gc?: () => void }).gc!;
const rounds = async (n: number, ms: number) => {
  for (let i = 0; i < n; i++) {
    gc();
    await new Promise((r) => setTimeout(r, ms));
  }
};
/**
 * Collects until ArrayBuffer memory is at most `limit`, then three times more: V8 frees
 * the memory itself on a background thread, after the accounting has dropped (with fewer
 * rounds, a run with no retention at all sometimes showed nothing handed back).
 */
const settle = async (limit: number) => {
  for (let i = 0; i < 250 && process.memoryUsage().arrayBuffers > limit; i++) await rounds(1, 20);
  if (process.memoryUsage().arrayBuffers > limit) throw new Error(`ArrayBuffer memory stayed above ${limit}`);
  await rounds(3, 50);
};

requestRetention(retain);
for (let i = 0; i < mib * 16; i++) noteReceived(64 * 1024);
await settle(Infinity);
const floor = process.memoryUsage().arrayBuffers;
let kept: Buffer | null = Buffer.allocUnsafe(20 * 1024 * 1024).fill(1);
const before = process.memoryUsage().rss;
kept = null;
await settle(floor + 1024 * 1024);
console.log(JSON.stringify({ ...retentionState(), returned: before - process.memoryUsage().rss }));
