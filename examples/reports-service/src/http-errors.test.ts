import { describe, expect, it } from 'vitest';
import { jsonResponse, TextBodyResponse } from './http-errors.js';

describe('jsonResponse', () => {
  it('behaves like a Fetch Response: status, headers, json once', async () => {
    const response = jsonResponse(201, { id: 7 }, { location: '/users/7' });
    expect(response).toBeInstanceOf(Response);
    expect(response).toBeInstanceOf(TextBodyResponse);
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(response.headers.get('location')).toBe('/users/7');
    expect(response.bodyUsed).toBe(false);
    expect(await response.json()).toEqual({ id: 7 });
    expect(response.bodyUsed).toBe(true);
    await expect(response.text()).rejects.toThrow(TypeError);
  });

  it('streams the same bytes to a reader of body, and clones', async () => {
    const response = jsonResponse(200, { city: 'Москва' });
    const copy = response.clone();
    const streamed = await new Response(response.body).text();
    expect(streamed).toBe('{"city":"Москва"}');
    expect(response.bodyUsed).toBe(true);
    expect(new TextDecoder().decode(await copy.arrayBuffer())).toBe('{"city":"Москва"}');
    expect((response as TextBodyResponse).bodyText).toBe(streamed);
  });
});
