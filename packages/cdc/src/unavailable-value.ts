/**
 * Unchanged TOASTed values. Under REPLICA IDENTITY DEFAULT PostgreSQL does not
 * log a large column an UPDATE did not touch, and Debezium writes a
 * placeholder instead (`unavailable.value.placeholder`, by default
 * `__debezium_unavailable_value`) shaped by the column type: the text itself,
 * its bytes as base64 (bytea, Decimal), a one-element array (text[]), its byte
 * values as ints (int4[] and other numeric arrays), a map (hstore), or
 * hstore-as-JSON text. A placeholder is never a value: the decoded change
 * lists the column as unavailable and the sink keeps the previous value.
 */

/** Debezium's default `unavailable.value.placeholder`. */
export const DEFAULT_UNAVAILABLE_PLACEHOLDER = '__debezium_unavailable_value';

/** A compiled test for one placeholder text in every shape Debezium gives it. */
export interface UnavailableMatcher {
  readonly placeholder: string;
  (value: unknown): boolean;
}

/** The texts a matcher of {@link unavailableValueMatcher} recognises; it is false for numbers and booleans. */
const placeholderTexts = new WeakMap<UnavailableMatcher, readonly [string, string, string]>();

/**
 * Builds the test for a placeholder (the connector's
 * `unavailable.value.placeholder`).
 *
 * @example
 * ```ts
 * import { unavailableValueMatcher } from '@bionicpro/cdc';
 * const isUnavailable = unavailableValueMatcher();
 * isUnavailable(['__debezium_unavailable_value']); // true
 * ```
 */
export function unavailableValueMatcher(
  placeholder: string = DEFAULT_UNAVAILABLE_PLACEHOLDER,
): UnavailableMatcher {
  const bytes = [...Buffer.from(placeholder, 'utf8')];
  const base64 = Buffer.from(placeholder, 'utf8').toString('base64');
  const hstoreJson = JSON.stringify({ [placeholder]: placeholder });
  const matcher = (value: unknown): boolean => {
    if (typeof value === 'string') {
      return value === placeholder || value === base64 || value === hstoreJson;
    }
    if (value === null || typeof value !== 'object') return false;
    if (Array.isArray(value)) {
      if (value.length === 1) return value[0] === placeholder || value[0] === base64;
      if (value.length !== bytes.length) return false;
      for (let i = 0; i < bytes.length; i++) if (value[i] !== bytes[i]) return false;
      return true;
    }
    // hstore as a map, or a VariableScaleDecimal struct whose value is the placeholder's bytes.
    const record = value as Record<string, unknown>;
    if (record[placeholder] !== undefined) return true;
    return typeof record['value'] === 'string' && record['value'] === base64 && 'scale' in record;
  };
  const compiled = Object.assign(matcher, { placeholder });
  placeholderTexts.set(compiled, [placeholder, base64, hstoreJson]);
  return compiled;
}

/**
 * The only strings `matcher` takes for a placeholder, when it is one {@link unavailableValueMatcher}
 * made (such a matcher is also false for every number and boolean); undefined for any other
 * function. Lets the row decoders test scalars inline and call the matcher only for objects.
 *
 * @internal
 */
export function placeholderTextsOf(
  matcher: UnavailableMatcher,
): readonly [string, string, string] | undefined {
  return placeholderTexts.get(matcher);
}
