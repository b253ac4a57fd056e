import { ErrorBodySchema, MAX_SOCKET_MESSAGE_BYTES } from '#contracts';
import type { TestDevice } from '#testing';
import type { SocketInput } from './socket-inputs.js';
import { type Outcome, type Tally, describeInput } from './tally.js';

/** How long an answer may take before the message counts as unanswered (the machine is shared and busy). */
const ANSWER_MS = 10_000;
/** More than a Socket.IO packet adds around its JSON: `42/signaling/v1,<ack id>`. */
const ENVELOPE_BYTES = 256;

const wireBytes = (input: SocketInput) => {
  try {
    return Buffer.byteLength(JSON.stringify([input.event, ...input.args]) ?? '');
  } catch {
    return 0;
  }
};

/** An ack is `{ ok: true, data }` or `{ ok: false, error }` with a code from the contracts' ErrorCode list. */
function judgeAck(ack: unknown): Outcome {
  const { ok, error } = (ack ?? {}) as { ok?: unknown; error?: unknown };
  if (ok === true) return { answered: true, code: 'ok' };
  const body = ErrorBodySchema.safeParse(error);
  if (ok === false && body.success) return { answered: true, code: body.data.code };
  return { answered: false, why: `malformed ack ${JSON.stringify(ack)?.slice(0, 200)}` };
}

function waitFor<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout;
  return Promise.race([promise, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

/**
 * Sends every input and judges the answer: an ack within ANSWER_MS for a message with an ack
 * callback; a `protocol:error` naming the event for one without; and for a message above the
 * transport's size limit, the socket closed (Socket.IO cuts it before any handler).
 */
export class SocketFuzzer {
  constructor(
    private readonly connect: () => Promise<TestDevice>,
    private readonly tally: Tally,
  ) {}

  async run(inputs: SocketInput[], sockets: number, inFlightPerSocket: number): Promise<void> {
    // The estimate leaves out the packet's envelope (type, namespace, ack id): near the limit a
    // message may go either way, and the oversize path takes an answer as well as a close.
    const oversize = inputs.filter((i) => wireBytes(i) > MAX_SOCKET_MESSAGE_BYTES - ENVELOPE_BYTES);
    const queue = inputs.filter((i) => !oversize.includes(i));
    await Promise.all(Array.from({ length: sockets }, () => this.worker(queue, inFlightPerSocket)));
    for (const input of oversize) await this.oversize(input);
  }

  private async worker(queue: SocketInput[], inFlight: number): Promise<void> {
    let device = await this.connect();
    const lanes = Array.from({ length: inFlight }, async () => {
      for (let input = queue.shift(); input; input = queue.shift()) {
        if (!device.socket.connected) {
          this.tally.note(`socket of ${device.deviceId} closed by the server; a new one carries on`);
          device = await this.connect();
        }
        try {
          this.tally.record(describeInput(input), await this.send(device, input), input.event);
        } catch (error) {
          // The client itself refused to encode it (nothing left this process): not an input.
          this.tally.note(`not sent: ${(error as Error).message}`);
        }
      }
    });
    await Promise.all(lanes);
    device.close();
  }

  private send(device: TestDevice, input: SocketInput): Promise<Outcome> {
    const socket = device.socket as unknown as {
      timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<unknown> };
      emit(event: string, ...args: unknown[]): void;
      on(event: string, listener: (p: { event: string; error: unknown }) => void): void;
      off(event: string, listener: (p: { event: string; error: unknown }) => void): void;
    };
    if (input.ack)
      return socket
        .timeout(ANSWER_MS)
        .emitWithAck(input.event, ...input.args)
        .then(judgeAck, (error: Error) => {
          // A timeout or a close is the server's silence; anything else is the client failing to encode.
          if (error.message === 'operation has timed out') return { answered: false, why: `no ack within ${ANSWER_MS} ms` };
          if (error.message === 'socket has been disconnected') return { answered: false, why: 'socket closed before the ack' };
          throw error;
        });
    const answered = new Promise<Outcome>((resolve) => {
      const listener = (p: { event: string; error: unknown }) => {
        if (p.event !== input.event) return;
        socket.off('protocol:error', listener);
        const body = ErrorBodySchema.safeParse(p.error);
        resolve(
          body.success
            ? { answered: true, code: body.data.code }
            : { answered: false, why: `malformed protocol:error ${JSON.stringify(p)}` },
        );
      };
      socket.on('protocol:error', listener);
    });
    socket.emit(input.event, ...input.args);
    return waitFor(answered, ANSWER_MS).then((a) =>
      a === 'timeout' ? { answered: false, why: `no protocol:error within ${ANSWER_MS} ms` } : a,
    );
  }

  /**
   * The estimate counts a typed array as JSON, but it travels as a binary attachment: a message
   * estimated too big may fit after all, and its answer counts as well as the close.
   */
  private async oversize(input: SocketInput): Promise<void> {
    const device = await this.connect();
    const closed = new Promise<Outcome | 'unsent'>((resolve) =>
      device.socket.once('disconnect', (reason) => resolve({ answered: true, code: `closed (${reason})` })),
    );
    const answered = this.send(device, input).catch((error: Error): 'unsent' => {
      // The client could not encode it (nothing left this process): not an input.
      this.tally.note(`not sent: ${error.message}`);
      return 'unsent';
    });
    const outcome = await waitFor(
      Promise.race([
        closed,
        answered.then((a): Outcome | 'unsent' | Promise<Outcome | 'unsent'> => (a === 'unsent' || a.answered ? a : closed)),
      ]),
      ANSWER_MS,
    );
    device.close();
    if (outcome === 'unsent') return;
    this.tally.record(
      describeInput(input),
      outcome === 'timeout' ? { answered: false, why: 'oversize message: neither answered nor closed' } : outcome,
      `${input.event} (oversize)`,
    );
  }
}
