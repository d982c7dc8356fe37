import type { RequestIssue } from '../http-errors.js';
import type { ReportPageData } from './report-page-data.js';
import { barChart, escapeXml, lineChart, meterChart } from './svg-charts.js';

const STYLE = `
:root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.4}
body{margin:0;background:#f6f7f9;color:#1f2937}
header{background:#0f172a;color:#fff;padding:12px 16px}
header h1{font-size:1.15rem;margin:0}
header p{margin:2px 0 0;font-size:.85rem;opacity:.8}
main{max-width:760px;margin:0 auto;padding:12px}
form{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin:8px 0 12px}
select,button{font-size:1rem;padding:6px 10px;border-radius:6px;border:1px solid #cbd5e1;background:#fff}
button{background:#2563eb;color:#fff;border-color:#2563eb}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:8px}
.card{background:#fff;border-radius:8px;padding:10px 12px;box-shadow:0 1px 2px #0001}
.card b{display:block;font-size:1.3rem}
.card span{font-size:.8rem;color:#64748b}
section{background:#fff;border-radius:8px;padding:10px 12px;margin:12px 0;box-shadow:0 1px 2px #0001}
section h2{font-size:1rem;margin:0 0 6px}
section p{font-size:.85rem;color:#475569;margin:4px 0}
svg{width:100%;height:auto;display:block}
svg .grid{stroke:#e2e8f0}
svg .tick,svg .label{font-size:12px;fill:#475569}
svg .track{fill:#f1f5f9}
.table-wrap{overflow-x:auto}
table{width:100%;border-collapse:collapse;font-size:.85rem}
th,td{text-align:left;padding:6px 4px;border-bottom:1px solid #e2e8f0;white-space:nowrap}
@media (max-width:420px){th,td{padding:4px 2px;font-size:.78rem}}
.status-healthy{color:#15803d}.status-attention{color:#b45309}.status-critical{color:#b91c1c}.status-none{color:#64748b}
tfoot th{border-top:2px solid #cbd5e1;border-bottom:0}
.empty{text-align:center;padding:24px 12px}
`;

function round(value: number, decimals = 1): string {
  return value.toFixed(decimals);
}

/** True when the month has any prosthesis data: a device row or an hour of the hourly mart. */
function hasProsthesisData(data: ReportPageData): boolean {
  return (
    data.report.devices.length > 0 ||
    data.devices.length > 0 ||
    data.days.some((d) => d.usageHours > 0 || d.movements > 0 || d.errors > 0 || d.batteryLevel !== null)
  );
}

/**
 * The owner's monthly report as one self-contained HTML page (no script, no
 * external assets): month picker, hours with movement per day, battery
 * (charge level per day and charge cycles per prosthesis) and reliability
 * (errors per day and reliability per prosthesis), readable on a phone.
 *
 * Two different quantities of time are shown, each under its own name and
 * from one source: **powered on** (the monthly device report: time between a
 * power-on and the next power-off, per prosthesis; the header is the sum of
 * the table) and **hours with movement** (the hourly mart: hours with at
 * least one EMG movement; the header is the sum of the chart). A month
 * without prosthesis data says so instead of showing a status and empty
 * charts.
 *
 * @example
 * ```ts
 * const html = renderReportPage(data, { userLabel: 'ivan.petrov1', action: '/reports/user/1/page' });
 * ```
 */
export function renderReportPage(
  data: ReportPageData,
  options: { readonly userLabel: string; readonly action: string },
): string {
  const { report } = data;
  const movementHours = data.days.reduce((sum, d) => sum + d.usageHours, 0);
  const poweredOnHours = report.devices.reduce((sum, d) => sum + d.usage_hours, 0);
  const totals = report.devices.reduce(
    (sum, d) => ({
      powerOns: sum.powerOns + d.power_on_count,
      errors: sum.errors + d.errors,
      downtime: sum.downtime + d.downtime_minutes,
    }),
    { powerOns: 0, errors: 0, downtime: 0 },
  );
  const empty = !hasProsthesisData(data);
  const months = data.months.includes(data.month) ? data.months : [data.month, ...data.months];
  const picker = months
    .map(
      (m) => `<option value="${escapeXml(m)}"${m === data.month ? ' selected' : ''}>${escapeXml(m)}</option>`,
    )
    .join('');
  const usage = barChart(
    data.days.map((d) => ({ label: d.date, value: d.usageHours })),
    {
      id: 'usage-hours',
      title: `Hours with movement per day, ${data.month}`,
      unit: 'h',
      max: 24,
      decimals: 0,
    },
  );
  const battery = lineChart(
    data.days.map((d) => ({ label: d.date, value: d.batteryLevel })),
    {
      id: 'battery-level',
      title: `Average charge level per day, ${data.month}`,
      unit: '%',
      max: 100,
      color: '#16a34a',
    },
  );
  const deviceLabel = (d: { deviceType: string; prostheticId: number }) =>
    `${d.deviceType.replace('_', ' ')} #${d.prostheticId}`;
  const cycles = meterChart(
    data.devices.map((d) => ({
      label: deviceLabel(d),
      value: d.chargeCycles,
      note: `battery ${d.batteryHealth}`,
    })),
    {
      id: 'charge-cycles',
      title: `Charge cycles per prosthesis, ${data.month}`,
      unit: 'cycles',
      decimals: 0,
      max: Math.max(5, ...data.devices.map((d) => d.chargeCycles)),
      color: '#0891b2',
    },
  );
  const reliability = meterChart(
    data.devices.map((d) => ({ label: deviceLabel(d), value: d.reliabilityPct, note: d.status })),
    {
      id: 'reliability',
      title: `Reliability per prosthesis, ${data.month}`,
      unit: '%',
      max: 100,
      color: '#9333ea',
    },
  );
  const errors = barChart(
    data.days.map((d) => ({ label: d.date, value: d.errors })),
    { id: 'errors', title: `Errors per day, ${data.month}`, unit: 'errors', decimals: 0, color: '#dc2626' },
  );
  const rows = report.devices
    .map(
      (d) =>
        `<tr><td>${escapeXml(deviceLabel({ deviceType: d.device_type, prostheticId: d.prosthetic_id }))}</td><td>${round(d.usage_hours)} h</td><td>${d.power_on_count}</td><td>${d.errors}</td><td>${round(d.downtime_minutes, 0)} min</td></tr>`,
    )
    .join('');
  const footer =
    report.devices.length > 1
      ? `<tfoot><tr><th>All prostheses</th><th>${round(poweredOnHours)} h</th><th>${totals.powerOns}</th><th>${totals.errors}</th><th>${round(totals.downtime, 0)} min</th></tr></tfoot>`
      : '';
  const status = empty
    ? '<b data-kpi="status" class="status-none">no data</b>'
    : `<b data-kpi="status" class="status-${escapeXml(report.status)}">${escapeXml(report.status)}</b>`;
  const body = empty
    ? `<section class="empty" data-empty="month"><h2>No prosthesis data for ${escapeXml(data.month)}</h2>
<p>Your prostheses sent no usage, battery or error data in this month, so there is nothing to chart and no status to show.${data.months.length > 0 ? ' Pick a month with data above.' : ''}</p></section>`
    : `<section><h2>Usage</h2><p>Hours with movement: hours of each day in which your prosthesis registered at least one movement (EMG signal).</p>${usage}</section>
<section><h2>Battery</h2><p>Average charge level per day.</p>${battery}
<p>Charge cycles this month (a cycle is a recharge from below 50 % to above 95 %).</p>${cycles}</section>
<section><h2>Reliability</h2><p>Share of power-ons without an error, per prosthesis.</p>${reliability}
<p>Errors reported by your prostheses per day.</p>${errors}</section>
<section><h2>Prostheses</h2><p>Powered on: time between switching a prosthesis on and off this month.</p><div class="table-wrap"><table><thead><tr><th>Prosthesis</th><th>Powered on</th><th>Power-ons</th><th>Errors</th><th>Downtime</th></tr></thead><tbody>${rows || '<tr><td colspan="5">No prosthesis data this month.</td></tr>'}</tbody>${footer}</table></div></section>`;
  const deviceCards = empty
    ? ''
    : `<div class="card"><span>Powered on</span><b data-kpi="powered-on-hours">${round(poweredOnHours)} h</b></div>
<div class="card"><span>Hours with movement</span><b data-kpi="movement-hours">${round(movementHours, 0)} h</b></div>
<div class="card"><span>Errors</span><b data-kpi="errors">${totals.errors}</b></div>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>BionicPRO report ${escapeXml(data.month)}</title><style>${STYLE}</style></head>
<body><header><h1>Your prosthesis report</h1><p>${escapeXml(options.userLabel)} · ${escapeXml(data.month)}</p></header>
<main>
<form method="get" action="${escapeXml(options.action)}"><label for="month">Month</label>
<select id="month" name="month">${picker}</select><button type="submit">Show</button></form>
<div class="cards">
${deviceCards}
<div class="card"><span>Status</span>${status}</div>
<div class="card"><span>Paid this month</span><b data-kpi="successful-payments">${escapeXml(report.financial.successful_payments)} ₽</b></div>
</div>
${body}
</main></body></html>`;
}

/** What an error page may say besides its status. */
export interface ReportErrorDetails {
  /** Where a visitor signs in (the portal, or the demo's login list); without it the page names the portal. */
  readonly signInUrl?: string;
  /** The problems of a 400, as the JSON API lists them. */
  readonly issues?: readonly RequestIssue[];
}

const ERROR_TEXT: Record<number, { title: string; text: string }> = {
  400: { title: 'This report address is not valid', text: 'The address has a problem:' },
  401: {
    title: 'Sign in to see your report',
    text: 'You are not signed in, or your session has expired. Reports are shown only to their owner.',
  },
  403: {
    title: 'This report belongs to another account',
    text: 'You are signed in, but this report is not yours. You can open your own report from the BionicPRO portal.',
  },
  404: { title: 'No such report', text: 'There is no report at this address.' },
  503: {
    title: 'Reports are unavailable for a moment',
    text: 'A service the reports need is not answering. Try again in a minute.',
  },
};

/**
 * The report page's answer to a visit that cannot be served (no session,
 * another user's report, a bad address): an HTML page in the report's style
 * saying what happened and how to sign in, instead of the JSON a browser
 * would show raw.
 *
 * @example
 * ```ts
 * renderReportErrorPage(401, { signInUrl: 'https://portal.bionicpro.example/login' });
 * ```
 */
export function renderReportErrorPage(status: number, details: ReportErrorDetails): string {
  const text = ERROR_TEXT[status] ?? { title: 'The report cannot be shown', text: `Error ${status}.` };
  const issues =
    status === 400 && details.issues && details.issues.length > 0
      ? `<ul>${details.issues
          .slice(0, 20)
          .map(
            (i) => `<li><code>${escapeXml(String(i.path.at(-1) ?? ''))}</code>: ${escapeXml(i.message)}</li>`,
          )
          .join('')}</ul>`
      : '';
  const signIn =
    status === 401 || status === 403
      ? details.signInUrl === undefined
        ? '<p>Open your report from the BionicPRO portal: it signs you in through BionicPRO’s single sign-on and brings you back here.</p>'
        : `<p><a class="button" href="${escapeXml(details.signInUrl)}">Sign in</a></p>`
      : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeXml(text.title)} — BionicPRO</title><style>${STYLE}section h1{font-size:1.25rem;margin:0 0 8px}a.button{display:inline-block;background:#2563eb;color:#fff;padding:8px 14px;border-radius:6px;text-decoration:none}</style></head>
<body><header><p>BionicPRO reports</p></header>
<main><section data-error="${status}"><h1>${escapeXml(text.title)}</h1><p>${escapeXml(text.text)}</p>${issues}${signIn}</section></main></body></html>`;
}
