import { WebSocket } from 'undici';
import { freePort } from './app-process.js';

interface Pending {
  method: string;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * A Chrome DevTools Protocol session with a server process, for memory figures that need no code
 * in the app under test: the process is started with the NODE_OPTIONS of `InspectorSession.option()`
 * and nothing else about it changes. Each call resolves when the process answers, so a heap
 * snapshot is complete when `heapSnapshot()` returns, with no file to poll.
 */
export class InspectorSession {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private chunks: string[] = [];

  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener('message', (event) => this.receive(JSON.parse(String(event.data)) as CdpMessage));
  }

  /** NODE_OPTIONS that open an inspector on a free loopback port; pass the port to `open`. */
  static async option(): Promise<{ port: number; nodeOptions: string }> {
    const port = await freePort();
    return { port, nodeOptions: `--inspect=127.0.0.1:${port}` };
  }

  static async open(port: number): Promise<InspectorSession> {
    const [target] = (await fetch(`http://127.0.0.1:${port}/json/list`).then((r) => r.json())) as [{ webSocketDebuggerUrl: string }];
    const ws = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      ws.addEventListener('open', resolve, { once: true });
      ws.addEventListener('error', () => reject(new Error(`inspector on ${port}: connection failed`)), { once: true });
    });
    return new InspectorSession(ws);
  }

  /**
   * process.memoryUsage() after two full collections (the second catches what the first's
   * finalizers released), so heapUsed is what is retained, not what is merely not yet collected.
   */
  async memoryAfterGc(): Promise<NodeJS.MemoryUsage> {
    await this.call('HeapProfiler.collectGarbage');
    await this.call('HeapProfiler.collectGarbage');
    const { result } = (await this.call('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    })) as { result: { value: string } };
    return JSON.parse(result.value) as NodeJS.MemoryUsage;
  }

  /** A full heap snapshot (V8 collects garbage first), as the JSON text DevTools would save. */
  async heapSnapshot(): Promise<string> {
    this.chunks = [];
    await this.call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    const text = this.chunks.join('');
    this.chunks = [];
    return text;
  }

  /** Close before stopping the process: a process with a debugger attached waits for it to go. */
  close(): void {
    this.ws.close();
  }

  private call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = ++this.nextId;
      this.pending.set(id, { method, resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  private receive(message: CdpMessage): void {
    if (message.method === 'HeapProfiler.addHeapSnapshotChunk') {
      this.chunks.push((message.params as { chunk: string }).chunk);
      return;
    }
    const waiter = message.id === undefined ? undefined : this.pending.get(message.id);
    if (!waiter) return;
    this.pending.delete(message.id!);
    if (message.error) waiter.reject(new Error(`${waiter.method}: ${message.error.message}`));
    else waiter.resolve(message.result);
  }
}

interface CdpMessage {
  id?: number;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { message: string };
}
