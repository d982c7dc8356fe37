import { InvalidArgumentError } from '@bionicpro/models';
import {
  type CryptoKey,
  createLocalJWKSet,
  errors,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
} from 'jose';
import { AuthenticationError } from './errors.js';

/** Options of {@link createJwksKeyStore}. */
export interface JwksKeyStoreOptions {
  /** The realm's JWKS endpoint, e.g. `https://kc/realms/bionicpro/protocol/openid-connect/certs`. */
  readonly url: string | URL;
  /** Keys older than this are refetched before use. Default 10 minutes. */
  readonly maxAgeMs?: number;
  /**
   * Minimum time between two fetches triggered by an unknown `kid`. Bounds the
   * load a stream of forged tokens with random `kid`s can put on Keycloak.
   * Default 30 seconds.
   */
  readonly minRefetchIntervalMs?: number;
  /** Abort a JWKS fetch after this long. Default 5 seconds. */
  readonly timeoutMs?: number;
  /** Fetch implementation (default: global `fetch`). */
  readonly fetch?: typeof fetch;
  /** Clock in milliseconds (default: `Date.now`). */
  readonly now?: () => number;
  /** Called after every JWKS fetch attempt, successful or not (metrics, logs). */
  readonly onFetch?: (outcome: JwksFetchOutcome) => void;
}

/** How one JWKS fetch went; `error` is the `jwks_unavailable` error the fetch failed with. */
export type JwksFetchOutcome =
  | { readonly ok: true; readonly keys: number; readonly durationMs: number }
  | { readonly ok: false; readonly error: AuthenticationError; readonly durationMs: number };

/** A key resolver for `jose.jwtVerify` with its cache state exposed for metrics and tests. */
export interface JwksKeyStore {
  /** Resolves the verification key for a token header; usable as jose's `getKey`. */
  (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey>;
  /** Fetches the key set now (single-flight). */
  reload(): Promise<void>;
  /** Number of JWKS HTTP fetches attempted so far. */
  readonly fetchCount: number;
  /** Key ids currently cached. */
  readonly kids: readonly string[];
}

type LocalSet = ReturnType<typeof createLocalJWKSet>;

/**
 * A JWKS cache for Keycloak realm keys: fetched on first use, refreshed when
 * older than `maxAgeMs`, refetched when a token names an unknown `kid` (key
 * rotation) but at most once per `minRefetchIntervalMs`. When a refresh fails
 * the previous keys keep working; an unknown `kid` is a 401, never a crash.
 *
 * @example
 * ```ts
 * import { jwtVerify } from 'jose';
 * const keys = createJwksKeyStore({ url: 'https://kc/realms/bionicpro/protocol/openid-connect/certs' });
 * await jwtVerify(token, keys, { algorithms: ['RS256'] });
 * ```
 */
export function createJwksKeyStore(options: JwksKeyStoreOptions): JwksKeyStore {
  const url = new URL(options.url);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidArgumentError('url', `JWKS url must be http(s), got ${url.protocol}`);
  }
  const maxAgeMs = nonNegative(options.maxAgeMs, 600_000, 'maxAgeMs');
  const minRefetchIntervalMs = nonNegative(options.minRefetchIntervalMs, 30_000, 'minRefetchIntervalMs');
  const timeoutMs = nonNegative(options.timeoutMs, 5_000, 'timeoutMs');
  const doFetch = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;

  let local: LocalSet | undefined;
  let kids: string[] = [];
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let pending: Promise<void> | undefined;
  let fetchCount = 0;

  const fetchOnce = async (): Promise<void> => {
    fetchCount += 1;
    lastAttemptAt = now();
    const signing = await fetchSigningKeys(url, doFetch, timeoutMs);
    local = createLocalJWKSet(signing);
    kids = signing.keys.flatMap((k) => (typeof k.kid === 'string' ? [k.kid] : []));
    fetchedAt = now();
  };

  const observedFetch = async (): Promise<void> => {
    if (options.onFetch === undefined) return fetchOnce();
    const started = performance.now();
    try {
      await fetchOnce();
    } catch (error) {
      options.onFetch({
        ok: false,
        error:
          error instanceof AuthenticationError
            ? error
            : new AuthenticationError('jwks_unavailable', `JWKS from ${url.href} is not usable`, {
                cause: error,
              }),
        durationMs: performance.now() - started,
      });
      throw error;
    }
    options.onFetch({ ok: true, keys: kids.length, durationMs: performance.now() - started });
  };

  const reload = (): Promise<void> => {
    pending ??= observedFetch().finally(() => {
      pending = undefined;
    });
    return pending;
  };

  const resolve = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> => {
    if (local === undefined || now() - fetchedAt >= maxAgeMs) {
      try {
        await reload();
      } catch (error) {
        // Stale keys still verify signatures Keycloak made with them; better than refusing everyone.
        if (local === undefined) throw error;
      }
    }
    const current = local as LocalSet;
    try {
      return await current(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      if (now() - lastAttemptAt < minRefetchIntervalMs) {
        throw new AuthenticationError('unknown_key', `no key matches kid ${JSON.stringify(header.kid)}`, {
          cause: error,
        });
      }
      await reload();
      try {
        return await (local as LocalSet)(header, token);
      } catch (retryError) {
        if (retryError instanceof errors.JWKSNoMatchingKey) {
          throw new AuthenticationError('unknown_key', `no key matches kid ${JSON.stringify(header.kid)}`, {
            cause: retryError,
          });
        }
        throw retryError;
      }
    }
  };

  return Object.defineProperties(resolve, {
    reload: { value: reload, enumerable: true },
    fetchCount: { get: () => fetchCount, enumerable: true },
    kids: { get: () => [...kids], enumerable: true },
  }) as JwksKeyStore;
}

/** GETs the JWKS and keeps its signing keys; every failure is an `AuthenticationError` (`jwks_unavailable`). */
async function fetchSigningKeys(
  url: URL,
  doFetch: typeof globalThis.fetch,
  timeoutMs: number,
): Promise<JSONWebKeySet> {
  let response: Response;
  try {
    response = await doFetch(url, {
      method: 'GET',
      redirect: 'manual',
      headers: { accept: 'application/json, application/jwk-set+json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (cause) {
    throw new AuthenticationError('jwks_unavailable', `JWKS fetch from ${url.href} failed`, { cause });
  }
  if (response.status !== 200) {
    throw new AuthenticationError(
      'jwks_unavailable',
      `JWKS fetch from ${url.href} answered ${response.status}`,
    );
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch (cause) {
    throw new AuthenticationError('jwks_unavailable', `JWKS from ${url.href} is not JSON`, { cause });
  }
  if (!isJwkSet(body)) {
    throw new AuthenticationError('jwks_unavailable', `JWKS from ${url.href} has no "keys" array`);
  }
  // Encryption keys are published in the same set by Keycloak; they must never verify a signature.
  return { keys: body.keys.filter((k) => k.use === undefined || k.use === 'sig') };
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0)
    throw new InvalidArgumentError(`${name}`, `${name} must be a non-negative number`);
  return value;
}

function isJwkSet(value: unknown): value is JSONWebKeySet {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { keys?: unknown }).keys) &&
    (value as { keys: unknown[] }).keys.every((k) => typeof k === 'object' && k !== null)
  );
}
