// Pipeline health panel: readiness, throughput, lag, dead letters, aggregation age, queues.
import { el, formatAge, replace, table } from './render.js';
import { $, boot, fmt, fmt1, getJson, t, utcText } from './shared.js';

let throughputChart;

function renderPipeline(p) {
  const ready = p.readiness.ready;
  const pill = $('readiness');
  pill.textContent = ready ? t.ready : t.notReady;
  pill.className = ready ? 'pill pill-ok' : 'pill pill-bad';
  pill.title = Object.entries(p.readiness.checks)
    .map(([name, c]) => `${name}: ${c.ok ? 'ok' : (c.detail ?? 'failing')}`)
    .join('\n');

  // In embedded mode the counters of this process; otherwise what ClickHouse stored per minute.
  const tp = $('pipeline-throughput');
  tp.dataset.source = p.throughput.source;
  tp.querySelector('.stat-value').textContent = `${fmt1(p.throughput.current?.accepted ?? 0)} ${t.perSecond}`;
  tp.querySelector('.stat-sub').textContent =
    `${t.accepted} ${fmt(p.throughput.totals.accepted)} · ${t.rejected} ${fmt(p.throughput.totals.rejected)}` +
    (p.throughput.source === 'clickhouse'
      ? ` · ${t.lastMinutes.replace('{n}', p.throughput.windowMinutes)}`
      : '');
  drawThroughput(tp.querySelector('canvas'), p.throughput.points);

  // In embedded mode the ingestor's gauges; otherwise the consumer group as Kafka reports it.
  const totalLag = p.lag.partitions.reduce((sum, x) => sum + x.lag, 0);
  const lagTile = $('pipeline-lag-total');
  lagTile.dataset.source = p.lag.source ?? '';
  lagTile.querySelector('.stat-value').textContent = p.lag.source ? `${fmt(totalLag)} ${t.messages}` : '—';
  lagTile.querySelector('.stat-sub').textContent = !p.lag.source
    ? t.lagUnavailable
    : p.lag.group
      ? `${p.lag.partitions.length} ${t.partitions} · ${fmt(p.lag.group.members)} ${t.consumers} (${p.lag.group.state})`
      : `${p.lag.partitions.length} ${t.partitions}`;
  replace(
    $('pipeline-lag'),
    table(
      [
        { key: 'topic', label: t.topic },
        { key: 'partition', label: t.partition, align: 'right' },
        { key: 'lag', label: t.messages, align: 'right', render: (r) => fmt(r.lag) },
      ],
      p.lag.partitions,
      { empty: p.lag.source ? t.noData : t.lagUnavailable, testid: 'lag-table' },
    ),
  );

  const recent = p.deadLetters.reasons.reduce((sum, r) => sum + r.recent, 0);
  const dlTile = $('dead-letter-total');
  dlTile.querySelector('.stat-value').textContent = fmt(recent);
  dlTile.querySelector('.stat-sub').textContent =
    `${t.total}: ${fmt(p.deadLetters.reasons.reduce((s, r) => s + r.total, 0))}`;
  dlTile.classList.toggle('stat-warn', recent > 0);
  replace(
    $('dead-letter-reasons'),
    table(
      [
        { key: 'reasonCode', label: t.reason, render: (r) => el('code', { text: r.reasonCode }) },
        { key: 'recent', label: t.recent, align: 'right', render: (r) => fmt(r.recent) },
        { key: 'total', label: t.total, align: 'right', render: (r) => fmt(r.total) },
      ],
      p.deadLetters.reasons,
      { empty: t.noData, testid: 'reason-table' },
    ),
  );
  replace(
    $('dead-letter-latest'),
    table(
      [
        {
          key: 'position',
          label: t.position,
          render: (r) => el('code', { text: `${r.topic}/${r.partition}@${r.offset}` }),
        },
        {
          key: 'reasonCode',
          label: t.reason,
          render: (r) =>
            el('span', { title: r.reasonText }, el('code', { text: r.reasonCode }), ` ${r.reasonText}`),
        },
        { key: 'bytes', label: t.size, align: 'right', render: (r) => `${fmt(r.bytes)} B` },
        {
          key: 'topicRecord',
          label: t.onTopic,
          render: (r) =>
            el('span', {
              title: r.topicNote || null,
              'data-topic-record': r.topicRecord,
              text:
                { copy: t.topicCopy, reference: t.topicReference, none: t.topicNone }[r.topicRecord] ??
                r.topicRecord,
            }),
        },
        {
          key: 'rejectedAt',
          label: t.time,
          render: (r) => utcText(r.rejectedAt),
        },
      ],
      p.deadLetters.latest,
      { empty: t.noData, testid: 'latest-table' },
    ),
  );

  const agg = $('aggregation-age');
  agg.querySelector('.stat-value').textContent =
    `${formatAge(p.aggregation.ageSeconds)} ${p.aggregation.ageSeconds === null ? '' : t.ago}`;
  agg.querySelector('.stat-sub').textContent = p.aggregation.lastComputedAt
    ? utcText(p.aggregation.lastComputedAt)
    : t.noData;
  agg.classList.toggle('stat-warn', (p.aggregation.ageSeconds ?? 0) > 600);

  replace(
    $('queue-state'),
    table(
      [
        {
          key: 'name',
          label: t.queue,
          render: (q) => el('a', { href: `/queues/queue/${encodeURIComponent(q.name)}`, text: q.name }),
        },
        ...['waiting', 'active', 'delayed', 'failed', 'completed'].map((k) => ({
          key: k,
          label: t[`state.${k}`],
          align: 'right',
          render: (q) => fmt(q.counts[k] ?? 0),
        })),
        { key: 'schedulers', label: t.schedulers, align: 'right', render: (q) => fmt(q.schedulers) },
        {
          key: 'paused',
          label: '',
          render: (q) => (q.paused ? el('span', { class: 'badge badge-not_met', text: t.paused }) : ''),
        },
      ],
      p.queues,
      { empty: t.noData, testid: 'queue-table' },
    ),
  );
  $('updated').textContent = `${t.updated} ${new Date().toLocaleTimeString(boot.locale)}`;
}

function drawThroughput(canvas, points) {
  if (!window.Chart) return;
  const labels = points.map((p) => new Date(p.at).toLocaleTimeString(boot.locale));
  const accepted = points.map((p) => p.accepted);
  const rejected = points.map((p) => p.rejected);
  if (throughputChart) {
    throughputChart.data.labels = labels;
    throughputChart.data.datasets[0].data = accepted;
    throughputChart.data.datasets[1].data = rejected;
    throughputChart.update('none');
    return;
  }
  throughputChart = new window.Chart(canvas, {
    type: 'line',
    data: {
      labels,
      datasets: [
        { label: t.accepted, data: accepted, borderColor: '#15803d', pointRadius: 0, tension: 0.3 },
        { label: t.rejected, data: rejected, borderColor: '#b91c1c', pointRadius: 0, tension: 0.3 },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { x: { display: false }, y: { display: false, beginAtZero: true } },
    },
  });
}

export async function refreshPipeline() {
  try {
    renderPipeline(await getJson('/api/pipeline'));
  } catch (err) {
    $('updated').textContent = `${t.loadError}: ${err.message}`;
  }
}
