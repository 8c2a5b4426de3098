import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional } from 'class-validator';

/** The plain-HTTP form of a tool call. */
export class InvokeToolBody {
  @ApiPropertyOptional({ example: { org_id: '00000000-0000-4000-8000-0000000000a1' } })
  @IsOptional()
  @IsObject()
  arguments?: Record<string, unknown>;
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
