import type { UserMonthlyReport } from '@bionicpro/models';
import {
  column,
  param,
  parseReportMonth,
  type ReportQueryClient,
  type ReportScope,
  type ReportService,
  type ReportTables,
  runQuery,
  scopedQuery,
  sql,
  userMonthlyDevicesQuery,
} from '@bionicpro/reports';

/** One day of the month on the owner's page. */
export interface PageDay {
  readonly date: string;
  /** Hours of the day with at least one EMG movement (hourly mart rows with `movements_count > 0`). */
  readonly usageHours: number;
  /** Mean of the hourly mean charge levels, %; null without battery samples. */
  readonly batteryLevel: number | null;
  /** Device events of severity error or critical. */
  readonly errors: number;
  readonly movements: number;
}

/** Battery and reliability KPIs of one prosthesis in the month (report_prosthetic_monthly_metrics). */
export interface PageDevice {
  readonly prostheticId: number;
  readonly deviceType: string;
  readonly chargeCycles: number;
  readonly batteryHealth: string;
  readonly reliabilityPct: number | null;
  readonly dailyUsageHours: number;
  readonly status: string;
}

/** Everything the page shows for one user and month. */
export interface ReportPageData {
  readonly month: string;
  /** Months with data, newest first (the month picker). */
  readonly months: readonly string[];
  readonly report: UserMonthlyReport;
  /** Every day of the month, in order; days without data have zeros and nulls. */
  readonly days: readonly PageDay[];
  readonly devices: readonly PageDevice[];
}

/**
 * Months that have a monthly mart row for the scope's user, newest first.
 *
 * @example
 * ```ts
 * await reportMonths(client, tables, scope); // ['2024-03', '2024-02', '2024-01']
 * ```
 */
export async function reportMonths(
  client: ReportQueryClient,
  tables: ReportTables,
  scope: ReportScope,
): Promise<string[]> {
  const months = (table: ReportTables['userMonthly']) =>
    scopedQuery(table, scope)
      .select({ month: sql`formatDateTime(${column('report_date')}, '%Y-%m')` })
      .groupBy('report_date')
      .orderBy('report_date', 'DESC')
      .limit(120)
      .compile();
  const [finance, devices] = await Promise.all([
    runQuery(client, months(tables.userMonthly)),
    runQuery(client, months(tables.prostheticMonthly)),
  ]);
  const all = new Set([...finance, ...devices].map((row) => String((row as { month: unknown }).month)));
  return [...all].sort().reverse();
}

/**
 * Loads the page's data through user-scoped queries: the monthly-user report from
 * the report service, per-day series from the hourly mart, and the battery and
 * reliability KPIs of each prosthesis (the package's device query, extended).
 *
 * @example
 * ```ts
 * const data = await loadReportPage({ client, tables, reports }, scope, '2024-01');
 * ```
 */
export async function loadReportPage(
  deps: {
    readonly client: ReportQueryClient;
    readonly tables: ReportTables;
    readonly reports: ReportService;
  },
  scope: ReportScope,
  month: string,
): Promise<ReportPageData> {
  const { client, tables, reports } = deps;
  const range = parseReportMonth(month);
  const from = range.firstDay;
  const to = new Date(range.end.getTime()).toISOString().slice(0, 10);
  const dailyQuery = scopedQuery(tables.hourly, scope)
    .select({
      date: sql`toString(${column('date')})`,
      usage_hours: sql`countIf(${column('movements_count')} > 0)`,
      battery_level: sql`avg(${column('avg_battery_level')})`,
      errors: sql`sum(${column('error_count')})`,
      movements: sql`sum(${column('movements_count')})`,
    })
    .where(
      sql`${column('date')} >= ${param('Date', from, 'from')} AND ${column('date')} < ${param('Date', to, 'to')}`,
    )
    .groupBy('date')
    .orderBy('date');
  const devicesQuery = userMonthlyDevicesQuery(tables, scope, range.month).select({
    charge_cycles: 'charge_cycles',
    reliability_pct: 'reliability_pct',
    daily_usage_hours: 'daily_usage_hours',
  });
  const [report, months, dailyRows, deviceRows] = await Promise.all([
    reports.userMonthly(scope, range.month),
    reportMonths(client, tables, scope),
    runQuery(client, dailyQuery.compile()),
    runQuery(client, devicesQuery.compile()),
  ]);
  const byDate = new Map(
    (dailyRows as Record<string, unknown>[]).map((row) => [
      String(row['date']),
      {
        usageHours: Number(row['usage_hours']),
        batteryLevel: row['battery_level'] === null ? null : Number(row['battery_level']),
        errors: Number(row['errors']),
        movements: Number(row['movements']),
      },
    ]),
  );
  const days: PageDay[] = [];
  for (let t = range.start.getTime(); t < range.end.getTime(); t += 86_400_000) {
    const date = new Date(t).toISOString().slice(0, 10);
    days.push({
      date,
      ...(byDate.get(date) ?? { usageHours: 0, batteryLevel: null, errors: 0, movements: 0 }),
    });
  }
  const devices = (deviceRows as Record<string, unknown>[]).map((row) => ({
    prostheticId: Number(row['prosthetic_id']),
    deviceType: String(row['device_type']),
    chargeCycles: Number(row['charge_cycles']),
    batteryHealth: String(row['battery_health']),
    reliabilityPct: row['reliability_pct'] === null ? null : Number(row['reliability_pct']),
    dailyUsageHours: Number(row['daily_usage_hours']),
    status: String(row['status']),
  }));
  return { month: range.month, months, report, days, devices };
}
