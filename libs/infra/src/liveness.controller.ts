import { Controller, Get } from '@nestjs/common';

/**
 * Liveness, the same in every app: the process answers HTTP. Restart on this, never on readiness,
 * which fails while a dependency is down and would restart healthy processes in a loop.
 */
@Controller('health')
export class LivenessController {
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
