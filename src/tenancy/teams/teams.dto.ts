import type { Team } from './team.entity';
import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class TeamBody {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;
}

/** A team as the API answers it. */
export interface TeamResponse {
  id: string;
  org_id: string;
  name: string;
  created_at: Date;
}

export function toTeamResponse(team: Team): TeamResponse {
  return { id: team.id, org_id: team.orgId, name: team.name, created_at: team.createdAt };
}
