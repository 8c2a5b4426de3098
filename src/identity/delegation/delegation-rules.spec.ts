import { agentSubjectOf, delegatedScopes, scopeList } from './delegation-rules';

describe('delegation rules', () => {
  describe(agentSubjectOf.name, () => {
    it.each([
      ['research_lead', 'agent|research_lead'],
      ['agent|research_lead', 'agent|research_lead'],
      ['a', 'agent|a'],
      ['R2.d2:x-1', 'agent|R2.d2:x-1'],
      ['x'.repeat(128), `agent|${'x'.repeat(128)}`],
    ])('accepts %s as %s', (name, subject) => {
      expect(agentSubjectOf(name)).toBe(subject);
    });

    it.each([
      [''],
      ['agent|'],
      ['_leading'],
      ['has space'],
      ['has|pipe'],
      ['agent|agent|nested'],
      ['x'.repeat(129)],
      ['naïve'],
      [42],
      [undefined],
    ])('refuses %p', (name) => {
      expect(agentSubjectOf(name)).toBeUndefined();
    });
  });

  describe(delegatedScopes.name, () => {
    const held = new Set(['read:mcp:data', 'read:mcp:codebase', 'admin:tenant', 'write:portfolio']);

    it('keeps only what was asked, the holder has, and an agent may carry', () => {
      expect(delegatedScopes(['read:mcp:data', 'admin:tenant'], held)).toEqual(['read:mcp:data']);
    });

    it('drops a scope the holder lacks instead of granting it', () => {
      expect(delegatedScopes(['write:mcp:data', 'read:mcp:data'], held)).toEqual(['read:mcp:data']);
    });

    it('delegates every MCP scope the holder has when none is asked for', () => {
      expect(delegatedScopes(undefined, held)).toEqual(['read:mcp:data', 'read:mcp:codebase']);
    });

    it('grants nothing when nothing asked for is held', () => {
      expect(delegatedScopes(['write:mcp:codebase'], held)).toEqual([]);
    });
  });

  it('splits a scope parameter on spaces', () => {
    expect(scopeList(' read:mcp:data  write:mcp:data ')).toEqual(['read:mcp:data', 'write:mcp:data']);
    expect(scopeList(undefined)).toBeUndefined();
  });
});
