import { Module } from '@nestjs/common';

/** Endpoints called by Auth0 (/_internal/*): arrive with the Auth0 integration issue. */
@Module({})
export class InternalModule {}
