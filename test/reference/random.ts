// Seeded randomness for the differential tests. Every randomized test derives its own
// generator from one base seed and names that seed in its failure messages; rerun a
// failure with WSFRAME_SEED=<seed> (decimal or 0x hex) to reproduce it exactly.

/** mulberry32 (Tommy Ettinger): a 32-bit state PRNG, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function parseSeed(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text.trim());
  if (!Number.isInteger(value)) throw new TypeError(`WSFRAME_SEED must be an integer (got ${text})`);
  return value >>> 0;
}

/** The base seed: WSFRAME_SEED, or a fixed default so CI runs are reproducible. */
export const BASE_SEED = parseSeed(process.env.WSFRAME_SEED) ?? 0x5eed6455;

/** FNV-1a over the label, mixed with the base seed: independent streams per test. */
function derive(base: number, label: string): number {
  let h = (0x811c9dc5 ^ base) >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export class Rng {
  private readonly next01: () => number;

  constructor(readonly label: string, readonly seed = BASE_SEED) {
    this.next01 = mulberry32(derive(seed, label));
  }

  /** For failure messages: enough to reproduce the run. */
  get note(): string {
    return `seed ${this.seed} (WSFRAME_SEED=${this.seed}, stream '${this.label}')`;
  }

  float(): number {
    return this.next01();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next01() * n);
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  bool(p = 0.5): boolean {
    return this.next01() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }

  /** Sorted cut points in [0, length], `count` of them (duplicates allowed: empty chunks). */
  cuts(length: number, count: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(this.range(0, length));
    return out.sort((a, b) => a - b);
  }
}
