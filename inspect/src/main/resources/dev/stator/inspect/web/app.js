// Stator inspector page: plain JavaScript, no framework. Reads the JSON API, draws the schema as
// SVG from the server's layout, and follows the event stream (/api/events).
'use strict';

const params = new URLSearchParams(location.search);
const token = params.get('token');
const imported = params.get('source'); // the name of an imported recording, or null: live
const SVG = 'http://www.w3.org/2000/svg';

const state = {
  machines: new Map(),   // id -> summary from /api/machines, kept up to date by records
  selected: null,        // id of the machine shown
  detail: null,          // /api/machines/{id} of the selected machine
  records: new Map(),    // seq -> record of the selected machine
  moment: null,          // null: live; else the transition id shown
  loadToken: 0,          // drops answers of superseded loads
  recent: [],            // the latest records from the event stream, merged into every load
  sampled: 0,            // records the event stream left out since the last load
};
const RECENT_MAX = 2000;  // records of the event stream kept to merge into a load
const RECORDS_MAX = 5000; // records of the selected machine kept (the oldest are dropped)
const ROWS_MAX = 1000;    // timeline rows (or log lines) shown: the newest that match

function url(path, params) {
  const u = new URL(path, location.href);
  for (const [k, v] of Object.entries(params || {})) u.searchParams.set(k, v);
  if (token) u.searchParams.set('token', token);
  if (imported) u.searchParams.set('source', imported);
  return u;
}

// The page itself, showing the live machines (source null) or an imported recording.
function pageUrl(source) {
  const u = new URL(location.pathname, location.href);
  if (token) u.searchParams.set('token', token);
  if (source) u.searchParams.set('source', source);
  return u;
}

// Posts a recording file's JSON lines; the inspector keeps it and the page opens it.
async function importFile(file) {
  const res = await fetch(url('api/recordings', {}), {method: 'POST', body: await file.text(),
      headers: {'Content-Type': 'application/x-ndjson', 'X-Stator-Import': '1'}});
  const body = await res.json();
  if (!res.ok) throw new Error(file.name + ': ' + (body.error || res.statusText));
  location.href = pageUrl(body.source).href;
}

async function api(path, params) {
  const res = await fetch(url(path, params));
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function svg(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

function showError(err) {
  const p = document.getElementById('error');
  p.textContent = err ? String(err.message || err) : '';
  p.hidden = !err;
}

// ------------------------------------------------------------------ machines

async function loadMachines() {
  const body = await api('api/machines');
  document.getElementById('source').textContent = body.live ? 'live' :
      imported ? 'recording ' + imported + ' (imported)' : 'recording';
  state.machines = new Map(body.machines.map(m => [m.id, m]));
  renderMachines();
  if (state.selected === null && body.machines.length > 0) {
    await select(body.machines[0].id);
  } else if (state.selected !== null && !state.machines.has(state.selected)) {
    state.selected = null;
    document.getElementById('detail').hidden = true;
  }
}

function renderMachines() {
  const ul = document.getElementById('machines');
  ul.replaceChildren();
  for (const m of state.machines.values()) {
    const li = el('li', {class: 'machine' + (m.id === state.selected ? ' selected' : ''),
        'data-id': m.id},
      el('div', {class: 'id'}, m.id),
      el('div', {class: 'meta'}, m.schema + (m.live ? '' : ' (recorded)') +
          (m.queue ? ' \u00b7 queue ' + m.queue : '')),
      el('div', {class: 'meta active-states'}, m.active.length ? m.active.join(', ') : '(none active)'));
    if (m.lastError) li.append(el('div', {class: 'err'}, m.lastError));
    li.addEventListener('click', () => select(m.id).catch(showError));
    ul.append(li);
  }
  document.getElementById('no-machines').hidden = state.machines.size > 0;
}

async function select(id) {
  const load = ++state.loadToken;
  const detail = await api('api/machines/' + encodeURIComponent(id));
  const recs = await api('api/machines/' + encodeURIComponent(id) + '/records', {since: 0});
  if (load !== state.loadToken) return;
  state.selected = id;
  state.detail = detail;
  state.records = new Map(recs.records.map(r => [r.seq, r]));
  // a record that arrived while this load was on its way may be missing from its answer
  for (const r of state.recent) if (r.machine === id) state.records.set(r.seq, r);
  trimRecords();
  state.moment = null;
  document.getElementById('detail').hidden = false;
  document.getElementById('machine-id').textContent = detail.id;
  document.getElementById('machine-schema').textContent = detail.schema + (detail.live ? '' : ' (recorded)');
  drawDiagram(detail);
  fillStateFilter(detail.names);
  renderTimeline();
  showLive();
  renderMachines();
}

// ------------------------------------------------------------------ diagram

function drawDiagram(d) {
  const s = document.getElementById('diagram');
  s.replaceChildren();
  s.setAttribute('width', Math.ceil(d.layout.width));
  s.setAttribute('height', Math.ceil(d.layout.height));
  s.setAttribute('viewBox', `0 0 ${Math.ceil(d.layout.width)} ${Math.ceil(d.layout.height)}`);
  const defs = svg('defs');
  const marker = (id, path, color, refX) => {
    const m = svg('marker', {id, viewBox: '0 0 10 10', refX: refX, refY: 5, markerWidth: 8,
      markerHeight: 8, orient: 'auto-start-reverse'});
    m.append(svg('path', {d: path, fill: color, stroke: color}));
    defs.append(m);
  };
  marker('m-arrow', 'M0,0 L10,5 L0,10 z', '#5b6475', 10);
  marker('m-bold', 'M0,0 L10,5 L0,10 z', '#37474f', 8);
  marker('m-tee', 'M8,0 L8,10 L10,10 L10,0 z', '#b71c1c', 10);
  marker('m-after', 'M0,0 L10,5 L0,10', '#7a7f8c', 10);
  s.append(defs);
  for (const e of d.edges) {
    const pts = e.points.map(p => p.join(',')).join(' ');
    const end = {require: 'm-arrow', add: 'm-bold', remove: 'm-tee', after: 'm-after'}[e.kind];
    const line = svg('polyline', {points: pts, class: 'edge ' + e.kind, 'marker-end': `url(#${end})`,
      'data-from': e.from, 'data-to': e.to});
    if (e.mutual) line.setAttribute('marker-start', 'url(#m-tee)');
    const title = svg('title');
    title.textContent = e.from + ' ' + (e.kind === 'remove' && e.mutual ? 'and ' + e.to +
        ' remove each other' : {require: 'requires', add: 'adds', remove: 'removes',
        after: 'runs after'}[e.kind] + ' ' + e.to);
    line.append(title);
    s.append(line);
  }
  for (const n of d.nodes) {
    const g = svg('g', {class: 'node' + (n.auto ? ' auto' : '') + (n.multi ? ' multi' : ''),
      'data-state': n.name, transform: `translate(${n.x},${n.y})`});
    if (n.multi) g.append(svg('rect', {x: 3, y: 3, width: n.width, height: n.height, rx: 6}));
    g.append(svg('rect', {class: 'box', width: n.width, height: n.height, rx: 6}));
    const label = svg('text', {x: n.width / 2, y: n.height / 2 + (n.auto || n.multi ? 0 : 4),
      'text-anchor': 'middle'});
    label.textContent = n.name;
    g.append(label);
    const flags = [n.auto ? 'auto' : '', n.multi ? 'multi' : ''].filter(Boolean).join(', ');
    if (flags) {
      const f = svg('text', {class: 'flag', x: n.width / 2, y: n.height - 5, 'text-anchor': 'middle'});
      f.textContent = flags;
      g.append(f);
    }
    const title = svg('title');
    title.textContent = n.name + (n.tags.length ? ' [' + n.tags.join(', ') + ']' : '');
    g.append(title);
    s.append(g);
  }
}

function highlight(active, added, removed, names, ticks) {
  const on = new Set(active);
  for (const g of document.querySelectorAll('#diagram .node')) {
    const name = g.getAttribute('data-state');
    g.classList.toggle('active', on.has(name));
    g.classList.toggle('added', (added || []).includes(name));
    g.classList.toggle('removed', (removed || []).includes(name));
  }
  if (names && ticks) {
    document.getElementById('clocks').textContent = 'clocks: ' +
        names.map((n, i) => n + ' ' + ticks[i]).join(' \u00b7 ');
  }
}

function latestRecord() {
  let last = null;
  for (const r of state.records.values()) if (last === null || r.seq > last.seq) last = r;
  return last;
}

function showLive() {
  state.moment = null;
  const m = document.getElementById('moment');
  m.textContent = 'live';
  m.classList.remove('past');
  document.getElementById('live').hidden = true;
  for (const tr of document.querySelectorAll('#timeline tr.selected')) tr.classList.remove('selected');
  document.getElementById('transition').hidden = true;
  const last = latestRecord();
  const d = state.detail;
  if (last === null) {
    highlight(d.active, [], [], d.names, d.ticks);
  } else {
    highlight(last.after, last.added, last.removed, d.names, last.ticks);
  }
}

async function showMoment(record) {
  const load = ++state.loadToken;
  const at = await api('api/machines/' + encodeURIComponent(state.selected) + '/at/' + record.id);
  if (load !== state.loadToken) return;
  state.moment = record.id;
  const m = document.getElementById('moment');
  m.textContent = 'after transition #' + record.id + ' (' + record.kind + ' ' +
      record.called.join(', ') + ', ' + record.status + ')';
  m.classList.add('past');
  document.getElementById('live').hidden = false;
  for (const tr of document.querySelectorAll('#timeline tbody tr')) {
    tr.classList.toggle('selected', tr.getAttribute('data-transition') === String(record.id));
  }
  highlight(at.active, record.added, record.removed, at.names, at.ticks);
  await showTransition(record, load);
}

// The selected transition: why it ran or was refused, step by step, and its handler calls.
async function showTransition(record, load) {
  const x = await api('api/machines/' + encodeURIComponent(state.selected) + '/explain/' + record.id);
  if (load !== state.loadToken) return;
  document.getElementById('transition').hidden = false;
  document.getElementById('transition-title').textContent = '#' + record.id + ' ' + record.kind +
      ' ' + record.called.join(', ') + ': ' + record.status;
  const reason = document.getElementById('transition-reason');
  reason.textContent = record.status === 'CANCELED' ? 'refused: ' + (record.reason || '') :
      (record.error ? 'error: ' + record.error : 'executed');
  reason.className = record.status === 'CANCELED' ? 'refused' : '';
  document.getElementById('steps').replaceChildren(...x.steps.map(st =>
      el('li', {class: 'step ' + st.change, 'data-state': st.state}, st.text)));
  const calls = record.handlers.length ? record.handlers : null;
  document.getElementById('handlers').replaceChildren(...(calls === null
      ? [el('li', {class: 'hint'}, 'none ran')] : calls.map(h =>
      el('li', {class: 'handler' + (h.accepted ? '' : ' refused')}, h.name + ' \u00b7 ' +
          (h.nanos / 1000).toFixed(1) + ' \u00b5s' + (h.accepted ? '' : ' \u00b7 refused') +
          (h.failure ? ' \u00b7 ' + h.failure : '')))));
  const args = Object.entries(record.args || {});
  document.getElementById('args').replaceChildren(...(args.length === 0
      ? [el('li', {class: 'hint'}, 'none')] : args.map(([k, v]) => el('li', {class: 'arg'}, k + ' = ' + v))));
  const trace = document.getElementById('trace');
  trace.textContent = record.trace || '';
  trace.hidden = !record.trace;
  // The scopes of the states active after this transition: events whose activation is the
  // state's clock then (odd while active).
  const sc = await api('api/machines/' + encodeURIComponent(state.selected) + '/scopes');
  if (load !== state.loadToken) return;
  const names = state.detail.names;
  const clock = new Map(names.map((n, i) => [n, record.ticks[i]]));
  const mine = sc.events.filter(e => clock.get(e.state) === e.activation);
  document.getElementById('scopes').replaceChildren(...(mine.length === 0
      ? [el('li', {class: 'hint'}, 'none')] : mine.map(e => el('li', {class: 'scope-event ' + e.kind},
        e.state + ' \u00b7 ' + e.kind.replace('_', ' ') + ' ' + e.name + ' \u00b7 ' +
        e.wall.replace('T', ' ').replace('Z', '') + (e.failure ? ' \u00b7 ' + e.failure : '')))));
}

// ------------------------------------------------------------------ timeline

function row(r) {
  const changes = el('td', {class: 'changes'});
  for (const s of r.added) changes.append(el('span', {class: 'plus'}, '+' + s + ' '));
  for (const s of r.removed) changes.append(el('span', {class: 'minus'}, '\u2212' + s + ' '));
  const why = r.reason || r.error || '';
  const tr = el('tr', {class: 'transition ' + r.status.toLowerCase(), 'data-transition': r.id,
      'data-seq': r.seq},
    el('td', {}, String(r.id)), el('td', {class: 'kind'}, r.kind),
    el('td', {class: 'called'}, r.called.join(', ')), changes,
    el('td', {class: 'result'}, r.status), el('td', {class: 'reason'}, why),
    el('td', {class: 'time'}, r.wall.replace('T', ' ').replace('Z', '')));
  tr.addEventListener('click', () => showMoment(r).catch(showError));
  return tr;
}

// Filters: a record is shown when it touches the chosen state (called, added or removed), is
// of the chosen kind, and (if asked) was refused or carried an error.
function matches(r) {
  const st = document.getElementById('f-state').value;
  const kind = document.getElementById('f-kind').value;
  const errors = document.getElementById('f-errors').checked;
  if (st && !r.called.includes(st) && !r.added.includes(st) && !r.removed.includes(st)) return false;
  if (kind && r.kind !== kind) return false;
  if (errors && r.status !== 'CANCELED' && !r.error) return false;
  return true;
}

// One line per transition, as the machine's log tracer writes it.
function logLine(r) {
  return '[' + r.machine + '] #' + r.id + ' ' + r.kind + '[' + r.called.join(', ') + '] ' +
      r.status + (r.reason ? ': ' + r.reason : '') + (r.error ? ' error: ' + r.error : '') +
      (r.added.length ? ' +' + r.added.join(' +') : '') +
      (r.removed.length ? ' -' + r.removed.join(' -') : '');
}

function renderTimeline() {
  const body = document.querySelector('#timeline tbody');
  const all = [...state.records.values()].sort((a, b) => b.seq - a.seq).filter(matches);
  const recs = all.slice(0, ROWS_MAX);
  const asLog = document.getElementById('f-log').checked;
  body.replaceChildren(...(asLog ? [] : recs.map(row)));
  const log = document.getElementById('log');
  log.hidden = !asLog;
  document.getElementById('timeline').hidden = asLog;
  log.textContent = asLog ? recs.slice().reverse().map(logLine).join('\n') : '';
  showShown(all.length);
}

// How many of the matching records the timeline shows, and whether the stream sampled.
function showShown(matching) {
  const shown = Math.min(matching, ROWS_MAX);
  document.getElementById('shown').textContent = (shown < matching
      ? 'the newest ' + shown + ' of ' + matching + ' kept transitions' : '') +
      (state.sampled > 0 ? (shown < matching ? '; ' : '') + 'sampled: ' + state.sampled +
          ' transitions were not sent live (reload to read them)' : '');
}

// Drops the oldest records of the selected machine beyond RECORDS_MAX (a Map keeps insertion
// order, and records are inserted oldest first: a load's answer, then the stream's batches).
function trimRecords() {
  if (state.records.size <= RECORDS_MAX) return;
  const oldest = [...state.records.keys()].sort((a, b) => a - b)
      .slice(0, state.records.size - RECORDS_MAX);
  for (const seq of oldest) state.records.delete(seq);
}

function fillStateFilter(names) {
  const sel = document.getElementById('f-state');
  const chosen = sel.value;
  sel.replaceChildren(el('option', {value: ''}, 'any'), ...names.map(n => el('option', {value: n}, n)));
  sel.value = names.includes(chosen) ? chosen : '';
}

// One event's records (oldest first): the machine list, the selected machine's records and the
// timeline are updated once for the whole batch.
function addRecords(rs, sampled) {
  let unknown = false;
  let touched = false;
  const mine = [];
  for (const r of rs) {
    state.recent.push(r);
    const m = state.machines.get(r.machine);
    if (m === undefined) { unknown = true; continue; }
    if (m.live) { m.active = r.after; touched = true; }
    if (r.machine === state.selected && !state.records.has(r.seq)) {
      state.records.set(r.seq, r);
      mine.push(r);
    }
  }
  if (state.recent.length > RECENT_MAX) state.recent.splice(0, state.recent.length - RECENT_MAX);
  state.sampled += sampled;
  if (unknown) loadMachines().catch(showError);
  if (touched) renderMachines();
  if (mine.length === 0 && sampled === 0) return;
  trimRecords();
  const body = document.querySelector('#timeline tbody');
  const top = body.firstElementChild;
  const topSeq = top === null ? -1 : Number(top.getAttribute('data-seq'));
  if (document.getElementById('f-log').checked || mine.some(r => r.seq < topSeq) ||
      body.children.length === 0) {
    renderTimeline();
  } else {
    // the usual case: every new record is newer than the shown ones; put them on top
    const rows = mine.filter(matches).reverse().map(row);
    body.prepend(...rows);
    while (body.children.length > ROWS_MAX) body.lastElementChild.remove();
    showShown([...state.records.values()].filter(matches).length);
  }
  if (state.moment === null) showLive();
}

// ------------------------------------------------------------------ events

async function reloadAll() {
  state.sampled = 0;
  await loadMachines();
  if (state.selected !== null) {
    const moment = state.moment;
    await select(state.selected);
    if (moment !== null) {
      const r = [...state.records.values()].find(x => x.id === moment);
      if (r) await showMoment(r);
    }
  }
}

function connect() {
  const conn = document.getElementById('conn');
  const events = new EventSource(url('api/events'));
  events.addEventListener('hello', () => {
    conn.textContent = 'connected';
    conn.classList.add('open');
    reloadAll().catch(showError);
  });
  events.addEventListener('resync', () => {
    conn.textContent = 'resynchronised';
    state.recent = [];
    reloadAll().catch(showError);
  });
  events.addEventListener('records', e => {
    const batch = JSON.parse(e.data);
    addRecords(batch.records, batch.sampled);
  });
  events.addEventListener('machines', () => loadMachines().catch(showError));
  events.onerror = () => {
    conn.textContent = 'reconnecting';
    conn.classList.remove('open');
  };
}

document.getElementById('live').addEventListener('click', () => showLive());
for (const id of ['f-state', 'f-kind', 'f-errors', 'f-log']) {
  document.getElementById(id).addEventListener('change', () => renderTimeline());
}
document.getElementById('export').href = url('api/export');
document.getElementById('import').addEventListener('change', e => {
  const file = e.target.files[0];
  if (file) importFile(file).catch(showError);
});
if (imported) {
  // a recording does not change: load it once, and offer the way back to the live machines
  const conn = document.getElementById('conn');
  conn.textContent = 'fixed';
  const back = document.getElementById('to-live');
  back.href = pageUrl(null).href;
  back.hidden = false;
  reloadAll().catch(showError);
} else {
  connect(); // its first event, hello, loads everything
}
