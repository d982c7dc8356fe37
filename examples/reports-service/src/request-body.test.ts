import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError, RequestValidationError, UnsupportedMediaTypeError } from './http-errors.js';
import { readJsonBody } from './request-body.js';

function post(body: BodyInit, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  return new Request('http://svc/x', { method: 'POST', body, headers });
}

function streamOf(chunks: number, size: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent === chunks) return controller.close();
      sent += 1;
      controller.enqueue(new Uint8Array(size).fill(0x20));
    },
  });
}

describe('readJsonBody', () => {
  it('parses a JSON body', async () => {
    expect(await readJsonBody(post('{"a":[1,2]}'), 1024)).toEqual({ a: [1, 2] });
  });

  it('refuses a declared length above the limit before reading', async () => {
    const request = post('{}', { 'content-type': 'application/json', 'content-length': '5000' });
    await expect(readJsonBody(request, 1024)).rejects.toBeInstanceOf(PayloadTooLargeError);
  });

  it('stops reading a streamed body as soon as it passes the limit', async () => {
    const request = new Request('http://svc/x', {
      method: 'POST',
      body: streamOf(100, 1024),
      headers: { 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit);
    await expect(readJsonBody(request, 4096)).rejects.toBeInstanceOf(PayloadTooLargeError);
  });

  it('refuses other media types with 415', async () => {
    await expect(readJsonBody(post('{}', { 'content-type': 'text/plain' }), 1024)).rejects.toBeInstanceOf(
      UnsupportedMediaTypeError,
    );
  });

  it('reports broken JSON and an empty body as 400 issues on the body', async () => {
    const broken = await readJsonBody(post('{"a":'), 1024).catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(RequestValidationError);
    expect((broken as RequestValidationError).issues[0]).toMatchObject({
      path: ['body'],
      code: 'invalid_json',
    });
    const empty = await readJsonBody(post(''), 1024).catch((e: unknown) => e);
    expect((empty as RequestValidationError).issues[0]?.code).toBe('missing_body');
  });
});
