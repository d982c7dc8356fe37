/** Types of scripts/check-links.mjs. */
export const root: string;
export function anchorsOf(markdown: string): Set<string>;
export function documents(): string[];
export function brokenLinks(): string[];
