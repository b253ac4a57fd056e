import { Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { isObservable } from 'rxjs';
import type { Socket } from 'socket.io';

type Response = { event?: string; data?: unknown } | null | undefined;

/**
 * Nest's IoAdapter subscribes one rxjs pipeline per `@SubscribeMessage` handler per socket
 * (fromEvent, mergeMap, takeUntil …): about 60 KiB retained by every idle client, more than
 * Socket.IO's own socket. This binds a single middleware per socket that finds the message's
 * handler and answers through its ack. The handler Nest passes in already runs the gateway's
 * guards, pipes, interceptors and filters, so the programming model is unchanged.
 *
 * A middleware rather than `socket.on` per event: it runs after the packet guard (registered at
 * connection, before handlers are bound), and one function serves every event.
 */
export class DispatchingIoAdapter extends IoAdapter {
  private readonly log = new Logger(DispatchingIoAdapter.name);

  override bindMessageHandlers(socket: Socket, handlers: MessageMappingProperties[]): void {
    socket.use((packet, next) => {
      const [event, ...args] = packet;
      const handler = handlers.find((h) => h.message === event);
      if (!handler) return next();
      const { data, ack } = this.mapPayload(args.length === 1 ? args[0] : args);
      const respond = (response: Response) => {
        if (response === null || response === undefined) return;
        if (response.event) socket.emit(response.event, response.data);
        else if (!handler.isAckHandledManually && typeof ack === 'function') ack(response);
      };
      const failed = (error: unknown) => this.log.error(error);
      try {
        Promise.resolve(handler.callback(data, ack)).then((result: unknown) => {
          if (isObservable(result)) result.subscribe({ next: (r) => respond(r as Response), error: failed });
          else respond(result as Response);
        }, failed);
      } catch (error) {
        failed(error);
      }
    });
  }
}
