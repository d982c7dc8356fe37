/** The text of a Kafka record's key or value, and its JSON. */
import { EnvelopeError } from './errors.js';
import { parseJsonLossless } from './lossless-json.js';

const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** The UTF-8 text of a key or value given as text or bytes. */
export function toText(bytes: string | Uint8Array, part: 'key' | 'value'): string {
  if (typeof bytes === 'string') return bytes;
  if (!(bytes instanceof Uint8Array)) {
    const got = bytes === null ? 'null' : Array.isArray(bytes) ? 'an array' : typeof bytes;
    throw new EnvelopeError(`expected a string or Buffer, got ${got}`, [part]);
  }
  try {
    return textDecoder.decode(bytes);
  } catch (cause) {
    throw new EnvelopeError('not UTF-8 text', [part], { cause });
  }
}

/** The JSON of a key or value; `lossless` keeps integers beyond 2^53 exact (bigint). */
export function parseText(text: string, part: 'key' | 'value', lossless: boolean): unknown {
  try {
    return lossless ? parseJsonLossless(text) : JSON.parse(text);
  } catch (cause) {
    throw new EnvelopeError(`not JSON: ${(cause as Error).message}`, [part], { cause });
  }
}
