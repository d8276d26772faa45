// DSP Gateway operations dashboard. No framework, no external resources: it asks for a staff
// token, keeps it in this script's memory only (never sessionStorage, localStorage or a cookie,
// as the console on the same origin: a reload or a closed tab ends the session), and polls
// /dashboard/data every 2 s. Every value from the
// server is written with textContent or SVG attributes, never parsed as HTML.
'use strict';

(() => {
  /** The signed-in staff token, in memory only. */
  const session = { token: null };
  const POLL_MS = 2000;
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const PALETTE = ['#1d4f91', '#c2410c', '#0f766e', '#7c3aed', '#b45309', '#be185d', '#15803d', '#0369a1', '#6b7280'];
  const TOTAL_COLOUR = '#52606d';

  let timer = null;
  let polls = 0;
  const $ = (selector) => document.querySelector(selector);

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'className') node.className = v;
      else if (k === 'text') node.textContent = String(v);
      // CSSOM, not a style attribute: the page's CSP allows no inline styles.
      else if (k === 'style') node.style.cssText = v;
      else if (k.startsWith('data-') || k === 'title') node.setAttribute(k, String(v));
      else node[k] = v;
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  const clock = (iso) => (iso ? new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }) : '–');
  const dateTime = (iso) => (iso ? new Date(iso).toLocaleString([], { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }) : '–');
  // Certifications run for a year or more: their end date needs the year, not the hour.
  const date = (iso) => (iso ? new Date(iso).toLocaleDateString([], { day: 'numeric', month: 'short', year: 'numeric' }) : '–');
  const timeCell = (iso, format) => el('td', {}, el('time', { dateTime: iso || '', title: iso || '', text: format(iso) }));

  function timeLeft(iso) {
    const ms = Date.parse(iso) - Date.now();
    const abs = Math.abs(ms);
    const h = Math.floor(abs / 3_600_000);
    const m = Math.floor((abs % 3_600_000) / 60_000);
    const text = h > 0 ? `${h} h ${m} min` : `${m} min`;
    return ms < 0 ? `${text} ago` : `in ${text}`;
  }

  function riskBadge(risk) {
    return el('span', { className: `risk ${risk}`, text: risk });
  }

  function setConnection(kind, text) {
    const pill = $('#connection');
    pill.className = `pill ${kind}`;
    pill.textContent = text;
  }

  function showAuth(message) {
    $('#dashboard').hidden = true;
    $('#auth').hidden = false;
    $('#sign-out').hidden = true;
    const error = $('#auth-error');
    error.hidden = !message;
    error.textContent = message || '';
    setConnection('idle', 'Signed out');
  }

  function stop() {
    if (timer) clearTimeout(timer);
    timer = null;
  }

  /** Nothing of an ended session stays in the page, hidden or not: its tables, chart, tiles and last update. */
  function clearData() {
    for (const node of document.querySelectorAll('#dashboard tbody, #rate-chart, #rate-legend')) node.replaceChildren();
    for (const id of ['#tile-requests', '#tile-alerts', '#tile-incidents', '#tile-blocked']) $(id).textContent = '–';
    for (const id of ['#tile-alerts-high', '#tile-incidents-due', '#tile-products']) $(id).textContent = '';
    for (const node of document.querySelectorAll('#dashboard .alarm')) node.classList.remove('alarm');
    const updated = $('#last-updated');
    updated.removeAttribute('datetime');
    updated.textContent = 'never';
    polls = 0;
  }

  function schedule() {
    stop();
    timer = setTimeout(poll, POLL_MS);
  }

  async function poll() {
    const token = session.token;
    if (!token) return showAuth();
    let response;
    try {
      response = await fetch('/dashboard/data', { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
    } catch {
      setConnection('error', 'Gateway unreachable');
      return schedule();
    }
    // Signed out (or signed in again) while this poll was in flight: its answer is not shown.
    if (session.token !== token) return;
    if (response.status === 401 || response.status === 403) {
      session.token = null;
      stop();
      clearData();
      return showAuth('The gateway refused this token. It must be a current staff token with ato:admin or ato:auditor and MFA.');
    }
    if (!response.ok) {
      setConnection('error', `Error ${response.status}`);
      return schedule();
    }
    try {
      const data = await response.json();
      if (session.token !== token) return;
      $('#auth').hidden = true;
      $('#dashboard').hidden = false;
      $('#sign-out').hidden = false;
      render(data);
      polls += 1;
      setConnection('live', 'Live');
      const updated = $('#last-updated');
      updated.dateTime = data.generatedAt;
      updated.textContent = `${clock(data.generatedAt)} (update ${polls})`;
    } catch (err) {
      setConnection('error', 'Bad data');
      console.error(err);
    }
    schedule();
  }

  function render(data) {
    renderTiles(data.summary);
    renderChart(data.rates);
    renderDenials(data.denialsByCode);
    renderIncidents(data.incidents);
    renderAlerts(data.alerts);
    renderProducts(data.products);
  }

  function renderTiles(s) {
    $('#tile-requests').textContent = s.requestsLastHour.toLocaleString();
    $('#tile-alerts').textContent = String(s.alertsOpen);
    $('#tile-alerts-high').textContent = s.alertsHigh ? `${s.alertsHigh} HIGH` : '';
    $('#tile-alerts').parentElement.classList.toggle('alarm', s.alertsHigh > 0);
    $('#tile-incidents').textContent = String(s.incidentsOpen);
    $('#tile-incidents-due').textContent = s.incidentsDueSoon ? `${s.incidentsDueSoon} due soon or overdue` : '';
    $('#tile-incidents').parentElement.classList.toggle('alarm', s.incidentsDueSoon > 0);
    $('#tile-blocked').textContent = String(s.productsBlocked);
    $('#tile-products').textContent = `of ${s.products} on the register`;
  }

  function niceMax(value) {
    if (value <= 5) return 5;
    const magnitude = 10 ** Math.floor(Math.log10(value));
    for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
    return 10 * magnitude;
  }

  function renderChart(rates) {
    const chart = $('#rate-chart');
    const W = 960;
    const H = 300;
    const left = 52;
    const right = 12;
    const top = 12;
    const bottom = 30;
    const n = rates.bucketStarts.length;
    const series = [{ name: 'All requests', counts: rates.totals, total: rates.totals.reduce((a, b) => a + b, 0), colour: TOTAL_COLOUR, total_: true }].concat(
      rates.series.map((s, i) => ({ name: s.productId, counts: s.counts, total: s.total, colour: PALETTE[i % PALETTE.length] })),
    );
    const max = niceMax(Math.max(1, ...rates.totals));
    const x = (i) => left + (n <= 1 ? 0 : (i * (W - left - right)) / (n - 1));
    const y = (v) => top + (H - top - bottom) * (1 - v / max);

    const nodes = [];
    const grid = svg('g', { class: 'grid' });
    const axis = svg('g', { class: 'axis' });
    for (let k = 0; k <= 4; k++) {
      const v = (max * k) / 4;
      grid.append(svg('line', { x1: left, x2: W - right, y1: y(v), y2: y(v) }));
      axis.append(svg('text', { x: left - 8, y: y(v) + 4, 'text-anchor': 'end' }, Number.isInteger(v) ? v : v.toFixed(1)));
    }
    for (let i = 0; i < n; i += 10) {
      grid.append(svg('line', { x1: x(i), x2: x(i), y1: top, y2: H - bottom }));
      axis.append(svg('text', { x: x(i), y: H - 10, 'text-anchor': 'middle' }, clock(rates.bucketStarts[i]).slice(0, 5)));
    }
    axis.append(svg('text', { x: x(n - 1), y: H - 10, 'text-anchor': 'end' }, 'now'));
    nodes.push(grid, axis);
    for (const s of series) {
      const d = s.counts.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      const path = svg('path', { class: s.total_ ? 'series total' : 'series', d, stroke: s.colour, 'data-series': s.name });
      path.append(svg('title', {}, `${s.name}: ${s.total} requests in the last hour`));
      nodes.push(path);
    }
    chart.replaceChildren(...nodes);

    const legend = $('#rate-legend');
    legend.replaceChildren(
      ...series.map((s) =>
        el('li', {}, el('span', { className: s.total_ ? 'swatch total' : 'swatch', style: s.total_ ? '' : `background:${s.colour}` }), el('span', { text: `${s.name} (${s.total.toLocaleString()})` })),
      ),
    );
  }

  function renderDenials(rows) {
    const body = $('#denials tbody');
    const max = Math.max(1, ...rows.map((r) => r.count));
    body.replaceChildren(
      ...rows.map((r) =>
        el('tr', { 'data-code': r.code }, el('td', { className: 'mono', text: r.code }), el('td', { className: 'num', text: r.count.toLocaleString() }), el('td', {}, el('div', { className: 'bar', style: `width:${(100 * r.count) / max}%` }))),
      ),
    );
    $('#denials-empty').hidden = rows.length > 0;
  }

  function renderIncidents(rows) {
    const body = $('#incidents tbody');
    body.replaceChildren(
      ...rows.map((i) => {
        const deadline = el('td', {}, el('time', { dateTime: i.notifyBy, title: i.notifyBy, text: dateTime(i.notifyBy) }), el('br'), el('small', { text: timeLeft(i.notifyBy) }));
        if (i.overdue) deadline.append(' ', el('span', { className: 'badge overdue', text: 'OVERDUE' }));
        else if (i.dueSoon) deadline.append(' ', el('span', { className: 'badge due', text: 'DUE SOON' }));
        return el(
          'tr',
          { 'data-incident-id': i.id },
          el('td', {}, riskBadge(i.risk)),
          el('td', { text: i.status }),
          el('td', {}, el('strong', { className: 'mono', text: i.id }), el('br'), el('span', { text: `${i.source === 'DSP' ? 'DSP report' : 'Detector'}: ${i.title}` })),
          el('td', { className: 'mono', text: i.productIds.join(', ') || '–' }),
          timeCell(i.detectedAt, dateTime),
          deadline,
        );
      }),
    );
    $('#incidents-empty').hidden = rows.length > 0;
  }

  function renderAlerts(rows) {
    const body = $('#alerts tbody');
    body.replaceChildren(
      ...rows.map((a) =>
        el(
          'tr',
          { 'data-alert-id': a.id, 'data-risk': a.risk },
          el('td', {}, riskBadge(a.risk)),
          el('td', { text: a.detector }),
          el('td', { className: 'mono', text: a.key }),
          el('td', { className: 'num', text: a.observed }),
          el('td', { className: 'num', text: a.baseline === null ? '–' : a.baseline }),
          timeCell(a.raisedAt, clock),
          timeCell(a.lastSeenAt, clock),
          el('td', { className: 'mono', text: a.incidentId || '–' }),
          el('td', { className: 'message', text: `${a.message} (${a.evidenceCount} records as evidence)` }),
        ),
      ),
    );
    $('#alerts-empty').hidden = rows.length > 0;
  }

  function renderProducts(rows) {
    const body = $('#products tbody');
    body.replaceChildren(
      ...rows.map((p) =>
        el(
          'tr',
          { 'data-product-id': p.id },
          el('td', { className: 'mono', text: p.id }),
          el('td', { text: p.name }),
          el('td', { text: `${p.developerId}${p.developerStatus && p.developerStatus !== 'ACTIVE' ? ` (${p.developerStatus})` : ''}` }),
          el('td', { text: p.effectiveStatus === p.status ? p.status : `${p.effectiveStatus} (stored ${p.status})` }),
          el('td', {}, p.served ? el('span', { className: 'check ok', text: 'Served' }) : el('span', { className: 'check refused', text: p.blockedBy })),
          el('td', { text: p.certificationTier ? `${p.certificationTier} until ${date(p.certificationValidUntil)}` : '–' }),
        ),
      ),
    );
  }

  function start() {
    $('#token-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const input = $('#token');
      // A JWT holds no white space: a wrapped token pasted into the textarea is joined again.
      const token = input.value.trim().replace(/^Bearer\s+/i, '').replace(/\s+/g, '');
      if (!token) return;
      session.token = token;
      input.value = '';
      $('#auth-error').hidden = true;
      setConnection('idle', 'Connecting…');
      stop();
      poll();
    });
    // Enter signs in, as it would in a one-line field (the token is in a textarea, which no browser offers to save: see app.css).
    $('#token').addEventListener('keydown', (event) => {
      if (event.key !== 'Enter' || event.shiftKey) return;
      event.preventDefault();
      $('#token-form').requestSubmit();
    });
    $('#sign-out').addEventListener('click', () => {
      session.token = null;
      stop();
      // Nothing of the session stays in the page, hidden or not.
      clearData();
      showAuth();
    });
    if (session.token) poll();
    else showAuth();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
