import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { METRIC_NAMES } from './metric-specs.js';

const read = (file: string) => readFileSync(new URL(`../../../../${file}`, import.meta.url), 'utf8');

describe('metric names, defined once', () => {
  it('are all on the Grafana dashboard kept in the repo', () => {
    const dashboard = read('deploy/grafana/dashboards/video-calls.json');
    expect(METRIC_NAMES.filter((name) => !dashboard.includes(name))).toEqual([]);
  });

  it('are all explained in the runbook', () => {
    const runbook = read('docs/operations.md');
    expect(METRIC_NAMES.filter((name) => !runbook.includes(`\`${name}\``))).toEqual([]);
  });

  it('follow the Prometheus conventions: a vc_ prefix, counters in _total, durations in _seconds', () => {
    for (const name of METRIC_NAMES) expect(name).toMatch(/^vc_[a-z_]+$/);
  });
});
