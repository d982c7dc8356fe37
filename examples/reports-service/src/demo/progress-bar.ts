/** A one-line progress bar on a TTY; plain lines (at most one per label and 10 %) elsewhere. */
export interface ProgressBar {
  update(label: string, done: number, total: number): void;
  /** Ends the current bar line. */
  done(): void;
  /** Prints a line above the bar. */
  log(line: string): void;
}

/**
 * Creates a progress bar writing to a stream (stderr, so stdout stays clean for the printed URLs).
 *
 * @example
 * ```ts
 * const bar = createProgressBar(process.stderr);
 * bar.update('seeding telemetry_events', 5000, 100000);
 * ```
 */
export function createProgressBar(stream: NodeJS.WriteStream, width = 30): ProgressBar {
  const tty = stream.isTTY === true;
  let active = false;
  let lastLabel = '';
  let lastDecile = -1;
  let lastDraw = 0;
  const clear = () => {
    if (tty && active) stream.write('\r\x1b[2K');
  };
  return {
    update(label, done, total) {
      const ratio = total > 0 ? Math.min(1, done / total) : 1;
      if (tty) {
        const now = Date.now();
        if (now - lastDraw < 50 && ratio < 1 && label === lastLabel) return;
        lastDraw = now;
        const filled = Math.round(ratio * width);
        clear();
        stream.write(
          `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${label} ${done.toLocaleString('en')}/${total.toLocaleString('en')}`,
        );
        active = true;
      } else {
        const decile = Math.floor(ratio * 10);
        if (label !== lastLabel || decile !== lastDecile) {
          stream.write(`${label}: ${done}/${total} (${Math.round(ratio * 100)}%)\n`);
          lastDecile = decile;
        }
      }
      lastLabel = label;
    },
    done() {
      if (tty && active) stream.write('\n');
      active = false;
      lastLabel = '';
      lastDecile = -1;
    },
    log(line) {
      clear();
      if (tty && active) {
        stream.write(`${line}\n`);
        active = false;
      } else {
        stream.write(`${line}\n`);
      }
    },
  };
}
