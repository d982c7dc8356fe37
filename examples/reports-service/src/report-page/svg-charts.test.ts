import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { barChart, escapeXml, lineChart, meterChart, niceMax } from './svg-charts.js';

const values = (svg: string, mark: 'rect' | 'circle') =>
  [...svg.matchAll(new RegExp(`<${mark} [^>]*data-label="([^"]*)" data-value="([^"]*)"`, 'g'))].map((m) => [
    m[1],
    Number(m[2]),
  ]);

describe('svg charts', () => {
  it('draws one bar per non-null point carrying its exact value', () => {
    const svg = barChart(
      [
        { label: '2024-01-01', value: 5 },
        { label: '2024-01-02', value: null },
        { label: '2024-01-03', value: 12.25 },
      ],
      { id: 'usage', title: 'Hours', unit: 'h', max: 24 },
    );
    expect(values(svg, 'rect')).toEqual([
      ['2024-01-01', 5],
      ['2024-01-03', 12.25],
    ]);
    expect(svg).toContain('data-chart="usage"');
    expect(svg).toContain('<title>2024-01-03: 12.3 h</title>');
  });

  it('scales bar heights to the axis maximum', () => {
    const svg = barChart(
      [
        { label: 'a', value: 24 },
        { label: 'b', value: 12 },
      ],
      { id: 'x', title: 't', unit: 'h', max: 24 },
    );
    const heights = [...svg.matchAll(/height="([\d.]+)" fill/g)].map((m) => Number(m[1]));
    expect(heights[0]).toBeCloseTo((heights[1] as number) * 2, 1);
  });

  it('breaks a line at missing values and keeps a dot per known value', () => {
    const svg = lineChart(
      [
        { label: 'a', value: 80 },
        { label: 'b', value: 70 },
        { label: 'c', value: null },
        { label: 'd', value: 60 },
      ],
      { id: 'battery', title: 'Battery', unit: '%', max: 100 },
    );
    expect(values(svg, 'circle').map(([, v]) => v)).toEqual([80, 70, 60]);
    expect(svg.match(/<polyline/g)).toHaveLength(1);
  });

  it('shows "no data" for a device without a value', () => {
    const svg = meterChart(
      [
        { label: 'left arm #1', value: 97.5, note: 'healthy' },
        { label: 'leg #2', value: null },
      ],
      { id: 'reliability', title: 'Reliability', unit: '%', max: 100 },
    );
    expect(values(svg, 'rect')).toEqual([['left arm #1', 97.5]]);
    expect(svg).toContain('no data');
  });

  it('escapes labels so data can never inject markup', () => {
    const svg = barChart([{ label: '<script>"x"&', value: 1 }], { id: 'x', title: '<t>', unit: 'h' });
    expect(svg).not.toContain('<script>');
    expect(svg).toContain(escapeXml('<script>"x"&'));
  });

  it('niceMax is at least the value and at most 2.5 times it', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-6, max: 1e9, noNaN: true }), (v) => {
        const m = niceMax(v);
        expect(m).toBeGreaterThanOrEqual(v);
        expect(m).toBeLessThanOrEqual(v * 2.5 + 1e-9);
      }),
    );
    expect(niceMax(17)).toBe(20);
    expect(niceMax(0)).toBe(1);
  });
});
