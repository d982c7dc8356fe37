/**
 * What the reports benches share: the users rows they write into chDB and
 * the percentiles they print.
 */
import type { createClient } from '@clickhouse/client';

/** Users 1 … `count` in chDB's `database.users`: `User n`, `usern@example.ru`, LDAP name `usern`. */
export async function insertChdbUsers(
  client: ReturnType<typeof createClient>,
  database: string,
  count: number,
): Promise<void> {
  await client.command({
    query: `INSERT INTO ${database}.users (id, user_uuid, name, email, ldap_username, registered_at, updated_at, _version)
      SELECT number + 1, generateUUIDv4(), concat('User ', toString(number + 1)), concat('user', toString(number + 1), '@example.ru'),
             concat('user', toString(number + 1)), now64(3), now64(3), 1
      FROM numbers(${count})`,
  });
}

/** p50 and p99 of timings in ms (nearest rank on the sorted samples). */
export function percentiles(samples: readonly number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))] as number;
  return { p50: at(0.5), p99: at(0.99) };
}
