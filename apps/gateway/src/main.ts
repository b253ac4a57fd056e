import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createLogger, loadConfig, runApp } from '#infra';
import { RedisIoAdapter } from './adapters/redis-io.adapter.js';
import { GatewayConfigSchema } from './config/gateway.config.js';
import { GatewayModule } from './gateway.module.js';

/** Past this a node that cannot subscribe exits, and its supervisor starts it again. */
const ADAPTER_SUBSCRIBE_TIMEOUT_MS = 15_000;

await runApp('gateway', async () => {
  const config = loadConfig(GatewayConfigSchema);
  const logger = createLogger('gateway', config.LOG_FORMAT, config.LOG_LEVEL);
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule.forRoot(config), { logger, abortOnError: false });
  if (config.WEB_CLIENT_DIR) app.useStaticAssets(config.WEB_CLIENT_DIR);
  const adapter = new RedisIoAdapter(app, config);
  await adapter.connectToRedis();
  app.useWebSocketAdapter(adapter);
  await app.init();
  await adapter.subscribed(ADAPTER_SUBSCRIBE_TIMEOUT_MS);
  await app.listen(config.PORT, config.HOST);
  if (config.DEV_TOKENS) logger.warn('DEV_TOKENS is on: POST /dev/tokens mints tokens for anyone. Development only.', 'gateway');
  logger.log(`listening on http://${config.HOST}:${config.PORT}`, 'gateway');
  return app;
});
