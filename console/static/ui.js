// Shared pieces of the console's pages: formatting, data loading, error display and the action
// form every register change goes through (reason, ticket, the revision read, the conflict message).
import { h } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import { run, codesOf } from './api.js';

export const html = htm.bind(h);

export const dateTime = (iso) => (iso ? new Date(iso).toLocaleString('en-AU', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' }) : '–');
export const date = (iso) => (iso ? new Date(iso).toLocaleDateString('en-AU', { day: 'numeric', month: 'short', year: 'numeric' }) : '–');
export const Time = ({ iso, format = dateTime }) => (iso ? html`<time datetime=${iso} title=${iso}>${format(iso)}</time>` : '–');

/** `<input type=datetime-local>` value (local time) → RFC 3339 in UTC, as the API wants; '' → null. */
export const toInstant = (local) => (local ? new Date(local).toISOString() : null);
/** An instant → the local value a datetime-local input shows. */
export function toLocalInput(ms) {
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const GOOD = new Set(['ACTIVE', 'CERTIFIED', 'ALLOWED', 'RESOLVED', 'CLOSED']);
const BAD = new Set(['SUSPENDED', 'REVOKED', 'REJECTED', 'DEREGISTERED', 'CERTIFICATION_REJECTED', 'DENIED', 'HIGH', 'OPEN']);
const WARN = new Set(['PENDING', 'SELF_CERTIFIED', 'REGISTERED', 'PARTIAL', 'MEDIUM', 'TRIAGED', 'CONTAINED']);
export const Badge = ({ value }) => html`<span class=${`badge ${GOOD.has(value) ? 'ok' : BAD.has(value) ? 'bad' : WARN.has(value) ? 'warn' : 'neutral'}`}>${value ?? '–'}</span>`;

/** Whether the gateway serves a product now, and if not the code it refuses it with. */
export const Standing = ({ blockedBy }) =>
  blockedBy ? html`<span class="badge bad" data-standing="refused">Refused: ${blockedBy}</span>` : html`<span class="badge ok" data-standing="served">Served</span>`;

/** Loads a documented operation; reload() runs it again. */
export function useOperation(operationId, variables, deps = []) {
  const [state, setState] = useState({ loading: true, data: null, errors: [] });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    run(operationId, variables).then((r) => live && setState({ loading: false, data: r.data, errors: r.errors, status: r.status }));
    return () => {
      live = false;
    };
  }, [operationId, tick, ...deps]);
  return { ...state, reload: useCallback(() => setTick((t) => t + 1), []) };
}

/** Errors from the API as people read them; a revision conflict as "changed by someone else". */
export function Errors({ errors, onReload }) {
  if (!errors || errors.length === 0) return null;
  const codes = errors.map((e) => e.extensions?.code);
  if (codes.includes('REVISION_CONFLICT')) {
    return html`<div class="notice conflict" role="alert" data-code="REVISION_CONFLICT">
      Changed by someone else: reload to see the current record, then decide again.
      ${onReload ? html`<button type="button" class="secondary" onClick=${onReload}>Reload</button>` : null}
    </div>`;
  }
  // One line per distinct refusal: a query refused on two fields for one reason says it once.
  const distinct = [...new Map(errors.map((e) => [`${e.extensions?.code}\u0000${e.message}`, e])).values()];
  return html`<div class="notice error" role="alert" data-code=${codes[0] ?? ''}>
    ${distinct.map((e) => html`<div><strong>${e.extensions?.code ?? 'ERROR'}</strong>: ${e.message}</div>`)}
  </div>`;
}

export const Loading = () => html`<p class="loading" role="status">Loading…</p>`;

let fieldIds = 0;
/** One form field; `spec` is { name, label, type, options, required, hint }. */
function Field({ spec, value, onInput }) {
  const id = useRef(`f${++fieldIds}`).current;
  const set = (e) => onInput(spec.name, e.currentTarget.value);
  if (spec.type === 'checkboxes') {
    const chosen = new Set(value ?? []);
    return html`<fieldset><legend>${spec.label}</legend>
      ${spec.options.map((o) => html`<label class="inline"><input type="checkbox" name=${spec.name} value=${o} checked=${chosen.has(o)}
        onChange=${(e) => onInput(spec.name, e.currentTarget.checked ? [...chosen, o] : [...chosen].filter((x) => x !== o))} /> ${o}</label>`)}
      ${spec.options.length === 0 ? html`<span class="muted">none available</span>` : null}
    </fieldset>`;
  }
  const common = { id, name: spec.name, required: !!spec.required, value: value ?? '', onInput: set, 'aria-describedby': spec.hint ? `${id}-hint` : undefined };
  let control;
  if (spec.type === 'textarea') control = html`<textarea ...${common}></textarea>`;
  else if (spec.type === 'select') control = html`<select ...${common} onChange=${set}>${(spec.options ?? []).map((o) => html`<option value=${typeof o === 'string' ? o : o.value}>${typeof o === 'string' ? o || '(any)' : o.label}</option>`)}</select>`;
  else control = html`<input type=${spec.type ?? 'text'} ...${common} />`;
  return html`<label for=${id}>${spec.label}${spec.required ? ' *' : ''} ${control}${spec.hint ? html`<span id=${`${id}-hint`} class="muted">${spec.hint}</span>` : null}</label>`;
}

/**
 * A register change: its own fields, a required reason and an optional ticket, sent with the
 * revision the page was loaded at. Success calls onDone(result); a conflict says so and offers a reload.
 */
export function ActionForm({ title, operationId, fields = [], initial = {}, withReason = true, reasonLabel = 'Reason', variables, submitLabel, onDone, onCancel, onReload, danger = false }) {
  const [values, setValues] = useState({ ...Object.fromEntries(fields.map((f) => [f.name, f.default ?? (f.type === 'checkboxes' ? [] : '')])), ...initial });
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState([]);
  const onInput = (name, value) => setValues((v) => ({ ...v, [name]: value }));
  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setErrors([]);
    const vars = variables(values);
    if (withReason) {
      vars.reason = values.reason;
      if (values.ticket) vars.ticket = values.ticket;
    }
    const result = await run(operationId, vars);
    setBusy(false);
    if (result.errors.length) setErrors(result.errors);
    else onDone?.(result.data);
  }
  return html`<form class="stack card" aria-label=${title} data-action=${operationId} onSubmit=${submit}>
    <h3>${title}</h3>
    ${fields.map((f) => html`<${Field} spec=${f} value=${values[f.name]} onInput=${onInput} />`)}
    ${withReason ? html`<${Field} spec=${{ name: 'reason', label: reasonLabel, type: 'textarea', required: true }} value=${values.reason} onInput=${onInput} />
      <${Field} spec=${{ name: 'ticket', label: 'Ticket (optional)' }} value=${values.ticket} onInput=${onInput} />` : null}
    <${Errors} errors=${errors} onReload=${onReload} />
    <div class="actions">
      <button type="submit" class=${danger ? 'danger' : ''} disabled=${busy}>${submitLabel ?? title}</button>
      ${onCancel ? html`<button type="button" class="secondary" onClick=${onCancel}>Cancel</button>` : null}
    </div>
  </form>`;
}

/** A row of action buttons, each opening its form below; one open at a time. */
export function ActionBar({ actions, label = 'Actions' }) {
  const [open, setOpen] = useState(null);
  if (!actions.length) return null;
  const current = actions.find((a) => a.key === open);
  return html`<section class="card" aria-label=${label}>
    <h2>${label}</h2>
    <div class="actions">${actions.map((a) => html`<button type="button" class=${a.danger ? 'danger' : 'secondary'} aria-expanded=${open === a.key} data-open=${a.key} onClick=${() => setOpen(open === a.key ? null : a.key)}>${a.label}…</button>`)}</div>
    ${current ? current.render(() => setOpen(null)) : null}
  </section>`;
}

/** A register entity's history, oldest first, as a timeline. */
export function Timeline({ entries }) {
  if (!entries?.length) return html`<p class="muted">No history.</p>`;
  return html`<ol class="timeline" aria-label="History">
    ${entries.map((e) => html`<li data-action=${e.action} data-revision=${e.revision}>
      <div class="when"><${Time} iso=${e.effectiveAt} /> · revision ${e.revision}${e.recordedAt !== e.effectiveAt ? html` · recorded <${Time} iso=${e.recordedAt} />` : null}</div>
      <div class="what">${e.action}${e.fromStatus || e.toStatus ? html` <span class="muted">${e.fromStatus ?? '–'} → ${e.toStatus ?? '–'}</span>` : null}</div>
      <div>${e.reason}</div>
      <div class="muted">by ${e.actor}${e.ticket ? ` · ticket ${e.ticket}` : ''}</div>
    </li>`)}
  </ol>`;
}

/** Time until `iso`, updated every second: "in 3 h 12 min", or "2 h ago" when past. */
export function Countdown({ iso, plain = false }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const ms = Date.parse(iso) - now;
  const abs = Math.abs(ms);
  const hours = Math.floor(abs / 3_600_000);
  const minutes = Math.floor((abs % 3_600_000) / 60_000);
  const seconds = Math.floor((abs % 60_000) / 1000);
  const text = hours > 0 ? `${hours} h ${minutes} min` : `${minutes} min ${seconds} s`;
  const cls = plain ? '' : ms < 0 ? 'overdue' : ms < 4 * 3_600_000 ? 'soon' : '';
  return html`<span class=${`countdown ${cls}`} data-overdue=${ms < 0}>${ms < 0 ? `overdue by ${text}` : `in ${text}`}</span>`;
}

export const REQUIREMENTS = ['ENCRYPTION_KEY_MANAGEMENT', 'ENCRYPTION_IN_TRANSIT', 'MULTIFACTOR_AUTHENTICATION', 'INDIRECT_ACCESS_TO_DATA', 'APP_SERVER_CONFIGURATION', 'VULNERABILITY_MANAGEMENT', 'COOKIE_MANAGEMENT', 'ENCRYPTION_AT_REST', 'AUDIT_LOGGING', 'DATA_HOSTING', 'SECURITY_MONITORING_PRACTICE'];
export const requirementLabel = (r) => r.charAt(0) + r.slice(1).toLowerCase().replace(/_/g, ' ');
export const SERVICES = ['clients.read', 'lodgments.read', 'lodgments.write', 'accounts.read'];
export const PRODUCT_CODES = ['PRODUCT_NOT_REGISTERED', 'DEVELOPER_NOT_IN_GOOD_STANDING', 'PRODUCT_REVOKED', 'PRODUCT_SUSPENDED', 'PRODUCT_NOT_CERTIFIED', 'CERTIFICATION_EXPIRED'];
export { codesOf };
