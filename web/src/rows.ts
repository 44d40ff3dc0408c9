// The table's rows in the page: packed rows (store.ts) appended as they come (from the
// worker in one piece, from live mode a few at a time), read a cell at a time.
import { CELLS, MESSAGE, OPCODE, PREVIEW, PROBLEM, SERVER, type PackedRows } from './store.js';

export class Rows {
  private packs: Array<PackedRows & { first: number }> = [];
  private last = 0;
  count = 0;
  problems = 0;

  append(p: PackedRows): void {
    if (p.count === 0) return;
    this.packs.push({ ...p, first: this.count });
    this.count += p.count;
    for (const n of p.problems) this.problems += n;
  }

  /** The pack holding row `i`, and the row's place in it. */
  private at(i: number): [PackedRows, number] {
    let p = this.packs[this.last];
    if (p === undefined || i < p.first || i >= p.first + p.count) {
      let lo = 0;
      let hi = this.packs.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (this.packs[mid].first <= i) lo = mid; else hi = mid - 1;
      }
      this.last = lo;
      p = this.packs[lo];
    }
    return [p, i - p.first];
  }

  cell(i: number, c: number): string {
    const [p, j] = this.at(i);
    const k = j * CELLS + c;
    return p.text.slice(k === 0 ? 0 : p.ends[k - 1], p.ends[k]);
  }

  cells(i: number): string[] {
    return Array.from({ length: CELLS }, (_, c) => this.cell(i, c));
  }

  /** The row's class names. */
  className(i: number): string {
    const [p, j] = this.at(i);
    const f = p.flags[j];
    return `${f & SERVER ? 'server' : 'client'}${f & PROBLEM ? ' problem' : ''}${f & MESSAGE ? ' message' : ''}`;
  }

  direction(i: number): 'client' | 'server' {
    const [p, j] = this.at(i);
    return p.flags[j] & SERVER ? 'server' : 'client';
  }

  /** The opcode's name ('text', 'reserved 0x3'), for a recorded message too. */
  opcodeName(i: number): string {
    const [p, j] = this.at(i);
    const name = this.cell(i, OPCODE);
    return p.flags[j] & MESSAGE ? name.replace(/^msg /, '') : name;
  }

  problemCount(i: number): number {
    const [p, j] = this.at(i);
    return p.problems[j];
  }

  preview(i: number): string {
    return this.cell(i, PREVIEW);
  }
}
