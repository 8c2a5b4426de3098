import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../identity/authentication/route-access.decorators';
import { MetricsService } from '../observability/metrics.service';
import { type Readiness, ReadinessService } from './readiness.service';

/** Probes and metrics for the platform. Public: they carry no tenant data (see docs/routes.md). */
@ApiTags('operations')
@Controller()
export class OperationsController {
  constructor(
    private readonly readiness: ReadinessService,
    private readonly metrics: MetricsService,
  ) {}

  /** Liveness: the process answers. Deliberately checks nothing else, so a database outage does not restart pods. */
  @Public()
  @Get('healthz')
  liveness(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Public()
  @Get('readyz')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<Readiness> {
    const readiness = await this.readiness.check();
    void reply.status(readiness.status === 'ok' ? 200 : 503);
    return readiness;
  }

  @Public()
  @Get('metrics')
  @Header('cache-control', 'no-store')
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    void reply.type(this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }
}
