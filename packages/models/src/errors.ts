/** One problem found in a value: where it is, what kind, and a sentence a person can act on. */
export interface ModelIssue {
  /** Path from the validated value to the offending field, e.g. `['amount']` or `[3, 'event_timestamp']`. */
  readonly path: readonly (string | number)[];
  /** Machine-readable kind, e.g. `invalid_type`, `invalid_money`, `invalid_timestamp`, `invalid_value`. */
  readonly code: string;
  readonly message: string;
}

/**
 * The one root of every error the BionicPRO packages throw on bad input or a failed
 * operation. Catch it to handle any of them; switch on `code` (stable, snake_case)
 * to tell them apart. `path` names the offending field (or row/offset) where there
 * is one, and `cause` keeps the underlying error.
 *
 * @example
 * ```ts
 * import { BionicProError, Payment, validateRow } from '@bionicpro/models';
 * try {
 *   validateRow(Payment, { amount: 12.5 });
 * } catch (error) {
 *   if (error instanceof BionicProError) console.log(error.code, error.path);
 * }
 * ```
 */
export abstract class BionicProError extends Error {
  /** Machine-readable kind of failure, stable across releases. */
  abstract readonly code: string;
  /** Where the problem is (field path, or row index then field), when there is such a place. */
  readonly path: readonly (string | number)[] | undefined;

  constructor(message: string, options: { cause?: unknown; path?: readonly (string | number)[] } = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.path = options.path;
  }
}

/** True for any error thrown by a BionicPRO package. */
export function isBionicProError(error: unknown): error is BionicProError {
  return error instanceof BionicProError;
}

/**
 * A value did not match its model. Carries every issue, not only the first.
 *
 * @example
 * ```ts
 * import { Payment, ModelValidationError, validateRow } from '@bionicpro/models';
 * try {
 *   validateRow(Payment, { amount: 12.5 });
 * } catch (error) {
 *   if (error instanceof ModelValidationError) console.log(error.issues[0]?.path);
 * }
 * ```
 */
export class ModelValidationError extends BionicProError {
  readonly code = 'model_validation' as const;
  readonly issues: readonly ModelIssue[];
  /** Name of the model that rejected the value, when known. */
  readonly model: string | undefined;

  constructor(issues: readonly ModelIssue[], options: { model?: string; cause?: unknown } = {}) {
    super(formatIssues(issues, options.model), {
      cause: options.cause,
      ...(issues.length === 1 && issues[0] ? { path: issues[0].path } : {}),
    });
    this.name = 'ModelValidationError';
    this.issues = issues;
    this.model = options.model;
  }
}

/** One rejected row of a batch: its index in the input and its issues. */
export interface RejectedRow {
  readonly index: number;
  readonly issues: readonly ModelIssue[];
}

/**
 * Some rows of a batch did not match their model. Lists every bad row; the
 * good rows are available from {@link validateBatch}'s non-throwing result.
 */
export class BatchValidationError extends BionicProError {
  readonly code = 'batch_validation' as const;
  readonly rejected: readonly RejectedRow[];
  readonly model: string | undefined;

  constructor(rejected: readonly RejectedRow[], options: { model?: string } = {}) {
    const shown = rejected
      .slice(0, 5)
      .map((row) => `row ${row.index}: ${formatIssues(row.issues)}`)
      .join('; ');
    const more = rejected.length > 5 ? `; and ${rejected.length - 5} more rows` : '';
    super(`${rejected.length} invalid ${options.model ?? ''} row(s): ${shown}${more}`.replace('  ', ' '));
    this.name = 'BatchValidationError';
    this.rejected = rejected;
    this.model = options.model;
  }
}

/** Where an input value was refused, and the value: what the value-rule errors below share. */
export interface InputErrorOptions {
  readonly path?: readonly (string | number)[];
  readonly cause?: unknown;
}

/** A value refused by one of the models' rules (id, money, timestamp, month); `input` is the value. */
export abstract class InvalidInputError extends BionicProError {
  /** The text or value refused. */
  readonly input: unknown;
  constructor(message: string, input: unknown, options: InputErrorOptions = {}) {
    super(message, options);
    this.input = input;
  }
}

/**
 * An id in a path, query or body is not canonical decimal digits within its column's
 * range (see {@link parseIdText}).
 *
 * @example
 * ```ts
 * import { InvalidIdError, parseIdText } from '@bionicpro/models';
 * try { parseIdText('0x2', { name: 'user_id' }); } catch (e) {
 *   if (e instanceof InvalidIdError) console.log(e.code, e.path); // invalid_id ['user_id']
 * }
 * ```
 */
export class InvalidIdError extends InvalidInputError {
  readonly code = 'invalid_id' as const;
  override readonly name = 'InvalidIdError';
}

/** A money value is not exact decimal text within its column (see `tryParseMoneyMinor`). */
export class InvalidMoneyError extends InvalidInputError {
  readonly code = 'invalid_money' as const;
  override readonly name = 'InvalidMoneyError';
}

/** A timestamp is not an ISO-8601 instant (`invalid_timestamp`) or lies outside the stored range (`timestamp_out_of_range`). */
export class InvalidTimestampError extends InvalidInputError {
  readonly code: 'invalid_timestamp' | 'timestamp_out_of_range';
  override readonly name = 'InvalidTimestampError';
  constructor(
    code: InvalidTimestampError['code'],
    message: string,
    input: unknown,
    options: InputErrorOptions = {},
  ) {
    super(message, input, options);
    this.code = code;
  }
}

/** A month is not `YYYY-MM` with a month 01–12. */
export class InvalidMonthError extends InvalidInputError {
  readonly code = 'invalid_month' as const;
  override readonly name = 'InvalidMonthError';
}

/**
 * An argument of a public function is not acceptable (an option out of range, a value of
 * the wrong kind). `argument` names it (so does the message); `path` is `[argument]`.
 *
 * @example
 * ```ts
 * import { InvalidArgumentError, multiplyMoney } from '@bionicpro/models';
 * try { multiplyMoney('1.00', 1.5); } catch (e) {
 *   if (e instanceof InvalidArgumentError) console.log(e.argument); // 'factor'
 * }
 * ```
 */
export class InvalidArgumentError extends BionicProError {
  readonly code = 'invalid_argument' as const;
  constructor(
    readonly argument: string,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, { ...options, path: [argument] });
    this.name = 'InvalidArgumentError';
  }
}

/** A column name that the table (or report table) does not have. */
export class UnknownColumnError extends BionicProError {
  readonly code = 'unknown_column' as const;
  constructor(
    readonly table: string,
    readonly column: string,
  ) {
    super(`table ${table} has no column ${JSON.stringify(column)}`, { path: [column] });
    this.name = 'UnknownColumnError';
  }
}

export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');
}

function formatIssues(issues: readonly ModelIssue[], model?: string): string {
  const prefix = model ? `${model}: ` : '';
  return prefix + issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ');
}
