import { Body, Controller, Delete, Get, HttpCode, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { DeviceIdParam, type DeviceView, DeviceView as DeviceSchema, ErrorCode, RegisterDeviceRequest } from '#contracts';
import { ApiErrors, JWT_ERRORS, openApiSchema, type VerifiedIdentity, ZodParams, ZodValidationPipe } from '#infra';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { UserAuthGuard } from '../auth/user-auth.guard.js';
import { DevicesService } from './devices.service.js';

/** The signed-in user's devices and their push tokens (PushKit VoIP and, optionally, regular APNs). */
@ApiTags('devices')
@ApiBearerAuth()
@ApiErrors(...JWT_ERRORS, ErrorCode.VALIDATION_FAILED)
@UseGuards(UserAuthGuard)
@Controller('devices')
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Put(':deviceId')
  @ApiOperation({ summary: 'Register or refresh a device. Call on every launch and whenever PushKit hands over a new token.' })
  @ApiBody({ schema: openApiSchema(RegisterDeviceRequest) })
  @ApiOkResponse({ schema: openApiSchema(DeviceSchema) })
  register(
    @CurrentUser() user: VerifiedIdentity,
    @ZodParams(DeviceIdParam) params: { deviceId: string },
    @Body(new ZodValidationPipe(RegisterDeviceRequest)) body: RegisterDeviceRequest,
  ): Promise<DeviceView> {
    return this.devices.register(user.userId, params.deviceId, body);
  }

  @Get()
  @ApiOperation({ summary: "The signed-in user's devices." })
  @ApiOkResponse({ schema: openApiSchema(z.array(DeviceSchema)) })
  list(@CurrentUser() user: VerifiedIdentity): Promise<DeviceView[]> {
    return this.devices.list(user.userId);
  }

  @Delete(':deviceId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a device (sign-out): it gets no more pushes.' })
  @ApiNoContentResponse()
  async remove(@CurrentUser() user: VerifiedIdentity, @ZodParams(DeviceIdParam) params: { deviceId: string }): Promise<void> {
    await this.devices.remove(user.userId, params.deviceId);
  }
}
