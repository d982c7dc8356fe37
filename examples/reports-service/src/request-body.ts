import { PayloadTooLargeError, RequestValidationError, UnsupportedMediaTypeError } from './http-errors.js';

/**
 * Reads a request body as bytes, refusing it as soon as it passes `limitBytes`
 * (a declared `content-length` above the limit is refused before reading).
 *
 * @example
 * ```ts
 * const bytes = await readBodyBytes(request, 1_048_576); // PayloadTooLargeError past 1 MiB
 * ```
 */
export async function readBodyBytes(request: Request, limitBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > limitBytes) {
    throw new PayloadTooLargeError(limitBytes);
  }
  if (request.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limitBytes) {
      await reader.cancel().catch(() => {});
      throw new PayloadTooLargeError(limitBytes);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function mediaType(request: Request): string | null {
  const value = request.headers.get('content-type');
  return value === null ? null : (value.split(';')[0] as string).trim().toLowerCase();
}

/**
 * Reads a JSON body: checks the media type (415), the size (413) and the
 * syntax (400 naming the position), and returns the parsed value.
 *
 * @example
 * ```ts
 * const body = await readJsonBody(request, config.limits.maxBodyBytes);
 * ```
 */
export async function readJsonBody(request: Request, limitBytes: number): Promise<unknown> {
  const type = mediaType(request);
  if (type !== 'application/json' && !(type?.endsWith('+json') ?? false)) {
    throw new UnsupportedMediaTypeError(['application/json'], type);
  }
  const bytes = await readBodyBytes(request, limitBytes);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new RequestValidationError([
      { path: ['body'], code: 'invalid_encoding', message: 'body is not valid UTF-8' },
    ]);
  }
  if (text.trim() === '') {
    throw new RequestValidationError([
      { path: ['body'], code: 'missing_body', message: 'a JSON body is required' },
    ]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RequestValidationError([
      {
        path: ['body'],
        code: 'invalid_json',
        message: error instanceof SyntaxError ? error.message : 'body is not valid JSON',
      },
    ]);
  }
}

/**
 * Reads a `text/csv` body as text (size-limited like {@link readJsonBody}).
 *
 * @example
 * ```ts
 * const csv = await readCsvBody(request, config.limits.maxCsvBytes);
 * ```
 */
export async function readCsvBody(request: Request, limitBytes: number): Promise<string> {
  const type = mediaType(request);
  if (type !== 'text/csv') throw new UnsupportedMediaTypeError(['text/csv'], type);
  const bytes = await readBodyBytes(request, limitBytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new RequestValidationError([
      { path: ['body'], code: 'invalid_encoding', message: 'body is not valid UTF-8' },
    ]);
  }
}
