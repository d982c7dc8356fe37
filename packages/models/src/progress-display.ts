/**
 * One progress display for every long command of the kit (`bionicpro-etl run`, `load-files`,
 * `kpis`; `bionicpro-cdc decode` of a file; the reports prewarm): a bar that only moves forward with
 * a rate and an ETA on a terminal, JSON lines anywhere else.
 */
/**
 * Where progress goes: a terminal (`isTTY`) gets a redrawn bar, anything else JSON lines.
 * `process.stderr` is one.
 */
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
  /** Items handled so far (for the rate), counted in the display's `unit` (rows by default). */
  readonly rows: number;
  /** What is running now, e.g. `extract device_events`. */
  readonly label: string;
}

/**
 * A JSON progress line (non-terminal output), one object per line. One shape for every command:
 * `rows` and `rows_per_second` count what `unit` names (`rows`, `messages`, `reports`).
 */
export interface ProgressLine {
  readonly type: 'progress';
  /** What `rows` counts. */
  readonly unit: string;
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

/** Options of {@link ProgressDisplay}. */
export interface ProgressDisplayOptions {
  /** Clock in milliseconds (default `performance.now`); a test passes its own. */
  readonly now?: () => number;
  /** What {@link ProgressReading.rows} counts, shown as `… reports/s`. Default `rows`. */
  readonly unit?: string;
}

/**
 * A progress display over a whole command: one bar that only moves forward,
 * with items/s and an ETA, redrawn in place on a terminal; on anything else
 * (a pipe, a log file, a CI runner) a JSON line per second and one at the end.
 *
 * @example
 * ```ts
 * import { ProgressDisplay } from '@bionicpro/models';
 * const display = new ProgressDisplay(process.stderr, { unit: 'reports' });
 * for (let done = 1; done <= 3; done += 1) display.update({ done, total: 3, rows: done * 10, label: `batch ${done}` });
 * display.finish();
 * ```
 */
export class ProgressDisplay {
  private fraction = 0;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private last: ProgressReading = { done: 0, rows: 0, label: '' };
  private readonly started: number;
  private readonly now: () => number;
  private readonly unit: string;

  constructor(
    private readonly stream: ProgressStream,
    options: ProgressDisplayOptions = {},
  ) {
    this.now = options.now ?? (() => performance.now());
    this.unit = options.unit ?? 'rows';
    this.started = this.now();
  }

  /**
   * Takes a reading; draws it when the last drawing is older than a tenth of a second (terminal)
   * or a second (JSON lines), or when `force` is set (a finished step).
   */
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
        unit: this.unit,
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
      `${count(this.last.rows)} ${this.unit}`,
      `${count(rate)} ${this.unit}/s`,
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
