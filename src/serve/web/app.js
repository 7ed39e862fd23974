// slipstream's web page: the SLO list at "/", one SLO at "/slo/{service}/{slo}".
// Polls the JSON API every few seconds and draws charts as inline SVG. No dependencies.
'use strict';

const POLL_MS = 5000;
const RANGES = ['1h', '6h', '1d', '3d', '7d'];
const TIERS = {
  normal: 'Normal',
  caution: 'Caution',
  slow_down: 'Slow down',
  freeze: 'Freeze',
  exhausted: 'Exhausted',
};

const state = { range: '6h', timer: null, lastOk: null, route: null, marks: [] };

// ---------- formatting ----------

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  }[c]));
}

function num(x) {
  return typeof x === 'number' && isFinite(x);
}

// Digits after the point for an SLI: one more than the objective's nines need.
function sliDigits(objective) {
  if (!num(objective) || objective >= 1) return 2;
  const nines = -Math.log10(1 - objective);
  return Math.min(4, Math.max(2, Math.ceil(nines - 1e-9)));
}

function pct(x, digits) {
  if (!num(x)) return '—';
  const s = (x * 100).toFixed(digits);
  return (s.startsWith('-') ? '−' + s.slice(1) : s) + '\u202f%';
}

function burn(x) {
  if (!num(x)) return '—';
  return (x < 10 ? x.toFixed(2) : x.toFixed(1)) + '×';
}

// An objective or factor as written in the config: 99.9 %, 99 %, 14.4×, 2×.
function target(x) {
  return num(x) ? parseFloat((x * 100).toFixed(4)) + '\u202f%' : '—';
}

function factor(x) {
  return num(x) ? parseFloat(x.toFixed(3)) + '×' : '—';
}

function count(n) {
  return num(n) ? n.toLocaleString('en-US') : '—';
}

function seconds(s) {
  if (!num(s)) return '—';
  if (s < 1) return Math.round(s * 1000) + ' ms';
  if (s < 60) return s.toFixed(s < 10 ? 1 : 0) + ' s';
  const m = Math.floor(s / 60);
  if (m < 60) return m + ' min ' + Math.floor(s % 60) + ' s';
  const h = Math.floor(m / 60);
  if (h < 48) return h + ' h ' + (m % 60) + ' min';
  return Math.floor(h / 24) + ' d ' + (h % 24) + ' h';
}

function ms(x) {
  if (!num(x)) return '—';
  return x < 10 ? x.toFixed(2) + ' ms' : x < 1000 ? x.toFixed(0) + ' ms' : (x / 1000).toFixed(2) + ' s';
}

function clock(iso) {
  const d = new Date(iso);
  if (isNaN(d)) return '—';
  return d.toLocaleString('en-GB', {
    month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
}

function tierBadge(tier) {
  if (!tier) return '<span class="badge badge-none">—</span>';
  return `<span class="badge tier-${esc(tier)}">${esc(TIERS[tier] || tier)}</span>`;
}

function budgetBar(ratio, tier) {
  if (!num(ratio)) return '<span class="muted">—</span>';
  const w = Math.max(0, Math.min(1, ratio)) * 100;
  return `<div class="bar" role="meter" aria-valuemin="0" aria-valuemax="100"
      aria-valuenow="${(ratio * 100).toFixed(1)}" aria-label="Error budget remaining">
      <div class="bar-fill tier-bg-${esc(tier || 'normal')}" style="width:${w.toFixed(1)}%"></div>
    </div><span class="bar-text">${pct(ratio, 1)}</span>`;
}

function sloPath(s) {
  return '/slo/' + encodeURIComponent(s.service) + '/' + encodeURIComponent(s.slo);
}

function sloName(s) {
  return s.display_name || s.slo;
}

// ---------- data ----------

async function getJson(url) {
  const r = await fetch(url, { cache: 'no-store' });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error || r.status + ' ' + r.statusText);
  return body;
}

function setStatus(report, error) {
  const el = document.getElementById('status');
  if (error) {
    el.className = 'status status-error';
    const since = state.lastOk ? ' · last update ' + clock(state.lastOk) : '';
    el.textContent = 'Cannot reach slipstream: ' + error.message + since;
    return;
  }
  state.lastOk = new Date().toISOString();
  el.className = 'status';
  const lag = report.data_lag_seconds;
  el.innerHTML = `Evaluated at <time datetime="${esc(report.evaluated_at)}">${esc(clock(report.evaluated_at))}</time>
    <span class="sep" aria-hidden="true">·</span> data lag <strong class="${lag > 60 ? 'warn' : ''}">${seconds(lag)}</strong>`;
}

// ---------- charts ----------

const charts = new Map();

// A line chart as an SVG string. `points` are {t: ms, v: number|null}; nulls leave gaps.
function lineChart(id, o) {
  const W = Math.max(320, o.width), H = o.height || 220;
  const m = { l: 58, r: 14, t: 14, b: 28 };
  const pts = o.points;
  const t0 = pts[0].t, t1 = pts[pts.length - 1].t;
  const x = (t) => m.l + ((t - t0) / Math.max(1, t1 - t0)) * (W - m.l - m.r);
  const y = (v) => m.t + (1 - (v - o.yMin) / (o.yMax - o.yMin || 1)) * (H - m.t - m.b);
  let d = '';
  let pen = false;
  let first = null, last = null;
  for (const p of pts) {
    if (!num(p.v)) { pen = false; continue; }
    const v = Math.max(o.yMin, Math.min(o.yMax, p.v));
    d += (pen ? 'L' : 'M') + x(p.t).toFixed(1) + ' ' + y(v).toFixed(1);
    pen = true;
    if (first === null) first = p;
    last = p;
  }
  const parts = [];
  // Horizontal grid and y labels.
  for (const v of o.yTicks) {
    parts.push(`<line class="grid" x1="${m.l}" x2="${W - m.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/>`);
    parts.push(`<text class="tick" x="${m.l - 8}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${esc(o.yFormat(v))}</text>`);
  }
  // Time labels.
  const span = t1 - t0;
  const most = Math.max(2, Math.floor((W - m.l - m.r) / 110));
  const every = TIME_STEPS.find((s) => span / s <= most) || TIME_STEPS[TIME_STEPS.length - 1];
  const offset = new Date(t0).getTimezoneOffset() * 60e3;
  for (let t = Math.ceil((t0 - offset) / every) * every + offset; t <= t1; t += every) {
    const xx = x(t);
    parts.push(`<line class="grid" x1="${xx.toFixed(1)}" x2="${xx.toFixed(1)}" y1="${H - m.b}" y2="${H - m.b + 4}"/>`);
    const anchor = xx - m.l < 20 ? 'start' : W - m.r - xx < 20 ? 'end' : 'middle';
    parts.push(`<text class="tick" x="${xx.toFixed(1)}" y="${H - 8}" text-anchor="${anchor}">${esc(timeLabel(t, span))}</text>`);
  }
  const labelled = [];
  for (const line of o.lines || []) {
    if (line.v < o.yMin || line.v > o.yMax) continue;
    const yy = y(line.v);
    parts.push(`<line class="ref ${line.cls || ''}" x1="${m.l}" x2="${W - m.r}" y1="${yy.toFixed(1)}" y2="${yy.toFixed(1)}"/>`);
    // A label too close to one already drawn would overprint it.
    if (labelled.some((l) => Math.abs(l - yy) < 13)) continue;
    labelled.push(yy);
    parts.push(`<text class="ref-label ${line.cls || ''}" x="${W - m.r - 4}" y="${(yy - 5).toFixed(1)}" text-anchor="end">${esc(line.label)}</text>`);
  }
  // Annotations (deploys, incidents, …) in the chart's range: a line, or a band for a range.
  for (const a of state.marks || []) {
    const from = Date.parse(a.time), to = a.end ? Date.parse(a.end) : from;
    if (to < t0 || from > t1) continue;
    const x0 = x(Math.max(from, t0)), x1 = x(Math.min(to, t1));
    const label = `${a.kind}${a.service ? ' · ' + a.service : ''}: ${a.text}`;
    parts.push(`<g class="mark mark-${esc(a.kind)}" data-testid="annotation-mark"><title>${esc(label)}</title>` +
      (x1 - x0 >= 2 ? `<rect x="${x0.toFixed(1)}" y="${m.t}" width="${(x1 - x0).toFixed(1)}" height="${H - m.t - m.b}"/>` : '') +
      `<line x1="${x0.toFixed(1)}" x2="${x0.toFixed(1)}" y1="${m.t}" y2="${H - m.b}"/></g>`);
  }
  if (o.area && first) {
    const base = y(Math.max(o.yMin, 0)).toFixed(1);
    parts.push(`<path class="area ${o.cls}" d="M${x(first.t).toFixed(1)} ${base}${d.replace(/M/g, 'L')}L${x(last.t).toFixed(1)} ${base}Z"/>`);
  }
  parts.push(`<path class="line ${o.cls}" data-testid="chart-line" d="${d}"/>`);
  parts.push(`<line class="cursor" x1="0" x2="0" y1="${m.t}" y2="${H - m.b}" visibility="hidden"/>`);
  charts.set(id, { pts, x, W, m, fmt: o.tipFormat || o.yFormat, label: o.valueLabel });
  return `<svg id="${id}" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}"
      role="img" aria-labelledby="${id}-t ${id}-d">
    <title id="${id}-t">${esc(o.title)}</title><desc id="${id}-d">${esc(o.desc)}</desc>
    ${parts.join('')}</svg><div class="tip" id="${id}-tip" hidden></div>`;
}

const TIME_STEPS = [1, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080]
  .map((minutes) => minutes * 60e3);

function timeLabel(t, span) {
  const d = new Date(t);
  if (span > 2 * 86400e3) return d.toLocaleDateString('en-GB', { month: 'short', day: 'numeric' });
  return d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
}

// Hover: a cursor line and the nearest point's value.
document.addEventListener('mousemove', (e) => {
  const svg = e.target.closest && e.target.closest('svg.chart');
  for (const [id] of charts) {
    const el = document.getElementById(id);
    if (el && el !== svg) hideTip(id);
  }
  if (!svg) return;
  const c = charts.get(svg.id);
  if (!c) return;
  const box = svg.getBoundingClientRect();
  const px = ((e.clientX - box.left) / box.width) * c.W;
  let best = null;
  for (const p of c.pts) {
    if (best === null || Math.abs(c.x(p.t) - px) < Math.abs(c.x(best.t) - px)) best = p;
  }
  if (!best) return;
  const cursor = svg.querySelector('.cursor');
  cursor.setAttribute('x1', c.x(best.t));
  cursor.setAttribute('x2', c.x(best.t));
  cursor.setAttribute('visibility', 'visible');
  const tip = document.getElementById(svg.id + '-tip');
  tip.hidden = false;
  tip.textContent = new Date(best.t).toLocaleString('en-GB') + ' — ' + c.label + ' ' +
    (num(best.v) ? c.fmt(best.v) : 'no data') + (best.extra ? ' · ' + best.extra : '');
  const left = (c.x(best.t) / c.W) * box.width;
  tip.style.left = Math.max(0, Math.min(box.width - 260, left - 130)) + 'px';
});

function hideTip(id) {
  const el = document.getElementById(id);
  const tip = document.getElementById(id + '-tip');
  if (el) el.querySelector('.cursor').setAttribute('visibility', 'hidden');
  if (tip) tip.hidden = true;
}

function ticks(lo, hi, n) {
  const raw = (hi - lo) / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9; v += step) out.push(+v.toFixed(10));
  return out;
}

function chartWidth(el) {
  return Math.floor((el && el.clientWidth) || 860);
}

function noData(what) {
  return `<p class="chart-empty">No data yet ${esc(what)}.</p>`;
}

function budgetChart(el, series, budget) {
  const pts = series.points.map((p) => ({ t: Date.parse(p.time), v: p.budget_remaining_ratio }));
  // The steps end at the last complete step; the report's budget runs to the window end.
  const end = Date.parse(budget.end);
  if (!pts.length || end > pts[pts.length - 1].t) pts.push({ t: end, v: budget.remaining_ratio, extra: 'now' });
  const vals = pts.map((p) => p.v).filter(num);
  if (pts.length < 2 || budget.total === 0) {
    el.innerHTML = noData('in the budget period');
    return;
  }
  // Overspending is drawn down to −100 %; the value itself is in the text and the tooltip.
  const lo = Math.min(0, ...vals);
  const yMin = lo < 0 ? Math.max(-1, Math.floor(lo * 4) / 4) : 0;
  const first = vals[0], last = vals[vals.length - 1];
  el.innerHTML = lineChart('chart-budget', {
    width: chartWidth(el), height: 230, points: pts, yMin, yMax: 1,
    yTicks: ticks(yMin, 1, 4), yFormat: (v) => pct(v, 0), tipFormat: (v) => pct(v, 1), cls: 'budget', area: true,
    lines: [{ v: 0, label: 'budget spent', cls: 'danger' }],
    valueLabel: 'budget remaining',
    title: 'Error budget burn-down',
    desc: `Error budget remaining over the current period, one point per ${series.step}: ` +
      `from ${pct(first, 1)} to ${pct(last, 1)} between ${clock(series.start)} and ${clock(series.end)}.`,
  });
}

function burnChart(el, series, slo) {
  const pts = series.points.map((p) => ({ t: Date.parse(p.time), v: p.burn_rate, extra: count(p.total) + ' events' }));
  const vals = pts.map((p) => p.v).filter(num);
  if (pts.length < 2 || vals.length === 0) {
    el.innerHTML = noData('in the last ' + series.window);
    return;
  }
  const max = Math.max(...vals);
  const yMax = Math.max(2, max * 1.15);
  const factors = [...new Set(slo.alerts.filter((a) => a.kind === 'burn_rate').map((a) => a.factor))];
  const lines = [{ v: 1, label: '1× (budget lasts the period)', cls: 'ok' }]
    .concat(factors.filter((f) => f > 1).map((f) => ({ v: f, label: factor(f) + ' alert', cls: 'danger' })));
  el.innerHTML = lineChart('chart-burn', {
    width: chartWidth(el), points: pts, yMin: 0, yMax,
    yTicks: ticks(0, yMax, 4), yFormat: (v) => (Number.isInteger(v) ? v : v.toFixed(1)) + '×', tipFormat: burn, cls: 'burn',
    lines, valueLabel: 'burn rate',
    title: 'Burn rate',
    desc: `Burn rate per ${series.step} over the last ${series.window}: peak ${burn(max)}, ` +
      `latest ${burn(vals[vals.length - 1])}.`,
  });
}

function sliChart(el, series, slo) {
  const pts = series.points.map((p) => ({ t: Date.parse(p.time), v: p.sli, extra: count(p.good) + ' of ' + count(p.total) + ' good' }));
  const vals = pts.map((p) => p.v).filter(num);
  if (pts.length < 2 || vals.length === 0) {
    el.innerHTML = noData('in the last ' + series.window);
    return;
  }
  const objective = slo.objective;
  const allowed = num(objective) ? 1 - objective : 0.01;
  let yMin = Math.min(...vals, num(objective) ? objective - allowed : 1);
  yMin = Math.max(0, 1 - (1 - yMin) * 1.1);
  const digits = sliDigits(objective);
  const yTicks = ticks(yMin, 1, 4);
  // As few digits as tell the ticks apart.
  const tickDigits = [0, 1, 2, 3, 4].find((d) => new Set(yTicks.map((v) => (v * 100).toFixed(d))).size === yTicks.length &&
    yTicks.every((v) => Math.abs(+(v * 100).toFixed(d) - v * 100) < 1e-6)) ?? 2;
  el.innerHTML = lineChart('chart-sli', {
    width: chartWidth(el), points: pts, yMin, yMax: 1,
    yTicks, yFormat: (v) => pct(v, tickDigits), tipFormat: (v) => pct(v, digits), cls: 'sli',
    lines: num(objective) ? [{ v: objective, label: 'objective ' + target(objective), cls: 'ok' }] : [],
    valueLabel: 'SLI',
    title: 'SLI',
    desc: `Share of good events per ${series.step} over the last ${series.window}: ` +
      `lowest ${pct(Math.min(...vals), digits)}, latest ${pct(vals[vals.length - 1], digits)}.`,
  });
}

// ---------- list page ----------

// ---------- cluster ----------

// A banner when a cluster member's answer lacks part of the whole (`partial`), naming what
// is missing; nothing for a single instance (no `partial` field).
function partialBanner(report) {
  if (report.partial !== true) return '';
  const m = report.missing || {};
  const parts = [];
  if (m.log) parts.push('this member has not applied the cluster log up to its end');
  if ((m.partitions || []).length) parts.push('partitions without a live owner: ' + m.partitions.map(esc).join(', '));
  if ((m.members || []).length) parts.push('members gone: ' + m.members.map(esc).join(', '));
  if ((m.slos || []).length) parts.push('SLOs a member counts with another definition: ' + m.slos.map(esc).join(', '));
  return `<p class="banner banner-warn" role="alert" data-testid="partial">Partial answer: the counts below are not the whole topic's. ${parts.join('; ')}.</p>`;
}

// The members of the cluster, their partitions, lag and state age (`GET /v1/cluster`).
function clusterCard(c) {
  if (!c) return '';
  const rows = c.members.map((m) => {
    const lag = Object.values(m.lag || {}).reduce((a, b) => a + b, 0);
    return `<tr data-testid="cluster-member">
      <th scope="row"><a href="${esc(m.url)}">${esc(m.id)}</a>${m.id === c.member ? ' <span class="kind">this member</span>' : ''}${m.id === c.pusher ? ' <span class="kind">pushes alerts</span>' : ''}</th>
      <td>${m.live ? 'live' : '<span class="warn">gone</span>'}</td>
      <td>${m.partitions.length ? m.partitions.map(esc).join(', ') : '<span class="muted">none</span>'}</td>
      <td class="num">${count(lag)}</td>
      <td class="num">${count(m.behind)} records</td>
      <td class="num">${seconds(m.heartbeat_age_seconds)}</td>
      <td>${m.config_matches ? 'same' : '<span class="warn">differs</span>'}</td>
    </tr>`;
  }).join('');
  return `<section class="card table-card cluster" aria-labelledby="cluster-h">
    <h2 id="cluster-h">Cluster ${esc(c.name)}</h2>
    <table>
      <caption class="sr-only">Members of the cluster as this member's log shows them</caption>
      <thead><tr><th scope="col">Member</th><th scope="col">State</th><th scope="col">Partitions</th>
        <th scope="col" class="num">Consumer lag</th><th scope="col" class="num">State age</th>
        <th scope="col" class="num">Last heartbeat</th><th scope="col">Configuration</th></tr></thead>
      <tbody>${rows}</tbody>
    </table></section>`;
}

// ---------- service catalog ----------

// A link, or a muted dash when the URL is not set.
function link(url, text) {
  return url ? `<a href="${esc(url)}" rel="noopener">${esc(text)}</a>` : '<span class="muted">—</span>';
}

// Owner and tier beside a service's name.
function catalogTag(c) {
  if (!c) return '';
  const parts = [];
  if (c.tier) parts.push(`tier ${c.tier}`);
  if (c.owner) parts.push(esc(c.owner));
  return parts.length ? ` <span class="kind" data-testid="catalog-tag">${parts.join(' · ')}</span>` : '';
}

// The catalog under an SLO's title: owner, tier, on-call, runbook and dashboard.
function catalogLine(c) {
  if (!c) return '';
  const parts = [];
  if (c.owner) parts.push('owner ' + esc(c.owner));
  if (c.tier) parts.push('tier ' + c.tier);
  if (c.oncall) parts.push('on-call ' + esc(c.oncall));
  if (c.runbook_url) parts.push(link(c.runbook_url, 'runbook'));
  if (c.dashboard_url) parts.push(link(c.dashboard_url, 'dashboard'));
  for (const [k, v] of Object.entries(c.labels || {})) parts.push(esc(k) + '=' + esc(v));
  return parts.length ? `<p class="sub" data-testid="slo-catalog">${parts.join(' · ')}</p>` : '';
}

// Every service with its owner, tier, on-call and links (`GET /v1/catalog`).
function catalogCard(catalog) {
  if (!catalog || !catalog.services.length) return '';
  const rows = catalog.services.map((e) => `<tr data-testid="catalog-row">
      <th scope="row">${esc(e.service)}</th>
      <td>${e.owner ? esc(e.owner) : '<span class="muted">—</span>'}</td>
      <td>${e.tier ? `${e.tier} <span class="muted">(≥ ${target(e.tier_target)})</span>` : '<span class="muted">—</span>'}</td>
      <td>${e.oncall ? esc(e.oncall) : '<span class="muted">—</span>'}</td>
      <td>${link(e.runbook_url, 'runbook')}</td>
      <td>${link(e.dashboard_url, 'dashboard')}</td>
      <td class="num">${e.slos.length}</td>
    </tr>`).join('');
  return `<section class="card table-card catalog" aria-labelledby="catalog-h">
    <h2 id="catalog-h">Service catalog</h2>
    <table>
      <caption class="sr-only">Every service with its owner, tier, on-call rotation and links</caption>
      <thead><tr><th scope="col">Service</th><th scope="col">Owner</th><th scope="col">Tier</th>
        <th scope="col">On-call</th><th scope="col">Runbook</th><th scope="col">Dashboard</th>
        <th scope="col" class="num">SLOs</th></tr></thead>
      <tbody>${rows}</tbody>
    </table></section>`;
}

// ---------- capacity ----------

// A rate in requests per second.
function rate(x) {
  if (!num(x)) return '—';
  return (x < 10 ? x.toFixed(2) : x < 1000 ? x.toFixed(1) : Math.round(x).toLocaleString('en-US')) + '/s';
}

// Each service's load now and at its peaks, latency, concurrency and sizing (`GET /v1/capacity`).
function capacityCard(capacity) {
  if (!capacity || !capacity.services.length) return '';
  const inFlight = (l) => (l && num(l.concurrency) ? l.concurrency.toFixed(1) : '—');
  const rows = capacity.services.map((c) => {
    const h = c.capacity;
    const growth = c.week_over_week.growth;
    return `<tr data-testid="capacity-row">
      <th scope="row">${esc(c.service)}</th>
      <td class="num">${rate(c.now.rate_per_second)}</td>
      <td class="num" title="${c.peak_1d ? esc(c.peak_1d.start) : ''}">${c.peak_1d ? rate(c.peak_1d.rate_per_second) : '—'}</td>
      <td class="num" title="${c.peak_7d ? esc(c.peak_7d.start) : ''}">${c.peak_7d ? rate(c.peak_7d.rate_per_second) : '—'}</td>
      <td class="num">${ms(c.now.mean_latency_ms)} / ${ms(c.latency_ms.p95)}</td>
      <td class="num">${inFlight(c.now)}</td>
      <td class="num">${num(growth) ? (growth >= 0 ? '+' : '−') + Math.abs(growth * 100).toFixed(1) + '\u202f%' : '<span class="muted">—</span>'}</td>
      <td data-testid="capacity-sizing">${h ? esc(h.summary) : '<span class="muted">no capacity set</span>'}</td>
      <td class="num">${h && num(h.utilization_peak_7d) ? pct(h.utilization_peak_7d, 0) : '—'}</td>
      <td class="num">${h && num(h.days_to_limit) ? h.days_to_limit.toFixed(1) + ' d' : '—'}</td>
    </tr>`;
  }).join('');
  return `<section class="card table-card catalog" aria-labelledby="capacity-h">
    <h2 id="capacity-h">Capacity</h2>
    <table>
      <caption class="sr-only">Request rate now and at the busiest minute of the last day and week, latency, requests in flight (Little's law) and sizing against the configured capacity</caption>
      <thead><tr><th scope="col">Service</th><th scope="col" class="num">Now</th><th scope="col" class="num">Peak 1 d</th>
        <th scope="col" class="num">Peak 7 d</th><th scope="col" class="num">Mean / p95</th><th scope="col" class="num">In flight</th>
        <th scope="col" class="num">Week over week</th><th scope="col">Sizing at the 7 d peak</th>
        <th scope="col" class="num">Used at peak</th><th scope="col" class="num">Days to 70 %</th></tr></thead>
      <tbody>${rows}</tbody>
    </table></section>`;
}

// ---------- canary ----------

// Each canary against its baseline over the same minutes, and the verdict (`GET /v1/canary`).
function canaryCard(canaries) {
  if (!canaries || !canaries.canaries.length) return '';
  const verdicts = { healthy: 'Healthy', roll_back: 'Roll back', not_enough_data: 'Not enough data' };
  const cls = { healthy: 'tier-normal', roll_back: 'tier-exhausted', not_enough_data: 'tier-caution' };
  const rate = (r) => (num(r) ? (r * 100).toFixed(3) + '\u202f%' : '—');
  const sections = canaries.canaries.map((c) => {
    const row = (name, v) => `<tr data-testid="canary-row">
      <th scope="row">${name}</th>
      <td class="num">${v.requests.toLocaleString('en-US')}</td>
      <td class="num">${v.errors.toLocaleString('en-US')}</td>
      <td class="num">${rate(v.error_rate)}</td>
      <td class="num">${ms(v.latency.p50_ms)}</td>
      <td class="num">${ms(v.latency.p95_ms)}</td>
      <td class="num">${ms(v.latency.p99_ms)}</td>
    </tr>`;
    return `<div class="canary" data-testid="canary-${esc(c.service)}">
      <h3>${esc(c.service)} <span class="badge ${cls[c.verdict] || ''}" data-testid="canary-verdict">${esc(verdicts[c.verdict] || c.verdict)}</span>
        <span class="muted">last ${esc(c.window)}</span></h3>
      <p class="canary-reason" data-testid="canary-reason">${esc(c.reason)}</p>
      <table>
        <caption class="sr-only">The canary and its baseline over the same minutes</caption>
        <thead><tr><th scope="col">Variant</th><th scope="col" class="num">Requests</th><th scope="col" class="num">5xx</th>
          <th scope="col" class="num">Error rate</th><th scope="col" class="num">p50</th><th scope="col" class="num">p95</th>
          <th scope="col" class="num">p99</th></tr></thead>
        <tbody>${row('canary', c.canary)}${row('baseline', c.baseline)}</tbody>
      </table></div>`;
  }).join('');
  return `<section class="card table-card catalog" aria-labelledby="canary-h">
    <h2 id="canary-h">Canary vs baseline</h2>
    ${sections}</section>`;
}

function renderList(report, cluster, catalog, capacity, canaries) {
  document.title = 'SLOs · slipstream';
  document.getElementById('crumbs').innerHTML = '';
  const slos = report.slos;
  const firing = slos.flatMap((s) => s.alerts.filter((a) => a.firing).map((a) => ({ s, a })));
  const pending = slos.reduce((n, s) => n + s.alerts.filter((a) => a.state === 'pending').length, 0);
  const worst = slos.filter((s) => s.policy.tier && s.policy.tier !== 'normal').length;
  const rows = slos.map((s) => {
    const b = s.budget;
    const alerts = s.alerts.filter((a) => a.firing);
    const shown = alerts.slice(0, 3).map((a) => `<span class="badge sev-${esc(a.severity)}" title="${esc(a.kind)}">${esc(a.name)}</span>`);
    if (alerts.length > 3) shown.push(`<span class="more">+${alerts.length - 3} more</span>`);
    const alertCell = alerts.length ? shown.join(' ') : '<span class="muted">none</span>';
    const sli = s.no_data ? '<span class="muted">no data yet</span>' : pct(s.sli, sliDigits(s.objective));
    return `<tr data-testid="slo-row">
      <td>${esc(s.service)}${catalogTag(s.catalog)}</td>
      <th scope="row"><a href="${sloPath(s)}">${esc(sloName(s))}</a>${s.kind !== s.slo ? `<span class="kind">${esc(s.kind)}</span>` : ''}</th>
      <td class="num">${s.objective == null ? (s.throughput ? '≥ ' + s.throughput.minimum_per_second + '/s' : '—') : target(s.objective)}</td>
      <td class="num">${esc(s.period)}</td>
      <td class="num">${sli}</td>
      <td class="budget-cell">${b ? budgetBar(b.remaining_ratio, s.policy.tier) : (s.throughput ? (s.throughput.met ? 'minimum met' : '<span class="warn">below minimum</span>') : '—')}</td>
      <td>${tierBadge(s.policy.tier)}</td>
      <td>${alertCell}</td>
    </tr>`;
  }).join('');
  const main = document.getElementById('main');
  main.innerHTML = `
    ${partialBanner(report)}
    <div class="page-head">
      <h1>Service level objectives</h1>
      <ul class="summary">
        <li><strong>${slos.length}</strong> SLOs</li>
        <li class="${firing.length ? 'summary-alert' : ''}"><strong>${firing.length}</strong> alert${firing.length === 1 ? '' : 's'} firing</li>
        ${pending ? `<li data-testid="pending-count"><strong>${pending}</strong> pending</li>` : ''}
        <li class="${worst ? 'summary-warn' : ''}"><strong>${worst}</strong> outside normal policy</li>
      </ul>
    </div>
    ${slos.length === 0 ? '<p class="empty">No SLOs configured.</p>' : `
    <div class="card table-card">
    <table class="slos">
      <caption class="sr-only">Every SLO with its SLI and error budget over its period</caption>
      <thead><tr>
        <th scope="col">Service</th><th scope="col">SLO</th><th scope="col" class="num">Objective</th>
        <th scope="col" class="num">Period</th><th scope="col" class="num">SLI</th>
        <th scope="col">Error budget left</th><th scope="col">Policy</th><th scope="col">Firing alerts</th>
      </tr></thead>
      <tbody>${rows}</tbody>
    </table></div>`}
    ${canaryCard(canaries)}
    ${capacityCard(capacity)}
    ${catalogCard(catalog)}
    ${clusterCard(cluster)}`;
}

// ---------- SLO page ----------

function detailSkeleton(service, slo) {
  const main = document.getElementById('main');
  main.innerHTML = `
    <div class="page-head" id="slo-head"><h1>${esc(service)} / ${esc(slo)}</h1></div>
    <section class="stats" id="slo-stats" aria-label="Summary"></section>
    <section class="card" aria-labelledby="h-budget">
      <div class="card-head"><h2 id="h-budget">Error budget burn-down</h2><p class="hint" id="budget-hint"></p></div>
      <div class="chart-box" id="budget-chart"></div>
    </section>
    <section class="card" aria-labelledby="h-burn">
      <div class="card-head"><h2 id="h-burn">Burn rate and SLI</h2>
        <div class="range" role="group" aria-label="Time range">
          ${RANGES.map((r) => `<button type="button" data-range="${r}" aria-pressed="${r === state.range}">${r}</button>`).join('')}
        </div>
      </div>
      <h3 class="chart-title">Burn rate</h3>
      <div class="chart-box" id="burn-chart"></div>
      <h3 class="chart-title">SLI</h3>
      <div class="chart-box" id="sli-chart"></div>
    </section>
    <div class="two">
      <section class="card" aria-labelledby="h-windows"><h2 id="h-windows">Windows</h2><div id="windows"></div></section>
      <section class="card" aria-labelledby="h-alerts"><h2 id="h-alerts">Alerts</h2><div id="alerts"></div></section>
    </div>
    <section class="card" aria-labelledby="h-contributors" id="contributors-card" hidden>
      <div class="card-head"><h2 id="h-contributors">Top contributors</h2><p class="hint" id="contributors-hint"></p></div>
      <div id="contributors"></div>
    </section>
    <section class="card" aria-labelledby="h-incidents">
      <div class="card-head"><h2 id="h-incidents">Incidents</h2><p class="hint">annotated incidents and what they cost this SLO</p></div>
      <div id="incidents"></div>
    </section>
    <section class="card" aria-labelledby="h-periods">
      <div class="card-head"><h2 id="h-periods">Monthly report</h2><p class="hint" id="periods-hint"></p></div>
      <div id="periods"></div>
    </section>
    <section class="card" aria-labelledby="h-adjustments">
      <div class="card-head"><h2 id="h-adjustments">Maintenance windows</h2><p class="hint">events inside are counted apart, not in the SLI or the budget</p></div>
      <div id="adjustments"></div>
    </section>`;
  main.querySelector('.range').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-range]');
    if (!b) return;
    state.range = b.dataset.range;
    for (const x of main.querySelectorAll('.range button')) x.setAttribute('aria-pressed', String(x === b));
    refresh();
  });
}

function stat(label, value, extra) {
  return `<div class="stat"><div class="stat-label">${label}</div><div class="stat-value">${value}</div>${extra ? `<div class="stat-extra">${extra}</div>` : ''}</div>`;
}

// The minutes a period's maintenance windows left out, per window.
function adjustedMinutes(list) {
  if (!list || !list.length) return '<span class="muted">—</span>';
  return list.map((a) => {
    const ms = a.ranges.reduce((t, r) => t + (Date.parse(r.end) - Date.parse(r.start)), 0);
    return esc(a.name) + ' · ' + Math.round(ms / 60000) + ' min';
  }).join(', ');
}

// How often and how long the SLO's alerts fired in a period.
function firedSummary(list) {
  const fired = (list || []).filter((a) => a.firing_count > 0);
  if (!fired.length) return '<span class="muted">none</span>';
  return fired.map((a) => esc(a.name) + ' ×' + a.firing_count + ' · ' + Math.round(a.firing_minutes) + ' min').join(', ');
}

// The last months from the daily history (GET /v1/reports), whole days only.
function renderPeriods(report, digits) {
  const el = document.getElementById('periods');
  const hint = document.getElementById('periods-hint');
  const entry = report && report.slos[0];
  if (!entry || entry.periods.length === 0) {
    hint.textContent = '';
    el.innerHTML = `<p class="empty">${report && report.history_days === 0 ? 'No history kept (spec.window.history: 0d).' : 'No whole period in the history yet.'}</p>`;
    return;
  }
  hint.textContent = `months in ${entry.time_zone}, whole days through the last one ended`;
  el.innerHTML = `<table class="data">
    <caption class="sr-only">Good and bad events per calendar month, exact from the daily history</caption>
    <thead><tr><th scope="col">Month</th><th scope="col" class="num">Good</th><th scope="col" class="num">Bad</th>
      <th scope="col" class="num">SLI</th><th scope="col">Met</th><th scope="col" class="num">Budget used</th><th scope="col">Worst day</th><th scope="col">Maintenance</th><th scope="col">Alerts fired</th></tr></thead>
    <tbody>${entry.periods.map((p) => `<tr data-testid="period-row">
      <th scope="row" title="${esc(p.start)} – ${esc(p.end)}">${esc(p.first_day.slice(0, 7))}${p.complete ? '' : ' <span class="muted">(to ' + esc(p.last_day.slice(5)) + ')</span>'}</th>
      <td class="num">${count(p.good)}</td><td class="num">${count(p.bad)}</td>
      <td class="num">${p.total ? pct(p.sli, digits) : '<span class="muted">no data</span>'}</td>
      <td>${p.met == null ? '<span class="muted">—</span>' : p.met ? '<span class="badge state-ok">met</span>' : '<span class="badge state-firing">missed</span>'}</td>
      <td class="num ${num(p.budget_consumed_ratio) && p.budget_consumed_ratio > 1 ? 'warn' : ''}">${num(p.budget_consumed_ratio) ? pct(p.budget_consumed_ratio, 1) : '—'}</td>
      <td>${p.worst_day ? esc(p.worst_day.date) + ' · ' + (p.worst_day.sli == null ? '—' : pct(p.worst_day.sli, digits)) : '—'}</td>
      <td data-testid="period-adjusted">${adjustedMinutes(p.adjustments)}</td>
      <td data-testid="period-alerts">${firedSummary(p.alerts)}</td></tr>`).join('')}</tbody>
  </table>`;
}

// The budget adjustments of this SLO (GET /v1/adjustments).
function renderAdjustments(answer) {
  const el = document.getElementById('adjustments');
  const list = answer ? answer.adjustments : [];
  if (!list.length) {
    el.innerHTML = '<p class="empty">No maintenance window (BudgetAdjustment) names this SLO.</p>';
    return;
  }
  const when = (a) => a.current_or_next == null ? '<span class="muted">none left</span>'
    : (a.in_force ? '<span class="badge sev-ticket">in force</span> until ' + esc(clock(a.current_or_next.end))
      : 'next ' + esc(clock(a.current_or_next.start)));
  el.innerHTML = `<table class="data">
    <caption class="sr-only">Each maintenance window: its schedule, when it is next in force, and the events it counted apart</caption>
    <thead><tr><th scope="col">Window</th><th scope="col">Mode</th><th scope="col">Schedule</th><th scope="col">When</th>
      <th scope="col" class="num">Counted apart</th><th scope="col" class="num">Bad among them</th><th scope="col">Applied to counted events</th></tr></thead>
    <tbody>${list.map((a) => {
      const s = a.slos[0] || { total: 0, bad: 0, applied_to_counted: [] };
      const applied = s.applied_to_counted.map((r) => esc(clock(r.start)) + ' – ' + esc(clock(r.end))).join(', ');
      return `<tr data-testid="adjustment-row">
      <th scope="row" title="${esc(a.description)}">${esc(a.name)}${a.source === 'api' ? ' <span class="muted">(API)</span>' : ''}</th>
      <td>${esc(a.mode.replace(/_/g, ' '))}</td>
      <td>${esc(a.duration)} from ${esc(clock(a.first_event_start))}${a.every_days ? ', every ' + a.every_days + ' d (' + esc(a.time_zone) + ')' : ''}</td>
      <td>${when(a)}</td>
      <td class="num">${count(s.total)}</td><td class="num">${count(s.bad)}</td>
      <td>${applied || '<span class="muted">exact (declared ahead)</span>'}</td></tr>`;
    }).join('')}</tbody>
  </table>`;
}

// The deploy gate's answer for the SLO's service (GET /v1/gate).
function gateStat(gate) {
  if (!gate) return '';
  const cls = { ship: 'state-ok', needs_approval: 'sev-ticket', blocked: 'state-firing' }[gate.decision] || '';
  const label = gate.decision.replace('_', ' ');
  return `<div class="stat" data-testid="gate"><div class="stat-label">Deploy gate</div>
    <div class="stat-value"><span class="badge ${cls}">${esc(label)}</span></div>
    <div class="stat-extra">${esc(gate.reason)}</div></div>`;
}

// When the budget runs out at the last hour's, 6 hours' and day's rates.
function exhaustionStat(b) {
  if (!b || !b.exhaustion || b.exhaustion.length === 0) return '';
  const when = (f) => f.hours_left == null ? 'not this period'
    : f.hours_left === 0 ? 'spent' : f.hours_left < 48 ? f.hours_left.toFixed(1) + ' h' : (f.hours_left / 24).toFixed(1) + ' d';
  const first = b.exhaustion[0];
  return `<div class="stat" data-testid="exhaustion"><div class="stat-label">Budget runs out at ${esc(first.window)} rate</div>
    <div class="stat-value">${esc(when(first))}</div>
    <div class="stat-extra">${b.exhaustion.slice(1).map((f) => esc(f.window) + ' rate: ' + esc(when(f))).join(' · ')}</div></div>`;
}

// The first alert that fired in an incident and how long after its start.
function detected(alerts) {
  if (!alerts || !alerts.length) return '<span class="muted">no alert</span>';
  const a = alerts[0];
  const min = a.detection_delay_seconds / 60;
  return esc(a.name) + ' · ' + (min >= 0 ? '+' + min.toFixed(0) + ' min' : 'already firing');
}

// The impact of each annotated incident (GET …/impact), newest first.
function renderIncidents(impacts, digits) {
  const el = document.getElementById('incidents');
  if (!impacts.length) {
    el.innerHTML = '<p class="empty">No annotated incident with an end in the range this SLO still counts.</p>';
    return;
  }
  el.innerHTML = `<table class="data">
    <caption class="sr-only">Each annotated incident: its events, bad events, error ratio, budget consumed and equivalent downtime</caption>
    <thead><tr><th scope="col">Incident</th><th scope="col">Range</th><th scope="col" class="num">Events</th><th scope="col" class="num">Bad</th>
      <th scope="col" class="num">Error ratio</th><th scope="col" class="num">Budget used</th><th scope="col" class="num">Downtime</th><th scope="col" class="num">Peak burn</th><th scope="col">Detected</th></tr></thead>
    <tbody>${impacts.map(({ a, r }) => `<tr data-testid="incident-row">
      <th scope="row">${esc(a.text)}</th>
      <td title="${esc(r.start)} – ${esc(r.end)} (${esc(r.bucket)} buckets)">${esc(clock(r.start))} – ${esc(clock(r.end))}</td>
      <td class="num">${count(r.events)}</td><td class="num">${count(r.bad)}</td>
      <td class="num">${num(r.error_ratio) ? pct(r.error_ratio, 2) : '—'}</td>
      <td class="num">${num(r.budget_consumed_ratio) ? pct(r.budget_consumed_ratio, 1) : '—'}</td>
      <td class="num">${num(r.downtime_equivalent_minutes) ? r.downtime_equivalent_minutes.toFixed(1) + ' min' : '—'}</td>
      <td class="num">${burn(r.peak_burn_rate)}</td>
      <td data-testid="incident-detected">${detected(r.alerts)}</td></tr>`).join('')}</tbody>
  </table>`;
}

function renderDetail(slo, budgetSeries, rangeSeries, periods, gate) {
  document.title = `${slo.service}/${slo.slo} · slipstream`;
  document.getElementById('crumbs').innerHTML =
    `<a href="/">SLOs</a> <span aria-hidden="true">›</span> <span aria-current="page">${esc(slo.service)} / ${esc(sloName(slo))}</span>`;
  const b = slo.budget;
  const digits = sliDigits(slo.objective);
  document.getElementById('slo-head').innerHTML = `${partialBanner(slo)}
    <h1>${esc(slo.service)} <span class="slash">/</span> ${esc(sloName(slo))} ${tierBadge(slo.policy.tier)}</h1>
    <p class="sub">${esc(slo.kind)} · objective ${slo.objective == null ? '—' : target(slo.objective)}
      · period ${esc(slo.period)}${b && b.calendar ? ' (' + esc(b.calendar) + ')' : ''}${b ? ' · budgeting by ' + esc(b.method.replace('_', ' ')) : ''}
      ${slo.valid_since ? ' · <span class="warn">counting since ' + esc(clock(slo.valid_since)) + '</span>' : ''}</p>
    ${catalogLine(slo.catalog)}`;
  const w1h = slo.windows.find((w) => w.window === '1h');
  const firing = slo.alerts.filter((a) => a.firing);
  document.getElementById('slo-stats').innerHTML = [
    stat('SLI over the period', slo.no_data ? '<span class="muted">no data yet</span>' : pct(slo.sli, digits),
      b ? count(b.good) + ' good of ' + count(b.total) : ''),
    b ? stat('Error budget left', budgetBar(b.remaining_ratio, slo.policy.tier),
      count(b.bad) + ' bad · ' + (num(b.allowed_bad) ? Math.floor(b.allowed_bad).toLocaleString('en-US') : '—') + ' allowed') : '',
    stat('Burn rate, last hour', w1h ? burn(w1h.burn_rate) : '—', w1h ? count(w1h.total) + ' events' : ''),
    stat('Alerts firing', firing.length ? `<span class="warn">${firing.length}</span>` : '0',
      firing.map((a) => esc(a.name)).join(', ') || 'all quiet'),
    stat('Latency p99', ms(slo.latency_ms.p99), 'p50 ' + ms(slo.latency_ms.p50) + ' · over ' + esc(slo.latency_ms.window)),
    gateStat(gate),
    exhaustionStat(b),
    slo.sla ? `<div class="stat" data-testid="sla"><div class="stat-label">SLA ${target(slo.sla.objective)} over the ${esc(slo.sla.period)}</div>
      <div class="stat-value">${slo.sla.met ? '<span class="badge state-ok">holds</span>' : '<span class="badge state-firing">breached</span>'}</div>
      <div class="stat-extra">SLI ${slo.sla.total ? pct(slo.sla.sli, digits) : '—'} · ${pct(slo.sla.remaining_ratio, 1)} of its budget left · margin ${pct(slo.sla.margin, 2)}</div></div>` : '',
  ].join('');

  const hint = document.getElementById('budget-hint');
  if (budgetSeries) {
    hint.textContent = `since ${clock(budgetSeries.budget_start || budgetSeries.start)}, per ${budgetSeries.step}`;
    budgetChart(document.getElementById('budget-chart'), budgetSeries, b);
  } else {
    hint.textContent = '';
    document.getElementById('budget-chart').innerHTML = '<p class="chart-empty">This SLO has no error budget (throughput minimum).</p>';
  }
  if (rangeSeries.error) {
    const msg = `<p class="chart-empty">${esc(rangeSeries.error)}</p>`;
    document.getElementById('burn-chart').innerHTML = msg;
    document.getElementById('sli-chart').innerHTML = msg;
  } else {
    burnChart(document.getElementById('burn-chart'), rangeSeries, slo);
    sliChart(document.getElementById('sli-chart'), rangeSeries, slo);
  }

  document.getElementById('windows').innerHTML = `<table class="data">
    <caption class="sr-only">Counts of each window, all ending at the evaluation time</caption>
    <thead><tr><th scope="col">Window</th><th scope="col" class="num">Good</th><th scope="col" class="num">Total</th>
      <th scope="col" class="num">SLI</th><th scope="col" class="num">Burn rate</th></tr></thead>
    <tbody>${slo.windows.map((w) => `<tr data-testid="window-row">
      <th scope="row" title="${esc(w.start)} – ${esc(w.end)}">${esc(w.window)}</th>
      <td class="num">${count(w.good)}</td><td class="num">${count(w.total)}</td>
      <td class="num">${w.total ? pct(w.sli, digits) : '<span class="muted">no data</span>'}</td>
      <td class="num ${num(w.burn_rate) && w.burn_rate > 1 ? 'warn' : ''}">${burn(w.burn_rate)}</td></tr>`).join('')}</tbody>
  </table>`;

  document.getElementById('alerts').innerHTML = slo.alerts.length === 0 ? '<p class="empty">No alerts configured.</p>' : `<table class="data">
    <caption class="sr-only">Alerts of this SLO and whether they fire now</caption>
    <thead><tr><th scope="col">Alert</th><th scope="col">Severity</th><th scope="col">Condition</th><th scope="col">State</th></tr></thead>
    <tbody>${slo.alerts.map((a) => `<tr data-testid="alert-row">
      <th scope="row">${esc(a.name)}${a.action ? `<span class="kind">${esc(a.action)}</span>` : ''}</th>
      <td><span class="badge sev-${esc(a.severity)}">${esc(a.severity)}</span></td>
      <td>${condition(a)}${a.top_contributor ? `<div class="hint" data-testid="alert-contributor">${esc(a.top_contributor)}</div>` : ''}</td>
      <td>${alertState(a)}</td></tr>`).join('')}</tbody>
  </table>`;
  renderPeriods(periods, digits);
}

// While an SLO's alerts fire (and attribution is on): its top contributors of bad events
// by each dimension kept, over the attribution's whole retention.
function renderContributors(answers) {
  const card = document.getElementById('contributors-card');
  const shown = (answers || []).filter((r) => r && r.bad > 0);
  card.hidden = shown.length === 0;
  if (!shown.length) return;
  document.getElementById('contributors-hint').textContent =
    `bad events of the last ${shown[0].window} (to ${clock(shown[0].end)}), by where they came from`;
  const share = (c) => c.exact ? pct(c.share, 1) : `${pct(c.share_min, 1)}–${pct(c.share, 1)}`;
  const ratio = (c) => c.exact ? pct(c.error_ratio, 2) : `${pct(c.error_ratio_min, 2)}–${pct(c.error_ratio, 2)}`;
  document.getElementById('contributors').innerHTML = shown.map((r) => `<table class="data" data-testid="contributors-${esc(r.by)}">
    <caption>By ${esc(r.by)} · ${count(r.bad)} bad of ${count(r.total)}</caption>
    <thead><tr><th scope="col">${esc(r.by)}</th><th scope="col" class="num">Bad</th><th scope="col" class="num">Share of bad</th>
      <th scope="col" class="num">Requests</th><th scope="col" class="num">Its error ratio</th></tr></thead>
    <tbody>${r.contributors.slice(0, 5).map((c) => `<tr data-testid="contributor-row">
      <th scope="row"><code>${esc(c.key)}</code>${c.exact ? '' : ' <span class="kind" title="more keys than a table tracks: bounds">≈</span>'}</th>
      <td class="num">${c.exact ? count(c.bad) : count(c.bad_min) + '–' + count(c.bad)}</td>
      <td class="num">${share(c)}</td>
      <td class="num">${c.exact ? count(c.total) : count(c.total) + '–' + count(c.total_max)}</td>
      <td class="num">${ratio(c)}</td></tr>`).join('')}</tbody>
  </table>`).join('');
}

// Firing, pending (a held alert whose condition holds, since when and until when) or ok.
function alertState(a) {
  if (a.state === 'firing') return '<span class="badge state-firing" data-testid="alert-state">firing</span>';
  if (a.state !== 'pending') return '<span class="badge state-ok" data-testid="alert-state">ok</span>';
  const since = a.condition_since ? ` since ${esc(a.condition_since.slice(11, 16))} UTC` : '';
  return `<span class="badge sev-ticket" data-testid="alert-state">pending</span><div class="hint">condition holds${since}; fires after ${esc(a.hold)}</div>`;
}

function condition(a) {
  if (a.kind === 'burn_rate') {
    const windows = a.short_window === a.long_window ? esc(a.long_window) : `${esc(a.long_window)} and ${esc(a.short_window)}`;
    return `burn &gt; ${factor(a.factor)} over ${windows}` + (a.hold ? `, held ${esc(a.hold)}` : '');
  }
  if (a.kind === 'budget') return `budget left &lt; ${pct(a.factor, 0)}`;
  if (a.kind === 'throughput') return `good rate below minimum over ${esc(a.long_window)}`;
  if (a.kind === 'exhaustion') return `budget runs out within ${esc(a.within)} at the last ${esc(a.long_window)}'s rates` +
    (a.runs_out_in_hours == null ? '' : ` (in ${a.runs_out_in_hours.toFixed(1)} h)`);
  if (a.kind === 'sla_buffer') return `SLO budget spent while the ${esc(a.long_window)} SLA of ${pct(a.factor, 2)} holds`;
  return esc(a.kind);
}

// The longest window an SLO reports is its period (or a calendar unit's nominal length).
function periodWindow(slo) {
  return slo.windows.length ? slo.windows[slo.windows.length - 1].window : slo.period;
}

// A range no longer than the period.
function rangeFor(slo) {
  const secs = (w) => {
    const m = /^(\d+)([smhd])$/.exec(w);
    return m ? +m[1] * { s: 1, m: 60, h: 3600, d: 86400 }[m[2]] : Infinity;
  };
  const max = secs(periodWindow(slo));
  for (const b of document.querySelectorAll('.range button')) b.disabled = secs(b.dataset.range) > max;
  return secs(state.range) > max ? periodWindow(slo) : state.range;
}

// ---------- routing and polling ----------

function route() {
  const m = /^\/slo\/([^/]+)\/([^/]+)\/?$/.exec(location.pathname);
  if (m) return { service: decodeURIComponent(m[1]), slo: decodeURIComponent(m[2]) };
  return null;
}

async function refresh() {
  clearTimeout(state.timer);
  try {
    const r = state.route;
    if (!r) {
      const report = await getJson('/v1/slos');
      // Only a cluster member's answers carry `partial`; its page lists the members too.
      const cluster = report.partial === undefined ? null : await getJson('/v1/cluster').catch(() => null);
      const [catalog, capacity, canaries] = await Promise.all([
        getJson('/v1/catalog').catch(() => null),
        getJson('/v1/capacity').catch(() => null),
        getJson('/v1/canary').catch(() => null),
      ]);
      renderList(report, cluster, catalog, capacity, canaries);
      setStatus(report);
    } else {
      const base = '/v1/slos/' + encodeURIComponent(r.service) + '/' + encodeURIComponent(r.slo);
      const slo = await getJson(base);
      const reportUrl = '/v1/reports?period=month&count=3&service=' + encodeURIComponent(r.service) + '&slo=' + encodeURIComponent(r.slo);
      const gateUrl = '/v1/gate?service=' + encodeURIComponent(r.service);
      const marks = await getJson('/v1/annotations?service=' + encodeURIComponent(r.service)).catch(() => null);
      state.marks = marks ? marks.annotations : [];
      const adjustmentsUrl = '/v1/adjustments?service=' + encodeURIComponent(r.service) + '&slo=' + encodeURIComponent(r.slo);
      const [budget, range, periods, gate, adjustments] = await Promise.all([
        slo.budget ? getJson(base + '/series?window=' + periodWindow(slo)).catch(() => null) : null,
        getJson(base + '/series?window=' + rangeFor(slo)).catch((e) => ({ error: e.message })),
        getJson(reportUrl).catch(() => null),
        getJson(gateUrl).catch(() => null),
        getJson(adjustmentsUrl).catch(() => null),
      ]);
      renderDetail(slo, budget, range, periods, gate);
      renderAdjustments(adjustments);
      // Contributors while an alert fires: by path, status and backend (those kept).
      const contributors = slo.alerts.some((a) => a.firing)
        ? await Promise.all(['path', 'status', 'backend'].map((by) =>
          getJson(base + '/contributors?by=' + by).catch(() => null)))
        : [];
      renderContributors(contributors);
      // What the last five annotated incidents cost this SLO (those it still counts).
      const incidents = state.marks.filter((a) => a.kind === 'incident' && a.end).slice(-5).reverse();
      const impacts = (await Promise.all(incidents.map((a) =>
        getJson(base + '/impact?start=' + encodeURIComponent(a.time) + '&end=' + encodeURIComponent(a.end))
          .then((r) => ({ a, r })).catch(() => null)))).filter((x) => x);
      renderIncidents(impacts, sliDigits(slo.objective));
      setStatus(range.error ? { evaluated_at: new Date().toISOString(), data_lag_seconds: NaN } : range);
    }
  } catch (e) {
    setStatus(null, e);
    if (!state.lastOk) {
      document.getElementById('main').innerHTML = `<p class="empty">${esc(e.message)}</p>`;
    }
  }
  state.timer = setTimeout(refresh, POLL_MS);
}

function start() {
  state.route = route();
  if (state.route) detailSkeleton(state.route.service, state.route.slo);
  refresh();
  let resize = null;
  window.addEventListener('resize', () => {
    clearTimeout(resize);
    resize = setTimeout(refresh, 250);
  });
}

start();
