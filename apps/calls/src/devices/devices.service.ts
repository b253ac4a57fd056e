import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AppError, type DeviceView, ErrorCode, type PushReportJob, type RegisterDeviceRequest } from '#contracts';
import { CALLS_CONFIG, type CallsConfig } from '../config/calls.config.js';
import { Device } from './device.entity.js';

const toView = (d: Device): DeviceView => ({
  userId: d.userId,
  deviceId: d.deviceId,
  platform: d.platform,
  voipToken: d.voipToken,
  apnsToken: d.apnsToken,
  apnsEnvironment: d.apnsEnvironment,
  bundleId: d.bundleId,
  appVersion: d.appVersion,
  createdAt: d.createdAt.toISOString(),
  updatedAt: d.updatedAt.toISOString(),
});

type TokenColumn = 'voip_token' | 'apns_token';

@Injectable()
export class DevicesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(CALLS_CONFIG) private readonly config: CallsConfig,
  ) {}

  /**
   * Registers or refreshes a device. A token registered here is taken from the user's other devices,
   * never from another user's (PUSH_TOKEN_IN_USE). Past MAX_DEVICES_PER_USER the least recently
   * registered devices are removed, so an invite never fans out to an unbounded list.
   */
  async register(userId: string, deviceId: string, request: RegisterDeviceRequest): Promise<DeviceView> {
    return this.dataSource.transaction(async (em) => {
      const now = new Date();
      const tokens: [TokenColumn, string | null][] = [
        ['voip_token', request.voipToken],
        ['apns_token', request.apnsToken],
      ];
      for (const [column, token] of tokens) if (token) await this.takeToken(em, column, token, userId, deviceId);
      const existing = await em.findOneBy(Device, { userId, deviceId });
      const device = em.create(Device, {
        userId,
        deviceId,
        platform: request.platform,
        voipToken: request.voipToken,
        // Every registration counts: an app that registers a token after Apple's 410 timestamp has
        // reason to believe it is valid again, and Apple says to compare against the latest one.
        voipTokenRegisteredAt: now,
        apnsToken: request.apnsToken,
        apnsTokenRegisteredAt: request.apnsToken === null ? null : now,
        apnsEnvironment: request.apnsEnvironment,
        bundleId: request.bundleId,
        appVersion: request.appVersion,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      });
      await em.save(Device, device);
      await this.dropOldest(em, userId);
      return toView(device);
    });
  }

  async remove(userId: string, deviceId: string): Promise<void> {
    const { affected } = await this.dataSource.getRepository(Device).delete({ userId, deviceId });
    if (!affected) throw new AppError(ErrorCode.NOT_FOUND, 'No such device.');
  }

  async list(userId: string): Promise<DeviceView[]> {
    const devices = await this.dataSource.getRepository(Device).find({ where: { userId }, order: { createdAt: 'ASC' } });
    return devices.map(toView);
  }

  /**
   * APNs said a token is dead. Apple's 410 carries the instant it stopped being valid; a token the
   * app registered again after that instant is alive and stays.
   */
  async invalidateToken(report: PushReportJob): Promise<boolean> {
    const column: TokenColumn = report.kind === 'voip' ? 'voip_token' : 'apns_token';
    const since = new Date(report.invalidSince ?? Date.parse(report.at));
    const [, affected]: [unknown, number] = await this.dataSource.query(
      `UPDATE devices SET ${column} = NULL, updated_at = now()
        WHERE ${column} = $1 AND ${column}_registered_at <= $2`,
      [report.token, since],
    );
    return affected > 0;
  }

  private async dropOldest(em: EntityManager, userId: string): Promise<void> {
    // One user's registrations in turn, so two at once cannot both leave one too many.
    await em.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`devices:${userId}`]);
    await em.query(
      `DELETE FROM devices WHERE user_id = $1 AND device_id IN (
         SELECT device_id FROM devices WHERE user_id = $1
          ORDER BY voip_token_registered_at DESC NULLS LAST, updated_at DESC, device_id OFFSET $2)`,
      [userId, this.config.MAX_DEVICES_PER_USER],
    );
  }

  private async takeToken(em: EntityManager, column: TokenColumn, token: string, userId: string, deviceId: string): Promise<void> {
    // Serialise registrations of one token, so two devices claiming it at once cannot both keep it.
    await em.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`token:${token}`]);
    // Taking another user's token would ring their phone for this user's calls.
    const [foreign]: unknown[] = await em.query(`SELECT 1 FROM devices WHERE ${column} = $1 AND user_id <> $2 LIMIT 1`, [token, userId]);
    if (foreign)
      throw new AppError(
        ErrorCode.PUSH_TOKEN_IN_USE,
        "Another account's device holds this push token; it must sign out (DELETE /devices/:id) first.",
      );
    await em.query(
      `UPDATE devices SET ${column} = NULL, updated_at = now()
        WHERE ${column} = $1 AND NOT (user_id = $2 AND device_id = $3)`,
      [token, userId, deviceId],
    );
  }
}
