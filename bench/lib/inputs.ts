// Deterministic benchmark inputs: seeded random bytes and UTF-8 texts of an exact size.
// Every run (and every machine) measures the same bytes.

/** mulberry32: a small seeded PRNG, returns u32. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export function randomBytes(length: number, seed: number): Buffer {
  const next = rng(seed);
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = next() & 0xff;
  return out;
}

export type TextKind = 'ascii' | 'mixed' | 'invalid-at-end';
export const TEXT_KINDS: readonly TextKind[] = ['ascii', 'mixed', 'invalid-at-end'];

// Word lists per script; the mixed text draws from them with the weights below, so its
// bytes are roughly 1/4 ASCII, 1/4 two-byte (Latin accents, Cyrillic), 2/5 three-byte
// (CJK) and 1/10 four-byte (emoji) — chat traffic in several languages.
const LATIN = ['the', 'quick', 'brown', 'fox', 'jumps', 'über', 'café', 'naïve', 'straße', 'año', 'façade', 'message', 'frame'];
const CYRILLIC = ['привет', 'мир', 'сообщение', 'кадр', 'сервер', 'клиент', 'данные'];
const CJK = ['你好', '世界', '消息', '帧', 'こんにちは', '世界中', '데이터', '서버', '网络协议'];
const EMOJI = ['😀', '🚀', '👍🏽', '🎉', '❤️', '🔥', '🇯🇵', '👨‍👩‍👧'];
const WORD_LISTS: readonly (readonly string[])[] = [LATIN, LATIN, CYRILLIC, CJK, CJK, EMOJI];
const ASCII_WORDS = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'lazy', 'dog', '{"op":1,"d":[42,7]}', 'frame'];

const encoder = new TextEncoder();

/** Valid UTF-8 of exactly `length` bytes: whole words, then ASCII spaces as padding. */
function textOf(length: number, words: readonly (readonly string[])[], seed: number): Buffer {
  const next = rng(seed);
  const out = Buffer.alloc(length, 0x20);
  let at = 0;
  for (;;) {
    const list = words[next() % words.length];
    const word = encoder.encode(list[next() % list.length] + (next() % 8 === 0 ? '. ' : ' '));
    if (at + word.length > length) break;
    out.set(word, at);
    at += word.length;
  }
  return out;
}

/**
 * A text input of `length` bytes. 'invalid-at-end' is the mixed text with its last byte
 * replaced by 0xFF: a validator has to read everything before it can reject.
 */
export function text(kind: TextKind, length: number): Buffer {
  if (kind === 'ascii') return textOf(length, [ASCII_WORDS], 0xa5c11);
  const out = textOf(length, WORD_LISTS, 0x31dee);
  if (kind === 'invalid-at-end') out[length - 1] = 0xff;
  return out;
}

/** ASCII letters and punctuation (text frame payloads that stay ASCII under any 7-bit mask). */
export function asciiPayload(length: number, seed: number): Buffer {
  const next = rng(seed);
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = 0x20 + (next() % 95);
  return out;
}

export const KiB = 1024;
export const MiB = 1024 * 1024;

/** "16 B", "1 KiB", "16 MiB". */
export function sizeLabel(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB} KiB`;
  return `${bytes} B`;
}
