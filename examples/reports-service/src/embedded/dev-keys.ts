import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/** Claims of a development token, shaped like a Keycloak access token. */
export interface DevTokenClaims {
  /** The Keycloak subject: `users.user_uuid`. */
  readonly sub: string;
  readonly preferred_username?: string;
  /** Realm roles (`realm_access.roles`). */
  readonly roles?: readonly string[];
  /** Lifetime, seconds; default one hour. */
  readonly expiresInSec?: number;
}

/**
 * A local development signing key (RS256) and its public JWKS. The service
 * trusts it only in demo mode (`BIONICPRO_DEMO=1`, `DEMO_JWKS_FILE`), never
 * in production; tokens it signs carry the same claims Keycloak puts in an
 * access token (`iss`, `aud`, `sub`, `preferred_username`, `realm_access`,
 * `typ: Bearer`, `azp`).
 */
export interface DevKeys {
  readonly issuer: string;
  readonly audience: string;
  readonly jwks: { readonly keys: readonly JWK[] };
  /** Signs an access token for a user. */
  token(claims: DevTokenClaims): Promise<string>;
  /** Writes the public JWKS for the service to read. */
  writeJwks(path: string): Promise<void>;
}

/**
 * Generates a fresh development key pair.
 *
 * @example
 * ```ts
 * const keys = await createDevKeys({ issuer: 'http://127.0.0.1:8080/demo-realm', audience: 'reports-api' });
 * const token = await keys.token({ sub: user.user_uuid, preferred_username: user.ldap_username ?? undefined });
 * ```
 */
export async function createDevKeys(options: {
  readonly issuer: string;
  readonly audience: string;
}): Promise<DevKeys> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `demo-${randomUUID().slice(0, 8)}`;
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const jwks = { keys: [jwk] };
  return {
    issuer: options.issuer,
    audience: options.audience,
    jwks,
    async token(claims) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        typ: 'Bearer',
        azp: 'bionicpro-demo',
        realm_access: { roles: [...(claims.roles ?? [])] },
        ...(claims.preferred_username === undefined ? {} : { preferred_username: claims.preferred_username }),
      })
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setSubject(claims.sub)
        .setIssuedAt(now)
        .setExpirationTime(now + (claims.expiresInSec ?? 3_600))
        .setJti(randomUUID())
        .sign(privateKey);
    },
    async writeJwks(path) {
      await writeFile(path, JSON.stringify(jwks, null, 2), { mode: 0o644 });
    },
  };
}
