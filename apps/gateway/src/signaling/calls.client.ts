import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'undici';
import { z } from 'zod';
import {
  type Actor,
  AppError,
  CALLS_CLIENT_CONNECTIONS,
  type CallAction,
  CallEventsPage,
  CallStateView,
  CallView,
  type ConnectionAction,
  type IceConnectionState,
  type CreateCallRequest,
  CreateCallResponse,
  ErrorCode,
  INTERNAL_TOKEN_HEADER,
  REQUEST_ID_HEADER,
  internalRoutes,
  PushLogEntry,
} from '#contracts';
import { logContext } from '#infra';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';

/**
 * The gateway's only way to change call state: HTTP to the calls app, point to point, one instance
 * per request behind a balancer. Transport trouble becomes CALLS_UNAVAILABLE, never a hang.
 *
 * An undici Pool of keep-alive connections, not `fetch`: every transition of every call goes through
 * here, and fetch's web streams, AbortSignal and Response objects cost more CPU than the request.
 */
@Injectable()
export class CallsClient implements OnApplicationShutdown {
  private readonly logger = new Logger(CallsClient.name);
  private readonly pool: Pool;
  private readonly headers: Record<string, string>;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    const timeout = config.CALLS_REQUEST_TIMEOUT_MS;
    // Both timeouts bound a request as AbortSignal.timeout did: the answer starts and ends in time.
    this.pool = new Pool(new URL(config.CALLS_URL).origin, {
      connections: CALLS_CLIENT_CONNECTIONS,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      connectTimeout: timeout,
    });
    this.headers = { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: config.INTERNAL_API_TOKEN };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }

  create(request: CreateCallRequest): Promise<CreateCallResponse> {
    return this.post(internalRoutes.createCall(), request, CreateCallResponse);
  }

  /** `carrierId`: the socket the request came on (accept, resume and drops record it). */
  act(callId: string, action: CallAction | ConnectionAction, actor: Actor, carrierId?: string): Promise<CallView> {
    return this.post(internalRoutes.action(callId, action), { actor, carrierId }, CallView);
  }

  state(callId: string, userId: string): Promise<CallStateView> {
    return this.request('GET', internalRoutes.state(callId, userId), undefined, CallStateView);
  }

  /** Events committed since `since`, a page at a time (after the outbox id `after`). */
  eventsSince(since: Date, after: number): Promise<CallEventsPage> {
    return this.request('GET', internalRoutes.events(since.toISOString(), after), undefined, CallEventsPage);
  }

  iceState(callId: string, actor: Actor, state: IceConnectionState): Promise<CallView> {
    return this.post(internalRoutes.action(callId, 'ice-state'), { actor, state }, CallView);
  }

  pushes(userId: string): Promise<PushLogEntry[]> {
    return this.request('GET', internalRoutes.pushes(userId), undefined, z.array(PushLogEntry));
  }

  private post<S extends z.ZodType>(path: string, body: unknown, schema: S): Promise<z.infer<S>> {
    return this.request('POST', path, body, schema);
  }

  private async request<S extends z.ZodType>(method: 'GET' | 'POST', path: string, body: unknown, schema: S): Promise<z.infer<S>> {
    let status: number;
    let payload: unknown;
    try {
      const response = await this.pool.request({
        method,
        path, // absolute, as `new URL(path, CALLS_URL)` resolved it for fetch
        headers: withRequestId(this.headers),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      status = response.statusCode;
      payload = await response.body.json().catch(() => null);
    } catch (error) {
      this.logger.warn({ msg: 'calls app unreachable', path, err: String(error) });
      throw new AppError(ErrorCode.CALLS_UNAVAILABLE, 'The call service is unavailable; try again shortly.');
    }
    if (status >= 200 && status < 300) {
      const parsed = schema.safeParse(payload);
      if (parsed.success) return parsed.data;
    } else if (AppError.isErrorBody(payload) && payload.code !== ErrorCode.INTERNAL && payload.code !== ErrorCode.UNAUTHORIZED) {
      throw new AppError(payload.code, payload.message);
    }
    this.logger.error({ msg: 'unexpected answer from the calls app', status, path, body: payload });
    throw new AppError(ErrorCode.CALLS_UNAVAILABLE, 'The call service failed to answer; try again shortly.');
  }
}

/** The message's request id in scope (traceMessages), so the calls app's lines for it carry it too. */
function withRequestId(headers: Record<string, string>): Record<string, string> {
  const requestId = logContext()?.requestId;
  return requestId ? { ...headers, [REQUEST_ID_HEADER]: requestId } : headers;
}
