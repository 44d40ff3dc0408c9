// tinybench around cases that each do a fixed amount of work per iteration.
// A case's function must do the whole batch itself (its own `for` loop around the call):
// a shared helper calling many different closures would turn its call site megamorphic
// and charge every variant an indirect call that real code does not pay.
//
// The variants of one column are measured in rounds, alternating their order, and the
// samples of all rounds are pooled: on a shared 2-core machine a slow phase (a neighbour's
// burst, a frequency drop) then lands on every variant alike instead of on whichever ran
// during it. Each case starts after a full GC.
import v8 from 'node:v8';
import vm from 'node:vm';
import { Bench } from 'tinybench';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

export interface Settings {
  /** Rounds over all the variants of a column. */
  readonly rounds: number;
  /** Time budget per case and round in ms (tinybench `time`). */
  readonly time: number;
  /** Minimum iterations per case and round. */
  readonly iterations: number;
  /** Warm-up of each case in the first round (a quarter of it in later rounds). */
  readonly warmupTime: number;
  readonly warmupIterations: number;
}

export const QUICK: Settings = { rounds: 2, time: 20, iterations: 3, warmupTime: 20, warmupIterations: 4 };
export const FULL: Settings = { rounds: 4, time: 80, iterations: 6, warmupTime: 80, warmupIterations: 8 };

export interface Case {
  /** Row label: "wasm in place", "bufferutil", … */
  readonly variant: string;
  /** Bytes processed per iteration (the same for every variant of a column). */
  readonly bytes: number;
  /** Operations per iteration: calls, or frames for parse. */
  readonly ops: number;
  readonly fn: () => void;
}

export interface Quantiles { readonly min: number; readonly p25: number; readonly p50: number; readonly p75: number; readonly max: number }

export interface Result {
  readonly variant: string;
  readonly bytes: number;
  readonly ops: number;
  readonly samples: number;
  /** Per-operation time in ns (p50 is the median iteration divided by ops). */
  readonly nsPerOp: Quantiles;
  /** Throughput in GB/s (10^9 bytes/s) for each latency quantile (min ↔ slowest iteration). */
  readonly gbps: Quantiles;
  readonly opsPerSec: Quantiles;
}

function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/** Runs the cases (the variants of one column) in rounds; see the top of this file. */
export function measure(cases: readonly Case[], settings: Settings): Result[] {
  const pooled: number[][] = cases.map(() => []);
  for (let round = 0; round < settings.rounds; round++) {
    const bench = new Bench({
      time: settings.time,
      iterations: settings.iterations,
      warmupTime: round === 0 ? settings.warmupTime : settings.warmupTime / 4,
      warmupIterations: settings.warmupIterations,
      retainSamples: true,
      throws: true,
    });
    const order = cases.map((_, i) => (round % 2 === 0 ? i : cases.length - 1 - i));
    for (const i of order) bench.add(String(i), cases[i].fn, { beforeAll: gc });
    bench.runSync();
    for (const task of bench.tasks) {
      const c = cases[Number(task.name)];
      const result = task.result;
      if (result.state !== 'completed') throw new Error(`benchmark ${c.variant}: ${result.state}`);
      const samples = result.latency.samples;
      if (samples === undefined || samples.length === 0) throw new Error(`benchmark ${c.variant}: no samples`);
      pooled[Number(task.name)].push(...samples);
    }
  }
  return cases.map((c, i) => {
    const ms = pooled[i].sort((a, b) => a - b);
    const latency = { min: ms[0], p25: quantile(ms, 0.25), p50: quantile(ms, 0.5), p75: quantile(ms, 0.75), max: ms[ms.length - 1] };
    // The fastest iteration is the highest throughput: quantiles swap ends.
    const rate = (perIteration: number, scale: number): Quantiles => ({
      min: (perIteration / latency.max) * scale,
      p25: (perIteration / latency.p75) * scale,
      p50: (perIteration / latency.p50) * scale,
      p75: (perIteration / latency.p25) * scale,
      max: (perIteration / latency.min) * scale,
    });
    return {
      variant: c.variant,
      bytes: c.bytes,
      ops: c.ops,
      samples: ms.length,
      nsPerOp: {
        min: (latency.min * 1e6) / c.ops,
        p25: (latency.p25 * 1e6) / c.ops,
        p50: (latency.p50 * 1e6) / c.ops,
        p75: (latency.p75 * 1e6) / c.ops,
        max: (latency.max * 1e6) / c.ops,
      },
      gbps: rate(c.bytes, 1e3 / 1e9),
      opsPerSec: rate(c.ops, 1e3),
    };
  });
}

/**
 * Calls per iteration for inputs of `size` bytes: enough that an iteration moves about
 * 1 MiB (so the timer's ~50 ns is noise), at most 1,000 calls, at least one.
 */
export function callsFor(size: number): number {
  return Math.max(1, Math.min(1000, Math.round((1 << 20) / size)));
}
