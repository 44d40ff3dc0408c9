// Static regions of linear memory shared with the TypeScript layer.
// Only numbers cross the boundary: JS reads these pointers once, writes the connection's
// state and the input bytes, calls parse, and reads the results and descriptors back.
//
//   ┌──────────────┬──────────┬──────────┬─────────────────────────┬────────────────────┐
//   │ static data  │ STATE    │ RESULT   │ DESCRIPTORS             │ INPUT (heap base … │
//   │ (tables)     │ 8 × u32  │ 4 × u32  │ DESC_CAPACITY × 4 × u32 │ grown by JS)       │
//   └──────────────┴──────────┴──────────┴─────────────────────────┴────────────────────┘
// INPUT has 16 bytes of slack after any length JS writes there, so wide loads that
// straddle the end stay inside memory (JS grows memory with that margin).
import { STATE_WORDS, RESULT_WORDS, DESC_CAPACITY, DESC_WORDS } from '../src/codec/layout';

export const STATE: usize = memory.data(STATE_WORDS * 4, 16);
export const RESULT: usize = memory.data(RESULT_WORDS * 4, 16);
export const DESCRIPTORS: usize = memory.data(DESC_CAPACITY * DESC_WORDS * 4, 16);

export function inputPtr(): usize {
  return (__heap_base + 15) & ~15;
}

@inline export function getState(word: i32): u32 {
  return load<u32>(STATE + (<usize>word << 2));
}

@inline export function setState(word: i32, value: u32): void {
  store<u32>(STATE + (<usize>word << 2), value);
}
