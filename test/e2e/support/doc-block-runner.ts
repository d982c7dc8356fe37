/**
 * Runs one documentation block (written by scripts/doc-blocks.mjs) as a reader would: a Node
 * process of its own, from a fresh working directory, with the environment the runner sets.
 * doc-blocks.test.ts (embedded engines) and doc-blocks-stack.test.ts (the real stack) share it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { WrittenBlock } from '../../../scripts/doc-blocks.mjs';

export interface RunningBlock {
  readonly child: ChildProcess;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  /** Resolves with the exit code once the process ended (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

/** Starts a block; it is killed after `timeoutMs` if it has not ended by then. */
export function startBlock(
  block: Pick<WrittenBlock, 'path'>,
  env: Record<string, string>,
  cwd: string,
  timeoutMs = 120_000,
): RunningBlock {
  // Node strips the types itself (the blocks use only erasable TypeScript syntax).
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', block.path], {
    cwd,
    env: { ...process.env, ...env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d));
  child.stderr?.on('data', (d: Buffer) => (output += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  return { child, output: () => output, exited };
}

/** Runs a block to its end. */
export async function runBlock(block: Pick<WrittenBlock, 'path'>, env: Record<string, string>, cwd: string) {
  const running = startBlock(block, env, cwd);
  const code = await running.exited;
  return { code, output: running.output() };
}
