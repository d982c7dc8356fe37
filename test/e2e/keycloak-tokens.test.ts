/**
 * Real tokens from a real Keycloak (the realm in scripts/infra/realm/bionicpro-realm.json),
 * verified by @bionicpro/reports' access-control helpers and, independently, by jose against the
 * realm's JWKS. The reports service's end-to-end test reuses the same realm and users.
 */
import {
  AccessDeniedError,
  AuthenticationError,
  createKeycloakVerifier,
  resolveReportScope,
} from '@bionicpro/reports';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../services.js';

const CLIENT_ID = 'reports-api';
const CLIENT_SECRET = 'reports-api-secret';
const IVAN = {
  username: 'ivan.petrov',
  password: 'ivan-password',
  id: '8d2f6a54-3c1e-4b7a-9f0d-2a6c1e5b7d01',
};
const MARIA = {
  username: 'maria.sidorova',
  password: 'maria-password',
  id: '3b9e1c72-5a4d-4e8f-8c2b-7d0a9f1e6c02',
};
const OLGA = {
  username: 'olga.analyst',
  password: 'olga-password',
  id: 'f1a7c3e9-0b2d-4c6e-a8f4-5e9d7b3c1a03',
};

interface TokenResponse {
  access_token: string;
  id_token?: string;
  refresh_token?: string;
  token_type: string;
}

const keycloak = requireService('keycloak');
const tokenUrl = `${keycloak.issuer}/protocol/openid-connect/token`;

async function token(
  form: Record<string, string>,
): Promise<{ status: number; body: TokenResponse & { error?: string } }> {
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, ...form }),
  });
  return { status: res.status, body: (await res.json()) as TokenResponse & { error?: string } };
}

async function passwordToken(
  user: { username: string; password: string },
  scope = 'openid',
): Promise<TokenResponse> {
  const { status, body } = await token({
    grant_type: 'password',
    username: user.username,
    password: user.password,
    scope,
  });
  expect(status, JSON.stringify(body)).toBe(200);
  return body;
}

const verifier = createKeycloakVerifier({ issuer: keycloak.issuer, audience: CLIENT_ID });

describe(`Keycloak realm ${keycloak.realm} (${keycloak.provider}: ${keycloak.url})`, () => {
  let ivan: TokenResponse;
  beforeAll(async () => {
    ivan = await passwordToken(IVAN);
  });

  it('issues an RS256 access token whose sub is the Keycloak user id (users.user_uuid)', async () => {
    expect(decodeProtectedHeader(ivan.access_token).alg).toBe('RS256');
    const principal = await verifier.verify(ivan.access_token);
    expect(principal.subject).toEqual({ kind: 'user_uuid', value: IVAN.id });
    expect(principal.isAdmin).toBe(false);
    expect(principal.roles).toContain('prosthesis_user');
    expect(principal.claims.iss).toBe(keycloak.issuer);
    expect(principal.claims.aud).toContain(CLIENT_ID);
    expect(principal.expiresAt.getTime()).toBeGreaterThan(Date.now());
  });

  it('verifies independently with jose against the realm JWKS', async () => {
    const jwks = createRemoteJWKSet(new URL(`${keycloak.issuer}/protocol/openid-connect/certs`));
    const { payload } = await jwtVerify(ivan.access_token, jwks, {
      issuer: keycloak.issuer,
      audience: CLIENT_ID,
    });
    expect(payload.sub).toBe(IVAN.id);
    expect(payload.preferred_username).toBe(IVAN.username);
  });

  it('maps preferred_username to the ldap_username subject when asked to', async () => {
    const byName = createKeycloakVerifier({
      issuer: keycloak.issuer,
      audience: CLIENT_ID,
      subjectClaim: 'preferred_username',
    });
    expect((await byName.verify(ivan.access_token)).subject).toEqual({
      kind: 'ldap_username',
      value: 'ivan.petrov',
    });
  });

  it('gives the reports_admin realm role to the analyst and to the client service account', async () => {
    const olga = await verifier.verify((await passwordToken(OLGA)).access_token);
    expect(olga.subject.value).toBe(OLGA.id);
    expect(olga.isAdmin).toBe(true);
    const { status, body } = await token({ grant_type: 'client_credentials' });
    expect(status).toBe(200);
    const service = await verifier.verify(body.access_token);
    expect(service.isAdmin).toBe(true);
    expect(service.claims.azp).toBe(CLIENT_ID);
  });

  it('scopes a user to their own reports and lets the admin read anyone’s (resolveReportScope)', async () => {
    const maria = await verifier.verify((await passwordToken(MARIA)).access_token);
    const ivanP = await verifier.verify(ivan.access_token);
    const olga = await verifier.verify((await passwordToken(OLGA)).access_token);
    // users.user_uuid → users.id, as the CRM would answer
    const ids = new Map([
      [IVAN.id, 1],
      [MARIA.id, 2],
    ]);
    const directory = { userIdFor: async (s: { value: string }) => ids.get(s.value) ?? null };
    expect((await resolveReportScope(ivanP, directory)).userId).toBe(1);
    expect((await resolveReportScope(maria, directory, { requestedUserId: 2 })).userId).toBe(2);
    await expect(resolveReportScope(ivanP, directory, { requestedUserId: 2 })).rejects.toBeInstanceOf(
      AccessDeniedError,
    );
    expect((await resolveReportScope(olga, directory, { requestedUserId: 2 })).userId).toBe(2);
  });

  it('refuses a token whose signature was altered', async () => {
    const [h, p, s] = ivan.access_token.split('.') as [string, string, string];
    const flipped = `${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    await expect(verifier.verify(`${h}.${p}.${flipped}`)).rejects.toMatchObject({
      reason: 'signature_invalid',
    });
  });

  it('refuses a token for another audience and one from another issuer', async () => {
    const other = createKeycloakVerifier({ issuer: keycloak.issuer, audience: 'billing-api' });
    await expect(other.verify(ivan.access_token)).rejects.toMatchObject({ reason: 'audience_mismatch' });
    const foreign = createKeycloakVerifier({
      issuer: `${keycloak.url}/realms/master`,
      audience: CLIENT_ID,
      jwksUrl: `${keycloak.issuer}/protocol/openid-connect/certs`,
    });
    await expect(foreign.verify(ivan.access_token)).rejects.toMatchObject({ reason: 'issuer_mismatch' });
  });

  it('refuses an ID token presented as an access token', async () => {
    expect(ivan.id_token).toBeDefined();
    const idVerifier = createKeycloakVerifier({ issuer: keycloak.issuer, audience: CLIENT_ID });
    const error = await idVerifier.verify(ivan.id_token ?? '').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
  });

  it('does not issue a token for a wrong password', async () => {
    const { status, body } = await token({
      grant_type: 'password',
      username: IVAN.username,
      password: 'nope',
    });
    // RFC 6749 §5.2: a bad resource-owner password is an invalid_grant, HTTP 400.
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_grant');
    expect(body.access_token).toBeUndefined();
  });
});
