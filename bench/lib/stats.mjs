// Percentiles and the markdown tables every section prints.

/** Nearest-rank percentile; NaN for no values. */
export function pct(values, p) {
  if (!values.length) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const ratio = (a, b) => (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? null : a / b);

export const fmt = (v) => (v == null || Number.isNaN(v) ? 'n/a' : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2));

/** A markdown table with the first column left-aligned and the others right-aligned. */
export function markdownTable(header, rows) {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'string' ? c : fmt(c))));
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((r) => r[c].length)));
  const line = (r) => `| ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (c === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...cells.map(line)].join('\n');
}

/** Rows of `metric | platform | baseline | ratio`, from [label, platformValue, baselineValue]. */
export function comparisonTable(rows) {
  return markdownTable(
    ['metric', 'platform', 'baseline', 'ratio (platform/baseline)'],
    rows.map(([label, p, b]) => {
      const r = ratio(p, b);
      return [label, p, b, r === null ? 'n/a' : `${r.toFixed(2)}x`];
    }),
  );
}
