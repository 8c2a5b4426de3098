/** The permissions of the AlphaSwarm API (the Auth0 API's RBAC list), published at /auth/config. */
export const PERMISSIONS = [
  'read:portfolio',
  'write:portfolio',
  'read:strategy',
  'write:strategy',
  'deploy:strategy',
  'kill_switch:execute',
  'trade:execute',
  'trade:live',
  'read:mcp:data',
  'write:mcp:data',
  'read:mcp:codebase',
  'write:mcp:codebase',
  'run:agent',
  'admin:tenant',
  'admin:cluster',
  'manage:broker_credentials',
  'read:logs',
] as const;

/** The `acr` value that stands for a multi-factor authentication (RFC 9470 step-up). */
export const MFA_ACR = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor';
