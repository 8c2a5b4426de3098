import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/**
 * The Action bodies are plain JavaScript (what Auth0's editor takes) checked against the Actions types in
 * auth0/actions/actions.d.ts through `// @ts-check` and JSDoc: this is that check, run with the tests.
 */
const ACTIONS = join(__dirname, '..', '..', 'auth0', 'actions');

describe('auth0/actions sources', () => {
  it('finds no type error in any Action body', () => {
    const configPath = join(ACTIONS, 'tsconfig.json');
    const { config } = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
    const parsed = ts.parseJsonConfigFileContent(config, ts.sys, join(configPath, '..'));
    expect(parsed.fileNames.filter((file) => file.endsWith('.js')).length).toBeGreaterThanOrEqual(1);
    const program = ts.createProgram(parsed.fileNames, parsed.options);
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    expect(problems).toEqual([]);
  });

  it('keeps one M2M token block: every Action that calls the service carries the same copy', () => {
    // Actions cannot share code: each file holds the block, and a fix to one must reach them all.
    const blockOf = (file: string) => {
      const source = readFileSync(join(ACTIONS, file), 'utf8');
      const start = source.indexOf('// ── M2M token');
      const end = source.indexOf('// ── end of the M2M token block');
      expect([start, end].every((index) => index >= 0)).toBe(true);
      return source.slice(start, end);
    };
    const copies = ['post-login.js', 'idp-group-sync.js', 'pre-user-registration.js'].map(blockOf);
    expect(new Set(copies).size).toBe(1);
  });
});
