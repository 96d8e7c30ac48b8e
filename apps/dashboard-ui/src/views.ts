import {
  api,
  type DeliveryDetail,
  type DeliverySummary,
  type Endpoint,
  type EventType,
  type ReplayJob,
  type StatsBucket,
} from './api';
import { deliveriesChart } from './chart';
import { badge, formatTime, h, replaceChildren } from './dom';

/** Auto-refresh period of the live pages (polling: the API has no push channel). */
export const REFRESH_MS = 3_000;

/** What a page may hold while shown; the router stops its timers when another page replaces it. */
export interface PageContext {
  every(ms: number, task: () => Promise<void>): void;
}

const STATUSES = ['pending', 'succeeded', 'failed', 'exhausted'];

/** `datetime-local` values are local time without a zone; the API wants ISO 8601 with one. */
const toIso = (local: string): string | undefined => (local ? new Date(local).toISOString() : undefined);

export async function deliveriesPage(root: HTMLElement, page: PageContext, params: URLSearchParams): Promise<void> {
  const [types, endpoints] = await Promise.all([
    api<{ data: EventType[] }>('GET', '/v1/event-types'),
    api<{ data: Endpoint[] }>('GET', '/v1/endpoints'),
  ]);
  const select = (name: string, label: string, options: string[]) =>
    h(
      'label',
      {},
      label,
      h(
        'select',
        { name },
        h('option', { value: '' }, 'any'),
        ...options.map((value) => h('option', { value, selected: params.get(name) === value }, value)),
      ),
    );
  const input = (name: string, label: string, type = 'text') =>
    h('label', {}, label, h('input', { name, type, value: params.get(name) ?? '' }));
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter deliveries' },
    select('status', 'Status', STATUSES),
    select(
      'eventType',
      'Event type',
      types.data.map((t) => t.type),
    ),
    select(
      'endpointId',
      'Endpoint',
      endpoints.data.map((e) => e.id),
    ),
    input('transactionId', 'Transaction id'),
    input('since', 'Since', 'datetime-local'),
    input('until', 'Until', 'datetime-local'),
    h('button', { type: 'submit' }, 'Apply'),
  );
  // Filters live in the hash, so a filtered view survives a reload and can be shared (it never holds the key).
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [name, value] of new FormData(form)) if (typeof value === 'string' && value) next.set(name, value);
    location.hash = `#/deliveries?${next.toString()}`;
  });

  const chart = h('div', { class: 'chart-box' });
  const tbody = h('tbody');
  const status = h('p', { class: 'muted' });
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  replaceChildren(
    root,
    h('h1', {}, 'Deliveries'),
    h('section', { 'aria-label': 'Deliveries over the last 24 hours' }, h('h2', {}, 'Last 24 hours'), chart),
    form,
    h(
      'table',
      { class: 'deliveries' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Delivery', 'Status', 'Event type', 'Transaction', 'Endpoint', 'Attempts', 'Created'].map((c) =>
            h('th', {}, c),
          ),
        ),
      ),
      tbody,
    ),
    status,
    more,
  );

  const query = new URLSearchParams();
  for (const name of ['status', 'eventType', 'endpointId', 'transactionId']) {
    const value = params.get(name);
    if (value) query.set(name, value);
  }
  for (const name of ['since', 'until']) {
    const value = toIso(params.get(name) ?? '');
    if (value) query.set(name, value);
  }
  let shown = 20;
  let cursor: string | null = null;
  const row = (d: DeliverySummary) =>
    h(
      'tr',
      {},
      h('td', {}, h('a', { href: `#/deliveries/${encodeURIComponent(d.id)}` }, d.id)),
      h('td', {}, badge(d.status)),
      h('td', {}, d.eventType),
      h('td', {}, d.transactionId ?? '—'),
      h('td', { class: 'mono' }, d.endpointId),
      h('td', {}, d.attemptCount),
      h('td', {}, formatTime(d.createdAt)),
    );
  // A refresh re-reads everything shown so far in one page (up to the API's 100), keeping "load more" in place.
  const refresh = async () => {
    const first = new URLSearchParams(query);
    first.set('limit', String(Math.min(100, shown)));
    const page = await api<{ data: DeliverySummary[]; nextCursor: string | null }>('GET', `/v1/deliveries?${first}`);
    replaceChildren(tbody, ...page.data.map(row));
    cursor = page.nextCursor;
    more.hidden = cursor === null;
    status.textContent = page.data.length === 0 ? 'No deliveries match.' : `Updated ${new Date().toLocaleTimeString()}`;
  };
  more.addEventListener('click', () => {
    if (!cursor) return;
    const next = new URLSearchParams(query);
    next.set('cursor', cursor);
    next.set('limit', '20');
    void api<{ data: DeliverySummary[]; nextCursor: string | null }>('GET', `/v1/deliveries?${next}`).then((page) => {
      tbody.append(...page.data.map(row));
      shown += page.data.length;
      cursor = page.nextCursor;
      more.hidden = cursor === null;
    });
  });
  const refreshChart = async () => {
    const stats = await api<{ data: StatsBucket[] }>('GET', '/v1/deliveries/stats?bucket=hour');
    replaceChildren(chart, deliveriesChart(stats.data), legend());
  };
  await Promise.all([refresh(), refreshChart()]);
  page.every(REFRESH_MS, refresh);
  page.every(REFRESH_MS * 10, refreshChart);
}

function legend(): HTMLElement {
  return h(
    'p',
    { class: 'legend' },
    h('span', { class: 'swatch swatch-ok' }),
    ' deliveries ',
    h('span', { class: 'swatch swatch-failed' }),
    ' failing (failed or exhausted)',
  );
}

export async function deliveryPage(root: HTMLElement, page: PageContext, id: string): Promise<void> {
  const summary = h('dl', { class: 'details' });
  const attempts = h('tbody');
  const message = h('p', { class: 'muted', role: 'status' });
  const retry = h('button', { type: 'button', class: 'primary' }, 'Retry now');
  replaceChildren(
    root,
    h('p', {}, h('a', { href: '#/deliveries' }, '← Deliveries')),
    h('h1', {}, 'Delivery ', h('span', { class: 'mono' }, id)),
    summary,
    h('p', {}, retry, ' ', message),
    h('h2', {}, 'Attempts'),
    h(
      'p',
      { class: 'muted' },
      'Each attempt was sent with the headers webhook-id (this delivery’s id), webhook-timestamp and webhook-signature; signatures and secrets are never shown here.',
    ),
    h(
      'table',
      { class: 'attempts' },
      h(
        'thead',
        {},
        h('tr', {}, ...['#', 'Time', 'Status', 'Latency', 'Error', 'Response (excerpt)'].map((c) => h('th', {}, c))),
      ),
      attempts,
    ),
  );
  const load = async () => {
    const d = await api<DeliveryDetail>('GET', `/v1/deliveries/${encodeURIComponent(id)}`);
    const field = (term: string, value: Node | string | number) => [h('dt', {}, term), h('dd', {}, value)];
    replaceChildren(
      summary,
      ...field('Status', badge(d.status)),
      ...(d.exhaustedReason ? field('Exhausted because', d.exhaustedReason.replaceAll('_', ' ')) : []),
      ...field('Event type', d.eventType),
      ...field('Event', h('span', { class: 'mono' }, d.eventId)),
      ...field('Endpoint', h('span', { class: 'mono' }, d.endpointId)),
      ...field('Transaction', d.transactionId ?? '—'),
      ...field('Format version', d.formatVersion ?? '—'),
      ...(d.ordering
        ? field(
            'Ordering',
            `${d.ordering.key} #${d.ordering.sequence}${d.ordering.waiting ? ' (waiting for the one before it)' : ''}`,
          )
        : []),
      ...field('Created', formatTime(d.createdAt)),
      ...field('Next attempt', formatTime(d.nextAttemptAt)),
      ...field('Webhook headers', h('span', { class: 'mono' }, `webhook-id: ${d.id}`)),
    );
    replaceChildren(
      attempts,
      ...d.attempts.map((a) =>
        h(
          'tr',
          { 'data-attempt': a.n },
          h('td', {}, a.n),
          h('td', {}, formatTime(a.at)),
          h(
            'td',
            {},
            a.statusCode === null ? '—' : h('span', { class: a.statusCode < 300 ? 'ok' : 'bad' }, a.statusCode),
          ),
          h('td', {}, `${a.latencyMs} ms`),
          h('td', {}, [a.errorClass, a.error].filter(Boolean).join(': ') || '—'),
          h('td', {}, a.responseBody ? h('pre', { class: 'excerpt' }, a.responseBody.slice(0, 500)) : '—'),
        ),
      ),
    );
    // Only a delivery that is not in flight may be retried; the API says so too (409).
    retry.disabled = d.status === 'pending';
  };
  retry.addEventListener('click', () => {
    retry.disabled = true;
    message.textContent = 'Retrying…';
    api('POST', `/v1/deliveries/${encodeURIComponent(id)}/retry`)
      .then(() => {
        message.textContent = 'Retry requested: the new attempt appears below when it is made.';
      })
      .catch((error: unknown) => {
        message.textContent = error instanceof Error ? error.message : String(error);
        retry.disabled = false;
      });
  });
  await load();
  page.every(REFRESH_MS, load);
}

export async function endpointsPage(root: HTMLElement, page: PageContext): Promise<void> {
  const tbody = h('tbody');
  const message = h('p', { class: 'muted', role: 'status' });
  replaceChildren(
    root,
    h('h1', {}, 'Endpoints'),
    message,
    h(
      'table',
      { class: 'endpoints' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...[
            'Endpoint',
            'Status',
            'Success (24 h)',
            'Latency (24 h)',
            'Circuit',
            'Last success',
            'Last failure',
            'Recover',
            'Replay',
          ].map((c) => h('th', {}, c)),
        ),
      ),
      tbody,
    ),
  );
  /** A "since" time (a day ago by default) and a button; `act` gets the time and reports to `message`. */
  const sinceForm = (endpoint: Endpoint, action: string, act: (since: string | undefined) => Promise<void>) => {
    const since = h('input', {
      type: 'datetime-local',
      name: 'since',
      required: true,
      value: toLocalInput(new Date(Date.now() - 86_400_000)),
      'aria-label': `${action} ${endpoint.id} since`,
    });
    const form = h('form', { class: 'inline' }, since, h('button', { type: 'submit' }, action));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      act(toIso(since.value)).catch((error: unknown) => {
        message.textContent = `${endpoint.id}: ${error instanceof Error ? error.message : String(error)}`;
      });
    });
    return form;
  };
  const endpointPath = (endpoint: Endpoint, action: string) =>
    `/v1/endpoints/${encodeURIComponent(endpoint.id)}/${action}`;
  const recoverForm = (endpoint: Endpoint) =>
    sinceForm(endpoint, 'Recover', async (since) => {
      const answer = await api<{ recovering: number }>('POST', endpointPath(endpoint, 'recover'), { since });
      message.textContent = `${endpoint.id}: ${answer.recovering} deliveries sent again.`;
    });
  const replayForm = (endpoint: Endpoint) =>
    sinceForm(endpoint, 'Replay', async (since) => {
      const started = await api<ReplayJob>('POST', endpointPath(endpoint, 'replay'), { since });
      await followReplay(started.jobId, message);
    });
  const load = async () => {
    const endpoints = await api<{ data: Endpoint[] }>('GET', '/v1/endpoints');
    // Keep a half-typed recover date: only rebuild rows whose data changed.
    const rows = endpoints.data.map((e) => {
      const health = e.health;
      const key = JSON.stringify(e);
      const existing = tbody.querySelector<HTMLTableRowElement>(`tr[data-id="${CSS.escape(e.id)}"]`);
      if (existing?.dataset.key === key) return existing;
      return h(
        'tr',
        { 'data-id': e.id, 'data-key': key },
        h(
          'td',
          {},
          h('div', { class: 'mono' }, e.id),
          h('div', {}, e.url),
          e.description && h('div', { class: 'muted' }, e.description),
        ),
        h('td', {}, badge(e.status), e.disabledReason && h('div', { class: 'muted' }, e.disabledReason)),
        h(
          'td',
          {},
          health?.successRate24h == null
            ? '—'
            : `${(health.successRate24h * 100).toFixed(1)} % of ${health.attempts24h}`,
        ),
        h('td', {}, health?.averageLatencyMs24h == null ? '—' : `${Math.round(health.averageLatencyMs24h)} ms`),
        h('td', {}, badge(health?.circuitState ?? 'unknown')),
        h('td', {}, formatTime(health?.lastSuccessAt)),
        h('td', {}, formatTime(health?.lastFailureAt)),
        h('td', {}, recoverForm(e)),
        h('td', {}, replayForm(e)),
      );
    });
    tbody.replaceChildren(...rows);
    if (rows.length === 0 && !message.textContent) message.textContent = 'No endpoints yet.';
  };
  await load();
  page.every(REFRESH_MS, load);
}

/** Shows a replay job's progress in `message` until it has finished. */
async function followReplay(jobId: string, message: HTMLElement): Promise<void> {
  for (;;) {
    const job = await api<ReplayJob>('GET', `/v1/replays/${encodeURIComponent(jobId)}`);
    message.textContent =
      `Replay ${job.id} of ${job.endpointId}: ${job.status}, ${job.matched} matched, ` +
      `${job.alreadyDelivered} already delivered, ${job.scheduled} of ${job.toSchedule} sent` +
      (job.error ? ` (${job.error})` : '');
    if (job.status !== 'running') return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

export async function eventTypesPage(root: HTMLElement): Promise<void> {
  const types = await api<{ data: EventType[] }>('GET', '/v1/event-types');
  replaceChildren(
    root,
    h('h1', {}, 'Event types'),
    h(
      'table',
      { class: 'event-types' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Type', 'Version', 'Schema', 'Deprecation', 'Deliveries', 'Last delivery'].map((c) => h('th', {}, c)),
        ),
      ),
      h(
        'tbody',
        {},
        ...types.data.flatMap((t) =>
          t.versions.map((v, i) =>
            h(
              'tr',
              {},
              i === 0
                ? h(
                    'td',
                    { rowspan: t.versions.length },
                    h('strong', {}, t.type),
                    t.optIn && h('span', { class: 'badge' }, 'opt-in'),
                    t.description && h('div', { class: 'muted' }, t.description),
                  )
                : null,
              h('td', {}, `v${v.version}`),
              h('td', { class: 'mono' }, v.subject ? `${v.subject} (id ${v.schemaId ?? '?'})` : '—'),
              h(
                'td',
                {},
                v.deprecated
                  ? h(
                      'span',
                      {},
                      badge('deprecated'),
                      ` sunset ${formatTime(v.sunsetAt)}`,
                      v.replacement ? `, use v${v.replacement}` : '',
                      v.note ? ` (${v.note})` : '',
                    )
                  : '—',
              ),
              h('td', {}, v.usage?.deliveries ?? 0),
              h('td', {}, formatTime(v.usage?.lastDeliveryAt)),
            ),
          ),
        ),
      ),
    ),
  );
}

function toLocalInput(date: Date): string {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}
