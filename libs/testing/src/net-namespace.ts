import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function ip(...args: string[]): Promise<string> {
  try {
    return (await run('ip', args)).stdout;
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(' ')}: ${stderr?.trim() || message}`);
  }
}

/**
 * A network of one's own for one party of a call: a network namespace joined to the host by a veth
 * pair, so a test can take that party's network away (a tunnel, a lift) or give it a new address
 * (Wi-Fi to cellular) while everything else keeps running. The host side answers on `hostAddress`;
 * servers that listen on 0.0.0.0 are reachable there. Traffic never leaves the machine.
 *
 * Needs root and iproute2 (`ip`); without them `create` fails with a message that says so, and the
 * suite fails rather than skipping.
 */
export class NetNamespace {
  private host = 2;
  private scratch: string | null = null;

  private constructor(
    readonly name: string,
    private readonly hostLink: string,
    private readonly link: string,
    private readonly subnet: string,
  ) {}

  static async create(): Promise<NetNamespace> {
    if (process.getuid?.() !== 0) throw new Error('network namespaces need root: run the network suite as root (CI does)');
    const id = randomBytes(3).toString('hex');
    const subnet = `10.${200 + randomInt(50)}.${randomInt(256)}`;
    const ns = new NetNamespace(`vc-net-${id}`, `vh-${id}`, `vn-${id}`, subnet);
    try {
      await ip('netns', 'add', ns.name);
    } catch (error) {
      throw new Error(`cannot create a network namespace (${(error as Error).message}); the network suite needs root and iproute2`);
    }
    try {
      await ip('link', 'add', ns.hostLink, 'type', 'veth', 'peer', 'name', ns.link);
      await ip('link', 'set', ns.link, 'netns', ns.name);
      await ip('addr', 'add', `${ns.hostAddress}/24`, 'dev', ns.hostLink);
      await ip('link', 'set', ns.hostLink, 'up');
      await ip('-n', ns.name, 'link', 'set', 'lo', 'up');
      await ip('-n', ns.name, 'link', 'set', ns.link, 'up');
      await ns.assign();
    } catch (error) {
      await ns.destroy();
      throw error;
    }
    return ns;
  }

  /** The host's end of the link: where the party reaches the gateway and its TURN relay. */
  get hostAddress(): string {
    return `${this.subnet}.1`;
  }

  /** The party's address now; `moveTo` changes it. */
  get address(): string {
    return `${this.subnet}.${this.host}`;
  }

  /** Every datagram and segment stops, both ways, with no word to either end: carrier gone. */
  async cut(): Promise<void> {
    await ip('link', 'set', this.hostLink, 'down');
  }

  /** The link is back with the same address, as after a tunnel. */
  async restore(): Promise<void> {
    await ip('link', 'set', this.hostLink, 'up');
  }

  /**
   * The party moves to a new address, as a phone does from Wi-Fi to cellular: its sockets on the
   * old address are dead, and nothing tells the servers.
   */
  async moveTo(): Promise<string> {
    await ip('-n', this.name, 'addr', 'del', `${this.address}/24`, 'dev', this.link);
    this.host += 1;
    await this.assign();
    return this.address;
  }

  /**
   * A program path that runs `executable` inside this namespace with the arguments it is given,
   * for launchers that take an executable (Playwright's executablePath).
   */
  async wrap(executable: string): Promise<string> {
    this.scratch ??= await mkdtemp(join(tmpdir(), 'vc-netns-'));
    const file = join(this.scratch, 'in-namespace');
    await writeFile(file, `#!/bin/sh\nexec ip netns exec ${this.name} ${executable} "$@"\n`, { mode: 0o755 });
    return file;
  }

  /** Deleting the namespace deletes its end of the veth, and with it the host's end. */
  async destroy(): Promise<void> {
    await ip('netns', 'del', this.name).catch(() => undefined);
    await ip('link', 'del', this.hostLink).catch(() => undefined);
    if (this.scratch) await rm(this.scratch, { recursive: true, force: true });
  }

  private async assign(): Promise<void> {
    await ip('-n', this.name, 'addr', 'add', `${this.address}/24`, 'dev', this.link);
    await ip('-n', this.name, 'route', 'replace', 'default', 'via', this.hostAddress);
  }
}
