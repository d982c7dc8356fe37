import type { ReportSubject, SubjectDirectory } from '@bionicpro/reports';

/** Options of {@link cachedSubjectDirectory}. */
export interface SubjectDirectoryCacheOptions {
  /** How long a resolved subject is remembered. Default 60 s. */
  readonly ttlMs?: number;
  /** How long an unknown subject is remembered (a new user appears after CDC catches up). Default 5 s. */
  readonly negativeTtlMs?: number;
  /** Subjects kept; the oldest is dropped first. Default 100,000. */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

/**
 * Remembers which CRM user id a token subject maps to, so a request does not
 * need a ClickHouse lookup before its report query (or before its cached
 * report). The mapping `user_uuid → id` never changes for a user; the TTL only
 * bounds how long a deleted user's token keeps resolving.
 *
 * @example
 * ```ts
 * const directory = cachedSubjectDirectory(reports.directory, { ttlMs: 60_000 });
 * const scope = await resolveReportScope(principal, directory, { requestedUserId });
 * ```
 */
export function cachedSubjectDirectory(
  directory: SubjectDirectory,
  options: SubjectDirectoryCacheOptions = {},
): SubjectDirectory & { readonly size: number } {
  const ttlMs = options.ttlMs ?? 60_000;
  const negativeTtlMs = options.negativeTtlMs ?? 5_000;
  const maxEntries = options.maxEntries ?? 100_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { id: number | null; expires: number }>();
  const pending = new Map<string, Promise<number | null>>();
  const keyOf = (subject: ReportSubject) => `${subject.kind}\u0000${subject.value}`;
  return {
    async userIdFor(subject) {
      const key = keyOf(subject);
      const hit = entries.get(key);
      if (hit !== undefined && hit.expires > now()) return hit.id;
      // One lookup per subject at a time, however many requests wait for it.
      const inFlight = pending.get(key);
      if (inFlight) return inFlight;
      const lookup = directory
        .userIdFor(subject)
        .then((id) => {
          entries.delete(key);
          entries.set(key, { id, expires: now() + (id === null ? negativeTtlMs : ttlMs) });
          while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
          return id;
        })
        .finally(() => pending.delete(key));
      pending.set(key, lookup);
      return lookup;
    },
    get size() {
      return entries.size;
    },
  };
}
