/**
 * The deterministic local-default tenant seeded under the local provider, so a fresh `npm start` is
 * usable at once: the same ids on every machine, in every README example.
 */
export const LOCAL_DEFAULTS = {
  sub: 'local|dev',
  email: 'dev@alphaswarm.local',
  userId: '00000000-0000-4000-8000-000000000001',
  orgId: '00000000-0000-4000-8000-0000000000a1',
  orgName: 'Local Default Org',
  workspaceId: '00000000-0000-4000-8000-0000000000b1',
  workspaceName: 'Default Workspace',
  /** `azp` of tokens from the dev login. */
  loginClientId: 'alphaswarm-local-dev-login',
} as const;
