import type { ProgressEvent } from './monthly-job.js';

/** Where progress goes: a terminal gets a redrawn bar, anything else JSON lines. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** One progress reading of a whole command (not of one phase). */
export interface ProgressReading {
  /** Work done so far, in the same unit as `total`. */
  readonly done: number;
  /** Total work, when known; without it there is no fraction and no ETA. */
  readonly total?: number | undefined;
  /** Rows handled so far (for rows/s). */
  readonly rows: number;
  /** What is running now, e.g. `extract device_events`. */
  readonly label: string;
}

/** A JSON progress line (non-terminal output), one object per line on stderr. */
export interface ProgressLine {
  readonly type: 'progress';
  /** 0 … 1, never decreasing; null while the total is unknown. */
  readonly fraction: number | null;
  readonly rows: number;
  readonly rows_per_second: number;
  /** Seconds left at the current rate; null while unknown. */
  readonly eta_seconds: number | null;
  readonly elapsed_seconds: number;
  readonly label: string;
  readonly done: boolean;
}

const REDRAW_MS = 100;
const JSON_EVERY_MS = 1000;

/**
 * A progress display over a whole command: one bar that only moves forward,
 * with rows/s and an ETA, redrawn in place on a terminal; on anything else
 * (a pipe, a log file, a CI runner) a JSON line per second and one at the end.
 */
export class ProgressDisplay {
  private fraction = 0;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private last: ProgressReading = { done: 0, rows: 0, label: '' };
  private readonly started: number;
  private readonly now: () => number;

  constructor(
    private readonly stream: ProgressStream,
    options: { readonly now?: () => number } = {},
  ) {
    this.now = options.now ?? (() => performance.now());
    this.started = this.now();
  }

  update(reading: ProgressReading, force = false): void {
    this.last = reading;
    if (reading.total !== undefined && reading.total > 0) {
      // Estimates of the total can be low: hold just short of the end until `finish`.
      this.fraction = Math.max(this.fraction, Math.min(0.99, reading.done / reading.total));
    }
    const now = this.now();
    const every = this.stream.isTTY === true ? REDRAW_MS : JSON_EVERY_MS;
    if (!force && now - this.lastDraw < every) return;
    this.lastDraw = now;
    this.draw(false);
  }

  /** Draws the final state (100 %) and ends the terminal line. */
  finish(label = 'done'): void {
    this.fraction = 1;
    this.last = { ...this.last, label };
    this.draw(true);
  }

  /** Ends a terminal line without claiming completion (the command failed). */
  abort(): void {
    if (this.stream.isTTY === true && this.lastDraw > Number.NEGATIVE_INFINITY) this.stream.write('\n');
  }

  private draw(done: boolean): void {
    const elapsed = Math.max(1e-3, (this.now() - this.started) / 1000);
    const rate = this.last.rows / elapsed;
    const known = done || (this.last.total !== undefined && this.last.total > 0);
    const eta = done
      ? 0
      : known && this.fraction > 0
        ? (elapsed * (1 - this.fraction)) / this.fraction
        : null;
    if (this.stream.isTTY !== true) {
      const line: ProgressLine = {
        type: 'progress',
        fraction: known ? round(this.fraction, 4) : null,
        rows: this.last.rows,
        rows_per_second: Math.round(rate),
        eta_seconds: eta === null ? null : round(eta, 1),
        elapsed_seconds: round(elapsed, 1),
        label: this.last.label,
        done,
      };
      this.stream.write(`${JSON.stringify(line)}\n`);
      return;
    }
    const width = Math.max(10, Math.min(30, (this.stream.columns ?? 80) - 60));
    const filled = known ? Math.round(this.fraction * width) : 0;
    const bar = known ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]` : `[${'?'.repeat(width)}]`;
    const percent = known ? `${String(Math.floor(this.fraction * 100)).padStart(3)}%` : '   ?';
    const text = [
      bar,
      percent,
      `${count(this.last.rows)} rows`,
      `${count(rate)} rows/s`,
      `ETA ${eta === null ? '?' : clock(eta)}`,
      this.last.label,
    ].join('  ');
    this.stream.write(`\r${text}\u001b[K${done ? '\n' : ''}`);
  }
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** 1234567 → `1.23M`. */
function count(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  return String(Math.round(n));
}

/** Seconds as `m:ss` or `h:mm:ss`. */
function clock(seconds: number): string {
  const s = Math.ceil(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

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
