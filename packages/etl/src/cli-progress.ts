import type { ProgressDisplay } from '@bionicpro/models';
import type { ProgressEvent } from './monthly-job.js';

/**
 * Folds {@link ProgressEvent}s of `runMonthlyJob` into one reading of the whole
 * job. Work is counted in rows: every source row is extracted once and loaded
 * once (2 units), and each mart adds a share of 5 % of the rows. Events of a
 * later phase never move the reading back: counts per step and table only grow.
 */
export class MonthlyJobProgress {
  private readonly extracted = new Map<string, number>();
  private readonly loaded = new Map<string, number>();
  private readonly martsDone = new Set<string>();

  constructor(
    private readonly display: ProgressDisplay,
    /** Source rows of the month, when counted beforehand. */
    private sourceRows: number | undefined,
    private readonly marts: number,
  ) {}

  /** The month's source rows, counted while the job runs: later readings have a fraction and an ETA. */
  setSourceRows(sourceRows: number | undefined): void {
    this.sourceRows = sourceRows;
  }

  /**
   * Source rows handled: per table the larger of extracted and loaded (loads
   * trail extracts); the CRM tables are extracted under one `crm` label whose
   * streams each count from zero, so their load counts stand in for them.
   */
  private rowsSoFar(): number {
    let rows = 0;
    for (const [table, n] of this.extracted) {
      if (table !== 'crm') rows += Math.max(n, this.loaded.get(table) ?? 0);
    }
    let crmLoaded = 0;
    for (const table of CRM_TABLES) crmLoaded += this.loaded.get(table) ?? 0;
    return rows + Math.max(this.extracted.get('crm') ?? 0, crmLoaded);
  }

  event(e: ProgressEvent): void {
    if (e.step === 'extract') grow(this.extracted, e.table, e.rows);
    else if (e.step === 'load') grow(this.loaded, e.table, e.rows);
    else if ((e.step === 'transform' || e.step === 'pushdown') && e.done) this.martsDone.add(e.table);
    const rows = this.rowsSoFar();
    const martShare = Math.max(1, Math.round((this.sourceRows ?? 0) * 0.05));
    this.display.update(
      {
        done: rows + sum(this.loaded) + this.martsDone.size * martShare,
        total: this.sourceRows === undefined ? undefined : 2 * this.sourceRows + this.marts * martShare,
        rows,
        label: `${e.step} ${e.table}`,
      },
      e.done,
    );
  }
}

/** Tables `extractCrm` reads; its progress events name them together as `crm`. */
const CRM_TABLES = ['users', 'prosthetics', 'subscriptions', 'payments'];

function grow(map: Map<string, number>, key: string, value: number): void {
  map.set(key, Math.max(map.get(key) ?? 0, value));
}

function sum(map: Map<string, number>): number {
  let total = 0;
  for (const v of map.values()) total += v;
  return total;
}
