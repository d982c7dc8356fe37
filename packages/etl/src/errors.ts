/**
 * Errors of the ETL package. Each is a small class with a readonly `code`, the
 * position or period it concerns, and the underlying `cause` when there is one;
 * all extend `BionicProError` of `@bionicpro/models`.
 */
import { BionicProError } from '@bionicpro/models';

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

/** A period argument (month, time window) was not valid. */
export class InvalidPeriodError extends BionicProError {
  readonly code = 'invalid_period' as const;
  constructor(
    readonly value: string,
    readonly reason: string,
  ) {
    super(`invalid period ${JSON.stringify(value)}: ${reason}`, { path: ['period'] });
    this.name = 'InvalidPeriodError';
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
export class InputDirectoryError extends Error {
  readonly code = 'invalid_input_directory' as const;
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'InputDirectoryError';
  }
}
