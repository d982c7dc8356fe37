import { describe, expect, it } from 'vitest';
import { renderReportErrorPage, renderReportPage } from './report-page.js';
import type { PageDay, ReportPageData } from './report-page-data.js';

function days(month: string, fill: (day: number) => Partial<PageDay>): PageDay[] {
  const count = new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 0)).getUTCDate();
  return Array.from({ length: count }, (_, i) => ({
    date: `${month}-${String(i + 1).padStart(2, '0')}`,
    usageHours: 0,
    batteryLevel: null,
    errors: 0,
    movements: 0,
    ...fill(i + 1),
  }));
}

const finance = {
  total_payments: '2999.00',
  successful_payments: '2999.00',
  failed_payments_count: 0,
  active_subscriptions: 1,
  monthly_cost: '2999.00',
};

const month: ReportPageData = {
  month: '2024-01',
  months: ['2024-01'],
  report: {
    period: '2024-01',
    user_id: 1,
    financial: finance,
    devices: [
      {
        prosthetic_id: 1,
        device_type: 'right_arm',
        usage_hours: 100.25,
        power_on_count: 20,
        battery_health: 'good',
        downtime_minutes: 3,
        errors: 1,
      },
      {
        prosthetic_id: 2,
        device_type: 'left_leg',
        usage_hours: 65.25,
        power_on_count: 11,
        battery_health: 'good',
        downtime_minutes: 0,
        errors: 0,
      },
    ],
    status: 'attention',
  },
  // 31 days × 6 or 7 hours with movement: 202 h, a different quantity from powered-on time.
  days: days('2024-01', (d) => ({ usageHours: d <= 16 ? 7 : 6, batteryLevel: 70, movements: 40 })),
  devices: [
    {
      prostheticId: 1,
      deviceType: 'right_arm',
      chargeCycles: 3,
      batteryHealth: 'good',
      reliabilityPct: 95,
      dailyUsageHours: 3.2,
      status: 'attention',
    },
    {
      prostheticId: 2,
      deviceType: 'left_leg',
      chargeCycles: 1,
      batteryHealth: 'good',
      reliabilityPct: 100,
      dailyUsageHours: 2.1,
      status: 'healthy',
    },
  ],
};

const kpi = (html: string, name: string) => new RegExp(`data-kpi="${name}"[^>]*>([^<]*)<`).exec(html)?.[1];
const label = (html: string, name: string) =>
  new RegExp(`<span>([^<]*)</span><b data-kpi="${name}"`).exec(html)?.[1];

describe('renderReportPage', () => {
  const html = renderReportPage(month, { userLabel: 'ivan', action: '/reports/user/1/page' });

  it('shows powered-on time from one source: the header equals the sum of the table', () => {
    expect(kpi(html, 'powered-on-hours')).toBe('165.5 h');
    expect(html).toContain('<tfoot><tr><th>All prostheses</th><th>165.5 h</th>');
  });

  it('names hours with movement apart from powered-on time, from the chart’s own source', () => {
    expect(kpi(html, 'movement-hours')).toBe('202 h');
    expect(label(html, 'movement-hours')).toBe('Hours with movement');
    expect(label(html, 'powered-on-hours')).toBe('Powered on');
    expect(html).not.toContain('Hours of use');
  });

  it('says a month without data has none: no status, no charts', () => {
    const empty: ReportPageData = {
      ...month,
      months: [],
      report: { ...month.report, devices: [], status: 'healthy' },
      days: days('2024-01', () => ({})),
      devices: [],
    };
    const page = renderReportPage(empty, { userLabel: 'ivan', action: '/reports/user/1/page' });
    expect(page).toContain('data-empty="month"');
    expect(page).toContain('No prosthesis data for 2024-01');
    expect(page).not.toContain('data-chart=');
    expect(kpi(page, 'status')).toBe('no data');
    expect(page).not.toContain('class="status-healthy"');
    // Payments are still shown: they are not prosthesis data.
    expect(kpi(page, 'successful-payments')).toBe('2999.00 ₽');
  });
});

describe('renderReportErrorPage', () => {
  it('tells a visitor without a session how to sign in', () => {
    const page = renderReportErrorPage(401, { signInUrl: '/demo' });
    expect(page).toContain('<h1>Sign in to see your report</h1>');
    expect(page).toContain('href="/demo"');
    const portal = renderReportErrorPage(401, {});
    expect(portal).toContain('BionicPRO portal');
  });

  it('says a report of another account is not shown, and names bad parameters', () => {
    expect(renderReportErrorPage(403, {})).toContain('belongs to another account');
    const bad = renderReportErrorPage(400, {
      issues: [{ path: ['query', 'month'], code: 'invalid_format', message: 'expected a month <YYYY-MM>' }],
    });
    expect(bad).toContain('<code>month</code>: expected a month &lt;YYYY-MM&gt;');
  });
});
