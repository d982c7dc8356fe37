import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputFileError } from './errors.js';
import { readInputTable } from './input-files.js';

const dir = mkdtempSync(join(tmpdir(), 'etl-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('input files', () => {
  it('reads bigint ids of a CSV exactly, beyond 2^53', async () => {
    writeFileSync(
      join(dir, 'device_events.csv'),
      [
        'id,prosthetic_id,event_type,event_timestamp,event_value,severity,response_time_ms,created_at',
        '9223372036854775807,1,power_on,2024-01-10T08:00:00Z,,info,30,2024-01-10T08:00:01Z',
        '9007199254740993,1,power_off,2024-01-10T20:30:00Z,,info,,2024-01-10T20:30:01Z',
        '',
      ].join('\n'),
    );
    const rows = await readInputTable(dir, 'device_events');
    expect(rows.map((row) => row.id)).toEqual(['9223372036854775807', '9007199254740993']);
  });

  it('refuses a NUL byte in a text cell, naming the file, line and field', async () => {
    writeFileSync(
      join(dir, 'battery_metrics.csv'),
      'id,prosthetic_id,metric_timestamp,charge_level,current_ma,is_charging,created_at\n',
    );
    writeFileSync(
      join(dir, 'device_events.csv'),
      [
        'id,prosthetic_id,event_type,event_timestamp,event_value,severity,response_time_ms,created_at',
        '1,1,power_on,2024-01-10T08:00:00Z,a\u0000b,info,30,2024-01-10T08:00:01Z',
        '',
      ].join('\n'),
    );
    const error = await readInputTable(dir, 'device_events').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputFileError);
    expect((error as InputFileError).field).toBe('event_value');
    expect((error as InputFileError).message).toMatch(/U\+0000/);
    expect((error as InputFileError).code).toBe('invalid_input_file');
  });
});
