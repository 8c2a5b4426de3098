import { join } from 'node:path';
import ts from 'typescript';

/**
 * The Action bodies are plain JavaScript (what Auth0's editor takes) checked against the Actions types in
 * auth0/actions/actions.d.ts through `// @ts-check` and JSDoc: this is that check, run with the tests.
 */
describe('auth0/actions type check', () => {
  it('finds no type error in any Action body', () => {
    const configPath = join(__dirname, '..', '..', 'auth0', 'actions', 'tsconfig.json');
    const { config } = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
    const parsed = ts.parseJsonConfigFileContent(config, ts.sys, join(configPath, '..'));
    expect(parsed.fileNames.filter((file) => file.endsWith('.js')).length).toBeGreaterThanOrEqual(1);
    const program = ts.createProgram(parsed.fileNames, parsed.options);
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    expect(problems).toEqual([]);
  });
});
