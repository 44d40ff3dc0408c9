// `npm run bench [-- --quick]`: the codec micro-benchmarks (bench/run.mjs), then the
// end-to-end comparison (bench/e2e/run.mjs), with the same flags. Tables are printed and
// written to bench/results/ (codec.md/json, latest.md/json, throughput.svg, latency.svg; a
// --quick run to bench/results/quick/, not over the full run's files),
// then how long each part took (the full run should stay under 15 minutes, --quick under 2).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const took = [];
const started = Date.now();
for (const [name, script] of [['codec micro-benchmarks', join(here, 'run.mjs')], ['end to end', join(here, 'e2e', 'run.mjs')]]) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [script, ...args], { stdio: 'inherit' });
  took.push(`${name} ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  if (r.status !== 0) process.exit(r.status ?? 1);
}
console.error(`bench: ${took.join(', ')}; total ${((Date.now() - started) / 1000).toFixed(0)} s (npm run build not included)`);
