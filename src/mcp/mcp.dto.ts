import { RequestError } from '../common/errors/request-error';

/**
 * The plain-HTTP form of a tool call: `{ "arguments": { … } }`, or an empty body. Checked by hand rather
 * than by a class-validator DTO: the arguments are validated by the tool's own schema, and this route is
 * an agent's hot path (docs/benchmark.md).
 */
export function toolArgumentsOf(body: unknown): Record<string, unknown> | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new RequestError('invalid_request', 400, 'The body must be a JSON object: { "arguments": { … } }');
  }
  for (const key of Object.keys(body)) {
    if (key !== 'arguments')
      throw new RequestError('invalid_request', 400, 'The body may hold arguments and nothing else');
  }
  const args = (body as { arguments?: unknown }).arguments;
  if (args === undefined) return undefined;
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new RequestError('invalid_request', 400, 'arguments must be an object');
  }
  return args as Record<string, unknown>;
}

/** Who made a call, as every plain-HTTP tool response says (seed 001, "Verification"). */
export interface ActorView {
  actor_type: string;
  /** The agent. */
  sub: string | null;
  /** The human the agent acts for. */
  on_behalf_of_sub: string;
}

export interface InvokeToolResponse {
  tool: string;
  result: unknown;
  actor: ActorView;
}
