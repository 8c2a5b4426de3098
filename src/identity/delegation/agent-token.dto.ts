import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, MaxLength } from 'class-validator';

/** A request for a delegated agent token (docs/agents-and-mcp.md). */
export class AgentTokenRequest {
  @ApiProperty({
    example: 'research_lead',
    description:
      'The agent: `<name>` or `agent|<name>`; a letter or digit, then letters, digits, _ . : - (128 at most)',
  })
  @IsString()
  @Length(1, 134)
  agent!: string;

  @ApiProperty({
    example: 'https://api.example.com/mcp/data',
    description: 'RFC 8707 resource: an MCP server',
  })
  @IsString()
  @MaxLength(2048)
  resource!: string;

  @ApiPropertyOptional({
    example: 'read:mcp:data',
    description: 'Space-separated; default every MCP scope the caller holds',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  scope?: string;
}
