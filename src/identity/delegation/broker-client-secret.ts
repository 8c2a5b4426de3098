/**
 * The `alphaswarm-agent-broker` client's secret, asked on every exchange so a secret replaced in the
 * store is used at once, without a restart. Identity defines the port and never implements it: the
 * credentials module's CredentialResolver answers (the environment in development and tests, only the
 * encrypted store in production; docs/credentials.md) and AppModule binds it, as it binds
 * DECISION_SINK. Undefined: configured nowhere.
 */
export interface BrokerClientSecret {
  resolve(): Promise<string | undefined>;
}

export const BROKER_CLIENT_SECRET = Symbol('BROKER_CLIENT_SECRET');
