/** Types of scripts/doc-blocks.mjs for the tests that run the documentation's code blocks. */
export interface DocBlock {
  readonly file: string;
  readonly line: number;
  readonly code: string;
  readonly flags: {
    readonly needs: readonly string[];
    readonly name: string | undefined;
    readonly uses: string | undefined;
    readonly typecheckOnly: boolean;
    readonly untilSigterm: boolean;
    readonly fresh: boolean;
    readonly skip: string | undefined;
  };
}
/** A ```sh block named by its info string (```sh name=ID). */
export interface ShBlock {
  readonly file: string;
  readonly line: number;
  readonly name: string;
  readonly code: string;
}
export interface WrittenBlock extends DocBlock {
  readonly id: string;
  readonly path: string;
}
export const root: string;
export const outDir: string;
export const upstream: string[];
export function docFiles(): string[];
export function blocksOf(text: string, file: string): DocBlock[];
export function allBlocks(): DocBlock[];
export function shBlocksOf(file: string): Map<string, ShBlock>;
export function writeBlocks(): WrittenBlock[];
export function typecheckBlocks(written: readonly WrittenBlock[]): Map<string, string[]>;
export function writeSnippetProject(dir: string): void;
export function tscOutput(dir: string): string;
