/**
 * Server-side SVG charts for the owner's report page: pure functions from
 * numbers to markup, no script. Each mark carries `data-label` and
 * `data-value` (the exact number shown) and a `<title>` tooltip, so a reader
 * with a screen reader, a test, or a curious engineer can read the numbers.
 */

/** Escapes text for XML/HTML content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** One point of a series; `null` means no data (drawn as a gap). */
export interface ChartPoint {
  readonly label: string;
  readonly value: number | null;
}

/** Options shared by the charts. */
export interface ChartOptions {
  /** Accessible name of the chart. */
  readonly title: string;
  /** Unit shown after values, e.g. `h`, `%`. */
  readonly unit: string;
  /** Top of the value axis; default the largest value rounded up to a nice number. */
  readonly max?: number;
  /** Decimals shown; default 1. */
  readonly decimals?: number;
  /** CSS colour of the marks. */
  readonly color?: string;
  /** Identifier used in `data-chart` (tests and styling). */
  readonly id: string;
}

const WIDTH = 420;
const HEIGHT = 180;
const PAD = { left: 32, right: 6, top: 10, bottom: 24 };

/**
 * A round axis maximum ≥ `value`: 1, 2, 2.5 or 5 times a power of ten.
 *
 * @example
 * ```ts
 * niceMax(17); // 20
 * ```
 */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

function format(value: number, decimals: number): string {
  return value.toFixed(decimals);
}

function frame(options: ChartOptions, max: number, body: string, labels: string): string {
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  // Counts get whole-number ticks only.
  const ticks = [0, max / 2, max]
    .filter((tick) => options.decimals !== 0 || Number.isInteger(tick))
    .map((tick) => {
      const y = PAD.top + plotH - (tick / max) * plotH;
      return `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y}" y2="${y}" class="grid"/><text x="${PAD.left - 4}" y="${y + 4}" text-anchor="end" class="tick">${format(tick, tick % 1 === 0 ? 0 : 1)}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeXml(options.title)}" data-chart="${escapeXml(options.id)}" data-max="${max}" preserveAspectRatio="xMidYMid meet"><title>${escapeXml(options.title)}</title>${ticks}${body}${labels}</svg>`;
}

/**
 * A vertical bar chart, one bar per point.
 *
 * @example
 * ```ts
 * barChart([{ label: '2024-01-01', value: 5 }], { id: 'usage', title: 'Hours of use per day', unit: 'h' });
 * ```
 */
export function barChart(points: readonly ChartPoint[], options: ChartOptions): string {
  const decimals = options.decimals ?? 1;
  const max = options.max ?? niceMax(Math.max(0, ...points.map((p) => p.value ?? 0)));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(points.length, 1);
  const barW = Math.max(1, slot * 0.72);
  const labelEvery = Math.max(1, Math.ceil(points.length / 10));
  let bars = '';
  let labels = '';
  points.forEach((point, i) => {
    const x = PAD.left + i * slot + (slot - barW) / 2;
    if (point.value !== null) {
      const h = (Math.min(point.value, max) / max) * plotH;
      const text = `${point.label}: ${format(point.value, decimals)} ${options.unit}`;
      bars += `<rect x="${x.toFixed(2)}" y="${(PAD.top + plotH - h).toFixed(2)}" width="${barW.toFixed(2)}" height="${h.toFixed(2)}" fill="${options.color ?? '#2563eb'}" data-label="${escapeXml(point.label)}" data-value="${point.value}"><title>${escapeXml(text)}</title></rect>`;
    }
    if (i % labelEvery === 0) {
      labels += `<text x="${(x + barW / 2).toFixed(2)}" y="${HEIGHT - 8}" text-anchor="middle" class="tick">${escapeXml(shortLabel(point.label))}</text>`;
    }
  });
  return frame(options, max, bars, labels);
}

/**
 * A line chart with a dot per point; `null` values break the line.
 *
 * @example
 * ```ts
 * lineChart(days, { id: 'battery', title: 'Average charge level', unit: '%', max: 100 });
 * ```
 */
export function lineChart(points: readonly ChartPoint[], options: ChartOptions): string {
  const decimals = options.decimals ?? 1;
  const max = options.max ?? niceMax(Math.max(0, ...points.map((p) => p.value ?? 0)));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const step = points.length > 1 ? plotW / (points.length - 1) : 0;
  const labelEvery = Math.max(1, Math.ceil(points.length / 10));
  const color = options.color ?? '#16a34a';
  const segments: string[][] = [[]];
  let dots = '';
  let labels = '';
  points.forEach((point, i) => {
    const x = PAD.left + (points.length > 1 ? i * step : plotW / 2);
    if (point.value === null) {
      segments.push([]);
    } else {
      const y = PAD.top + plotH - (Math.min(point.value, max) / max) * plotH;
      segments[segments.length - 1]?.push(`${x.toFixed(2)},${y.toFixed(2)}`);
      const text = `${point.label}: ${format(point.value, decimals)} ${options.unit}`;
      dots += `<circle cx="${x.toFixed(2)}" cy="${y.toFixed(2)}" r="3" fill="${color}" data-label="${escapeXml(point.label)}" data-value="${point.value}"><title>${escapeXml(text)}</title></circle>`;
    }
    if (i % labelEvery === 0) {
      labels += `<text x="${x.toFixed(2)}" y="${HEIGHT - 8}" text-anchor="middle" class="tick">${escapeXml(shortLabel(point.label))}</text>`;
    }
  });
  const lines = segments
    .filter((s) => s.length > 1)
    .map((s) => `<polyline points="${s.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`)
    .join('');
  return frame(options, max, lines + dots, labels);
}

/** One horizontal bar of a {@link meterChart}. */
export interface MeterRow {
  readonly label: string;
  readonly value: number | null;
  /** Text shown after the bar, e.g. `3 cycles · worn`. */
  readonly note?: string;
}

/**
 * Horizontal bars on a fixed scale, one row per device (reliability %, charge cycles).
 *
 * @example
 * ```ts
 * meterChart([{ label: 'left_arm #3', value: 98.5 }], { id: 'reliability', title: 'Reliability', unit: '%', max: 100 });
 * ```
 */
export function meterChart(rows: readonly MeterRow[], options: ChartOptions): string {
  const decimals = options.decimals ?? 1;
  const max = options.max ?? niceMax(Math.max(0, ...rows.map((r) => r.value ?? 0)));
  const rowH = 30;
  const labelW = 100;
  const noteW = 165;
  const barMax = WIDTH - labelW - noteW - 16;
  const height = Math.max(rowH, rows.length * rowH) + 8;
  const color = options.color ?? '#9333ea';
  const body = rows
    .map((row, i) => {
      const y = 4 + i * rowH;
      const w = row.value === null ? 0 : (Math.min(row.value, max) / max) * barMax;
      const shown = row.value === null ? 'no data' : `${format(row.value, decimals)} ${options.unit}`;
      const bar =
        row.value === null
          ? ''
          : `<rect x="${labelW}" y="${y + 6}" width="${w.toFixed(2)}" height="${rowH - 14}" fill="${color}" data-label="${escapeXml(row.label)}" data-value="${row.value}"><title>${escapeXml(`${row.label}: ${shown}`)}</title></rect>`;
      return `<text x="${labelW - 8}" y="${y + rowH / 2 + 4}" text-anchor="end" class="label">${escapeXml(row.label)}</text><rect x="${labelW}" y="${y + 6}" width="${barMax}" height="${rowH - 14}" class="track"/>${bar}<text x="${labelW + barMax + 8}" y="${y + rowH / 2 + 4}" class="label">${escapeXml(shown)}${row.note ? ` · ${escapeXml(row.note)}` : ''}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeXml(options.title)}" data-chart="${escapeXml(options.id)}" data-max="${max}"><title>${escapeXml(options.title)}</title>${body}</svg>`;
}

/** `2024-01-05` → `5`; other labels unchanged. */
function shortLabel(label: string): string {
  const day = /^\d{4}-\d{2}-(\d{2})$/.exec(label);
  return day ? String(Number(day[1])) : label;
}
