import { randomUUID } from 'node:crypto';
import { IncomingTelemetryEvent } from '@bionicpro/models';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalEventText, TELEMETRY_EVENT_NAMESPACE, telemetryEventUuid, uuidV5 } from './event-uuid.js';

const DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
const URL_NS = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

const event = IncomingTelemetryEvent.parse({
  user_id: 1,
  prosthesis_type: 'hand',
  muscle_group: 'flexor',
  signal_frequency: 180,
  signal_duration: 2500,
  signal_amplitude: 2.4,
  event_timestamp: '2024-01-15T08:00:00Z',
});

describe('uuidV5', () => {
  it("matches RFC 9562's algorithm (vectors from Python's uuid.uuid5)", () => {
    expect(uuidV5(DNS, 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    expect(uuidV5(DNS, 'Москва')).toBe('e486c7ce-ff47-5a94-b736-ddf0bfb7d225');
    expect(uuidV5(URL_NS, 'urn:bionicpro:telemetry_events')).toBe(TELEMETRY_EVENT_NAMESPACE);
  });

  it('always has version 5 and the RFC variant', () => {
    fc.assert(
      fc.property(fc.string(), (name) => {
        expect(uuidV5(randomUUID(), name)).toMatch(
          /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        );
      }),
    );
  });
});

describe('telemetryEventUuid', () => {
  it('is a UUID v5 of the canonical row text', () => {
    expect(canonicalEventText(event)).toBe(
      '[1,null,"hand","flexor",180,2500,2.4,"2024-01-15T08:00:00.000Z"]',
    );
    expect(telemetryEventUuid(event)).toBe('00b6f668-766c-58a2-8f09-d46512c3aed1');
  });

  it('gives the same id to the same reading however it was written', () => {
    const same = IncomingTelemetryEvent.parse({
      ...event,
      muscle_group: ' flexor ',
      signal_amplitude: 2.4,
      event_timestamp: '2024-01-15T08:00:00.000Z',
      prosthetic_id: null,
    });
    expect(telemetryEventUuid(same)).toBe(telemetryEventUuid(event));
  });

  it('gives a different id when any field differs', () => {
    const variants = [
      { user_id: 2 },
      { prosthetic_id: 1 },
      { prosthesis_type: 'arm' },
      { muscle_group: 'extensor' },
      { signal_frequency: 181 },
      { signal_duration: 2501 },
      { signal_amplitude: 2.41 },
      { event_timestamp: new Date(event.event_timestamp.getTime() + 1) },
    ];
    const ids = new Set(
      variants.map((change) => telemetryEventUuid({ ...event, ...change } as typeof event)),
    );
    ids.add(telemetryEventUuid(event));
    expect(ids.size).toBe(variants.length + 1);
  });
});
