// Small SVG charts for the benchmark report (no browser, no dependency).
const COLORS = ['#1f77b4', '#aec7e8', '#17becf', '#d62728', '#ff9896', '#2ca02c', '#7f7f7f', '#9467bd'];
const esc = (s) => String(s).replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);

function frame(width, height, title, body, series) {
  const legend = series.map((s, i) => `<rect x="${70 + i * 120}" y="${height - 22}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>` +
    `<text x="${86 + i * 120}" y="${height - 12}" font-size="12">${esc(s)}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">` +
    `<rect width="100%" height="100%" fill="white"/><text x="${width / 2}" y="20" text-anchor="middle" font-size="15">${esc(title)}</text>${body}${legend}</svg>\n`;
}

function axis(x0, y0, plotH, max, unit, width) {
  let out = '';
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = y0 - (plotH * i) / 4;
    out += `<line x1="${x0}" x2="${width - 10}" y1="${y}" y2="${y}" stroke="#ddd"/>` +
      `<text x="${x0 - 6}" y="${y + 4}" text-anchor="end" font-size="11">${v >= 1e6 ? (v / 1e6).toFixed(1) + 'M' : v >= 1e3 ? (v / 1e3).toFixed(0) + 'k' : v.toFixed(1)}${unit}</text>`;
  }
  return out;
}

/** Grouped bars: one group per workload, one bar per server. */
export function barChart({ groups, series }) {
  const barW = 10;
  const groupW = series.length * barW + 16;
  const width = Math.max(600, 80 + groups.length * groupW);
  const height = 380;
  const x0 = 70, y0 = height - 70, plotH = y0 - 40;
  const max = Math.max(1, ...groups.flatMap((g) => g.values.filter(Number.isFinite)));
  let body = axis(x0, y0, plotH, max, '', width);
  groups.forEach((g, gi) => {
    const gx = x0 + 8 + gi * groupW;
    g.values.forEach((v, si) => {
      if (!Number.isFinite(v)) return;
      const h = (plotH * v) / max;
      body += `<rect x="${gx + si * barW}" y="${y0 - h}" width="${barW - 1}" height="${h}" fill="${COLORS[si % COLORS.length]}"><title>${esc(series[si])} ${esc(g.label)}: ${Math.round(v)} msg/s</title></rect>`;
    });
    body += `<text x="${gx + (series.length * barW) / 2}" y="${y0 + 14}" text-anchor="middle" font-size="10">${esc(g.label)}</text>`;
  });
  return frame(width, height, 'Echo throughput, messages/s (connections × size, t=text b=binary)', body, series);
}

/** p50 / p99 / p99.9 per server for a few workloads: bars for p99, ticks for p50 and p99.9. */
export function latencyChart({ groups, series }) {
  const barW = 14;
  const groupW = series.length * barW + 24;
  const width = Math.max(600, 80 + groups.length * groupW);
  const height = 380;
  const x0 = 70, y0 = height - 70, plotH = y0 - 40;
  const max = Math.max(0.001, ...groups.flatMap((g) => g.values.flatMap((p) => p.filter(Number.isFinite))));
  let body = axis(x0, y0, plotH, max, ' ms', width);
  groups.forEach((g, gi) => {
    const gx = x0 + 8 + gi * groupW;
    g.values.forEach(([p50, p99, p999], si) => {
      if (!Number.isFinite(p99)) return;
      const x = gx + si * barW;
      const y = (v) => y0 - (plotH * v) / max;
      body += `<rect x="${x}" y="${y(p99)}" width="${barW - 2}" height="${y0 - y(p99)}" fill="${COLORS[si % COLORS.length]}"><title>${esc(series[si])}: p50 ${p50?.toFixed(2)} p99 ${p99.toFixed(2)} p99.9 ${p999?.toFixed(2)} ms</title></rect>` +
        `<line x1="${x}" x2="${x + barW - 2}" y1="${y(p50)}" y2="${y(p50)}" stroke="black"/>` +
        (Number.isFinite(p999) ? `<line x1="${x}" x2="${x + barW - 2}" y1="${y(p999)}" y2="${y(p999)}" stroke="black" stroke-dasharray="2,2"/>` : '');
    });
    body += `<text x="${gx + (series.length * barW) / 2}" y="${y0 + 14}" text-anchor="middle" font-size="11">${esc(g.label)}</text>`;
  });
  return frame(width, height, 'Round-trip latency: bar p99, solid tick p50, dashed tick p99.9 (ms)', body, series);
}
