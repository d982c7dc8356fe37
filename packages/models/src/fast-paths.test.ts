import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { regexes } from 'zod';
import { parseUuid, ROW_REFUSED } from './row-parser.js';
import { MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS, tryParseTimestampMs } from './timestamp.js';

// Oracles: the implementations before the lookup-table UUID scan and the
// `YYYY-MM-DDTHH:MM:SS[.fff]Z` timestamp fast path, kept verbatim except for one fix:
// years 0000-0099 are computed with setUTCFullYear, not Date.UTC (which reads them as 19xx).

const FAIL = ROW_REFUSED;
const UUID_PATTERN = regexes.uuid();

function oldParseUuid(v: unknown): unknown {
  if (typeof v !== 'string' || v.length !== 36) return FAIL;
  let upper = false;
  for (let i = 0; i < 36; i += 1) {
    const c = v.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return FAIL;
    } else if (c >= 48 && c <= 57) {
      // digit
    } else if (c >= 97 && c <= 102) {
      // a-f
    } else if (c >= 65 && c <= 70) {
      upper = true;
    } else {
      return FAIL;
    }
  }
  const version = v.charCodeAt(14);
  const variant = v.charCodeAt(19) | 0x20;
  const standard =
    version >= 49 && version <= 56 && (variant === 56 || variant === 57 || variant === 97 || variant === 98);
  if (!standard && !UUID_PATTERN.test(v)) return FAIL;
  return upper ? v.toLowerCase() : v;
}

function utcMs(year: number, month0: number, day: number, h = 0, m = 0, s = 0, ms = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month0, day);
  d.setUTCHours(h, m, s, ms);
  return d.getTime();
}

function daysInMonth(year: number, month1: number): number {
  return new Date(utcMs(year, month1, 0)).getUTCDate();
}

function digits(s: string, at: number, count: number): number {
  if (at + count > s.length) return -1;
  let v = 0;
  for (let k = 0; k < count; k += 1) {
    const c = s.charCodeAt(at + k) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

function oldTryParseTimestampMs(value: unknown): number | undefined {
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isNaN(ms) || ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS ? undefined : ms;
  }
  if (typeof value !== 'string') return undefined;
  const s = value;
  const n = s.length;
  if (n < 10) return undefined;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) {
    return undefined;
  }
  if (day > 28 && day > daysInMonth(year, month)) return undefined;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let millis = 0;
  let i = 10;
  if (i < n) {
    const sep = s.charCodeAt(i);
    if (sep === 84 || sep === 116 || sep === 32) {
      hour = digits(s, i + 1, 2);
      minute = digits(s, i + 4, 2);
      if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || s.charCodeAt(i + 3) !== 58) return undefined;
      i += 6;
      if (i < n && s.charCodeAt(i) === 58) {
        second = digits(s, i + 1, 2);
        if (second < 0 || second > 59) return undefined;
        i += 3;
        if (i < n && s.charCodeAt(i) === 46) {
          i += 1;
          const start = i;
          let scale = 100;
          while (i < n) {
            const c = s.charCodeAt(i) - 48;
            if (c < 0 || c > 9) break;
            if (scale >= 1) millis += c * scale;
            scale /= 10;
            i += 1;
          }
          if (i === start || i - start > 9) return undefined;
        }
      }
    } else if (sep !== 90 && sep !== 122) {
      return undefined;
    }
  }
  let offsetMinutes = 0;
  while (i < n && s.charCodeAt(i) === 32) i += 1;
  if (i < n) {
    const z = s.charCodeAt(i);
    if (z === 90 || z === 122) {
      i += 1;
    } else if (z === 43 || z === 45) {
      const offH = digits(s, i + 1, 2);
      if (offH < 0 || offH > 18) return undefined;
      i += 3;
      let offM = 0;
      if (i < n) {
        if (s.charCodeAt(i) === 58) i += 1;
        offM = digits(s, i, 2);
        if (offM < 0 || offM > 59) return undefined;
        i += 2;
      }
      offsetMinutes = (z === 45 ? -1 : 1) * (offH * 60 + offM);
    } else {
      return undefined;
    }
    if (i !== n) return undefined;
  }
  const ms = utcMs(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
  return ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS ? undefined : ms;
}

const hexDigit = fc.constantFrom(...'0123456789abcdefABCDEF');
const nearHex = fc.constantFrom(...'0123456789abcdefABCDEFgGzZ-/:@`{ \u00e9\u0660\uff10');
const hexString = (n: number, digit = hexDigit) =>
  fc.array(digit, { minLength: n, maxLength: n }).map((cs) => cs.join(''));

/** 8-4-4-4-12 text with the version and variant digits drawn from the edges the model checks. */
const uuidLike = fc
  .tuple(
    hexString(8),
    hexString(4),
    fc.constantFrom(...'0123456789abcdefABCDEFg'),
    hexString(3),
    fc.constantFrom(...'0123456789abcdefABCDEFg'),
    hexString(3),
    hexString(12),
  )
  .map(([a, b, version, c, variant, d, e]) => `${a}-${b}-${version}${c}-${variant}${d}-${e}`);

/** uuidLike with one character replaced, inserted or removed. */
const mutatedUuid = fc
  .tuple(uuidLike, fc.nat(36), nearHex, fc.constantFrom('replace', 'insert', 'remove'))
  .map(([u, at, ch, how]) =>
    how === 'replace'
      ? u.slice(0, at) + ch + u.slice(at + 1)
      : how === 'insert'
        ? u.slice(0, at) + ch + u.slice(at)
        : u.slice(0, at) + u.slice(at + 1),
  );

describe('UUID lookup-table scan', () => {
  it.each([
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
    '6F1C2A4E-8B3D-4F5A-9C7E-1D2B3A4C5E6F',
    '6f1c2a4e-8b3d-4f5a-9c7e-1d2b3a4c5e6f',
    '6f1c2a4e-8b3d-0f5a-9c7e-1d2b3a4c5e6f',
    '6f1c2a4e-8b3d-9f5a-9c7e-1d2b3a4c5e6f',
    '6f1c2a4e-8b3d-4f5a-cc7e-1d2b3a4c5e6f',
    '6f1c2a4e-8b3d-4f5a-7c7e-1d2b3a4c5e6f',
    '6f1c2a4e-8b3d-4f5a-Bc7e-1d2b3a4c5e6f',
    '6f1c2a4e8b3d-4f5a-9c7e-1d2b3a4c5e6f0',
    '6f1c2a4e-8b3d-4f5a-9c7e-1d2b3a4c5e6',
    '6f1c2a4e-8b3d-4f5a-9c7e-1d2b3a4c5e6f0',
    '6f1c2a4e-8b3d-4f5a-9c7e-1d2b3a4c5e6\u0660',
    '6f1c2a4e-8b3d-4f5a-9c7e-1d2b3a4c5e6\uff26',
    '',
  ])('agrees with the old scan on %s', (value) => {
    expect(parseUuid(value)).toBe(oldParseUuid(value));
  });

  it('agrees with the old scan on random and mutated UUID text and other values', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          uuidLike,
          mutatedUuid,
          fc.string(),
          fc.uuid(),
          fc.uuid().map((u) => u.toUpperCase()),
          fc.anything(),
        ),
        (value) => {
          expect(parseUuid(value)).toBe(oldParseUuid(value));
        },
      ),
      { numRuns: 20_000 },
    );
  });
});

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Timestamp text around every edge: years 0–9999, days 0–32, hours 0–24, fractions, separators, zones. */
const timestampLike = fc
  .tuple(
    fc.oneof(
      { arbitrary: fc.integer({ min: 1890, max: 2310 }), weight: 6 },
      fc.integer({ min: 0, max: 9999 }),
      fc.constantFrom(1899, 1900, 2000, 2100, 2299, 2300, 1904, 24, 99, 100),
    ),
    fc.integer({ min: 0, max: 13 }),
    fc.integer({ min: 0, max: 32 }),
    fc.integer({ min: 0, max: 25 }),
    fc.integer({ min: 0, max: 60 }),
    fc.integer({ min: 0, max: 60 }),
    fc.oneof(
      fc.constant(''),
      fc.constant('.'),
      { arbitrary: fc.stringMatching(/^\.[0-9]{1,11}$/), weight: 3 },
      fc.stringMatching(/^\.[0-9]{0,3}[a:Z ]$/),
    ),
    // Mostly the fast path's own form (`T`, seconds, `Z`), else every other form the parser reads.
    fc.oneof({ arbitrary: fc.constant('T'), weight: 6 }, fc.constantFrom('t', ' ', 'X')),
    fc.oneof(
      { arbitrary: fc.constant('Z'), weight: 6 },
      fc.constantFrom('z', '', ' Z', '+03:00', '-01:30', '+0000', '-18:00', '+19:00', 'ZZ', '+03', 'Z '),
    ),
    fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, fc.constant(false)),
  )
  .map(([y, mo, d, h, mi, s, frac, sep, zone, withSeconds]) => {
    const time = withSeconds
      ? `${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${frac}`
      : `${pad(h, 2)}:${pad(mi, 2)}`;
    return `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}${sep}${time}${zone}`;
  });

const mutatedTimestamp = fc
  .tuple(timestampLike, fc.nat(30), fc.constantFrom(...'0123456789-:.TZ+ /a\u0660'), fc.boolean())
  .map(([t, at, ch, insert]) => t.slice(0, at) + ch + t.slice(insert ? at : at + 1));

describe('timestamp fast path', () => {
  it.each([
    '2024-01-15T08:00:00Z',
    '2024-01-15T08:00:00.1Z',
    '2024-01-15T08:00:00.12Z',
    '2024-01-15T08:00:00.123Z',
    '2024-01-15T08:00:00.123456789Z',
    '2024-01-15T08:00:00.1234567890Z',
    '2024-01-15T08:00:00.Z',
    '2024-02-29T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2000-02-29T00:00:00Z',
    '2100-02-29T00:00:00Z',
    '2024-02-30T00:00:00Z',
    '2024-04-31T00:00:00Z',
    '2024-12-31T23:59:59.999Z',
    '2024-01-15T24:00:00Z',
    '2024-01-15T23:60:00Z',
    '2024-01-15T23:59:60Z',
    '2024-00-15T08:00:00Z',
    '2024-13-15T08:00:00Z',
    '2024-01-00T08:00:00Z',
    '2024-01-32T08:00:00Z',
    '1900-01-01T00:00:00Z',
    '1899-12-31T23:59:59.999Z',
    '2299-12-31T23:59:59.999Z',
    '2300-01-01T00:00:00Z',
    '0024-02-29T00:00:00Z',
    '0099-12-31T23:59:59Z',
    '0999-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '2024-01-15t08:00:00z',
    '2024-01-15 08:00:00Z',
    '2024-01-15T08:00:00+03:00',
    '2024-01-15T08:00Z',
    '2024-01-15T08:00:00 Z',
    '2024-01-15T08:00:0\u0660Z',
  ])('agrees with the old parser on %s', (value) => {
    expect(tryParseTimestampMs(value)).toBe(oldTryParseTimestampMs(value));
  });

  it('agrees with the old parser on random timestamp text, ISO strings and other values', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          timestampLike,
          mutatedTimestamp,
          fc
            .date({
              min: new Date(-62_000_000_000_000),
              max: new Date(253_000_000_000_000),
              noInvalidDate: true,
            })
            .map((d) => d.toISOString()),
          fc.date(),
          fc.string(),
          fc.anything(),
        ),
        (value) => {
          // Signed (expanded) years are read now, which the old parser refused; timestamp.test.ts covers them.
          if (typeof value === 'string' && /^[+-]/.test(value)) return;
          expect(tryParseTimestampMs(value)).toBe(oldTryParseTimestampMs(value));
        },
      ),
      { numRuns: 20_000 },
    );
  });
});
