/**
 * Errors of the ETL package. Each is a small class with a readonly `code`, the
 * position or period it concerns, and the underlying `cause` when there is one;
 * all extend `BionicProError` of `@bionicpro/models`.
 */
import { BionicProError } from '@bionicpro/models';

/** A period argument was not valid; defined with the periods in `@bionicpro/models`. */
export { InvalidPeriodError } from '@bionicpro/models';

/** Rows promised sorted (`order: 'sorted'`) arrived out of order. */
export class UnsortedInputError extends BionicProError {
  readonly code = 'unsorted_input' as const;
  constructor(
    /** Table the rows belong to, e.g. `device_events`. */
    readonly table: string,
    /** 0-based position of the offending row in its input. */
    readonly index: number,
    /** The order the rows were expected in, e.g. `(prosthetic_id, event_timestamp, id)`. */
    readonly expected: string,
  ) {
    super(`${table}: row ${index} is out of order; input promised sorted by ${expected}`, { path: [index] });
    this.name = 'UnsortedInputError';
  }
}

/** The ETL steps a job runs; errors and progress events name them. */
export type EtlStep = 'extract' | 'transform' | 'load' | 'pushdown' | 'prepare';

/**
 * A step of an ETL job failed. The message names the step, table and period;
 * `transient` tells whether retries were attempted and exhausted (true) or the
 * error was permanent (false).
 */
export class EtlStepError extends BionicProError {
  readonly code = 'etl_step_failed' as const;
  constructor(
    readonly step: EtlStep,
    readonly table: string,
    readonly period: string,
    readonly transient: boolean,
    readonly attempts: number,
    options: {
      cause: unknown;
      /** The source row at fault: 1-based position in its stream, and its id when it has one. */
      row?: { readonly position: number; readonly id?: unknown };
    },
  ) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    const row = options.row
      ? `row ${options.row.position}${options.row.id === undefined || options.row.id === null ? '' : ` (id ${String(options.row.id)})`}: `
      : '';
    super(
      `${step} of ${table} for ${period} failed${transient ? ` after ${attempts} attempts` : ''}: ${row}${reason}`,
      { cause: options.cause, ...(options.row ? { path: [table, options.row.position] } : {}) },
    );
    this.name = 'EtlStepError';
    this.row = options.row;
  }

  /** The source row at fault, when one is (extract validation). */
  readonly row: { readonly position: number; readonly id?: unknown } | undefined;
}

/** A row of an input file (CLI `kpis --input DIR`) could not be read. */
export class InputFileError extends BionicProError {
  readonly code = 'invalid_input_file' as const;
  constructor(
    readonly file: string,
    /** 1-based line number in the file. */
    readonly line: number,
    /** Offending column, when one is to blame. */
    readonly field: string | undefined,
    readonly reason: string,
  ) {
    super(`${file}:${line}${field === undefined ? '' : `: field ${field}`}: ${reason}`, {
      path: field === undefined ? [file, line] : [file, line, field],
    });
    this.name = 'InputFileError';
  }
}

/** An input directory (CLI `kpis --input DIR`, `load-files --input DIR`) is missing or holds no usable table files. */
export class InputDirectoryError extends BionicProError {
  readonly code = 'invalid_input_directory' as const;
  constructor(
    /** The directory that was given. */
    readonly directory: string,
    readonly reason: string,
  ) {
    super(`${directory}: ${reason}`, { path: ['input'] });
    this.name = 'InputDirectoryError';
  }
}

/**
 * A month the job was asked for lies wholly outside the hourly mart's
 * retention: ClickHouse's TTL would delete every row it loaded. Raised before
 * any work; run with a longer retention (`retentionDays`, `--retention-days N`
 * or `none`) to backfill it.
 */
export class OutsideRetentionError extends BionicProError {
  readonly code = 'outside_retention' as const;
  constructor(
    readonly month: string,
    readonly retentionDays: number,
    /** First day whose rows the retention still keeps (`YYYY-MM-DD`). */
    readonly keptFrom: string,
  ) {
    super(
      `month ${month} lies outside the ${retentionDays}-day retention of user_prosthesis_stats (rows are kept from ${keptFrom}): ClickHouse's TTL would delete everything loaded; pass a longer retention (--retention-days N, or none) to backfill it`,
      { path: ['month'] },
    );
    this.name = 'OutsideRetentionError';
  }
}

/** One source row that breaks a model rule checked in SQL (`extract: 'clickhouse'`). */
export interface InvalidSourceRow {
  readonly id: string;
  readonly column: string;
  readonly rule: string;
}

/**
 * Source rows of a month break the models' rules (checked by SQL in
 * PostgreSQL with `extract: 'clickhouse'`). Lists the first rows by id and the
 * total; the month's raw window is removed again, so nothing half-checked stays.
 */
export class InvalidSourceRowsError extends BionicProError {
  readonly code = 'invalid_source_rows' as const;
  constructor(
    readonly table: string,
    readonly count: number,
    readonly rows: readonly InvalidSourceRow[],
  ) {
    const listed = rows.map((r) => `id ${r.id}: ${r.column} ${r.rule}`).join('; ');
    super(
      `${count} row${count === 1 ? '' : 's'} of ${table} break${count === 1 ? 's' : ''} the models' rules: ${listed}`,
      {
        ...(rows[0] ? { path: [table, rows[0].id, rows[0].column] } : {}),
      },
    );
    this.name = 'InvalidSourceRowsError';
  }
}

/** A window of a table as one side counts it: rows, and the first and last instant (UTC text, ms; null when empty). */
export interface WindowCount {
  readonly rows: number;
  readonly first: string | null;
  readonly last: string | null;
}

/**
 * What ClickHouse holds after loading a window differs from what the source
 * has (row count, first or last instant): rows were lost, duplicated or
 * shifted on the way (e.g. PostgreSQL sending ClickHouse's connection local
 * times in a zone other than UTC).
 */
export class LoadMismatchError extends BionicProError {
  readonly code = 'load_mismatch' as const;
  constructor(
    readonly table: string,
    readonly source: WindowCount,
    readonly loaded: WindowCount,
  ) {
    super(
      `${table}: ClickHouse holds ${loaded.rows} rows (${loaded.first ?? '-'} … ${loaded.last ?? '-'}) where the source has ${source.rows} (${source.first ?? '-'} … ${source.last ?? '-'})`,
    );
    this.name = 'LoadMismatchError';
  }
}
