import { Module } from '@nestjs/common';

/** MCP servers for agents (Streamable HTTP): arrives with the MCP issue. */
@Module({})
export class McpModule {}
