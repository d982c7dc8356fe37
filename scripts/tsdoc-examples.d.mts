/** Types of scripts/tsdoc-examples.mjs for the test that checks and runs the TSDoc `@example` blocks. */
export interface TsdocExample {
  readonly file: string;
  readonly line: number;
  readonly code: string;
  readonly pkg: string;
}
export interface WrittenExample extends TsdocExample {
  readonly id: string;
  readonly path: string;
  /** Names of the reference's vocabulary the example uses without defining them (declared for it). */
  readonly assumed: readonly string[];
}
export const root: string;
export const outDir: string;
export const READER_HAS: Record<string, Record<string, string>>;
export function examplesOf(text: string, file: string): TsdocExample[];
export function allExamples(): TsdocExample[];
export function writeExamples(): WrittenExample[];
export function typecheckExamples(written: readonly WrittenExample[]): Map<string, string[]>;
