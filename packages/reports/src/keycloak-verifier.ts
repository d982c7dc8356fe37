import { InvalidArgumentError } from '@bionicpro/models';
import { errors as joseErrors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { type AuthenticationFailure, AuthenticationError } from './errors.js';
import { createJwksKeyStore, type JwksKeyStore, type JwksKeyStoreOptions } from './jwks-key-store.js';
import type { ReportPrincipal, ReportSubject } from './principal.js';

/** Signature algorithms a Keycloak realm may use for access tokens; `none` and HS* are never accepted. */
export const ALLOWED_TOKEN_ALGORITHMS = ['RS256', 'PS256', 'ES256'] as const;
/** One of {@link ALLOWED_TOKEN_ALGORITHMS}. */
export type TokenAlgorithm = (typeof ALLOWED_TOKEN_ALGORITHMS)[number];

/** Which token claim identifies the user. */
export type SubjectClaim = 'sub' | 'preferred_username';

/** Options of {@link createKeycloakVerifier}. */
export interface KeycloakVerifierOptions {
  /** Realm issuer, exactly as in the token's `iss`: `https://kc.example/realms/bionicpro`. */
  readonly issuer: string;
  /** Accepted audience(s); the token's `aud` must contain one. */
  readonly audience: string | readonly string[];
  /** JWKS endpoint; default `${issuer}/protocol/openid-connect/certs`. */
  readonly jwksUrl?: string | URL;
  /** A key resolver to use instead of fetching the JWKS (e.g. a shared {@link createJwksKeyStore}). */
  readonly keys?: JWTVerifyGetKey;
  /** Narrow the accepted algorithms; anything outside {@link ALLOWED_TOKEN_ALGORITHMS} is rejected. Default all three. */
  readonly algorithms?: readonly TokenAlgorithm[];
  /** Tolerated clock skew for `exp`/`nbf`/`iat`, seconds. Default 30, at most 300. */
  readonly clockToleranceSec?: number;
  /** Claim naming the user: `sub` → user_uuid (default) or `preferred_username` → ldap_username. */
  readonly subjectClaim?: SubjectClaim;
  /** Roles that may read anyone's report. Default `['reports_admin']`. Empty array disables admin access. */
  readonly adminRoles?: readonly string[];
  /** Also read client roles from `resource_access[roleClientId].roles`. */
  readonly roleClientId?: string;
  /** Accepted `azp` (the client the token was issued to); unchecked when omitted. */
  readonly authorizedParty?: string | readonly string[];
  /**
   * Accepted values of Keycloak's `typ` claim. Default `['Bearer']`, which
   * refuses ID and refresh tokens presented as access tokens.
   */
  readonly tokenTypes?: readonly string[];
  /** JWKS cache tuning, see {@link createJwksKeyStore}. */
  readonly jwks?: Pick<JwksKeyStoreOptions, 'maxAgeMs' | 'minRefetchIntervalMs' | 'timeoutMs' | 'onFetch'>;
  readonly fetch?: typeof fetch;
  /** Clock, milliseconds; used for `exp`/`nbf` and for the JWKS cache. */
  readonly now?: () => number;
}

/** Verifies Keycloak access tokens; framework-free. */
export interface KeycloakVerifier {
  /** Verifies a compact JWT and maps it to a principal, or throws {@link AuthenticationError}. */
  verify(token: string): Promise<ReportPrincipal>;
  /** Reads `Authorization: Bearer …` from a Fetch `Request` or `Headers` and verifies it. */
  authenticate(request: Request | Headers): Promise<ReportPrincipal>;
  /** The key store in use (when the verifier created it). */
  readonly keyStore: JwksKeyStore | undefined;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Creates a verifier for access tokens of one Keycloak realm: signature by a
 * key from the realm's JWKS (cached, refreshed on an unknown `kid` at a bounded
 * rate), algorithm allowlist RS256/PS256/ES256, issuer, audience, `exp`/`nbf`
 * with a small clock skew, then subject and role mapping.
 *
 * @example
 * ```ts
 * const verifier = createKeycloakVerifier({
 *   issuer: 'https://sso.bionicpro.example/realms/bionicpro',
 *   audience: 'reports-api',
 * });
 * const principal = await verifier.authenticate(request); // 401 → AuthenticationError
 * principal.subject; // { kind: 'user_uuid', value: '…' }
 * ```
 */
export function createKeycloakVerifier(options: KeycloakVerifierOptions): KeycloakVerifier {
  const issuer = requireNonEmpty(options.issuer, 'issuer');
  const audience = toList(options.audience, 'audience');
  const algorithms = [...(options.algorithms ?? ALLOWED_TOKEN_ALGORITHMS)];
  if (algorithms.length === 0) throw new InvalidArgumentError('algorithms', 'algorithms must not be empty');
  for (const alg of algorithms) {
    if (!(ALLOWED_TOKEN_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new InvalidArgumentError(
        'algorithms',
        `algorithm ${JSON.stringify(alg)} is not allowed; use one of RS256, PS256, ES256`,
      );
    }
  }
  const clockToleranceSec = options.clockToleranceSec ?? 30;
  if (!Number.isFinite(clockToleranceSec) || clockToleranceSec < 0 || clockToleranceSec > 300) {
    throw new InvalidArgumentError('clockToleranceSec', 'clockToleranceSec must be between 0 and 300');
  }
  const subjectClaim = options.subjectClaim ?? 'sub';
  if (subjectClaim !== 'sub' && subjectClaim !== 'preferred_username') {
    throw new InvalidArgumentError('subjectClaim', `subjectClaim must be "sub" or "preferred_username"`);
  }
  const adminRoles = new Set(options.adminRoles ?? ['reports_admin']);
  const authorizedParty =
    options.authorizedParty === undefined ? undefined : toList(options.authorizedParty, 'authorizedParty');
  const tokenTypes = options.tokenTypes ?? ['Bearer'];
  const now = options.now ?? Date.now;

  let keyStore: JwksKeyStore | undefined;
  let keys: JWTVerifyGetKey;
  if (options.keys) {
    keys = options.keys;
  } else {
    keyStore = createJwksKeyStore({
      url: options.jwksUrl ?? `${issuer.replace(/\/+$/, '')}/protocol/openid-connect/certs`,
      now,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.jwks ?? {}),
    });
    keys = keyStore;
  }

  const verify = async (token: string): Promise<ReportPrincipal> => {
    if (typeof token !== 'string' || token.length === 0) {
      throw new AuthenticationError('token_missing', 'no bearer token');
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms,
        issuer,
        audience,
        clockTolerance: clockToleranceSec,
        currentDate: new Date(now()),
        requiredClaims: ['exp', subjectClaim],
      }));
    } catch (error) {
      throw toAuthenticationError(error);
    }
    return toPrincipal(payload);
  };

  const toPrincipal = (payload: JWTPayload): ReportPrincipal => {
    if (payload['typ'] !== undefined && !tokenTypes.includes(String(payload['typ']))) {
      throw new AuthenticationError(
        'claim_invalid',
        `token type ${JSON.stringify(payload['typ'])} is not accepted`,
      );
    }
    if (authorizedParty && !authorizedParty.includes(String(payload['azp']))) {
      throw new AuthenticationError('claim_invalid', `azp ${JSON.stringify(payload['azp'])} is not accepted`);
    }
    const raw = payload[subjectClaim];
    if (typeof raw !== 'string' || raw.length === 0 || raw.length > 255) {
      throw new AuthenticationError('claim_invalid', `claim ${subjectClaim} must be a non-empty string`);
    }
    let subject: ReportSubject;
    if (subjectClaim === 'sub') {
      if (!UUID_RE.test(raw)) throw new AuthenticationError('claim_invalid', 'claim sub must be a UUID');
      subject = { kind: 'user_uuid', value: raw.toLowerCase() };
    } else {
      subject = { kind: 'ldap_username', value: raw };
    }
    const roles = [...realmRoles(payload), ...clientRoles(payload, options.roleClientId)];
    return Object.freeze({
      subject: Object.freeze(subject),
      isAdmin: roles.some((r) => adminRoles.has(r)),
      roles: Object.freeze([...new Set(roles)]),
      expiresAt: new Date((payload.exp as number) * 1000),
      claims: Object.freeze({ ...payload }),
    });
  };

  return {
    verify,
    authenticate: async (request) => verify(bearerToken(request)),
    keyStore,
  };
}

/**
 * Extracts the token of an `Authorization: Bearer <token>` header, or throws
 * {@link AuthenticationError} (`token_missing` / `token_malformed`).
 *
 * @example
 * ```ts
 * bearerToken(new Headers({ authorization: 'Bearer abc.def.ghi' })); // 'abc.def.ghi'
 * ```
 */
export function bearerToken(request: Request | Headers): string {
  const headers = request instanceof Headers ? request : request.headers;
  const value = headers.get('authorization');
  if (value === null || value.trim() === '')
    throw new AuthenticationError('token_missing', 'no Authorization header');
  const match = /^Bearer[ \t]+([A-Za-z0-9\-_.~+/]+=*)[ \t]*$/i.exec(value);
  if (!match)
    throw new AuthenticationError('token_malformed', 'Authorization header is not "Bearer <token>"');
  return match[1] as string;
}

function realmRoles(payload: JWTPayload): string[] {
  const access = payload['realm_access'];
  if (typeof access !== 'object' || access === null) return [];
  const roles = (access as { roles?: unknown }).roles;
  return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [];
}

function clientRoles(payload: JWTPayload, clientId: string | undefined): string[] {
  if (clientId === undefined) return [];
  const access = payload['resource_access'];
  if (typeof access !== 'object' || access === null) return [];
  const client = (access as Record<string, unknown>)[clientId];
  if (typeof client !== 'object' || client === null) return [];
  const roles = (client as { roles?: unknown }).roles;
  return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [];
}

function toAuthenticationError(error: unknown): AuthenticationError {
  if (error instanceof AuthenticationError) return error;
  const reason = ((): AuthenticationFailure => {
    if (error instanceof joseErrors.JWTExpired) return 'token_expired';
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      if (error.claim === 'iss') return 'issuer_mismatch';
      if (error.claim === 'aud') return 'audience_mismatch';
      if (error.claim === 'nbf' && error.reason === 'check_failed') return 'token_not_yet_valid';
      return 'claim_invalid';
    }
    if (error instanceof joseErrors.JOSEAlgNotAllowed || error instanceof joseErrors.JOSENotSupported) {
      return 'algorithm_not_allowed';
    }
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature_invalid';
    if (
      error instanceof joseErrors.JWKSNoMatchingKey ||
      error instanceof joseErrors.JWKSMultipleMatchingKeys
    ) {
      return 'unknown_key';
    }
    return 'token_malformed';
  })();
  const message = error instanceof Error ? error.message : String(error);
  return new AuthenticationError(reason, message, { cause: error });
}

function requireNonEmpty(value: string, name: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new InvalidArgumentError(`${name}`, `${name} must be a non-empty string`);
  return value;
}

function toList(value: string | readonly string[], name: string): string[] {
  const list = typeof value === 'string' ? [value] : [...value];
  if (list.length === 0 || list.some((v) => typeof v !== 'string' || v === '')) {
    throw new InvalidArgumentError(`${name}`, `${name} must be a non-empty string or list of strings`);
  }
  return list;
}
