import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorCode, type RecentCallPage, RecentCallPage as RecentCallPageSchema } from '#contracts';
import { ApiErrors, JWT_ERRORS, openApiSchema, type VerifiedIdentity, ZodQuery } from '#infra';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { UserAuthGuard } from '../auth/user-auth.guard.js';
import { RecentCallsQuery } from './recent-calls.query.js';
import { RecentCallsService } from './recent-calls.service.js';

/** The signed-in user's own calls, for the app's Recents screen. */
@ApiTags('me')
@ApiBearerAuth()
@ApiErrors(...JWT_ERRORS, ErrorCode.VALIDATION_FAILED)
@UseGuards(UserAuthGuard)
@Controller('me/calls')
export class RecentCallsController {
  constructor(private readonly recents: RecentCallsService) {}

  @Get()
  @ApiOperation({ summary: "The signed-in user's calls, newest first, keyset paged with `cursor` = the previous nextCursor." })
  @ApiOkResponse({ schema: openApiSchema(RecentCallPageSchema) })
  list(@CurrentUser() user: VerifiedIdentity, @ZodQuery(RecentCallsQuery) query: RecentCallsQuery): Promise<RecentCallPage> {
    return this.recents.list(user.userId, query);
  }
}
