// The Grafana dashboard reads only metrics the apps register, through the datasource variable.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/stack';

interface Panel {
  id: number;
  title: string;
  datasource: { uid: string };
  targets: { expr: string; datasource: { uid: string } }[];
}

const dashboard = JSON.parse(readFileSync(join(repoRoot, 'deploy/grafana/hookstream-dashboard.json'), 'utf8')) as {
  schemaVersion: number;
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: string }[] };
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Every metric name the apps and libs register (`name: 'hookstream_…'`), with a histogram's series. */
function registeredMetricNames(): Set<string> {
  const names = new Set<string>();
  for (const file of [...sourceFiles(join(repoRoot, 'apps')), ...sourceFiles(join(repoRoot, 'libs'))]) {
    for (const [, name] of readFileSync(file, 'utf8').matchAll(/name: '(hookstream_[a-z0-9_]+)'/g)) {
      for (const suffix of ['', '_bucket', '_count', '_sum']) names.add(`${name}${suffix}`);
    }
  }
  return names;
}

describe('the Grafana dashboard', () => {
  const panels = dashboard.panels;

  it('is a dashboard with a Prometheus datasource variable every query uses', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
    expect(new Set(panels.map((panel) => panel.id)).size).toBe(panels.length);
    for (const panel of panels) {
      expect(panel.datasource.uid).toBe('${datasource}');
      expect(panel.targets.length).toBeGreaterThan(0);
      for (const target of panel.targets) expect(target.datasource.uid).toBe('${datasource}');
    }
  });

  it('queries only metrics the apps register', () => {
    const registered = registeredMetricNames();
    const queried = panels.flatMap((panel) =>
      panel.targets.flatMap((target) => [...target.expr.matchAll(/\bhookstream_[a-z0-9_]+/g)].map(([name]) => name)),
    );
    expect(queried.length).toBeGreaterThan(0);
    expect(queried.filter((name) => !registered.has(name))).toEqual([]);
  });

  it('covers the families the issue asks for', () => {
    const expressions = panels.flatMap((panel) => panel.targets.map((target) => target.expr)).join('\n');
    for (const family of [
      'hookstream_deliveries_total',
      'hookstream_dispatcher_attempt_duration_seconds_bucket',
      'hookstream_consumer_lag',
      'hookstream_retry_backlog',
      'hookstream_dispatcher_open_circuits',
      'hookstream_projector_lag_records',
      'hookstream_events_ingested_total',
      'hookstream_ingest_errors_total',
      'hookstream_http_requests_total',
    ]) {
      expect(expressions).toContain(family);
    }
  });
});
