import type { User } from '@bionicpro/models';
import { z } from 'zod';
import { escapeXml } from '../report-page/svg-charts.js';
import type { Handler } from '../request-context.js';
import { IdParameter, parseQuery } from '../request-input.js';
import type { Router } from '../router.js';
import type { DevKeys } from './dev-keys.js';

/** Cookie holding the demo browser session's access token. */
export const DEMO_TOKEN_COOKIE = 'bionicpro_demo_token';

const LoginQuery = z.strictObject({ user_id: IdParameter });

/**
 * Demo-only routes (registered by the demo, never by `main.ts`): `GET /demo`
 * lists the generated users, `GET /demo/login?user_id=N` signs a token for
 * that user with the local development key, stores it in an HttpOnly cookie
 * and opens their report page — the part Keycloak's login and a BFF play in
 * production.
 *
 * @example
 * ```ts
 * registerDemoRoutes(router, { keys, users: dataset.users });
 * ```
 */
export function registerDemoRoutes(
  router: Router<Handler>,
  deps: { readonly keys: DevKeys; readonly users: readonly User[] },
): void {
  const byId = new Map(deps.users.map((u) => [u.id, u]));
  router.add('GET', '/demo', async () => {
    const rows = deps.users
      .slice(0, 50)
      .map(
        (u) =>
          `<li><a href="/demo/login?user_id=${u.id}">${escapeXml(u.name)}</a> <small>${escapeXml(u.ldap_username ?? '')} · id ${u.id}</small></li>`,
      )
      .join('');
    return new Response(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>BionicPRO demo</title><style>body{font-family:system-ui,sans-serif;max-width:640px;margin:0 auto;padding:12px}li{margin:6px 0}</style></head><body><h1>BionicPRO demo</h1><p>Log in as a prosthesis owner (a token signed by the local development key is stored in a cookie):</p><ul>${rows}</ul><p><a href="/docs">API documentation</a></p></body></html>`,
      { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' } },
    );
  });
  router.add('GET', '/demo/login', async (ctx) => {
    const { user_id } = parseQuery(LoginQuery, ctx.url);
    const user = byId.get(user_id);
    if (user === undefined) {
      return new Response('no such demo user', { status: 404, headers: { 'content-type': 'text/plain' } });
    }
    const token = await deps.keys.token({
      sub: user.user_uuid,
      ...(user.ldap_username === null ? {} : { preferred_username: user.ldap_username }),
    });
    return new Response(null, {
      status: 303,
      headers: {
        location: `/reports/user/${user.id}/page`,
        'set-cookie': `${DEMO_TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=3600`,
      },
    });
  });
}
