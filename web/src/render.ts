// Rendering: the detail pane (header fields, the bits of bytes 0 and 1,
// a hex view with each header field in its own colour, problems and decoded views).
import type { InspectedFrame } from '../../src/inspect/types.js';

const HEX_BYTES = 1024;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

/** The colour class of header byte `i` of `f`. */
function fieldClass(f: InspectedFrame, i: number): string {
  if (i >= f.headerLength) return 'f-payload';
  if (i === 0) return 'f-b0';
  if (i === 1) return 'f-b1';
  return f.masked && i >= f.headerLength - 4 ? 'f-key' : 'f-len';
}

function hexView(f: InspectedFrame): HTMLElement {
  const shown = Math.min(f.payload.length, HEX_BYTES);
  const bytes = new Uint8Array(f.header.length + shown);
  bytes.set(f.header, 0);
  bytes.set(f.payload.subarray(0, shown), f.header.length);
  const bad = new Set(f.problems.map((p) => p.offset).filter((o): o is number => o !== undefined));
  const names = (i: number): string => f.fields.filter((x) => f.offset + i >= x.start && f.offset + i < x.end).map((x) => `${x.name}=${x.value}`).join('\n') || `payload byte ${i - f.headerLength}`;
  const pre = el('div', { className: 'hex' });
  for (let line = 0; line < bytes.length; line += 16) {
    pre.append(`${(f.offset + line).toString(16).padStart(8, '0')}  `);
    let ascii = '';
    for (let i = line; i < line + 16; i++) {
      if (i >= bytes.length) { pre.append('   '); continue; }
      const b = bytes[i];
      const span = el('span', { className: `b ${fieldClass(f, i)}${bad.has(f.offset + i) ? ' bad' : ''}`, title: names(i) }, b.toString(16).padStart(2, '0'));
      pre.append(span, ' ');
      ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    }
    pre.append(` ${ascii}\n`);
  }
  if (f.payload.length > shown) pre.append(`… ${f.payload.length - shown} more payload bytes\n`);
  return pre;
}

function bits(byte: number, labels: string[]): string {
  return labels.map((l, i) => `${l}=${(byte >> (7 - i)) & 1}`).join(' ');
}

export function renderDetail(pane: HTMLElement, f: InspectedFrame): void {
  const parts: Node[] = [el('h3', {}, `${f.kind === 'message' ? 'Message' : 'Frame'} ${f.index}: ${f.opcodeName}, ${f.direction === 'client' ? 'client → server' : 'server → client'}`)];
  if (f.kind === 'message') {
    parts.push(el('p', { className: 'muted' }, 'Recorded by the browser (HAR): a message, not a wire frame — no header bytes, mask or control frames to show.'));
  } else {
    parts.push(el('p', {}, `offset ${f.offset}, header ${f.headerLength} bytes, payload ${f.payloadLength} bytes (${f.lengthEncoding}-bit length)${f.truncated ? `, ${f.payload.length} captured` : ''}${f.packet ? `, packet ${f.packet}` : ''}`));
    const table = el('table', { className: 'fields' }, el('tr', {}, el('th', {}, 'field'), el('th', {}, 'bytes'), el('th', {}, 'value')));
    for (const x of f.fields) {
      const range = x.end - x.start === 1 ? `${x.start}${x.bits !== undefined ? ` & 0x${x.bits.toString(16)}` : ''}` : `${x.start}–${x.end - 1}`;
      table.append(el('tr', {}, el('td', {}, x.name), el('td', {}, range), el('td', {}, x.value)));
    }
    parts.push(table, el('p', { className: 'hex' }, `byte 0 ${f.header[0].toString(2).padStart(8, '0')}  ${bits(f.header[0], ['FIN', 'RSV1', 'RSV2', 'RSV3'])} opcode=${f.opcode}\n` +
      `byte 1 ${f.header[1].toString(2).padStart(8, '0')}  MASK=${f.header[1] >> 7} length7=${f.header[1] & 0x7f}`));
    parts.push(el('div', { className: 'legend' }, el('span', { className: 'f-b0' }, 'FIN RSV opcode'), el('span', { className: 'f-b1' }, 'MASK len'),
      el('span', { className: 'f-len' }, 'ext. length'), el('span', { className: 'f-key' }, 'masking key'), el('span', { className: 'f-payload' }, 'payload (unmasked)')));
    parts.push(hexView(f));
  }
  if (f.problems.length > 0) parts.push(el('h4', {}, 'Problems'), el('ul', { className: 'problems' }, ...f.problems.map((p) => el('li', {}, `${p.code}: ${p.message} [${p.rule}]`))));
  if (f.close) parts.push(el('h4', {}, 'Close'), el('p', {}, f.close.code === undefined ? 'no status code' : `${f.close.code} ${f.close.name}${f.close.reason ? ` — “${f.close.reason}”` : ''}`));
  const m = f.message;
  if (m) {
    parts.push(el('h4', {}, `Message: ${m.frames} frame${m.frames > 1 ? 's' : ''}, ${m.data.length} bytes${m.inflated ? ` (inflated from ${m.wireLength})` : ''}`));
    if (m.text !== undefined) parts.push(el('pre', { className: 'view' }, m.text.slice(0, 20000)));
    for (const [name, view] of Object.entries(m.views)) parts.push(el('strong', {}, name), el('pre', { className: 'view' }, view as string));
  }
  if (f.hex && !m?.text) parts.push(el('h4', {}, 'Payload hex'), el('pre', { className: 'view' }, f.hex));
  pane.replaceChildren(...parts);
}
