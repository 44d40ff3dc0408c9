// The frame table, virtualized: every row shown is in the scroll range, but only those in
// view (and a few either side) are in the DOM, so 36,000 rows cost what 80 do. Two spacers
// around the table stand for the rows above and below; rows have one fixed height.
import { PREVIEW } from './store.js';
import { Rows } from './rows.js';

const OVERSCAN = 10;

export class FrameTable {
  private rows = new Rows();
  /** Positions of the rows shown; null: all of them. */
  private shown: ArrayLike<number> | null = null;
  private selected = -1;
  private rowHeight = 20;
  private scheduled = false;
  private measured = false;
  /** The rows in the DOM: first and last position in `shown`; -1 when they must be made again. */
  private drawn = [-1, -1];

  constructor(
    private readonly wrap: HTMLElement, private readonly table: HTMLTableElement, private readonly padTop: HTMLElement,
    private readonly padBottom: HTMLElement, onSelect: (pos: number) => void,
  ) {
    wrap.addEventListener('scroll', () => this.schedule(), { passive: true });
    if (typeof ResizeObserver !== 'undefined') new ResizeObserver(() => this.schedule()).observe(wrap);
    this.body.addEventListener('click', (e) => {
      const tr = (e.target as Element).closest('tr');
      if (tr?.dataset.pos !== undefined) onSelect(Number(tr.dataset.pos));
    });
  }

  private get body(): HTMLTableSectionElement {
    return this.table.tBodies[0];
  }

  /** Shows `shown` (positions in `rows`; null: every row), from the top unless `keepScroll`. */
  show(rows: Rows, shown: ArrayLike<number> | null, keepScroll = false): void {
    // Rows appended with no filter leave the rows in view as they are.
    if (!(rows === this.rows && shown === null && this.shown === null)) this.drawn = [-1, -1];
    this.rows = rows;
    this.shown = shown;
    if (!keepScroll) this.wrap.scrollTop = 0;
    this.render();
  }

  clear(): void {
    this.selected = -1;
    this.show(new Rows(), []);
  }

  /** Marks row `pos` selected. */
  select(pos: number): void {
    this.selected = pos;
    for (const tr of Array.from(this.body.rows)) tr.classList.toggle('selected', Number(tr.dataset.pos) === pos);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => { this.scheduled = false; this.render(); });
  }

  private render(): void {
    const shown = this.shown;
    const n = shown === null ? this.rows.count : shown.length;
    const h = this.rowHeight;
    const head = this.table.tHead?.offsetHeight ?? 0;
    const top = Math.max(0, this.wrap.scrollTop - head);
    const view = this.wrap.clientHeight || 1000;
    const last = Math.min(n, Math.ceil((top + view) / h) + OVERSCAN);
    const first = Math.max(0, Math.min(last, Math.floor(top / h) - OVERSCAN));
    this.padTop.style.height = `${first * h}px`;
    this.padBottom.style.height = `${(n - last) * h}px`;
    if (first === this.drawn[0] && last === this.drawn[1]) return;
    this.drawn = [first, last];
    const trs: HTMLTableRowElement[] = [];
    for (let i = first; i < last; i++) trs.push(this.row(shown === null ? i : shown[i]));
    this.body.replaceChildren(...trs);
    // The row height, measured once (it forces a layout).
    if (!this.measured && trs.length > 0) {
      const real = trs[0].getBoundingClientRect().height;
      if (real > 0) {
        this.measured = true;
        if (Math.abs(real - h) > 0.25) { this.rowHeight = real; this.drawn = [-1, -1]; this.schedule(); }
      }
    }
  }

  private row(pos: number): HTMLTableRowElement {
    const cells = this.rows.cells(pos);
    const tr = document.createElement('tr');
    const cls = this.rows.className(pos);
    tr.className = pos === this.selected ? `${cls} selected` : cls;
    cells.forEach((text, i) => {
      const td = tr.insertCell();
      td.textContent = text;
      if (i === PREVIEW) { td.className = 'preview'; td.title = text; }
    });
    tr.dataset.index = cells[0];
    tr.dataset.pos = String(pos);
    return tr;
  }
}
