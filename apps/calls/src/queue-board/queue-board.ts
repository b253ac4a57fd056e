import { createBullBoard } from '@bull-board/api';
import { BullAdapter } from '@bull-board/api/bullAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { getQueueToken } from '@nestjs/bull';
import type { INestApplication } from '@nestjs/common';
import type { Queue } from 'bull';
import type { NextFunction, Request, Response } from 'express';
import { AppError, CALL_MILESTONES_QUEUE, ERROR_HTTP_STATUS, ErrorCode, PUSH_QUEUE, PUSH_REPORTS_QUEUE } from '#contracts';
import { secretsEqual } from '#infra';

/** Where operators find the queues; documented in docs/operations.md. */
export const QUEUE_BOARD_PATH = '/admin/queues';

/**
 * Bull Board for the calls app's queues, behind the admin token. A browser cannot attach a bearer
 * header to the board's own page loads and API calls, so HTTP Basic is accepted too (any user name,
 * the admin token as password): the browser asks once and resends it with every request.
 */
export function mountQueueBoard(app: INestApplication, adminToken: string): void {
  const server = new ExpressAdapter();
  server.setBasePath(QUEUE_BOARD_PATH);
  const queues = [PUSH_QUEUE, PUSH_REPORTS_QUEUE, CALL_MILESTONES_QUEUE].map(
    (name) => new BullAdapter(app.get<Queue>(getQueueToken(name))),
  );
  createBullBoard({ queues, serverAdapter: server });
  app.use(QUEUE_BOARD_PATH, adminOnly(adminToken), server.getRouter());
}

function adminOnly(adminToken: string) {
  return (request: Request, response: Response, next: NextFunction): void => {
    if (secretsEqual(presentedToken(request.header('authorization') ?? ''), adminToken)) return next();
    const refusal = new AppError(ErrorCode.UNAUTHORIZED, 'The queue board needs the admin token.');
    response.setHeader('WWW-Authenticate', 'Basic realm="queues", charset="UTF-8"');
    response.status(ERROR_HTTP_STATUS[refusal.code]).json(refusal.toBody());
  };
}

function presentedToken(header: string): string | undefined {
  if (header.startsWith('Bearer ')) return header.slice('Bearer '.length);
  if (!header.startsWith('Basic ')) return undefined;
  const credentials = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
  const colon = credentials.indexOf(':');
  return colon === -1 ? undefined : credentials.slice(colon + 1);
}
