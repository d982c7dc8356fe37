import { createHash } from 'node:crypto';
import type { IncomingTelemetryEvent } from '@bionicpro/models';

/**
 * Namespace of content-derived telemetry event ids: UUID v5 of
 * `urn:bionicpro:telemetry_events` in the URL namespace (RFC 9562 §6.6).
 */
export const TELEMETRY_EVENT_NAMESPACE = '97c7d1e5-8657-5153-81a1-3f104fd59d62';

/**
 * A name-based UUID (version 5, SHA-1) of `name` in `namespace` (RFC 9562 §5.5).
 *
 * @example
 * ```ts
 * uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com'); // '2ed6657d-e927-568b-95e1-2665a8aea6a2'
 * ```
 */
export function uuidV5(namespace: string, name: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The canonical text of a validated event: a JSON array of its fields in a
 * fixed order, as the model parsed them (numbers in shortest form, the
 * timestamp as UTC ISO-8601 with milliseconds, an absent `prosthetic_id` as
 * null). `2024-01-15T08:00:00Z` and `2024-01-15T08:00:00.000Z`, `2.40` and
 * `2.4` give the same text.
 *
 * @example
 * ```ts
 * canonicalEventText(event); // '[1,null,"hand","flexor",180,2500,2.4,"2024-01-15T08:00:00.000Z"]'
 * ```
 */
export function canonicalEventText(event: Omit<IncomingTelemetryEvent, 'event_uuid'>): string {
  return JSON.stringify([
    event.user_id,
    event.prosthetic_id ?? null,
    event.prosthesis_type,
    event.muscle_group,
    event.signal_frequency,
    event.signal_duration,
    event.signal_amplitude,
    event.event_timestamp.toISOString(),
  ]);
}

/**
 * The `event_uuid` of an event sent without one: UUID v5 of its canonical
 * text in {@link TELEMETRY_EVENT_NAMESPACE}. The same event sent again (a
 * re-sent CSV, a retried batch) gets the same id and is stored once; two
 * readings that differ in any field get different ids.
 *
 * @example
 * ```ts
 * telemetryEventUuid(event); // '00b6f668-766c-58a2-8f09-d46512c3aed1' for the event above
 * ```
 */
export function telemetryEventUuid(event: Omit<IncomingTelemetryEvent, 'event_uuid'>): string {
  return uuidV5(TELEMETRY_EVENT_NAMESPACE, canonicalEventText(event));
}
