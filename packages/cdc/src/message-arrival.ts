/**
 * The wait both Kafka adapters do in `poll` when nothing is buffered: until a
 * message arrives (`notify`) or the poll's timeout passes, whichever is first.
 */

/** One waiter at a time (the pipeline polls sequentially); `notify` without a waiter does nothing. */
export class MessageArrival {
  private wake: (() => void) | undefined;

  /** Resolves when {@link notify} is called or after `timeoutMs`. */
  wait(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, timeoutMs);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  /** Wakes the waiting poll, if any. */
  notify(): void {
    this.wake?.();
  }
}
