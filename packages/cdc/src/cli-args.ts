import { BionicProError } from '@bionicpro/models';
/**
 * The argument parser of `bionicpro-cdc`: each command declares its options
 * in a table (one line per option), and the parser answers with the values or
 * a {@link CliUsageError} naming what was wrong (exit code 2). Pure: no
 * process I/O, so every message is unit-tested.
 */

/** One option of a command: `--name VALUE` when `value` names a placeholder, a flag otherwise. */
export interface CliOption {
  /** Placeholder of the option's value in help (`FILE`, `URL`); absent for a flag. */
  readonly value?: string;
  readonly help: string;
  readonly required?: boolean;
}

/** A command: its one-line summary, longer description and options. */
export interface CliCommand {
  readonly summary: string;
  readonly description: string;
  readonly options: Readonly<Record<string, CliOption>>;
}

/** Bad command-line input: the message says what was wrong; the CLI exits with code 2. */
export class CliUsageError extends BionicProError {
  readonly code = 'usage' as const;
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'CliUsageError';
  }
}

/** Options every command accepts. */
export const COMMON_OPTIONS: Readonly<Record<string, CliOption>> = {
  help: { help: 'print this help and exit' },
  debug: { help: 'print stack traces and engine client logs' },
};

/** What {@link parseCommandArgs} found. */
export interface ParsedArgs {
  /** Option values by name; flags are `true` when given. */
  readonly values: Readonly<Record<string, string | true>>;
}

/**
 * Parses the arguments after the command name. `--name value`, `--name=value`
 * and flags; no positional arguments.
 *
 * @example
 * ```ts
 * parseCommandArgs('decode', { summary: '', description: '', options: { dlq: { value: 'FILE', help: '' } } }, ['--dlq', 'bad.jsonl']);
 * // { values: { dlq: 'bad.jsonl' } }
 * ```
 */
export function parseCommandArgs(name: string, command: CliCommand, argv: readonly string[]): ParsedArgs {
  const options = { ...COMMON_OPTIONS, ...command.options };
  const values: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h') {
      values['help'] = true;
      continue;
    }
    if (!arg.startsWith('--') || arg === '--') {
      throw new CliUsageError(`unexpected argument ${arg}`, name);
    }
    const eq = arg.indexOf('=');
    const key = arg.slice(2, eq < 0 ? undefined : eq);
    const option = Object.hasOwn(options, key) ? options[key] : undefined;
    if (!option) throw new CliUsageError(`unknown option --${key} for ${name}`, name);
    if (option.value === undefined) {
      if (eq >= 0) throw new CliUsageError(`--${key} takes no value`, name);
      values[key] = true;
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) value = argv[++i];
    if (value === undefined || value === '') throw new CliUsageError(`--${key} needs a value`, name);
    values[key] = value;
  }
  if (values['help'] !== true) {
    for (const [key, option] of Object.entries(command.options)) {
      if (option.required && values[key] === undefined) {
        throw new CliUsageError(`${name} needs --${key} ${option.value ?? ''}`.trimEnd(), name);
      }
    }
  }
  return { values };
}

/** A positive integer option, or a usage error naming it. */
export function positiveIntegerOption(values: ParsedArgs['values'], key: string): number | undefined {
  const value = values[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[1-9]\d{0,8}$/.test(value)) {
    throw new CliUsageError(`--${key} must be a positive integer, got ${String(value)}`);
  }
  return Number(value);
}

/** The help text of one command. */
export function commandHelp(program: string, name: string, command: CliCommand): string {
  const options = { ...command.options, ...COMMON_OPTIONS };
  const usage = Object.entries(command.options)
    .map(([key, o]) => {
      const text = `--${key}${o.value ? ` ${o.value}` : ''}`;
      return o.required ? text : `[${text}]`;
    })
    .join(' ');
  const rows = Object.entries(options).map(
    ([key, o]) => [`--${key}${o.value ? ` ${o.value}` : ''}`, o.help] as const,
  );
  const width = Math.max(...rows.map(([left]) => left.length));
  return [
    `usage: ${program} ${name}${usage ? ` ${usage}` : ''}`,
    '',
    command.description,
    '',
    'options:',
    ...rows.map(([left, help]) => `  ${left.padEnd(width)}  ${help}`),
  ].join('\n');
}
