import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { InspectorSession, Platform, type TestDevice } from '#testing';

const CLIENTS = 200;

/** Counts of a V8 heap snapshot's live objects, by kind, with their total size. */
interface HeapCounts {
  closures: number;
  rxjsSubscribers: number;
  bytes: number;
}

function countHeap(text: string): HeapCounts {
  const snapshot = JSON.parse(text) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const [type, name, size] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const counts: HeapCounts = { closures: 0, rxjsSubscribers: 0, bytes: 0 };
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const kind = types[snapshot.nodes[i + type]!];
    counts.bytes += snapshot.nodes[i + size]!;
    if (kind === 'closure') counts.closures += 1;
    else if (kind === 'object' && /Subscriber$/.test(snapshot.strings[snapshot.nodes[i + name]!]!)) counts.rxjsSubscribers += 1;
  }
  return counts;
}

let platform: Platform;
let inspector: InspectorSession;

beforeAll(async () => {
  platform = await Platform.start({ gateways: 0, notifier: false });
  const { port, nodeOptions } = await InspectorSession.option();
  await platform.addGateway({ NODE_OPTIONS: nodeOptions });
  inspector = await InspectorSession.open(port);
}, 60_000);
afterAll(async () => {
  inspector?.close();
  await platform?.stop();
});

const snapshot = async () => countHeap(await inspector.heapSnapshot());

describe('an idle signed-in socket', () => {
  it('costs the gateway one dispatcher, not an rxjs pipeline per message handler', async () => {
    const warm: TestDevice[] = [];
    for (let i = 0; i < 10; i++) warm.push(await platform.device(`heap-warm-${i}`));
    const before = await snapshot();
    const idle: TestDevice[] = [];
    for (let i = 0; i < CLIENTS; i++) idle.push(await platform.device(`heap-idle-${i}`));
    const after = await snapshot();
    const per = (k: keyof HeapCounts) => (after[k] - before[k]) / CLIENTS;
    console.log(
      `per idle client: ${per('closures').toFixed(1)} closures, ${per('rxjsSubscribers').toFixed(2)} rxjs subscribers, ` +
        `${(per('bytes') / 1024).toFixed(1)} KiB of live heap`,
    );
    // With Nest's stock IoAdapter this measured 428 closures, 76 rxjs subscribers and 80 KiB per
    // client; with one dispatcher per socket, 49 closures, none and 17 KiB.
    expect(per('rxjsSubscribers')).toBeLessThan(0.5);
    expect(per('closures')).toBeLessThan(100);
    expect(per('bytes') / 1024).toBeLessThan(30);
    for (const device of [...warm, ...idle]) device.close();
  }, 120_000);
});
