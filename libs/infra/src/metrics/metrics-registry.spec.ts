import { describe, expect, it } from '@jest/globals';
import { COLLECT_TIMEOUT_MS, MetricsRegistry } from './metrics-registry.js';

const spec = (name: string) => ({ name, help: name, labelNames: ['queue'] as const });

describe('MetricsRegistry', () => {
  it('keeps a scrape bounded and whole when a scrape-time reading fails or hangs', async () => {
    const metrics = new MetricsRegistry();
    metrics.gauge(spec('test_hangs'), () => new Promise<void>(() => undefined));
    metrics.gauge(spec('test_fails'), () => Promise.reject(new Error('Redis down')));
    metrics.gauge(spec('test_reads'), (gauge) => gauge.set({ queue: 'apns-push' }, 3));
    const started = Date.now();
    const text = await metrics.render();
    expect(Date.now() - started).toBeLessThan(COLLECT_TIMEOUT_MS + 500);
    expect(text).toContain('test_reads{queue="apns-push"} 3');
    expect(text).toContain('# HELP test_hangs');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('gives each app a registry of its own, so a module booted twice in one process registers twice without clashing', () => {
    const first = new MetricsRegistry();
    const second = new MetricsRegistry();
    expect(() => [first, second].map((m) => m.counter({ name: 'test_total', help: 'x', labelNames: [] }))).not.toThrow();
  });
});
