import { describe, expect, it } from 'vitest';
import { EnvelopeError } from './errors.js';
import { classifyEnvelope, parseSequence, parseSnapshotMarker, parseSource } from './envelope.js';

describe('envelope parts', () => {
  it('parses source.sequence, with nulls, and names a malformed one', () => {
    expect(parseSequence('["24023120","24023928"]', ['source', 'sequence'])).toEqual([
      '24023120',
      '24023928',
    ]);
    expect(parseSequence('[null,"24023928"]', ['source', 'sequence'])).toEqual([null, '24023928']);
    expect(parseSequence(null, ['source', 'sequence'])).toBeNull();
    expect(() => parseSequence('[1,2,3]', ['source', 'sequence'])).toThrow(EnvelopeError);
    expect(() => parseSource({ sequence: 5 })).toThrow(
      expect.objectContaining({ path: ['source', 'sequence'] }),
    );
  });

  it('normalises snapshot markers and refuses unknown ones', () => {
    expect(parseSnapshotMarker(false)).toBe('false');
    expect(parseSnapshotMarker('last_in_data_collection')).toBe('last_in_data_collection');
    expect(() => parseSnapshotMarker('maybe')).toThrow(/source\.snapshot/);
  });

  it('names the bad source field', () => {
    expect(() => parseSource({ lsn: 'x' })).toThrow(expect.objectContaining({ path: ['source', 'lsn'] }));
    expect(() => parseSource({ table: 5 })).toThrow(expect.objectContaining({ path: ['source', 'table'] }));
  });

  it('tells a heartbeat from an unwrapped row and refuses a bad __deleted', () => {
    expect(classifyEnvelope({ ts_ms: 1 }).form).toBe('heartbeat');
    expect(classifyEnvelope({ id: 1, __deleted: 'false' }).form).toBe('change');
    expect(() => classifyEnvelope({ id: 1, __deleted: 'yes' })).toThrow(
      expect.objectContaining({ path: ['__deleted'] }),
    );
    expect(() => classifyEnvelope({ schema: { type: 'struct' }, payload: 5 })).toThrow(
      expect.objectContaining({ path: ['payload'] }),
    );
  });
});
