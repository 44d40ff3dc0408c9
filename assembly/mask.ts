// RFC 6455 section 5.3: payload byte i is XORed with masking-key byte (phase + i) mod 4.
// The key is packed little-endian (wire byte k0 in bits 0-7), so a little-endian word load
// of 4 payload bytes lines up with the key rotated right by 8 × phase bits.
//
// Body: 64 bytes per step (4 × v128), then 16, then 8 (u64), then a byte tail.
// Every width is a multiple of 4, so the phase only moves in the byte tail.

/** Masks (or unmasks: XOR is its own inverse) `len` bytes at `ptr` in place. */
export function mask(ptr: usize, len: usize, key: u32, phase: u32): void {
  let k = rotr<u32>(key, (phase & 3) << 3);
  const end = ptr + len;
  if (ASC_FEATURE_SIMD) {
    const kv = i32x4.splat(k);
    while (ptr + 64 <= end) {
      v128.store(ptr, v128.xor(v128.load(ptr), kv));
      v128.store(ptr, v128.xor(v128.load(ptr, 16), kv), 16);
      v128.store(ptr, v128.xor(v128.load(ptr, 32), kv), 32);
      v128.store(ptr, v128.xor(v128.load(ptr, 48), kv), 48);
      ptr += 64;
    }
    while (ptr + 16 <= end) {
      v128.store(ptr, v128.xor(v128.load(ptr), kv));
      ptr += 16;
    }
  }
  const k64 = (<u64>k << 32) | <u64>k;
  while (ptr + 8 <= end) {
    store<u64>(ptr, load<u64>(ptr) ^ k64);
    ptr += 8;
  }
  while (ptr < end) {
    store<u8>(ptr, load<u8>(ptr) ^ <u8>k);
    k = rotr<u32>(k, 8);
    ptr++;
  }
}
