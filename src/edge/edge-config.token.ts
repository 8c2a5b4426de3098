/** Injection token of the edge's `EdgeConfig` (`AppConfig.edge`, present whenever EdgeModule is mounted). */
export const EDGE_CONFIG = Symbol('EDGE_CONFIG');
