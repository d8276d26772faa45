// The auditor's pages: the access-log explorer (every filter the API has, keyset paging, a
// record's detail, CSV export of the filtered set) and the integrity verification.
import { useEffect, useRef, useState } from 'preact/hooks';
import { run, exportAccessLog } from './api.js';
import { csvRecordCount } from './csv.js';
import { html, Badge, Time, Errors, Loading, toInstant } from './ui.js';

const EMPTY = { from: '', to: '', productId: '', developerId: '', org: '', clientId: '', decision: '', errorCode: '', operationName: '', sub: '', issuer: '', role: '', jti: '', clientIp: '', httpStatus: '', coordinate: '' };

/** The form as AccessLogFilterInput: empty fields left out, times as RFC 3339 instants, the status as a number. */
function filterOf(form) {
  const f = {};
  for (const [k, v] of Object.entries(form)) {
    if (!v.trim()) continue;
    f[k] = k === 'from' || k === 'to' ? toInstant(v) : k === 'httpStatus' ? Number(v.trim()) : v.trim();
  }
  return f;
}

export function AccessLogPage() {
  const [form, setForm] = useState(EMPTY);
  const [pageSize, setPageSize] = useState(50);
  // cursors[i] is the `after` of page i (null for the first).
  const [view, setView] = useState(null);
  const [busy, setBusy] = useState(false);
  const [selected, setSelected] = useState(null);
  const [exported, setExported] = useState(null);
  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.value });

  async function load(filter, cursors, index) {
    setBusy(true);
    const r = await run('auditor/AccessLog', { filter, first: pageSize, ...(cursors[index] ? { after: cursors[index] } : {}) });
    setBusy(false);
    setSelected(null);
    setView({ filter, cursors, index, records: r.data?.accessLogs?.nodes ?? [], unreadable: r.data?.accessLogs?.unreadable ?? [], pageInfo: r.data?.accessLogs?.pageInfo ?? null, errors: r.errors });
  }
  const search = (e) => {
    e.preventDefault();
    setExported(null);
    load(filterOf(form), [null], 0);
  };
  // The export is the gateway's own POST /audit/export (CSV), not pages stitched together here: one
  // request, one access record (AccessLogExport) for the whole download, no cap on its size, and
  // the very file an auditor would fetch with curl. The token goes in a header (fetch), never in a
  // URL, so the file arrives as a blob and is saved from this page.
  async function exportCsv() {
    setBusy(true);
    const r = await exportAccessLog(view.filter);
    setBusy(false);
    if (r.errors.length) return setExported({ errors: r.errors });
    const url = URL.createObjectURL(r.blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = r.filename;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    setExported({ count: csvRecordCount(await r.blob.text()), errors: [] });
  }

  return html`<section class="card" aria-labelledby="al-title">
    <h2 id="al-title">Access log <small class="muted">every request, newest first</small></h2>
    <form class="filters" role="search" aria-label="Filter the access log" onSubmit=${search}>
      <label>From<input type="datetime-local" name="from" value=${form.from} onInput=${set('from')} /></label>
      <label>To<input type="datetime-local" name="to" value=${form.to} onInput=${set('to')} /></label>
      <label>Product<input name="productId" value=${form.productId} onInput=${set('productId')} /></label>
      <label>Developer<input name="developerId" value=${form.developerId} onInput=${set('developerId')} /></label>
      <label>Org (ABN)<input name="org" value=${form.org} onInput=${set('org')} /></label>
      <label>Client id<input name="clientId" value=${form.clientId} onInput=${set('clientId')} /></label>
      <label>Decision<select name="decision" value=${form.decision} onChange=${set('decision')}>${['', 'ALLOWED', 'PARTIAL', 'DENIED'].map((d) => html`<option value=${d}>${d || '(any)'}</option>`)}</select></label>
      <label>Error code<input name="errorCode" value=${form.errorCode} onInput=${set('errorCode')} /></label>
      <label>Operation<input name="operationName" value=${form.operationName} onInput=${set('operationName')} /></label>
      <label>Subject (sub)<input name="sub" value=${form.sub} onInput=${set('sub')} /></label>
      <label>Issuer<input name="issuer" value=${form.issuer} onInput=${set('issuer')} placeholder="when several are trusted" /></label>
      <label>Role<input name="role" value=${form.role} onInput=${set('role')} placeholder="e.g. ato:admin" /></label>
      <label>Token id (jti)<input name="jti" value=${form.jti} onInput=${set('jti')} /></label>
      <label>Client IP<input name="clientIp" value=${form.clientIp} onInput=${set('clientIp')} /></label>
      <label>HTTP status<input name="httpStatus" inputmode="numeric" pattern="[0-9]{3}" value=${form.httpStatus} onInput=${set('httpStatus')} /></label>
      <label>Schema coordinate<input name="coordinate" value=${form.coordinate} onInput=${set('coordinate')} placeholder="e.g. Query.client" /></label>
      <label>Per page<select name="first" value=${pageSize} onChange=${(e) => setPageSize(Number(e.currentTarget.value))}>${[25, 50, 100].map((n) => html`<option value=${n}>${n}</option>`)}</select></label>
      <button type="submit" disabled=${busy}>Search</button>
    </form>
  </section>
  ${busy && !view ? html`<${Loading} />` : null}
  ${view ? html`<section class="card" aria-labelledby="results-title">
    <h2 id="results-title">Records <small class="muted">page ${view.index + 1}</small></h2>
    <${Errors} errors=${view.errors} />
    <div class="table-wrap"><table id="access-records">
      <thead><tr><th>Time</th><th>Decision</th><th>HTTP</th><th>Codes</th><th>Product</th><th>Who</th><th>Operation</th><th>Latency</th><th></th></tr></thead>
      <tbody>${view.records.map((r) => html`<tr data-record=${r.id} data-request=${r.requestId}>
        <td><${Time} iso=${r.time} /></td><td><${Badge} value=${r.decision} /></td><td class="num">${r.httpStatus}</td><td>${r.errorCodes.join(', ') || '–'}</td>
        <td class="mono">${r.productId ?? '–'}${r.productVersion ? ` ${r.productVersion}` : ''}</td><td>${r.sub ?? '–'}${r.roles.length ? html` <span class="muted">(${r.roles.join(', ')})</span>` : null}</td>
        <td>${r.operationName ?? html`<span class="muted">(anonymous)</span>`} <span class="muted">${r.operationType ?? ''}</span></td><td class="num">${r.latencyMs.toFixed(1)} ms</td>
        <td><button type="button" class="secondary" aria-label=${`Details of ${r.id}`} onClick=${() => setSelected(r)}>Details</button></td></tr>`)}</tbody>
    </table></div>
    ${view.records.length === 0 && view.unreadable.length === 0 ? html`<p class="muted">No records match.</p>` : null}
    ${view.unreadable.length ? html`<div class="notice error" role="alert" id="unreadable-rows"><strong>${view.unreadable.length} stored row${view.unreadable.length === 1 ? '' : 's'} on this page cannot be shown as a record</strong> (only a row edited in the store by hand is one; Verify integrity reports it):
      <ul>${view.unreadable.map((u) => html`<li><span class="mono">${u.chainId}</span> seq ${u.seq ?? '?'}: ${u.reason}</li>`)}</ul></div>` : null}
    <div class="pager">
      <button type="button" class="secondary" disabled=${busy || view.index === 0} onClick=${() => load(view.filter, view.cursors, view.index - 1)}>Newer</button>
      <button type="button" class="secondary" disabled=${busy || !view.pageInfo?.hasNextPage} onClick=${() => load(view.filter, [...view.cursors.slice(0, view.index + 1), view.pageInfo.endCursor], view.index + 1)}>Older</button>
      <button type="button" disabled=${busy} onClick=${exportCsv}>Export CSV (all matching)</button>
      ${exported ? exported.errors.length ? html`<${Errors} errors=${exported.errors} />` : html`<span role="status" id="export-status" data-count=${exported.count}>Exported ${exported.count} records.</span>` : null}
    </div>
  </section>` : null}
  ${selected ? html`<${RecordDetail} record=${selected} onClose=${() => setSelected(null)} />` : null}`;
}

function RecordDetail({ record: r, onClose }) {
  const list = (xs) => (xs.length ? xs.join(', ') : '–');
  // The detail opens below the page of records: focus its heading, which also brings it into view.
  const heading = useRef(null);
  useEffect(() => heading.current?.focus(), [r.id]);
  return html`<section class="card" aria-labelledby="record-title" id="record-detail">
    <h2 id="record-title" tabindex="-1" ref=${heading}>Record ${r.id}</h2>
    <dl class="facts">
      <dt>Time</dt><dd><${Time} iso=${r.time} /></dd>
      <dt>Decision</dt><dd><${Badge} value=${r.decision} /> HTTP ${r.httpStatus}</dd>
      <dt>Reasons</dt><dd>${r.reasons.length ? html`<ul class="problems">${r.reasons.map((x) => html`<li><strong>${x.code}</strong>${x.coordinate ? html` at <span class="mono">${x.coordinate}</span>` : null}</li>`)}</ul>` : '–'}</dd>
      <dt>Error codes</dt><dd>${list(r.errorCodes)}</dd>
      <dt>Product</dt><dd class="mono">${r.productId ?? '–'} ${r.productVersion ?? ''}</dd>
      <dt>Developer</dt><dd class="mono">${r.developerId ?? '–'}</dd>
      <dt>Subject</dt><dd>${r.sub ?? '–'} ${r.roles.length ? `(${r.roles.join(', ')})` : ''}</dd>
      ${r.issuer ? html`<dt>Issuer</dt><dd class="mono">${r.issuer}</dd>` : null}
      <dt>Org</dt><dd class="mono">${r.org ?? '–'}</dd>
      <dt>Token id</dt><dd class="mono">${r.jti ?? '–'}</dd>
      <dt>Operation</dt><dd>${r.operationName ?? '(anonymous)'} ${r.operationType ?? ''}</dd>
      <dt>Document hash</dt><dd class="mono">${r.documentHash ?? '–'}</dd>
      <dt>Coordinates</dt><dd class="mono">${list(r.coordinates)}</dd>
      <dt>Services</dt><dd>${list(r.services)}</dd>
      <dt>Client digests</dt><dd class="mono">${list(r.clientDigests)}</dd>
      <dt>Subgraphs</dt><dd>${list(r.subgraphs)}</dd>
      <dt>Latency</dt><dd>${r.latencyMs.toFixed(2)} ms</dd>
      <dt>Client</dt><dd>${r.clientIp ?? '–'} · ${r.userAgent ?? '–'}</dd>
      <dt>Request id</dt><dd class="mono">${r.requestId}</dd>
      <dt>Trace id</dt><dd class="mono">${r.traceId ?? '–'}</dd>
      <dt>Chain</dt><dd class="mono">${r.chainId} #${r.seq} (instance ${r.instanceId})</dd>
      <dt>Hash</dt><dd class="mono">${r.hash}</dd>
      <dt>Previous hash</dt><dd class="mono">${r.prevHash}</dd>
    </dl>
    <div class="actions"><button type="button" class="secondary" onClick=${onClose}>Close</button></div>
  </section>`;
}

export function IntegrityPage() {
  const [trusted, setTrusted] = useState({ seq: '', hash: '' });
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  async function verify(e) {
    e.preventDefault();
    setBusy(true);
    // Whatever was typed is sent, half a head included: the gateway refuses a seq without its hash
    // (and the reverse) or a seq that is not a whole number with a coded error, where dropping it
    // here would verify without the anchor and could show "Clean" (fail open).
    const seq = trusted.seq.trim();
    const hash = trusted.hash.trim();
    const vars = { ...(seq ? { trustedLedgerSeq: /^\d+$/.test(seq) ? Number(seq) : seq } : {}), ...(hash ? { trustedLedgerHash: hash } : {}) };
    const r = await run('auditor/VerifyAccessLogs', vars);
    setBusy(false);
    setResult(r);
  }
  const v = result?.data?.verifyAccessLogs;
  return html`<section class="card" aria-labelledby="int-title">
    <h2 id="int-title">Verify integrity <small class="muted">every chain the ledger names, and any it does not</small></h2>
    <form class="filters" onSubmit=${verify}>
      <label>Trusted ledger seq (optional)<input name="trustedLedgerSeq" inputmode="numeric" value=${trusted.seq} onInput=${(e) => setTrusted({ ...trusted, seq: e.currentTarget.value })} /></label>
      <label>Trusted ledger hash (optional)<input name="trustedLedgerHash" class="mono" value=${trusted.hash} onInput=${(e) => setTrusted({ ...trusted, hash: e.currentTarget.value })} /></label>
      <button type="submit" disabled=${busy}>${busy ? 'Verifying…' : 'Verify integrity'}</button>
    </form>
    ${result ? html`<${Errors} errors=${result.errors} />` : null}
  </section>
  ${v ? html`<section class="card" aria-labelledby="verdict-title" id="verification" data-ok=${v.ok}>
    <h2 id="verdict-title">${v.ok ? html`<span class="badge ok">Clean</span> Nothing missing, altered or reordered` : html`<span class="badge bad">Problems found</span>`}</h2>
    <p>Ledger: ${v.ledger.entries} entries; head <span class="mono">${v.ledger.headSeq ?? '–'}:${v.ledger.headHash ?? '–'}</span>.
      <span class="muted">Record the head and pass it next time: a removed ledger tail is then reported.</span></p>
    ${v.ledger.problems.length ? html`<ul class="problems">${v.ledger.problems.map((p) => html`<li><strong>${p.kind}</strong> at ledger entry ${p.seq}: ${p.detail}</li>`)}</ul>` : null}
    ${v.storageProblems?.length ? html`<p id="storage-problems"><strong>Storage check failed</strong> <span class="muted">an index disagrees with its table: filtered queries may list or miss records the chains hold</span></p>
      <ul class="problems">${v.storageProblems.map((p) => html`<li class="mono">${p}</li>`)}</ul>` : null}
    <div class="table-wrap"><table id="chains"><thead><tr><th>Chain</th><th>Status</th><th>Result</th><th class="num">Checked</th><th class="num">Last seq</th><th class="num">Checkpoints</th><th>Last trusted checkpoint</th><th class="num">Unsigned tail</th></tr></thead>
    <tbody>${v.chains.map((c) => html`<tr data-chain=${c.chainId} data-ok=${c.ok}>
      <td class="mono">${c.chainId}</td><td>${c.status}</td>
      <td>${c.ok ? html`<span class="badge ok">clean</span>` : html`<span class="badge bad">${c.problems.length + c.omitted} problem(s)</span>
        <ul class="problems">${c.problems.map((p) => html`<li><strong>${p.kind}</strong> at seq ${p.seq}${p.toSeq !== p.seq ? `–${p.toSeq}` : ''}: ${p.detail}</li>`)}${c.omitted ? html`<li>and ${c.omitted} more</li>` : null}</ul>`}</td>
      <td class="num">${c.checked}</td><td class="num">${c.lastSeq ?? '–'}</td><td class="num">${c.checkpointsChecked}</td>
      <td>${c.lastTrustedCheckpoint ? html`#${c.lastTrustedCheckpoint.n ?? '?'} at seq ${c.lastTrustedCheckpoint.seq}, <${Time} iso=${c.lastTrustedCheckpoint.time} />` : '–'}</td><td class="num">${c.unsignedTail}</td></tr>`)}</tbody></table></div>
  </section>` : null}`;
}
