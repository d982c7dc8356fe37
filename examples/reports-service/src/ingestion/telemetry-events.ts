import {
  type IncomingTelemetryEvent,
  type TableDefinition,
  TelemetryEvent,
  tables,
  validateRow,
} from '@bionicpro/models';
import { telemetryEventUuid } from './event-uuid.js';
import { insertRows, type PgQueryable } from './postgres-writer.js';

/** What happened to each event of a batch, in input order. */
export interface IngestOutcome {
  readonly received: number;
  readonly inserted: number;
  /** Events whose `event_uuid` was already stored (or repeated in the batch): ignored. */
  readonly duplicates: number;
  readonly events: readonly { readonly event_uuid: string; readonly status: 'inserted' | 'duplicate' }[];
}

const EVENT_COLUMNS = Object.keys(TelemetryEvent.shape);
const INCOMING_COLUMNS = [
  'event_uuid',
  'user_id',
  'prosthetic_id',
  'prosthesis_type',
  'muscle_group',
  'signal_frequency',
  'signal_duration',
  'signal_amplitude',
  'event_timestamp',
] as const;

/** The Telemetry API over telemetry_db.telemetry_events. */
export interface TelemetryEvents {
  /**
   * Stores a batch of validated events. An event without `event_uuid` gets
   * the UUID v5 of its content ({@link telemetryEventUuid}); an event whose
   * `event_uuid` is already stored is ignored, so a client re-sending a batch,
   * keyed or not, writes nothing twice. `saved_ts` is set by the database.
   */
  ingest(events: readonly IncomingTelemetryEvent[]): Promise<IngestOutcome>;
  /** The stored event with this uuid, or undefined. */
  byUuid(eventUuid: string): Promise<TelemetryEvent | undefined>;
}

/**
 * Telemetry events over a PostgreSQL pool (telemetry_db).
 *
 * @example
 * ```ts
 * const events = telemetryEvents(pool);
 * const outcome = await events.ingest(batch); // { inserted: 98, duplicates: 2, … }
 * ```
 */
export function telemetryEvents(
  db: PgQueryable,
  table: TableDefinition = tables.telemetry_events,
): TelemetryEvents {
  return {
    async ingest(batch) {
      const withUuids = batch.map((event) => ({
        ...event,
        event_uuid: event.event_uuid ?? telemetryEventUuid(event),
      }));
      const { returned } = await insertRows<{ event_uuid: string }>(db, table, INCOMING_COLUMNS, withUuids, {
        onConflict: 'skip',
        conflictTarget: ['event_uuid'],
        returning: ['event_uuid'],
      });
      // RETURNING lists each inserted row once; a uuid repeated inside the batch
      // is inserted the first time it appears and is a duplicate after that.
      const fresh = new Set(returned.map((row) => row.event_uuid));
      const events = withUuids.map((event) => {
        const uuid = event.event_uuid;
        const status = fresh.delete(uuid) ? ('inserted' as const) : ('duplicate' as const);
        return { event_uuid: uuid, status };
      });
      const inserted = events.filter((e) => e.status === 'inserted').length;
      return { received: batch.length, inserted, duplicates: batch.length - inserted, events };
    },
    async byUuid(eventUuid) {
      const { rows } = await db.query(
        `SELECT ${EVENT_COLUMNS.join(', ')} FROM ${table.name} WHERE event_uuid = $1`,
        [eventUuid],
      );
      return rows[0] === undefined
        ? undefined
        : validateRow(TelemetryEvent, rows[0], { model: 'telemetry_events' });
    },
  };
}
