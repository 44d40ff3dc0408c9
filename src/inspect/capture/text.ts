// Bytes written as text: hex dumps with or without an offset column and an ASCII column
// (xxd, `hexdump -C`, `od -Ax -tx1`, Wireshark's "Copy as Hex Dump"), bare hex (spaces,
// `0x` prefixes, commas, `\x` escapes allowed) and base64 (standard or URL alphabet).
//
//   xxd:        00000000: 8105 4865 6c6c 6f                        ..Hello
//   hexdump -C: 00000000  81 05 48 65 6c 6c 6f              |..Hello|
//   Wireshark:  0000   81 05 48 65 6c 6c 6f                              ..Hello
//
// The ASCII column may itself look like hex ("cafe"), so it is cut off by position: in a
// full line it starts after the line's bytes (offsets tell how many); shorter last lines
// are padded to the same width by every one of these tools.

const OFFSET = /^\s*(?:0x)?([0-9a-fA-F]{4,8}):?(?=\s)/;
const HEX_TOKEN = /^(?:[0-9a-fA-F]{2})+$/;

interface Token { text: string; end: number }

function tokens(line: string, from: number): Token[] {
  const out: Token[] = [];
  const re = /\S+/g;
  re.lastIndex = from;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) out.push({ text: m[0], end: m.index + m[0].length });
  return out;
}

/** Reads up to `max` bytes of hex tokens; returns the bytes and the column after the last one used. */
function hexTokens(line: string, from: number, max: number): { bytes: number[]; end: number } {
  const bytes: number[] = [];
  let end = from;
  for (const t of tokens(line, from)) {
    if (bytes.length >= max || t.text.length > 8 || !HEX_TOKEN.test(t.text)) break;
    if (bytes.length + t.text.length / 2 > max) break;
    for (let i = 0; i < t.text.length; i += 2) bytes.push(parseInt(t.text.slice(i, i + 2), 16));
    end = t.end;
  }
  return { bytes, end };
}

/** A hex dump with an offset column starting at 0, or undefined. */
export function parseOffsetDump(text: string): Uint8Array | undefined {
  const lines = text.split(/\r?\n/).map((l) => l.replace(/\|.*$/, '').trimEnd()).filter((l) => l.trim() !== '');
  // hexdump -C and od end with a line holding only the total length.
  const endLine = /^\s*([0-9a-fA-F]{4,8})\s*$/.exec(lines[lines.length - 1] ?? '');
  const endOffset = endLine === null ? undefined : parseInt(endLine[1], 16);
  if (endLine !== null) lines.pop();
  if (lines.length === 0) return undefined;
  const first = OFFSET.exec(lines[0]);
  if (first === null || parseInt(first[1], 16) !== 0) return undefined;
  const rows = lines.map((l) => OFFSET.exec(l));
  if (rows.some((r) => r === null)) return undefined;
  const out: number[] = [];
  let asciiColumn = Infinity;
  for (let i = 0; i < lines.length; i++) {
    const row = rows[i]!;
    const offset = parseInt(row[1], 16);
    if (offset !== out.length) return undefined; // offsets must follow the bytes read
    const next = i + 1 < lines.length ? parseInt(rows[i + 1]![1], 16) : endOffset;
    if (next !== undefined) {
      const { bytes, end } = hexTokens(lines[i], row[0].length, next - offset);
      if (bytes.length !== next - offset) return undefined;
      asciiColumn = Math.min(asciiColumn, end);
      out.push(...bytes);
    } else {
      const line = lines[i].slice(0, asciiColumn === Infinity ? undefined : asciiColumn + 1);
      let { bytes, end } = hexTokens(line, row[0].length, Infinity);
      if (asciiColumn === Infinity) {
        // One line only: if what follows the hex is as long as the bytes, it is the ASCII column.
        for (let k = bytes.length; k > 0; k--) {
          const cut = hexTokens(line, row[0].length, k);
          if (cut.bytes.length === k && line.slice(cut.end).trim().length === k) { bytes = cut.bytes; end = cut.end; break; }
        }
      }
      void end;
      out.push(...bytes);
    }
  }
  return out.length > 0 ? Uint8Array.from(out) : undefined;
}

/** Bare hex: pairs of hex digits with optional separators and prefixes. */
export function parseBareHex(text: string): Uint8Array | undefined {
  const cleaned = text.replace(/0x|\\x/gi, ' ').replace(/[\s,;:]+/g, '');
  if (cleaned.length < 2 || cleaned.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(cleaned)) return undefined;
  const out = new Uint8Array(cleaned.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(cleaned.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Base64 (RFC 4648 section 4, or the URL alphabet of section 5), or undefined. */
export function parseBase64(text: string): Uint8Array | undefined {
  const cleaned = text.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  if (cleaned.length < 4 || !/^[A-Za-z0-9+/]+={0,2}$/.test(cleaned) || cleaned.length % 4 === 1) return undefined;
  const padded = cleaned.padEnd(Math.ceil(cleaned.length / 4) * 4, '=');
  try {
    const binary = atob(padded);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

/** True when `bytes` are text (UTF-8 without control characters but tab, CR, LF). */
export function isText(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 1 << 20);
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) return false;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n));
    return true;
  } catch {
    return false;
  }
}
