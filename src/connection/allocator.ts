// Keeping glibc's malloc from handing freed memory back to the kernel after every garbage
// collection. Received messages are Buffers the application owns, so each is allocated
// (malloc) and, after a scavenge, freed in a batch. glibc returns the free memory at the top
// of its heap to the kernel (brk) once more than its trim threshold is free there, 128 KiB
// at start; the next allocations then fault in fresh, zeroed pages. An echo of 64 KiB
// messages on 16 connections took 1-7 page faults per message that way and ran at 21-28 k
// msg/s; with the retention below, 0.08 faults and 32-34 k (A/B runs of that row; in
// bench/results/profile.md, medians of 3 in one run: 2.01 faults and 29.4 k without it,
// 0.08 and 33.6 k with it).
//
// glibc raises its thresholds by itself when a block it had mapped on its own (larger than
// the mmap threshold, at most 32 MiB) is freed: the mmap threshold becomes the block's size
// and the trim threshold twice that (mallopt(3), M_MMAP_THRESHOLD, "dynamic"). Any Node
// process that has dropped a large Buffer is in that state. Here it is reached on purpose,
// once per process, by allocating and dropping one block of half the retention asked for,
// after the process has received that many bytes: a server that only holds idle
// connections keeps the defaults (at 10,000 idle connections, the handshakes' retained
// garbage was 400-600 B more RSS per connection). The block's pages are never touched (a
// fresh mapping needs no zeroing), and the thresholds move when V8 frees it, at its next
// garbage collection. Elsewhere (musl, macOS, Windows) it is one block allocated and freed.
//
// The amount: V8 runs a scavenge whenever young ArrayBuffers add up to twice its default
// semi-space, 32 MiB on 64-bit, whatever --max-semi-space-size says (heap.cc,
// Heap::AllocateExternalBackingStore, reason "external memory pressure"), so about that
// much is freed at once. A 32 MiB trim threshold (a 16 MiB block) sat on that edge: in
// two of four runs it trimmed the whole batch each time, 9,770 brk calls in 2 s against
// 1,214 with no retention. 64 MiB: 2-18.

/** The default retention, the most there is: freed memory glibc may keep for reuse. */
export const DEFAULT_ALLOCATOR_RETAIN = 64 * 1024 * 1024;
/**
 * glibc adjusts its thresholds only for blocks up to 32 MiB (DEFAULT_MMAP_THRESHOLD_MAX on
 * 64-bit), counting its 16-byte header rounded up to a page: the largest request that still
 * counts, so at most 64 MiB of retention.
 */
const MAX_BLOCK = 32 * 1024 * 1024 - 64 * 1024;
/** Below glibc's initial mmap threshold a block is not mapped on its own: no effect. */
const MIN_BLOCK = 256 * 1024;

/** The block asked for (by the largest allocatorRetain seen), and the largest dropped. */
let wanted = 0;
let dropped = 0;
/** Bytes received by every connection of the process, while a drop is pending. */
let received = 0;

/**
 * Asks for up to `bytes` of freed memory to be kept (0: nothing). Nothing happens yet: a
 * process retains no more than it has received (noteReceived), so servers that only hold
 * idle connections keep the allocator's defaults and their smaller footprint.
 */
export function requestRetention(bytes: number): void {
  const block = Math.min(Math.floor(bytes / 2), MAX_BLOCK);
  if (block >= MIN_BLOCK && block > wanted) wanted = block;
}

/** Counts received bytes; once they reach the retention asked for, drops the block. */
export function noteReceived(length: number): void {
  if (wanted <= dropped) return;
  received += length;
  if (received < 2 * wanted) return;
  dropped = wanted;
  try {
    void new ArrayBuffer(wanted);
  } catch {
    // No room for the block (a memory limit, strict overcommit): keep the defaults. This
    // runs inside a socket's read, which must not throw for it; it is not tried again.
  }
}

/** The block asked for, the block dropped, and bytes counted toward it (for tests and diagnostics). */
export function retentionState(): { wanted: number; dropped: number; received: number } {
  return { wanted, dropped, received };
}
