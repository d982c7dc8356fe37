import { connect } from 'node:net';

/** What came back over the socket: the status (0 when the server closed without answering), head and body. */
export interface RawAnswer {
  readonly status: number;
  readonly head: string;
  readonly body: string;
  /** A socket error the exchange ended with (a reset while a refused body was still being written). */
  readonly error?: string;
}

/**
 * One raw HTTP/1.x exchange over loopback: writes `request` as is (what a
 * hostile client can send and `fetch` cannot: any method, target, Host or
 * framing) and reads until the server closes: send `Connection: close`.
 *
 * @example
 * ```ts
 * const { status } = await rawExchange(port, 'TRACE / HTTP/1.1\r\nHost: svc\r\nConnection: close\r\n\r\n');
 * ```
 */
export async function rawExchange(
  port: number,
  request: string | Uint8Array,
  timeoutMs = 10_000,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let socketError: string | undefined;
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server may close while we still write a body it refused (413): keep what it answered.
      if (error.code === 'EPIPE' || error.code === 'ECONNRESET') {
        socketError = error.code;
        return;
      }
      reject(error);
    });
    socket.on('close', () => {
      let text = Buffer.concat(chunks).toString('latin1');
      // Interim answers (100 Continue) come before the final one.
      while (/^HTTP\/1\.[01] 1\d\d /.test(text) && text.includes('\r\n\r\n')) {
        text = text.slice(text.indexOf('\r\n\r\n') + 4);
      }
      const split = text.indexOf('\r\n\r\n');
      const head = split < 0 ? text : text.slice(0, split);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({
        status,
        head,
        body: split < 0 ? '' : text.slice(split + 4),
        ...(socketError === undefined ? {} : { error: socketError }),
      });
    });
    // No half-close: Node's server drops a request whose client sent FIN before the answer.
    socket.write(request);
  });
}
