import { Inject, Injectable, Logger } from '@nestjs/common';
import { z } from 'zod';
import {
  type Actor,
  AppError,
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
  internalRoutes,
  PushLogEntry,
} from '#contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';

/**
 * The gateway's only way to change call state: HTTP to the calls app, point to point, one instance
 * per request behind a balancer. Transport trouble becomes CALLS_UNAVAILABLE, never a hang.
 */
@Injectable()
export class CallsClient {
  private readonly logger = new Logger(CallsClient.name);

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

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
    let response: Response;
    try {
      response = await fetch(new URL(path, this.config.CALLS_URL), {
        method,
        headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: this.config.INTERNAL_API_TOKEN },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.config.CALLS_REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      this.logger.warn(`calls app unreachable for ${path}: ${String(error)}`);
      throw new AppError(ErrorCode.CALLS_UNAVAILABLE, 'The call service is unavailable; try again shortly.');
    }
    const payload: unknown = await response.json().catch(() => null);
    if (response.ok) {
      const parsed = schema.safeParse(payload);
      if (parsed.success) return parsed.data;
    } else if (AppError.isErrorBody(payload) && payload.code !== ErrorCode.INTERNAL && payload.code !== ErrorCode.UNAUTHORIZED) {
      throw new AppError(payload.code, payload.message);
    }
    this.logger.error(`calls app answered ${response.status} for ${path}: ${JSON.stringify(payload)}`);
    throw new AppError(ErrorCode.CALLS_UNAVAILABLE, 'The call service failed to answer; try again shortly.');
  }
}
