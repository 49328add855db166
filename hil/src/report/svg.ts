import type { ReportChart } from '@plant-twin/contracts';

/**
 * Charts as inline SVG (no script, no network, printable): a histogram with its quantiles marked, or
 * a time series; a limit is drawn as a dashed line. Grey by default, colour only for what is over a limit.
 */
const W = 560, H = 180, L = 48, R = 12, T = 22, B = 30;
const esc = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

export function chartSvg(c: ReportChart): string {
  const pw = W - L - R, ph = H - T - B;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(c.title)}" class="chart">`];
  parts.push(`<text x="${L}" y="14" class="t">${esc(c.title)} (${esc(c.unit)})</text>`);
  parts.push(`<line x1="${L}" y1="${T + ph}" x2="${L + pw}" y2="${T + ph}" class="axis"/><line x1="${L}" y1="${T}" x2="${L}" y2="${T + ph}" class="axis"/>`);
  if (c.kind === 'histogram') {
    const bins = c.bins.filter((b, i) => b.count > 0 || c.bins.slice(i).some((x) => x.count > 0));
    const maxCount = Math.max(1, ...bins.map((b) => b.count));
    const bw = pw / Math.max(1, bins.length);
    bins.forEach((b, i) => {
      const h = (b.count / maxCount) * ph;
      const over = c.limit !== undefined && b.from >= c.limit;
      parts.push(`<rect x="${(L + i * bw + 0.5).toFixed(1)}" y="${(T + ph - h).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${h.toFixed(1)}" class="${over ? 'bar over' : 'bar'}"><title>${fmt(b.from)}-${fmt(b.to)} ${esc(c.unit)}: ${b.count}</title></rect>`);
      if (i % Math.ceil(bins.length / 8) === 0) parts.push(`<text x="${(L + i * bw).toFixed(1)}" y="${H - 14}" class="l">${fmt(b.from)}</text>`);
    });
    parts.push(`<text x="${L - 6}" y="${T + 8}" class="l" text-anchor="end">${maxCount}</text><text x="${L - 6}" y="${T + ph}" class="l" text-anchor="end">0</text>`);
    const xOf = (v: number) => {
      const i = bins.findIndex((b) => v < b.to);
      if (i < 0) return L + pw;
      const b = bins[i]!;
      return L + (i + (v - b.from) / Math.max(1e-9, b.to - b.from)) * bw;
    };
    let dy = 0;
    for (const [k, v] of Object.entries(c.marks)) {
      if (!Number.isFinite(v)) continue;
      const x = xOf(v).toFixed(1);
      parts.push(`<line x1="${x}" y1="${T}" x2="${x}" y2="${T + ph}" class="mark"/><text x="${x}" y="${T + 10 + (dy++ % 4) * 10}" class="m">${esc(k)} ${fmt(v)}</text>`);
    }
    if (c.limit !== undefined && bins.length && c.limit <= bins.at(-1)!.to) {
      const x = xOf(c.limit).toFixed(1);
      parts.push(`<line x1="${x}" y1="${T}" x2="${x}" y2="${T + ph}" class="limit"/>`);
    }
    parts.push(`<text x="${L + pw}" y="${H - 2}" class="l" text-anchor="end">${esc(c.unit)}</text>`);
  } else {
    const pts = c.points;
    if (pts.length) {
      const t0 = pts[0]![0], t1 = Math.max(t0 + 1, pts.at(-1)![0]);
      const vmax = Math.max(c.limit ?? 0, ...pts.map((p) => p[1])) * 1.1 || 1;
      const x = (t: number) => L + ((t - t0) / (t1 - t0)) * pw, y = (v: number) => T + ph - (v / vmax) * ph;
      parts.push(`<polyline points="${pts.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ')}" class="line"/>`);
      for (const p of pts) if (c.limit !== undefined && p[1] > c.limit) parts.push(`<circle cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}" r="3" class="over"/>`);
      if (c.limit !== undefined) parts.push(`<line x1="${L}" y1="${y(c.limit).toFixed(1)}" x2="${L + pw}" y2="${y(c.limit).toFixed(1)}" class="limit"/>`);
      parts.push(`<text x="${L - 6}" y="${T + 8}" class="l" text-anchor="end">${fmt(vmax)}</text><text x="${L - 6}" y="${T + ph}" class="l" text-anchor="end">0</text>`);
      parts.push(`<text x="${L}" y="${H - 14}" class="l">${new Date(t0).toISOString().slice(11, 16)}</text><text x="${L + pw}" y="${H - 14}" class="l" text-anchor="end">${new Date(t1).toISOString().slice(11, 16)} UTC</text>`);
    }
  }
  parts.push('</svg>');
  return parts.join('');
}
