import { Module } from '@nestjs/common';
import { LocalDefaultsSeeder } from './local-defaults.seeder';
import { MembershipsService } from './memberships/memberships.service';
import { WhoamiController } from './whoami.controller';

/** Organizations → teams → workspaces → projects/labs, users and memberships. */
@Module({
  controllers: [WhoamiController],
  providers: [MembershipsService, LocalDefaultsSeeder],
  exports: [MembershipsService],
})
export class TenancyModule {}
