import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REASON_CODES } from '../../src/identity/errors/reason-codes';

/** The table of docs/errors.md, "Reason codes", as `[reason, status cell]` in the order listed. */
function documentedReasons(): [string, string][] {
  const page = readFileSync(join(__dirname, '..', '..', 'docs', 'errors.md'), 'utf8');
  const start = page.indexOf('\n## Reason codes');
  if (start < 0) throw new Error('docs/errors.md has no "## Reason codes" section');
  const next = page.indexOf('\n## ', start + 1);
  const section = page.slice(start, next < 0 ? undefined : next);
  const rows: [string, string][] = [];
  for (const line of section.split('\n')) {
    const match = /^\|\s*`([a-z0-9_]+)`\s*\|\s*([^|]*?)\s*\|/.exec(line);
    if (match) rows.push([match[1], match[2]]);
  }
  return rows;
}

describe('docs/errors.md reason codes', () => {
  const rows = documentedReasons();
  const documented = rows.map(([reason]) => reason);

  it('documents every reason code of the closed union', () => {
    expect(REASON_CODES.filter((code) => !documented.includes(code))).toEqual([]);
  });

  it('documents no reason code outside the closed union', () => {
    const known: readonly string[] = REASON_CODES;
    expect(documented.filter((code) => !known.includes(code))).toEqual([]);
  });

  it('lists each reason code once', () => {
    expect(documented.filter((code, index) => documented.indexOf(code) !== index)).toEqual([]);
  });

  it('gives each reason code its HTTP status', () => {
    const withoutStatus = rows.filter(([, status]) => !/^[1-5]\d\d( \/ [1-5]\d\d)*$/.test(status));
    expect(withoutStatus).toEqual([]);
  });
});
