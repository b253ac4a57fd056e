import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CallIdParam, type CallStateView, CallStateView as CallStateSchema, ErrorCode } from '#contracts';
import { ApiErrors, JWT_ERRORS, openApiSchema, type VerifiedIdentity, ZodParams } from '#infra';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { UserAuthGuard } from '../auth/user-auth.guard.js';
import { CallHistoryService } from './call-history.service.js';

/**
 * For an app woken by a VoIP push: APNs may deliver a push late (even with apns-expiration), so the
 * app reports the call to CallKit as iOS requires, asks here, and ends it at once if it is over.
 */
@ApiTags('calls')
@ApiBearerAuth()
@ApiErrors(...JWT_ERRORS, ErrorCode.VALIDATION_FAILED, ErrorCode.CALL_NOT_FOUND)
@UseGuards(UserAuthGuard)
@Controller('calls')
export class CallStateController {
  constructor(private readonly history: CallHistoryService) {}

  @Get(':id/state')
  @ApiOperation({ summary: "A call's current state, for its parties." })
  @ApiOkResponse({ schema: openApiSchema(CallStateSchema) })
  state(@CurrentUser() user: VerifiedIdentity, @ZodParams(CallIdParam) params: { id: string }): Promise<CallStateView> {
    return this.history.stateFor(params.id, user.userId);
  }
}
