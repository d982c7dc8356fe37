/**
 * The service as production runs it: tokens issued by a real Keycloak (the
 * realm of scripts/infra/realm/bionicpro-realm.json, the same one the
 * Keycloak e2e tests use), verified against the realm's JWKS fetched over
 * HTTP. The generated CRM users 1–3 are given the realm users' ids, so `sub`
 * maps to `users.user_uuid`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../../../test/services.js';
import { type EmbeddedStack, monthsAgo, startEmbeddedStack } from '../src/embedded/embedded-stack.js';
import { silentLogger } from '../src/logger.js';

const CLIENT = { id: 'reports-api', secret: 'reports-api-secret' };
const REALM_USERS = [
  { username: 'ivan.petrov', password: 'ivan-password', id: '8d2f6a54-3c1e-4b7a-9f0d-2a6c1e5b7d01' },
  { username: 'maria.sidorova', password: 'maria-password', id: '3b9e1c72-5a4d-4e8f-8c2b-7d0a9f1e6c02' },
  { username: 'olga.analyst', password: 'olga-password', id: 'f1a7c3e9-0b2d-4c6e-a8f4-5e9d7b3c1a03' },
] as const;

const keycloak = requireService('keycloak');
let stack: EmbeddedStack;
let dir: string;
let month: string;

async function tokenOf(user: (typeof REALM_USERS)[number]): Promise<string> {
  const response = await fetch(`${keycloak.issuer}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: CLIENT.id,
      client_secret: CLIENT.secret,
      username: user.username,
      password: user.password,
      scope: 'openid',
    }),
  });
  const body = (await response.json()) as { access_token?: string; error?: string };
  if (!body.access_token) throw new Error(`Keycloak refused ${user.username}: ${body.error}`);
  return body.access_token;
}

const get = async (path: string, token?: string) =>
  fetch(`${stack.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bionicpro-keycloak-'));
  month = monthsAgo(1);
  stack = await startEmbeddedStack({
    dir,
    dataset: { seed: 17, users: 3, start: month, months: 1, eventsPerDay: 10 },
    logger: silentLogger,
    keycloak: { issuer: keycloak.issuer, audience: CLIENT.id },
    prepare(data) {
      for (const [i, realmUser] of REALM_USERS.entries()) {
        const user = data.users[i];
        if (user) Object.assign(user, { user_uuid: realmUser.id, ldap_username: realmUser.username });
      }
    },
  });
});

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('with real Keycloak tokens', () => {
  it("gives Ivan his own report, labelled with his Keycloak username, and refuses Maria's", async () => {
    const ivan = await tokenOf(REALM_USERS[0]);
    const own = await get(`/reports/user/1?month=${month}`, ivan);
    expect(own.status).toBe(200);
    expect(((await own.json()) as { user_id: number }).user_id).toBe(1);
    expect(((await (await get('/api/reports', ivan)).json()) as { user: string }).user).toBe('ivan.petrov');
    expect((await get(`/reports/user/2?month=${month}`, ivan)).status).toBe(403);
  });

  it('lets the realm admin (olga.analyst, reports_admin) read any user', async () => {
    const olga = await tokenOf(REALM_USERS[2]);
    expect((await get(`/reports/user/2?month=${month}`, olga)).status).toBe(200);
  });

  it('refuses a missing token and a tampered one (sub swapped) with 401', async () => {
    expect((await get(`/reports/user/1?month=${month}`)).status).toBe(401);
    const maria = await tokenOf(REALM_USERS[1]);
    const [header, payload, signature] = maria.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: REALM_USERS[0].id })).toString('base64url')}.${signature}`;
    expect((await get(`/reports/user/1?month=${month}`, tampered)).status).toBe(401);
  });
});
