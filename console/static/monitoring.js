// Alerts and incidents: the list with each open incident's notifyBy countdown (24 h from
// detection), an incident's page with its triage (admins), and developer staff's own incidents
// with the notification form.
import { useState } from 'preact/hooks';
import { currentSession } from './api.js';
import { html, Badge, Time, Errors, Loading, ActionForm, Countdown, useOperation, toInstant, toLocalInput } from './ui.js';

const NEXT = { OPEN: ['TRIAGED', 'OPEN'], TRIAGED: ['CONTAINED', 'RESOLVED', 'TRIAGED'], CONTAINED: ['RESOLVED', 'CONTAINED'], RESOLVED: [] };
const Deadline = ({ incident: i }) => (i.status === 'RESOLVED' ? html`<span class="muted">resolved</span>` : html`<${Time} iso=${i.notifyBy} /> (<${Countdown} iso=${i.notifyBy} />)`);

export function IncidentsPage() {
  const [status, setStatus] = useState('');
  const vars = status ? { status } : {};
  const incidents = useOperation('monitoring/Incidents', vars, [status]);
  const alerts = useOperation('monitoring/Alerts', { status: 'OPEN' });
  return html`<section class="card" aria-labelledby="inc-title">
    <h2 id="inc-title">Incidents <small class="muted">to be notified within 24 hours of detection</small></h2>
    <label class="inline">Status <select value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>${['', 'OPEN', 'TRIAGED', 'CONTAINED', 'RESOLVED'].map((s) => html`<option value=${s}>${s || '(any)'}</option>`)}</select></label>
    <${Errors} errors=${incidents.errors} />
    ${incidents.loading && !incidents.data ? html`<${Loading} />` : html`<div class="table-wrap"><table id="incidents"><thead><tr><th>Incident</th><th>Risk</th><th>Status</th><th>Source</th><th>Products</th><th>Detected</th><th>Notify by</th></tr></thead>
    <tbody>${(incidents.data?.incidents ?? []).map((i) => html`<tr data-incident=${i.id}>
      <td><a href=${`#/incident/${i.id}`}>${i.title}</a> <span class="mono muted">${i.id}</span></td><td><${Badge} value=${i.risk} /></td><td><${Badge} value=${i.status} /></td>
      <td>${i.source}</td><td class="mono">${i.productIds.join(', ')}</td><td><${Time} iso=${i.detectedAt} /></td><td><${Deadline} incident=${i} /></td></tr>`)}</tbody></table></div>`}
    ${incidents.data?.incidents?.length === 0 ? html`<p class="muted">No incidents.</p>` : null}
  </section>
  <section class="card" aria-labelledby="alerts-title">
    <h2 id="alerts-title">Open alerts</h2>
    <${Errors} errors=${alerts.errors} />
    <div class="table-wrap"><table id="alerts"><thead><tr><th>Risk</th><th>Detector</th><th>Key</th><th>What was seen</th><th class="num">Observed</th><th>Raised</th><th>Last seen</th><th>Incident</th></tr></thead>
    <tbody>${(alerts.data?.alerts ?? []).map((a) => html`<tr data-alert=${a.id}><td><${Badge} value=${a.risk} /></td><td>${a.detector}</td><td class="mono">${a.key}</td><td>${a.message}</td>
      <td class="num">${a.observed}</td><td><${Time} iso=${a.raisedAt} /></td><td><${Time} iso=${a.lastSeenAt} /></td><td>${a.incidentId ? html`<a href=${`#/incident/${a.incidentId}`}>${a.incidentId}</a>` : '–'}</td></tr>`)}</tbody></table></div>
    ${alerts.data?.alerts?.length === 0 ? html`<p class="muted">No open alerts.</p>` : null}
  </section>`;
}

export function IncidentPage({ id }) {
  const q = useOperation('monitoring/Incident', { id }, [id]);
  const [notice, setNotice] = useState(null);
  if (q.loading && !q.data) return html`<${Loading} />`;
  const i = q.data?.incident;
  if (!i) return html`<section class="card"><h2>Incident ${id}</h2><${Errors} errors=${q.errors} /></section>`;
  const next = NEXT[i.status] ?? [];
  return html`<section class="card" aria-labelledby="incident-title" data-incident=${i.id} data-status=${i.status}>
    <h2 id="incident-title">${i.title} <span class="mono muted">${i.id}</span></h2>
    <p><${Badge} value=${i.risk} /> <${Badge} value=${i.status} /> · notify by <${Deadline} incident=${i} /></p>
    ${notice ? html`<p class="notice success" role="status">${notice}</p>` : null}
    <dl class="facts">
      <dt>Source</dt><dd>${i.source}</dd><dt>Detected</dt><dd><${Time} iso=${i.detectedAt} /></dd>
      <dt>Products</dt><dd>${i.productIds.map((p) => html`<a href=${`#/product/${p}`} class="mono">${p}</a> `)}</dd>
      <dt>Developer</dt><dd>${i.developerId ? html`<a href=${`#/developer/${i.developerId}`}>${i.developerId}</a>` : '–'}</dd>
      ${i.report ? html`<dt>What happened</dt><dd>${i.report.whatHappened}</dd><dt>Occurred</dt><dd><${Time} iso=${i.report.occurredAt} /></dd>
        <dt>Records affected</dt><dd>${i.report.affectedRecords ?? 'unknown'}</dd><dt>Contact</dt><dd>${i.report.contact}</dd>` : null}
    </dl>
    ${i.alerts?.length ? html`<h3>Alerts</h3><ul>${i.alerts.map((a) => html`<li><${Badge} value=${a.risk} /> ${a.detector} <span class="mono">${a.key}</span>: ${a.message}</li>`)}</ul>` : null}
    <h3>Triage notes</h3>
    ${i.notes.length ? html`<ol class="timeline">${i.notes.map((n) => html`<li><div class="when"><${Time} iso=${n.at} /> · ${n.actor}</div><div class="what">${n.status}</div><div>${n.note}</div></li>`)}</ol>` : html`<p class="muted">None yet.</p>`}
  </section>
  ${currentSession().role === 'admin' && next.length ? html`<${ActionForm} title="Triage" submitLabel="Record triage" operationId="admin/TriageIncident" withReason=${false}
    fields=${[
      { name: 'status', label: 'Move to', type: 'select', options: next.map((s) => ({ value: s, label: s === i.status ? `${s} (add a note)` : s === 'TRIAGED' ? 'TRIAGED (acknowledge)' : s })), default: next[0] },
      { name: 'risk', label: 'Risk', type: 'select', options: ['LOW', 'MEDIUM', 'HIGH'], default: i.risk },
      { name: 'note', label: 'Note', type: 'textarea', required: true },
    ]}
    variables=${(v) => ({ id: i.id, expectedRevision: i.revision, status: v.status, note: v.note, ...(v.risk !== i.risk ? { risk: v.risk } : {}) })}
    onReload=${q.reload} onDone=${(d) => { setNotice(`Incident now ${d.triageIncident.status}.`); q.reload(); }} />` : null}`;
}

export function MyIncidentsPage() {
  const q = useOperation('developer/MyIncidents', {});
  const products = useOperation('register/Products', {});
  const [notice, setNotice] = useState(null);
  const own = products.data?.products ?? [];
  return html`<section class="card" aria-labelledby="my-inc-title">
    <h2 id="my-inc-title">Our incidents <small class="muted">notify the ATO within 24 hours</small></h2>
    <${Errors} errors=${q.errors} />
    ${notice ? html`<p class="notice success" role="status">${notice}</p>` : null}
    <table id="incidents"><thead><tr><th>Incident</th><th>Risk</th><th>Status</th><th>Products</th><th>Detected</th><th>Notify by</th><th>Notes</th></tr></thead>
    <tbody>${(q.data?.incidents ?? []).map((i) => html`<tr data-incident=${i.id}><td>${i.title} <span class="mono muted">${i.id}</span></td><td><${Badge} value=${i.risk} /></td><td><${Badge} value=${i.status} /></td>
      <td class="mono">${i.productIds.join(', ')}</td><td><${Time} iso=${i.detectedAt} /></td><td><${Deadline} incident=${i} /></td><td>${i.notes.map((n) => html`<div>${n.status}: ${n.note}</div>`)}</td></tr>`)}</tbody></table>
  </section>
  <${ActionForm} title="Notify an incident" submitLabel="Notify the ATO" operationId="developer/NotifyIncident" withReason=${false}
    fields=${[
      { name: 'whatHappened', label: 'What happened', type: 'textarea', required: true },
      { name: 'occurredAt', label: 'When it happened', type: 'datetime-local', required: true, default: toLocalInput(Date.now() - 3_600_000) },
      { name: 'productIds', label: 'Products concerned', type: 'checkboxes', options: own.map((p) => p.id) },
      { name: 'affectedRecords', label: 'Taxpayer records affected (if known)', type: 'number' },
      { name: 'contact', label: 'Who the ATO should contact', required: true },
    ]}
    variables=${(v) => ({ input: { whatHappened: v.whatHappened, occurredAt: toInstant(v.occurredAt), productIds: v.productIds, contact: v.contact, ...(v.affectedRecords !== '' ? { affectedRecords: Number(v.affectedRecords) } : {}) } })}
    onDone=${(d) => { setNotice(`Notified: ${d.notifyIncident.id}, notify by ${d.notifyIncident.notifyBy}.`); q.reload(); }} />`;
}
