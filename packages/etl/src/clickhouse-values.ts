/** Values in the text form ClickHouse parses for query parameters, shared by the SQL builders and the loader. */

/**
 * `YYYY-MM-DD HH:MM:SS.mmm`, the text form ClickHouse parses for `DateTime64(3, 'UTC')` parameters.
 *
 * @example
 * ```ts
 * import { clickhouseTimestamp } from '@bionicpro/etl';
 * clickhouseTimestamp(new Date('2024-01-31T23:59:59.5Z')); // '2024-01-31 23:59:59.500'
 * ```
 */
export function clickhouseTimestamp(instant: Date | number): string {
  const iso = new Date(instant).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}
