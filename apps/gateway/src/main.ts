import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createLogger, loadConfig, runApp } from '#infra';
import { RedisIoAdapter } from './adapters/redis-io.adapter.js';
import { GatewayConfigSchema } from './config/gateway.config.js';
import { GatewayModule } from './gateway.module.js';

await runApp('gateway', async () => {
  const config = loadConfig(GatewayConfigSchema);
  const logger = createLogger('gateway', config.LOG_FORMAT);
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule.forRoot(config), { logger, abortOnError: false });
  if (config.WEB_CLIENT_DIR) app.useStaticAssets(config.WEB_CLIENT_DIR);
  app.useWebSocketAdapter(new RedisIoAdapter(app, config));
  await app.listen(config.PORT, config.HOST);
  if (config.DEV_TOKENS) logger.warn('DEV_TOKENS is on: POST /dev/tokens mints tokens for anyone. Development only.', 'gateway');
  logger.log(`listening on http://${config.HOST}:${config.PORT}`, 'gateway');
  return app;
});
