/** The READMEs' and docs' relative links and the docs sections cited in source comments resolve (scripts/check-links.mjs). */
import { describe, expect, it } from 'vitest';
import { anchorsOf, brokenLinks, documents } from '../../scripts/check-links.mjs';

describe('documentation links', () => {
  it('computes the anchors GitHub gives headings', () => {
    const anchors = anchorsOf(
      [
        '# Batch ETL (`@bionicpro/etl`)',
        '## A service in twenty lines',
        '## Notes',
        '## Notes',
        '```',
        '# not a heading',
        '```',
      ].join('\n'),
    );
    expect([...anchors]).toEqual(['batch-etl-bionicproetl', 'a-service-in-twenty-lines', 'notes', 'notes-1']);
  });

  it('every relative link and cited docs/ section resolves', () => {
    expect(documents().length).toBeGreaterThan(8);
    expect(brokenLinks()).toEqual([]);
  });
});
