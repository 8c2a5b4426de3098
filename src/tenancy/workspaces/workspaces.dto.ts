import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, IsUUID, MaxLength, ValidateIf } from 'class-validator';
import { PageQuery } from '../pagination';

export class CreateWorkspaceBody {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({ description: 'The team it sits under; omitted: directly under the organization' })
  @IsOptional()
  @IsUUID()
  team_id?: string;
}

export class UpdateWorkspaceBody {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ nullable: true, description: 'null moves it directly under the organization' })
  @ValidateIf((_body, value) => value !== null && value !== undefined)
  @IsUUID()
  team_id?: string | null;
}

export class WorkspaceListQuery extends PageQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  team_id?: string;
}

export class NamedBody {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;
}
