import { Worker } from 'node:worker_threads';
import { DEFAULT_LIMITS, SIGNALING_NAMESPACE } from '#contracts';

export interface FloodOutcome {
  sent: number;
  refused: number;
  connected: boolean;
}

/**
 * An active call whose caller relays ICE candidates at its socket's maximum permitted rate
 * (RATE_LIMIT_RELAY) on demand, from a worker thread (flood-worker.mjs) so that the flood's client
 * side does not load the thread that times other calls.
 */
export class FloodClient {
  private constructor(
    private readonly worker: Worker,
    readonly callId: string,
  ) {}

  static async start(gatewayUrl: string, callerToken: string, calleeToken: string, calleeId: string): Promise<FloodClient> {
    const { points, seconds } = DEFAULT_LIMITS.RATE_LIMIT_RELAY;
    const worker = new Worker(new URL('./flood-worker.mjs', import.meta.url), {
      workerData: { url: `${gatewayUrl}${SIGNALING_NAMESPACE}`, callerToken, calleeToken, calleeId, points, seconds },
    });
    const { ready } = await FloodClient.reply<{ ready: string }>(worker, 'active call').catch(async (error: unknown) => {
      await worker.terminate();
      throw error;
    });
    return new FloodClient(worker, ready);
  }

  /** The worker's next message; a worker that fails or goes quiet for 30 s fails the test instead of hanging it. */
  private static reply<T>(worker: Worker, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`flood worker: no ${what} within 30 s`)), 30_000);
      worker.once('message', (m: T) => {
        clearTimeout(timer);
        resolve(m);
      });
      worker.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  flood(): void {
    this.worker.postMessage('flood');
  }

  /** Stops the flood and resolves once every message sent has been answered. */
  stop(): Promise<FloodOutcome> {
    const outcome = FloodClient.reply<FloodOutcome>(this.worker, 'flood outcome');
    this.worker.postMessage('stop');
    return outcome;
  }

  /** Ends the worker whatever it was doing (its sockets close with it). */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
