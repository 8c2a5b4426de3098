import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, IsUUID, MaxLength, ValidateIf } from 'class-validator';
import { PageQuery } from '../pagination';
import type { Project } from '../projects/workspace-child.entity';
import type { Workspace } from './workspace.entity';

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

/** A workspace as the API answers it. */
export interface WorkspaceResponse {
  id: string;
  org_id: string;
  team_id: string | null;
  name: string;
  created_at: Date;
}

export function toWorkspaceResponse(workspace: Workspace): WorkspaceResponse {
  return {
    id: workspace.id,
    org_id: workspace.orgId,
    team_id: workspace.teamId,
    name: workspace.name,
    created_at: workspace.createdAt,
  };
}

/** A project or a lab as the API answers it. */
export interface WorkspaceChildResponse {
  id: string;
  org_id: string;
  workspace_id: string;
  name: string;
  created_at: Date;
}

/** `Project` and `Lab` share one entity shape, so this takes either. */
export function toWorkspaceChildResponse(child: Project): WorkspaceChildResponse {
  return {
    id: child.id,
    org_id: child.orgId,
    workspace_id: child.workspaceId,
    name: child.name,
    created_at: child.createdAt,
  };
}
