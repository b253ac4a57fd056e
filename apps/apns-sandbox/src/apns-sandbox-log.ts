import { EventEmitter } from 'node:events';
import type { ApnsRecordedRequest } from './apns-recorded-request.js';

export type ApnsRequestPredicate = (request: ApnsRecordedRequest) => boolean;
export type ApnsRequestListener = (request: ApnsRecordedRequest) => void;

/** The in-memory request log, with waiting and listening on what arrives next. */
export class ApnsSandboxLog {
  private readonly entries: ApnsRecordedRequest[] = [];
  private readonly events = new EventEmitter<{ request: [ApnsRecordedRequest] }>();
  private readonly pending = new Set<(reason: Error) => void>();

  record(request: ApnsRecordedRequest): void {
    this.entries.push(request);
    this.events.emit('request', request);
  }

  all(): ApnsRecordedRequest[] {
    return [...this.entries];
  }

  forToken(token: string): ApnsRecordedRequest[] {
    const wanted = token.toLowerCase();
    return this.entries.filter((entry) => entry.token?.toLowerCase() === wanted);
  }

  clear(): void {
    this.entries.length = 0;
  }

  on(listener: ApnsRequestListener): void {
    this.events.on('request', listener);
  }

  off(listener: ApnsRequestListener): void {
    this.events.off('request', listener);
  }

  waitFor(predicate: ApnsRequestPredicate, timeoutMs: number): Promise<ApnsRecordedRequest> {
    const found = this.entries.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        this.events.off('request', onRequest);
        this.pending.delete(abort);
      };
      const abort = (reason: Error) => {
        finish();
        reject(reason);
      };
      const onRequest = (request: ApnsRecordedRequest) => {
        let matches: boolean;
        try {
          matches = predicate(request);
        } catch (error) {
          abort(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (!matches) return;
        finish();
        resolve(request);
      };
      const timer = setTimeout(
        () => abort(new Error(`no matching APNs request within ${timeoutMs} ms (${this.entries.length} recorded)`)),
        timeoutMs,
      );
      this.events.on('request', onRequest);
      this.pending.add(abort);
    });
  }

  /** Rejects every pending waitFor, so a closed sandbox leaves no timers behind. */
  abortWaits(): void {
    for (const abort of [...this.pending]) abort(new Error('APNs sandbox closed before a matching request arrived'));
  }
}
