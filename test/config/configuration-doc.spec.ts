import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Env, envNames } from '../../src/config/env';

/** The variable table of docs/configuration.md, as `name → default cell`. */
function documentedTable(): Map<string, string> {
  const page = readFileSync(join(__dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');
  const section = page.slice(page.indexOf('## Variables'));
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const match = /^\|\s*`([A-Z0-9_]+)`\s*\|\s*([^|]*?)\s*\|/.exec(line);
    if (match) rows.set(match[1], match[2].trim());
  }
  return rows;
}

describe('docs/configuration.md variable table', () => {
  const table = documentedTable();
  const defaults = new Env();

  it('lists exactly the variables the config class reads', () => {
    expect([...table.keys()].sort()).toEqual([...envNames()].sort());
  });

  it.each(envNames().map((name) => [name]))('gives the real default of %s', (name) => {
    const value = defaults[name];
    if (value === undefined) expect(table.get(name)).not.toMatch(/^`/);
    // An empty list is documented in words (`_empty_`): a cell of two backticks reads as nothing.
    else if (value === '') expect(table.get(name)).toBe('_empty_');
    else expect(table.get(name)).toBe(`\`${value}\``);
  });
});
