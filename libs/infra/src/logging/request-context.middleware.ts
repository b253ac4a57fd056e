import type { NextFunction, Request, Response } from 'express';
import { REQUEST_ID_HEADER, RequestId } from '#contracts';
import { withLogContext } from './log-context.js';
import { nextRequestId } from './request-ids.js';

/**
 * Each HTTP request's log lines carry its request id: the gateway's (REQUEST_ID_HEADER) when it
 * sent a usable one, else a fresh one. Echoed in the response, for whoever must match logs.
 */
export function requestContext(req: Request, res: Response, next: NextFunction): void {
  const given = RequestId.safeParse(req.header(REQUEST_ID_HEADER));
  const requestId = given.success ? given.data : nextRequestId();
  res.setHeader(REQUEST_ID_HEADER, requestId);
  withLogContext({ requestId }, next);
}
