import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EDGE_REASONS, edgeReasonStatus } from '../../src/edge/edge-reasons';

/** The table of docs/errors.md, "Edge reason codes", as `[reason, status]` in the order listed. */
function documentedEdgeReasons(): [string, string][] {
  const page = readFileSync(join(__dirname, '..', '..', 'docs', 'errors.md'), 'utf8');
  const start = page.indexOf('\n## Edge reason codes');
  if (start < 0) throw new Error('docs/errors.md has no "## Edge reason codes" section');
  const next = page.indexOf('\n## ', start + 1);
  const rows: [string, string][] = [];
  for (const line of page.slice(start, next < 0 ? undefined : next).split('\n')) {
    const match = /^\|\s*`([a-z0-9_]+)`\s*\|\s*([^|]*?)\s*\|/.exec(line);
    if (match) rows.push([match[1], match[2]]);
  }
  return rows;
}

describe('docs/errors.md edge reason codes', () => {
  it('documents exactly the closed edge union, each once, with the status the edge answers', () => {
    expect(documentedEdgeReasons()).toEqual(
      EDGE_REASONS.map((reason) => [reason, String(edgeReasonStatus(reason))]),
    );
  });
});
