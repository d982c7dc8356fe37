import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CryptoKey,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AccessDeniedError,
  AuthenticationError,
  createKeycloakVerifier,
  type KeycloakVerifier,
  type ReportPrincipal,
  reportErrorResponse,
  resolveReportScope,
  type SubjectDirectory,
} from '../src/index.js';

// A realm served on loopback: the JWKS endpoint counts its requests and can be
// rotated, as Keycloak does when an admin adds a key and retires the old one.
interface RealmKey {
  kid: string;
  alg: 'RS256' | 'PS256' | 'ES256';
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

async function makeKey(kid: string, alg: RealmKey['alg']): Promise<RealmKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicKey, jwk };
}

const ISSUER_PATH = '/realms/bionicpro';
const AUDIENCE = 'reports-api';
const SUB = '6f1c2a4e-0b7d-4c59-9a3e-2f8d1b7c5e90';

let server: Server;
let issuer: string;
let served: JWK[] = [];
let jwksRequests = 0;
let rsa: RealmKey;
let ps: RealmKey;
let ec: RealmKey;
let rotated: RealmKey;
let clock = Date.UTC(2024, 0, 15, 12, 0, 0);
const now = () => clock;

beforeAll(async () => {
  rsa = await makeKey('rsa-1', 'RS256');
  ps = await makeKey('ps-1', 'PS256');
  ec = await makeKey('ec-1', 'ES256');
  rotated = await makeKey('rsa-2', 'RS256');
  server = createServer((req, res) => {
    if (req.url === `${ISSUER_PATH}/protocol/openid-connect/certs`) {
      jwksRequests += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      // An encryption key is published too (Keycloak does); it must never verify a signature.
      res.end(JSON.stringify({ keys: [...served, { ...rsa.jwk, kid: 'enc-1', use: 'enc' }] }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}${ISSUER_PATH}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  served = [rsa.jwk, ps.jwk, ec.jwk];
  jwksRequests = 0;
  clock = Date.UTC(2024, 0, 15, 12, 0, 0);
});

function verifier(extra: Partial<Parameters<typeof createKeycloakVerifier>[0]> = {}): KeycloakVerifier {
  return createKeycloakVerifier({
    issuer,
    audience: AUDIENCE,
    now,
    jwks: { minRefetchIntervalMs: 10_000 },
    ...extra,
  });
}

async function sign(
  key: RealmKey,
  claims: JWTPayload = {},
  header: Record<string, unknown> = {},
  opts: { iat?: number; exp?: number | null } = {},
): Promise<string> {
  const iat = opts.iat ?? Math.floor(clock / 1000);
  // Claims given by a test override the defaults (and `undefined` removes one).
  const payload: Record<string, unknown> = {
    iss: issuer,
    aud: AUDIENCE,
    sub: SUB,
    iat,
    exp: opts.exp === null ? undefined : (opts.exp ?? iat + 300),
    typ: 'Bearer',
    azp: 'bionicpro-frontend',
    preferred_username: 'ivan.petrov',
    realm_access: { roles: ['default-roles-bionicpro', 'prothetic_user'] },
    ...claims,
  };
  return new SignJWT(payload as JWTPayload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })
    .sign(key.privateKey);
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function rejection(promise: Promise<unknown>): Promise<AuthenticationError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the token to be rejected');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthenticationError);
  return error as AuthenticationError;
}

describe('createKeycloakVerifier', () => {
  it('accepts a valid RS256, PS256 and ES256 token and maps sub to user_uuid', async () => {
    const v = verifier();
    for (const key of [rsa, ps, ec]) {
      const principal = await v.verify(await sign(key));
      expect(principal.subject).toEqual({ kind: 'user_uuid', value: SUB });
      expect(principal.isAdmin).toBe(false);
      expect(principal.roles).toContain('prothetic_user');
      expect(principal.expiresAt.getTime()).toBe(Math.floor(clock / 1000) * 1000 + 300_000);
    }
    expect(jwksRequests).toBe(1);
  });

  it('maps preferred_username to ldap_username when configured', async () => {
    const principal = await verifier({ subjectClaim: 'preferred_username' }).verify(await sign(rsa));
    expect(principal.subject).toEqual({ kind: 'ldap_username', value: 'ivan.petrov' });
  });

  it('grants admin from the realm role reports_admin, and from a client role when configured', async () => {
    const admin = await verifier().verify(await sign(rsa, { realm_access: { roles: ['reports_admin'] } }));
    expect(admin.isAdmin).toBe(true);
    const clientRole = await sign(rsa, { resource_access: { 'reports-api': { roles: ['reports_admin'] } } });
    expect((await verifier().verify(clientRole)).isAdmin).toBe(false);
    expect((await verifier({ roleClientId: 'reports-api' }).verify(clientRole)).isAdmin).toBe(true);
  });

  it('refuses an expired token, but tolerates a small clock skew', async () => {
    const issuedAt = Math.floor(clock / 1000) - 600;
    const token = await sign(rsa, {}, {}, { iat: issuedAt, exp: issuedAt + 300 });
    expect((await rejection(verifier().verify(token))).reason).toBe('token_expired');
    const justExpired = await sign(rsa, {}, {}, { iat: issuedAt, exp: Math.floor(clock / 1000) - 10 });
    await expect(verifier({ clockToleranceSec: 30 }).verify(justExpired)).resolves.toBeDefined();
    expect((await rejection(verifier({ clockToleranceSec: 0 }).verify(justExpired))).reason).toBe(
      'token_expired',
    );
  });

  it('refuses a token without exp', async () => {
    const token = await sign(rsa, {}, {}, { exp: null });
    expect((await rejection(verifier().verify(token))).reason).toBe('claim_invalid');
  });

  it('refuses a token that is not valid yet (nbf beyond the skew)', async () => {
    const token = await sign(rsa, { nbf: Math.floor(clock / 1000) + 600 });
    expect((await rejection(verifier().verify(token))).reason).toBe('token_not_yet_valid');
  });

  it('refuses a wrong issuer', async () => {
    const token = await sign(rsa, { iss: issuer.replace('bionicpro', 'master') });
    expect((await rejection(verifier().verify(token))).reason).toBe('issuer_mismatch');
  });

  it('refuses a wrong audience', async () => {
    const token = await sign(rsa, { aud: 'account' });
    expect((await rejection(verifier().verify(token))).reason).toBe('audience_mismatch');
  });

  it('refuses alg none without fetching keys', async () => {
    const iat = Math.floor(clock / 1000);
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ iss: issuer, aud: AUDIENCE, sub: SUB, iat, exp: iat + 300 })}.`;
    expect((await rejection(verifier().verify(token))).reason).toBe('algorithm_not_allowed');
    expect(jwksRequests).toBe(0);
  });

  it('refuses HS256 signed with the public key (algorithm confusion)', async () => {
    const pem = await exportSPKI(rsa.publicKey);
    const iat = Math.floor(clock / 1000);
    const token = await new SignJWT({
      iss: issuer,
      aud: AUDIENCE,
      sub: SUB,
      iat,
      exp: iat + 300,
      typ: 'Bearer',
    })
      .setProtectedHeader({ alg: 'HS256', kid: rsa.kid })
      .sign(new TextEncoder().encode(pem));
    expect((await rejection(verifier().verify(token))).reason).toBe('algorithm_not_allowed');
  });

  it('refuses a configuration that allows an algorithm outside RS256/PS256/ES256', () => {
    expect(() => verifier({ algorithms: ['HS256' as never] })).toThrow(/not allowed/);
  });

  it('refuses a tampered payload and a token signed by a key the realm does not publish', async () => {
    const token = await sign(rsa);
    const [h, , s] = token.split('.');
    const forged = `${h}.${b64url({ iss: issuer, aud: AUDIENCE, sub: SUB, exp: 9e9, realm_access: { roles: ['reports_admin'] } })}.${s}`;
    expect((await rejection(verifier().verify(forged))).reason).toBe('signature_invalid');
    const stranger = await makeKey(rsa.kid, 'RS256');
    expect((await rejection(verifier().verify(await sign(stranger)))).reason).toBe('signature_invalid');
  });

  it('never verifies with a key published for encryption', async () => {
    const token = await sign({ ...rsa, kid: 'enc-1' });
    expect((await rejection(verifier().verify(token))).reason).toBe('unknown_key');
  });

  it('refuses an unknown kid and bounds how often it refetches the JWKS', async () => {
    const v = verifier();
    await v.verify(await sign(rsa));
    expect(jwksRequests).toBe(1);
    clock += 11_000;
    const unknown = await makeKey('attacker-kid', 'RS256');
    for (let i = 0; i < 25; i += 1) {
      const e = await rejection(v.verify(await sign({ ...unknown, kid: `attacker-${i}` })));
      expect(e.reason).toBe('unknown_key');
    }
    // One refetch for the first unknown kid, then none inside the interval.
    expect(jwksRequests).toBe(2);
    clock += 11_000;
    await rejection(v.verify(await sign({ ...unknown, kid: 'attacker-late' })));
    expect(jwksRequests).toBe(3);
  });

  it('picks up a rotated key by refetching on its new kid', async () => {
    const v = verifier();
    await v.verify(await sign(rsa));
    served = [rotated.jwk];
    clock += 11_000;
    const principal = await v.verify(await sign(rotated));
    expect(principal.subject.value).toBe(SUB);
    expect(jwksRequests).toBe(2);
    // The retired key is gone from the realm: its tokens are refused after the refresh.
    expect((await rejection(v.verify(await sign(rsa)))).reason).toBe('unknown_key');
    expect(v.keyStore?.kids).toEqual(['rsa-2']);
  });

  it('refetches keys older than maxAgeMs before use', async () => {
    const v = verifier({ jwks: { maxAgeMs: 60_000, minRefetchIntervalMs: 10_000 } });
    await v.verify(await sign(rsa));
    clock += 61_000;
    await v.verify(await sign(rsa));
    expect(jwksRequests).toBe(2);
  });

  it('keeps the cached keys when a refresh fails', async () => {
    let fail = false;
    const v = verifier({
      jwks: { maxAgeMs: 60_000, minRefetchIntervalMs: 10_000 },
      fetch: (input, init) => (fail ? Promise.reject(new Error('connection refused')) : fetch(input, init)),
    });
    await v.verify(await sign(rsa));
    fail = true;
    clock += 61_000;
    await expect(v.verify(await sign(rsa))).resolves.toBeDefined();
  });

  it('answers 401 jwks_unavailable when the realm cannot be reached and nothing is cached', async () => {
    const v = createKeycloakVerifier({ issuer: 'http://127.0.0.1:1/realms/x', audience: AUDIENCE, now });
    const e = await rejection(v.verify(await sign(rsa)));
    expect(e.reason).toBe('jwks_unavailable');
  });

  it('refuses an ID token presented as an access token', async () => {
    expect((await rejection(verifier().verify(await sign(rsa, { typ: 'ID' })))).reason).toBe('claim_invalid');
  });

  it('refuses a sub that is not a UUID', async () => {
    expect((await rejection(verifier().verify(await sign(rsa, { sub: "1' OR 1=1" })))).reason).toBe(
      'claim_invalid',
    );
  });

  it('reads the bearer token from a Fetch Request', async () => {
    const v = verifier();
    const token = await sign(rsa);
    const principal = await v.authenticate(
      new Request('http://x/api/reports', { headers: { authorization: `Bearer ${token}` } }),
    );
    expect(principal.subject.value).toBe(SUB);
    expect((await rejection(v.authenticate(new Request('http://x/')))).reason).toBe('token_missing');
    const basic = new Request('http://x/', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect((await rejection(v.authenticate(basic))).reason).toBe('token_malformed');
  });
});

describe('resolveReportScope', () => {
  const alice: ReportPrincipal = {
    subject: { kind: 'user_uuid', value: SUB },
    isAdmin: false,
    roles: [],
    expiresAt: new Date(clock + 300_000),
    claims: {},
  };
  const lookups: string[] = [];
  const directory: SubjectDirectory = {
    async userIdFor(subject) {
      lookups.push(subject.value);
      return subject.value === SUB ? 7 : null;
    },
  };

  beforeEach(() => {
    lookups.length = 0;
  });

  it('lets a user read their own report and scopes the query to them', async () => {
    const scope = await resolveReportScope(alice, directory, { requestedUserId: '7' });
    expect(scope.userId).toBe(7);
    expect(scope.grantedBy).toBe('self');
    expect((await resolveReportScope(alice, directory)).userId).toBe(7);
  });

  it('answers the same 403 for an existing and a missing other user, without looking them up', async () => {
    const existing = await resolveReportScope(alice, directory, { requestedUserId: 8 }).catch(
      (e: unknown) => e,
    );
    const missing = await resolveReportScope(alice, directory, { requestedUserId: 99_999 }).catch(
      (e: unknown) => e,
    );
    for (const e of [existing, missing]) {
      expect(e).toBeInstanceOf(AccessDeniedError);
    }
    const [a, b] = [reportErrorResponse(existing), reportErrorResponse(missing)];
    expect(a?.status).toBe(403);
    expect(await a?.text()).toBe(await b?.text());
    expect(lookups).toEqual([SUB, SUB]);
  });

  it('lets an admin read any user', async () => {
    const scope = await resolveReportScope({ ...alice, isAdmin: true }, directory, { requestedUserId: 8 });
    expect(scope).toMatchObject({ userId: 8, grantedBy: 'admin' });
    expect(lookups).toEqual([]);
  });

  it('refuses a subject that is not a known user with the same 403', async () => {
    const stranger = { ...alice, subject: { kind: 'user_uuid' as const, value: crypto.randomUUID() } };
    await expect(resolveReportScope(stranger, directory, { requestedUserId: 7 })).rejects.toBeInstanceOf(
      AccessDeniedError,
    );
  });

  it('rejects a malformed requested user id as a 400 naming the parameter', async () => {
    for (const bad of ['7 OR 1=1', '-1', '0', '1e3', '', '9007199254740993']) {
      const e = await resolveReportScope(alice, directory, { requestedUserId: bad }).catch((x: unknown) => x);
      const response = reportErrorResponse(e);
      expect(response?.status).toBe(400);
      expect(await response?.json()).toMatchObject({ parameter: 'user_id' });
    }
  });

  it('maps 401 to a Bearer challenge that does not explain the failure', async () => {
    const response = reportErrorResponse(new AuthenticationError('issuer_mismatch', 'iss is http://evil'));
    expect(response?.status).toBe(401);
    expect(response?.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(await response?.text()).not.toContain('evil');
  });
});
