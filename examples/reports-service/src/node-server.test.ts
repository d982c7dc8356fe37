import type { KeycloakVerifier } from '@bionicpro/reports';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './app.js';
import { jsonResponse } from './http-errors.js';
import { silentLogger } from './logger.js';
import { rawExchange } from '../test/raw-http.js';
import { type NodeServer, serveNode } from './node-server.js';

const refusingVerifier = {
  authenticate: () => Promise.reject(new Error('not used')),
  verify: () => Promise.reject(new Error('not used')),
} as unknown as KeycloakVerifier;

let server: NodeServer;
let port: number;

beforeAll(async () => {
  const app = createApp({
    verifier: refusingVerifier,
    logger: silentLogger,
    routes(router) {
      router.add('GET', '/echo', async (ctx) =>
        jsonResponse(200, { path: ctx.url.pathname, query: ctx.url.search, host: ctx.url.host }),
      );
      router.add('POST', '/echo', async () => jsonResponse(200, {}));
    },
  });
  server = await serveNode(app, { host: '127.0.0.1', port: 0, logger: silentLogger });
  port = Number(new URL(server.url).port);
});

afterAll(async () => {
  await server?.shutdown(1_000);
});

const request = (line: string, headers: readonly string[] = ['Host: svc']) =>
  rawExchange(port, `${line}\r\n${[...headers, 'Connection: close'].join('\r\n')}\r\n\r\n`);

describe('serveNode: malformed requests get a 4xx/501, never a 500', () => {
  it('answers 501 to methods the service does not implement, 400 to ones Node does not parse', async () => {
    for (const method of ['TRACE', 'PROPFIND', 'MKCOL', 'PURGE', 'LINK']) {
      const answer = await request(`${method} /echo HTTP/1.1`);
      expect(answer.status, method).toBe(501);
      expect(answer.body, method).toContain('not_implemented');
    }
    // Node's parser knows a fixed list of methods and refuses anything else itself.
    for (const method of ['TRACK', 'BREW', 'get']) {
      expect((await request(`${method} /echo HTTP/1.1`)).status, method).toBe(400);
    }
  });

  it('answers OPTIONS * with 501 and OPTIONS on a route with 405 and Allow', async () => {
    expect((await request('OPTIONS * HTTP/1.1')).status).toBe(501);
    const route = await request('OPTIONS /echo HTTP/1.1');
    expect(route.status).toBe(405);
    expect(route.head.toLowerCase()).toContain('allow: get, post');
  });

  it('answers 400 to a Host that is not host[:port]', async () => {
    for (const host of ['a b', '[::1', 'x:99999', 'x:', 'a/b', 'u@h', 'h?q', '']) {
      const answer = await request('GET /echo HTTP/1.1', [`Host: ${host}`]);
      expect(answer.status, host).toBe(400);
    }
    const good = await request('GET /echo HTTP/1.1', ['Host: [::1]:8080']);
    expect(good.status).toBe(200);
    expect(JSON.parse(good.body)).toMatchObject({ host: '[::1]:8080' });
  });

  it('reads an absolute-form target by its path and refuses other targets with 400', async () => {
    const absolute = await request('GET http://elsewhere.example/echo?x=1 HTTP/1.1');
    expect(absolute.status).toBe(200);
    expect(JSON.parse(absolute.body)).toMatchObject({ path: '/echo', query: '?x=1' });
    for (const target of ['ftp://h/echo', 'http://[::1/echo', 'echo', '*']) {
      expect((await request(`GET ${target} HTTP/1.1`)).status, target).toBe(400);
    }
  });

  it('still answers an ordinary request, and HTTP/1.0 without Host', async () => {
    expect((await request('GET /echo HTTP/1.1')).status).toBe(200);
    expect((await rawExchange(port, 'GET /echo HTTP/1.0\r\n\r\n')).status).toBe(200);
  });
});
