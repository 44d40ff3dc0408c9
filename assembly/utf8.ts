// Incremental UTF-8 validation (RFC 3629 section 4; RFC 6455 section 8.1).
//
// The scalar DFA below is the authority: its states are listed in src/codec/layout.ts and
// it finds the exact offset of the first invalid byte. The SIMD path only skips blocks it
// has proven valid, and on any doubt hands back to the DFA at a code point boundary.
//
//   DFA (state, byte) → state, REJECT = -1
//   state 0: 00-7F → 0 | C2-DF → 1 | E0 → 4 | E1-EC,EE-EF → 2 | ED → 5
//            F0 → 6 | F1-F3 → 3 | F4 → 7 | 80-C1, F5-FF → REJECT
//   state 1: 80-BF → 0     state 2: 80-BF → 1     state 3: 80-BF → 2
//   state 4: A0-BF → 1 (no overlong 3-byte)       state 5: 80-9F → 1 (no surrogates)
//   state 6: 90-BF → 2 (no overlong 4-byte)       state 7: 80-8F → 2 (≤ U+10FFFF)

@inline function step(state: i32, b: u32): i32 {
  switch (state) {
    case 0: {
      if (b < 0x80) return 0;
      if (b < 0xC2) return -1;
      if (b < 0xE0) return 1;
      if (b == 0xE0) return 4;
      if (b == 0xED) return 5;
      if (b < 0xF0) return 2;
      if (b == 0xF0) return 6;
      if (b < 0xF4) return 3;
      if (b == 0xF4) return 7;
      return -1;
    }
    case 1: return (b & 0xC0) == 0x80 ? 0 : -1;
    case 2: return (b & 0xC0) == 0x80 ? 1 : -1;
    case 3: return (b & 0xC0) == 0x80 ? 2 : -1;
    case 4: return (b & 0xE0) == 0xA0 ? 1 : -1;
    case 5: return (b & 0xE0) == 0x80 ? 1 : -1;
    case 6: return b >= 0x90 && b <= 0xBF ? 2 : -1;
    case 7: return (b & 0xF0) == 0x80 ? 2 : -1;
  }
  return -1;
}

/** Scalar DFA over [i, len): the new state, or -1 - offset of the first invalid byte. */
function validateScalar(ptr: usize, i: usize, len: usize, state: i32): i32 {
  while (i < len) {
    if (state == 0) {
      // ASCII run, a word at a time.
      while (i + 8 <= len && (load<u64>(ptr + i) & 0x8080808080808080) == 0) i += 8;
      if (i >= len) break;
    }
    state = step(state, <u32>load<u8>(ptr + i));
    if (state < 0) return -1 - <i32>i;
    i++;
  }
  return state;
}

/**
 * The last code point boundary at or before `i`, given that every sequence ending before
 * `i` is valid: step back over at most 3 bytes to a lead byte whose sequence runs past `i`.
 */
function boundaryBefore(ptr: usize, start: usize, i: usize): usize {
  for (let j: usize = 1; j <= 3 && j <= i - start; j++) {
    const b = <u32>load<u8>(ptr + i - j);
    if (b < 0x80) return i;
    if (b >= 0xC0) {
      const need: usize = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
      return need > j ? i - j : i;
    }
  }
  return i;
}

// ── SIMD: the lookup algorithm of Keiser & Lemire, "Validating UTF-8 In Less Than One
// Instruction Per Byte" (2021). Each byte pair (prev1, cur) is classified by three 16-entry
// tables (high nibble of prev1, low nibble of prev1, high nibble of cur); an error bit
// survives the AND only if all three agree. Bits:
//   0 TOO_SHORT   lead followed by a lead or ASCII      1 TOO_LONG   ASCII then continuation
//   2 OVERLONG_3  E0 80-9F                              3 TOO_LARGE  F4 90-BF, F5-FF …
//   4 SURROGATE   ED A0-BF                              5 OVERLONG_2 C0-C1 …
//   6 TOO_LARGE_1000 / OVERLONG_4 (F0 80-8F, F5+ 80-8F) 7 TWO_CONTS  continuation pair
// The TWO_CONTS bit is then XORed with "prev2 is a 3/4-byte lead or prev3 a 4-byte lead":
// two continuations in a row are legal exactly when such a lead precedes them.
const TOO_SHORT: u8 = 1;
const TOO_LONG: u8 = 2;
const OVERLONG_3: u8 = 4;
const TOO_LARGE: u8 = 8;
const SURROGATE: u8 = 16;
const OVERLONG_2: u8 = 32;
const TOO_LARGE_1000: u8 = 64;
const OVERLONG_4: u8 = 64;
const TWO_CONTS: u8 = 128;
const CARRY: u8 = TOO_SHORT | TOO_LONG | TWO_CONTS;

// The three tables, the nibble mask and the two "3/4-byte lead" offsets live in memory and
// are loaded once per call: as v128.const inside the loop V8 rebuilds them every block.
const TABLES: usize = memory.data<u8>([
  // byte1High: prev1 >> 4
  TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG,
  TWO_CONTS, TWO_CONTS, TWO_CONTS, TWO_CONTS,
  TOO_SHORT | OVERLONG_2,
  TOO_SHORT,
  TOO_SHORT | OVERLONG_3 | SURROGATE,
  TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4,
  // byte1Low: prev1 & 0x0F
  CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4,
  CARRY | OVERLONG_2,
  CARRY,
  CARRY,
  CARRY | TOO_LARGE,
  CARRY | TOO_LARGE | TOO_LARGE_1000,
  CARRY | TOO_LARGE | TOO_LARGE_1000,
  CARRY | TOO_LARGE | TOO_LARGE_1000,
  CARRY | TOO_LARGE | TOO_LARGE_1000,
  CARRY | TOO_LARGE | TOO_LARGE_1000,
  CARRY | TOO_LARGE | TOO_LARGE_1000,
  CARRY | TOO_LARGE | TOO_LARGE_1000,
  CARRY | TOO_LARGE | TOO_LARGE_1000,
  CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE,
  CARRY | TOO_LARGE | TOO_LARGE_1000,
  CARRY | TOO_LARGE | TOO_LARGE_1000,
  // byte2High: cur >> 4
  TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
  TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4,
  TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE,
  TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
  TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
  TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
  // per-lane limits: a block ends inside a sequence if byte 15 >= C0, 14 >= E0 or 13 >= F0
  0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xF0 - 1, 0xE0 - 1, 0xC0 - 1,
], 16);

@inline function checkBlock(cur: v128, prev: v128, t1: v128, t2: v128, t3: v128): v128 {
  const nibble = i8x16.splat(0x0F);
  const prev1 = i8x16.shuffle(prev, cur, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30);
  const prev2 = i8x16.shuffle(prev, cur, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29);
  const prev3 = i8x16.shuffle(prev, cur, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28);
  // Nibbles with a 16-bit shift and a mask: wasm has no 8-bit shift in hardware, and
  // every index stays in 0-15 so swizzle needs no range fix-up.
  const byte1High = i8x16.swizzle(t1, v128.and(i16x8.shr_u(prev1, 4), nibble));
  const byte1Low = i8x16.swizzle(t2, v128.and(prev1, nibble));
  const byte2High = i8x16.swizzle(t3, v128.and(i16x8.shr_u(cur, 4), nibble));
  const special = v128.and(v128.and(byte1High, byte1Low), byte2High);
  const third = i8x16.sub_sat_u(prev2, i8x16.splat(<i8>(0xE0 - 0x80)));
  const fourth = i8x16.sub_sat_u(prev3, i8x16.splat(<i8>(0xF0 - 0x80)));
  const must23 = v128.and(v128.or(third, fourth), i8x16.splat(<i8>0x80));
  return v128.xor(must23, special);
}

/**
 * Skips the longest run of 16-byte blocks from boundary `i` that the SIMD check proves
 * valid, and returns a code point boundary from which the scalar DFA (state 0) goes on.
 */
function skipValidBlocks(ptr: usize, i: usize, len: usize): usize {
  const start = i;
  const t1 = v128.load(TABLES);
  const t2 = v128.load(TABLES, 16);
  const t3 = v128.load(TABLES, 32);
  const limits = v128.load(TABLES, 48);
  let prev = i8x16.splat(0);
  let pending = false; // does `prev` end inside a multi-byte sequence?
  // Was the last block checked all ASCII? Only then try 64 bytes at once: probing ahead on
  // every block of mixed text costs a third of the speed on inputs past ~256 KiB.
  let ascii = true;
  while (i + 16 <= len) {
    if (ascii && !pending && i + 64 <= len) {
      // ASCII fast path: 64 bytes with no high bit after a block that ended cleanly.
      const a = v128.load(ptr + i);
      const b = v128.load(ptr + i, 16);
      const c = v128.load(ptr + i, 32);
      const d = v128.load(ptr + i, 48);
      if (i8x16.bitmask(v128.or(v128.or(a, b), v128.or(c, d))) == 0) {
        prev = d;
        i += 64;
        continue;
      }
    }
    // One block at a time otherwise: four at once run out of registers and spill.
    const cur = v128.load(ptr + i);
    if (v128.any_true(checkBlock(cur, prev, t1, t2, t3))) break;
    ascii = i8x16.bitmask(cur) == 0;
    prev = cur;
    i += 16;
    pending = v128.any_true(i8x16.gt_u(prev, limits));
  }
  return boundaryBefore(ptr, start, i);
}

/**
 * Validates `len` bytes at `ptr` continuing from `state` (0 at a boundary).
 * Returns the state after them (0 when they end on a boundary), or -1 - offset of the
 * first invalid byte.
 */
export function validateUtf8(ptr: usize, len: usize, state: i32): i32 {
  let i: usize = 0;
  // Finish a sequence begun in an earlier call.
  while (state != 0 && i < len) {
    state = step(state, <u32>load<u8>(ptr + i));
    if (state < 0) return -1 - <i32>i;
    i++;
  }
  if (state != 0) return state;
  if (ASC_FEATURE_SIMD) {
    if (len - i >= 16) i = skipValidBlocks(ptr, i, len);
  }
  return validateScalar(ptr, i, len, 0);
}
