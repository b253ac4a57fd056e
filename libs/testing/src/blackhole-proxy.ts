import { type Server, type Socket, connect, createServer } from 'node:net';

const HOST = '127.0.0.1';

/** One client connection and its leg to the target. */
interface Link {
  client: Socket;
  upstream: Socket;
  silent: boolean;
}

/**
 * A TCP proxy whose open connections can be made to vanish: `blackhole()` simulates a phone whose
 * network is gone. Nothing more is forwarded and nothing is closed (no FIN, no RST), so the server
 * holds a half-open socket until its own ping timeout notices, which is the case worth testing.
 * Connections made after a `blackhole()` work normally: the phone is back on another network.
 */
export class BlackholeProxy {
  private readonly links = new Set<Link>();
  private closed = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly targetPort: number,
    readonly targetHost: string,
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  static async start(targetPort: number, targetHost = HOST): Promise<BlackholeProxy> {
    // Half-open on: an end from one side is forwarded by hand, so a silent link never answers a FIN.
    const server = createServer({ allowHalfOpen: true });
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, HOST, () => resolve((server.address() as { port: number }).port));
    });
    return new BlackholeProxy(server, port, targetPort, targetHost);
  }

  url(path = ''): string {
    return `http://${HOST}:${this.port}${path}`;
  }

  /** Every connection open now goes silent both ways and stays open; later ones are unaffected. */
  blackhole(): void {
    for (const link of this.links) {
      link.silent = true;
      // Keep reading (and dropping) so neither peer is held back by a full buffer it could notice.
      link.client.resume();
      link.upstream.resume();
    }
  }

  /**
   * Resolves once the server has closed every connection that is silent now: the moment it noticed
   * the vanished client (its ping timeout), which nothing else makes visible.
   */
  serverClosedSilent(): Promise<void> {
    const silent = [...this.links].filter((link) => link.silent && !link.upstream.destroyed && link.upstream.readable);
    // The server's FIN arrives as 'end' (the upstream leg is half-open, so 'close' may never come).
    const closed = (link: Link) =>
      new Promise<void>((resolve) => {
        link.upstream.once('end', () => resolve());
        link.upstream.once('close', () => resolve());
      });
    return Promise.all(silent.map(closed)).then(() => undefined);
  }

  /** Destroys every connection, silent or not, and stops listening. */
  async close(): Promise<void> {
    this.closed = true;
    for (const link of this.links) {
      link.client.destroy();
      link.upstream.destroy();
    }
    this.links.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.closed) {
      client.destroy();
      return;
    }
    const upstream = connect({ port: this.targetPort, host: this.targetHost, allowHalfOpen: true });
    const link: Link = { client, upstream, silent: false };
    this.links.add(link);
    this.forward(link, client, upstream);
    this.forward(link, upstream, client);
    let open = 2;
    const closed = () => {
      open -= 1;
      if (open === 0) this.links.delete(link);
    };
    client.once('close', closed);
    upstream.once('close', closed);
  }

  private forward(link: Link, from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (link.silent) return;
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
    from.on('end', () => {
      if (!link.silent) to.end();
    });
    // A failed or reset leg takes the other one down, unless the link is silent: then the other peer
    // must keep seeing an open socket.
    from.on('error', () => {
      if (!link.silent) to.destroy();
    });
    from.on('close', () => {
      if (!link.silent) to.destroy();
    });
  }
}
