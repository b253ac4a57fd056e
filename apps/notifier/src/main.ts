import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createLogger, loadConfig, runApp } from '#infra';
import { NotifierConfigSchema } from './config/notifier.config.js';
import { NotifierModule } from './notifier.module.js';

await runApp('notifier', async () => {
  const config = loadConfig(NotifierConfigSchema);
  const logger = createLogger('notifier', config.LOG_FORMAT, config.LOG_LEVEL);
  const app = await NestFactory.create(NotifierModule.forRoot(config), { logger, abortOnError: false });
  await app.listen(config.PORT, config.HOST);
  logger.log(`listening on http://${config.HOST}:${config.PORT}`, 'notifier');
  return app;
});
