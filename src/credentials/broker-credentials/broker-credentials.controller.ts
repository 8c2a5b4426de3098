import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../../identity/scope/require-scope.decorator';
import { StepUp } from '../../identity/step-up/step-up.decorator';
import type { OrgAccess } from '../../tenancy/org-scope/org-access';
import { CurrentOrg, OrgScoped } from '../../tenancy/org-scope/org-scoped.decorator';
import { type Page, PageQuery } from '../../tenancy/pagination';
import {
  type BrokerCredentialResponse,
  CreateBrokerCredentialBody,
  ReplaceBrokerSecretBody,
} from './broker-credentials.dto';
import { BrokerCredentialsService } from './broker-credentials.service';

/**
 * An organization's own broker credentials (BYOK): `manage:broker_credentials` and an admin role in the
 * organization for every route, and a fresh MFA for every change (SPEC §4). No route answers a secret.
 */
@ApiTags('credentials')
@ApiBearerAuth()
@RequireScope('manage:broker_credentials')
@OrgScoped({ minRole: 'admin' })
@Controller('tenancy/orgs/:orgId/broker-credentials')
export class BrokerCredentialsController {
  constructor(private readonly credentials: BrokerCredentialsService) {}

  @Get()
  list(@CurrentOrg() org: OrgAccess, @Query() query: PageQuery): Promise<Page<BrokerCredentialResponse>> {
    return this.credentials.list(org.orgId, query);
  }

  @Get(':credentialId')
  get(
    @CurrentOrg() org: OrgAccess,
    @Param('credentialId', ParseUUIDPipe) credentialId: string,
  ): Promise<BrokerCredentialResponse> {
    return this.credentials.get(org.orgId, credentialId);
  }

  @StepUp()
  @Post()
  create(
    @CurrentOrg() org: OrgAccess,
    @Body() body: CreateBrokerCredentialBody,
  ): Promise<BrokerCredentialResponse> {
    return this.credentials.create(org, body);
  }

  @StepUp()
  @Put(':credentialId')
  replaceSecret(
    @CurrentOrg() org: OrgAccess,
    @Param('credentialId', ParseUUIDPipe) credentialId: string,
    @Body() body: ReplaceBrokerSecretBody,
  ): Promise<BrokerCredentialResponse> {
    return this.credentials.replaceSecret(org, credentialId, body);
  }

  @StepUp()
  @Delete(':credentialId')
  @HttpCode(204)
  remove(
    @CurrentOrg() org: OrgAccess,
    @Param('credentialId', ParseUUIDPipe) credentialId: string,
  ): Promise<void> {
    return this.credentials.remove(org, credentialId);
  }
}
