import { describe, expect, it } from 'vitest';
import {
  type CliCommand,
  CliUsageError,
  commandHelp,
  parseCommandArgs,
  positiveIntegerOption,
} from './cli-args.js';

const command: CliCommand = {
  summary: 's',
  description: 'd',
  options: {
    dlq: { value: 'FILE', help: 'bad messages' },
    source: { value: 'URL', help: 'source', required: true },
    quiet: { help: 'a flag' },
  },
};

const usage = (argv: string[]) => {
  try {
    parseCommandArgs('x', command, argv);
  } catch (error) {
    expect(error).toBeInstanceOf(CliUsageError);
    return (error as CliUsageError).message;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
};

describe('bionicpro-cdc argument parsing', () => {
  it('reads --name value, --name=value and flags', () => {
    expect(parseCommandArgs('x', command, ['--source', 'u', '--dlq=f', '--quiet']).values).toEqual({
      source: 'u',
      dlq: 'f',
      quiet: true,
    });
  });

  it('says which option lacks its value, whatever follows it', () => {
    expect(usage(['--source', 'u', '--dlq'])).toBe('--dlq needs a value');
    expect(usage(['--source', 'u', '--dlq', '--quiet'])).toBe('--dlq needs a value');
    expect(usage(['--source', 'u', '--dlq='])).toBe('--dlq needs a value');
  });

  it('names unknown options, stray arguments, flags given a value and missing required options', () => {
    expect(usage(['--source', 'u', '--dql', 'f'])).toBe('unknown option --dql for x');
    expect(usage(['--source', 'u', 'file'])).toBe('unexpected argument file');
    expect(usage(['--source', 'u', '--quiet=yes'])).toBe('--quiet takes no value');
    expect(usage(['--dlq', 'f'])).toBe('x needs --source URL');
    expect(usage(['--source', 'u', '--__proto__', 'x'])).toBe('unknown option --__proto__ for x');
  });

  it('answers --help without the required options', () => {
    expect(parseCommandArgs('x', command, ['--help']).values).toEqual({ help: true });
    expect(parseCommandArgs('x', command, ['-h']).values).toEqual({ help: true });
  });

  it('reads positive integers or names the option', () => {
    expect(positiveIntegerOption({ n: '16' }, 'n')).toBe(16);
    expect(positiveIntegerOption({}, 'n')).toBeUndefined();
    expect(() => positiveIntegerOption({ n: '0' }, 'n')).toThrow('--n must be a positive integer, got 0');
    expect(() => positiveIntegerOption({ n: '1e3' }, 'n')).toThrow(CliUsageError);
  });

  it('prints usage with required options bare and optional ones in brackets', () => {
    const help = commandHelp('bionicpro-cdc', 'x', command);
    expect(help.split('\n')[0]).toBe('usage: bionicpro-cdc x [--dlq FILE] --source URL [--quiet]');
    expect(help).toContain('--debug');
  });
});
