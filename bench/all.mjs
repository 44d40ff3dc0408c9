// `npm run bench [-- --quick]`: the codec micro-benchmarks (bench/run.mjs), then the
// end-to-end comparison (bench/e2e/run.mjs), with the same flags. Tables are printed and
// written to bench/results/ (codec.md/json, latest.md/json, throughput.svg, latency.svg).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
for (const script of [join(here, 'run.mjs'), join(here, 'e2e', 'run.mjs')]) {
  const r = spawnSync(process.execPath, [script, ...args], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
