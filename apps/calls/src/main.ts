import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { createLogger, loadConfig, requestContext, runApp } from '#infra';
import { CallsModule } from './calls.module.js';
import { CallsConfigSchema, servesApiDocs } from './config/calls.config.js';
import { mountQueueBoard } from './queue-board/queue-board.js';

await runApp('calls', async () => {
  const config = loadConfig(CallsConfigSchema);
  const logger = createLogger('calls', config.LOG_FORMAT, config.LOG_LEVEL);
  const app = await NestFactory.create(CallsModule.forRoot(config), { logger, abortOnError: false });
  app.use(requestContext);
  if (servesApiDocs(config)) {
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Calls API')
        .setDescription('Call history and devices for admins and the iOS app.')
        .setVersion('1')
        .addBearerAuth()
        .build(),
    );
    SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
  }
  mountQueueBoard(app, config.ADMIN_API_TOKEN);
  await app.listen(config.PORT, config.HOST);
  logger.log(`listening on http://${config.HOST}:${config.PORT}${servesApiDocs(config) ? ' (OpenAPI at /docs)' : ''}`, 'calls');
  return app;
});
