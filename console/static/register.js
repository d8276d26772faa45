// The register: developers and products with their effective status, a product's page (with its
// self-certification, certification, services, history and the admin's actions), a developer's
// page, what needs attention, the history search and client authorisations.
import { useState } from 'preact/hooks';
import { currentSession, devToolsOffered, mintProductToken, post, catalogue, codesOf } from './api.js';
import {
  html, Badge, Standing, Time, date, useOperation, Errors, Loading, ActionForm, ActionBar, Timeline,
  REQUIREMENTS, requirementLabel, SERVICES, PRODUCT_CODES, toInstant, toLocalInput,
} from './ui.js';

const PRODUCT_STATUSES = ['', 'REGISTERED', 'SELF_CERTIFIED', 'CERTIFIED', 'CERTIFICATION_REJECTED', 'SUSPENDED', 'REVOKED'];
const DEVELOPER_STATUSES = ['', 'PENDING', 'REJECTED', 'ACTIVE', 'SUSPENDED', 'DEREGISTERED'];
// Registrations carry their reason and ticket inside the input.
const REASON_FIELDS = [{ name: 'reason', label: 'Reason', type: 'textarea', required: true }, { name: 'ticket', label: 'Ticket (optional)' }];
const reasonOf = (v) => ({ reason: v.reason, ...(v.ticket ? { ticket: v.ticket } : {}) });
const isAdmin = () => currentSession()?.role === 'admin';
const go = (hash) => {
  location.hash = hash;
};

// ─── lists ────────────────────────────────────────────────────────────────────────────────────

export function RegisterPage() {
  const role = currentSession().role;
  const [filter, setFilter] = useState({ text: '', status: '', refused: false, blockedBy: '' });
  const [applied, setApplied] = useState(filter);
  const [adding, setAdding] = useState(null);
  const productVars = { ...(applied.status ? { status: applied.status } : {}), ...(applied.refused ? { refused: true } : {}), ...(applied.blockedBy ? { blockedBy: applied.blockedBy } : {}) };
  const products = useOperation('register/Products', productVars, [JSON.stringify(productVars)]);
  const developers = useOperation('register/Developers', applied.refused ? { refused: true } : {}, [applied.refused]);
  const text = applied.text.trim().toLowerCase();
  const matches = (...values) => !text || values.some((v) => String(v ?? '').toLowerCase().includes(text));
  const set = (k) => (e) => setFilter({ ...filter, [k]: e.currentTarget.type === 'checkbox' ? e.currentTarget.checked : e.currentTarget.value });
  return html`
    <section class="card" aria-labelledby="register-title">
      <h2 id="register-title">${role === 'developer' ? 'My products' : 'The register'}</h2>
      <form class="filters" role="search" aria-label="Filter the register" onSubmit=${(e) => { e.preventDefault(); setApplied(filter); }}>
        <label>Search (id or name)<input name="text" value=${filter.text} onInput=${set('text')} /></label>
        <label>Product status<select name="status" value=${filter.status} onChange=${set('status')}>${PRODUCT_STATUSES.map((s) => html`<option value=${s}>${s || '(any)'}</option>`)}</select></label>
        <label>Refused with<select name="blockedBy" value=${filter.blockedBy} onChange=${set('blockedBy')}>${['', ...PRODUCT_CODES].map((s) => html`<option value=${s}>${s || '(any code)'}</option>`)}</select></label>
        <label class="inline"><input type="checkbox" name="refused" checked=${filter.refused} onChange=${set('refused')} /> Refused now only</label>
        <button type="submit">Apply</button>
      </form>
      ${role === 'admin' || role === 'developer' ? html`<div class="actions">
        ${role === 'admin' ? html`<button type="button" class="secondary" onClick=${() => setAdding('developer')}>Register a developer…</button>` : null}
        <button type="button" class="secondary" onClick=${() => setAdding('product')}>Register a product…</button>
      </div>` : null}
      ${adding === 'developer' ? html`<${RegisterDeveloperForm} onCancel=${() => setAdding(null)} onDone=${(d) => go(`#/developer/${d.registerDeveloper.id}`)} />` : null}
      ${adding === 'product' ? html`<${RegisterProductForm} onCancel=${() => setAdding(null)} onDone=${(d) => go(`#/product/${d.registerProduct.id}`)} />` : null}
    </section>
    <section class="card" aria-labelledby="products-title">
      <h2 id="products-title">Products</h2>
      <${Errors} errors=${products.errors} />
      ${products.loading && !products.data ? html`<${Loading} />` : html`<div class="table-wrap"><table id="products">
        <thead><tr><th>Product</th><th>Name</th><th>Developer</th><th>Status</th><th>Effective</th><th>Gateway now</th><th>Certification</th><th>Services</th></tr></thead>
        <tbody>${(products.data?.products ?? []).filter((p) => matches(p.id, p.name, p.developerId)).map((p) => html`<tr data-product=${p.id}>
          <td class="mono"><a href=${`#/product/${p.id}`}>${p.id}</a></td><td>${p.name}</td>
          <td class="mono"><a href=${`#/developer/${p.developerId}`}>${p.developerId}</a></td>
          <td><${Badge} value=${p.status} /></td><td><${Badge} value=${p.effectiveStatus} /></td><td><${Standing} blockedBy=${p.blockedBy} /></td>
          <td>${p.certification ? html`${p.certification.tier} until <${Time} iso=${p.certification.validUntil} format=${date} />${p.certification.expired ? ' (expired)' : ''}` : '–'}</td>
          <td>${p.services.join(', ') || '–'}</td></tr>`)}</tbody></table></div>`}
    </section>
    ${role !== 'developer' || (developers.data?.developers ?? []).length ? html`<section class="card" aria-labelledby="developers-title">
      <h2 id="developers-title">Developers</h2>
      <${Errors} errors=${developers.errors} />
      <div class="table-wrap"><table id="developers">
        <thead><tr><th>Developer</th><th>Legal name</th><th>ABN</th><th>Status</th><th>Why</th><th>Annual review</th></tr></thead>
        <tbody>${(developers.data?.developers ?? []).filter((d) => matches(d.id, d.legalName, d.abn)).map((d) => html`<tr data-developer=${d.id}>
          <td class="mono"><a href=${`#/developer/${d.id}`}>${d.id}</a></td><td>${d.legalName}</td><td class="mono">${d.abn}</td>
          <td><${Badge} value=${d.status} /></td><td>${d.statusReason ?? '–'}</td>
          <td><${Time} iso=${d.reviewDueAt} format=${date} />${d.reviewOverdue ? html` <span class="badge bad">overdue</span>` : null}</td></tr>`)}</tbody>
      </table></div>
    </section>` : null}`;
}

function RegisterDeveloperForm({ onDone, onCancel }) {
  return html`<${ActionForm} title="Register a developer" operationId="admin/RegisterDeveloper" submitLabel="Register developer" onDone=${onDone} onCancel=${onCancel}
    fields=${[
      { name: 'legalName', label: 'Legal name', required: true },
      { name: 'abn', label: 'ABN', required: true, hint: '11 digits, spaces allowed' },
      { name: 'contactName', label: 'Contact name', required: true },
      { name: 'contactEmail', label: 'Contact email', type: 'email', required: true },
      { name: 'contactPhone', label: 'Contact phone' },
      { name: 'role', label: 'Role', type: 'select', options: ['DEVELOPER', 'SERVICE_PROVIDER', 'CLOUD_PROVIDER', 'IN_HOUSE_DEVELOPER'], default: 'DEVELOPER' },
      { name: 'declarations', label: 'Declarations', type: 'checkboxes', options: ['Declarations accepted', 'Tax obligations current'] },
      ...REASON_FIELDS,
    ]}
    withReason=${false}
    variables=${(v) => ({ input: {
      abn: v.abn, legalName: v.legalName,
      contact: { name: v.contactName, email: v.contactEmail, ...(v.contactPhone ? { phone: v.contactPhone } : {}) },
      roles: [v.role], declarationsAccepted: v.declarations.includes('Declarations accepted'), taxObligationsCurrent: v.declarations.includes('Tax obligations current'),
      ...reasonOf(v),
    } })} />`;
}

function RegisterProductForm({ onDone, onCancel, developerId }) {
  const session = currentSession();
  const fixedDeveloper = developerId ?? (session.role === 'developer' ? session.developerId : null);
  return html`<${ActionForm} title="Register a product" operationId="admin/RegisterProduct" submitLabel="Register product" onDone=${onDone} onCancel=${onCancel}
    fields=${[
      ...(fixedDeveloper ? [] : [{ name: 'developerId', label: 'Developer id', required: true }]),
      { name: 'name', label: 'Product name', required: true },
      { name: 'deploymentModel', label: 'Deployment model', type: 'select', options: ['CLOUD', 'DESKTOP', 'IN_HOUSE'], default: 'CLOUD' },
      { name: 'dataHosting', label: 'Data hosting (country codes, comma-separated)', required: true, default: 'AU' },
      { name: 'minimumVersion', label: 'Minimum supported version', required: true, default: '1.0.0' },
      ...REASON_FIELDS,
    ]}
    withReason=${false}
    variables=${(v) => ({ input: { developerId: fixedDeveloper ?? v.developerId, name: v.name, deploymentModel: v.deploymentModel, dataHosting: v.dataHosting.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean), minimumVersion: v.minimumVersion, ...reasonOf(v) } })} />`;
}

// ─── a product ────────────────────────────────────────────────────────────────────────────────

export function ProductPage({ id }) {
  const q = useOperation('register/Product', { id }, [id]);
  const [notice, setNotice] = useState(null);
  if (q.loading && !q.data) return html`<${Loading} />`;
  const p = q.data?.product;
  if (!p) return html`<section class="card"><h2>Product ${id}</h2><${Errors} errors=${q.errors} />${q.errors.length ? null : html`<p>No such product.</p>`}</section>`;
  const done = (what) => (data) => {
    const changed = Object.values(data)[0];
    setNotice(`${what} (revision ${changed?.revision ?? '?'}).`);
    q.reload();
  };
  return html`
    <section class="card" aria-labelledby="product-title" data-product=${p.id} data-revision=${p.revision}>
      <h2 id="product-title">${p.name} <span class="mono muted">${p.id}</span></h2>
      <p><${Badge} value=${p.status} /> effective <${Badge} value=${p.effectiveStatus} /> · gateway now: <${Standing} blockedBy=${p.blockedBy} />
        <button type="button" class="secondary" onClick=${q.reload}>Reload</button></p>
      ${notice ? html`<p class="notice success" role="status">${notice}</p>` : null}
      <${Errors} errors=${q.errors} />
      <div class="grid2">
        <dl class="facts">
          <dt>Developer</dt><dd><a href=${`#/developer/${p.developerId}`}>${p.developer?.legalName ?? p.developerId}</a> <${Badge} value=${p.developer?.status} /></dd>
          <dt>Why this status</dt><dd>${p.statusReason ?? '–'}</dd>
          <dt>Deployment</dt><dd>${p.deploymentModel}</dd>
          <dt>Data hosting</dt><dd>${p.dataHosting.join(', ')}${p.dataHosting.some((c) => c !== 'AU') ? html` <span class="badge warn">offshore</span>` : null}</dd>
          <dt>Minimum version</dt><dd class="mono">${p.minimumVersion}</dd>
          <dt>Rate tier</dt><dd>${p.rateTier}</dd>
          <dt>Registered</dt><dd><${Time} iso=${p.registeredAt} /></dd>
          <dt>Revision</dt><dd class="mono">${p.revision}</dd>
        </dl>
        <dl class="facts" aria-label="Certification">
          <dt>Certification</dt><dd>${p.certification ? html`${p.certification.tier}${p.certification.expired ? html` <span class="badge bad">expired</span>` : null}` : 'not certified'}</dd>
          ${p.certification ? html`<dt>Valid</dt><dd><${Time} iso=${p.certification.validFrom} format=${date} /> to <${Time} iso=${p.certification.validUntil} format=${date} /></dd>
            <dt>Certified</dt><dd><${Time} iso=${p.certification.certifiedAt} /> by ${p.certification.certifiedBy}</dd>` : null}
          <dt>Whitelisted services</dt><dd data-services>${p.services.join(', ') || 'none'}</dd>
          <dt>Allowed by self-certification</dt><dd>${p.allowedServices.join(', ') || 'none'}</dd>
          ${p.suspension ? html`<dt>Suspended</dt><dd>since <${Time} iso=${p.suspension.since} />${p.suspension.until ? html` until <${Time} iso=${p.suspension.until} />` : ' until reinstated'}: ${p.suspension.reason} (${p.suspension.actor})</dd>` : null}
        </dl>
      </div>
    </section>
    ${isAdmin() ? html`<${ProductActions} product=${p} onDone=${done} onReload=${q.reload} />` : null}
    <${ManifestSection} product=${p} onDone=${done} onReload=${q.reload} />
    ${isAdmin() && devToolsOffered() ? html`<${TryRequest} product=${p} />` : null}
    <section class="card" aria-labelledby="selfcert-title">
      <h2 id="selfcert-title">Self-certification <small class="muted">against the 11 minimum requirements</small></h2>
      ${p.selfCertification ? html`<p class="muted">Submitted <${Time} iso=${p.selfCertification.submittedAt} /> by ${p.selfCertification.submittedBy}</p>
        <div class="table-wrap"><table id="self-certification"><thead><tr><th>Requirement</th><th>Outcome</th><th>Evidence</th><th>Compensating control</th></tr></thead>
        <tbody>${p.selfCertification.assessments.map((a) => html`<tr data-requirement=${a.requirement}><td>${requirementLabel(a.requirement)}</td>
          <td><span class=${`badge ${a.outcome === 'MET' ? 'ok' : a.outcome === 'NOT_MET' ? 'bad' : 'warn'}`}>${a.outcome}</span></td><td>${a.evidence}</td><td>${a.compensatingControl ?? '–'}</td></tr>`)}</tbody></table></div>`
        : html`<p class="muted">Not submitted yet.</p>`}
      ${(p.status === 'REGISTERED' || p.status === 'CERTIFICATION_REJECTED') && currentSession().role !== 'auditor'
        ? html`<${SelfCertificationForm} product=${p} onDone=${done('Self-certification submitted')} onReload=${q.reload} />` : null}
    </section>
    <section class="card" aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <${Timeline} entries=${q.data.productHistory} />
    </section>`;
}

function SelfCertificationForm({ product, onDone, onReload }) {
  const previous = new Map((product.selfCertification?.assessments ?? []).map((a) => [a.requirement, a]));
  const [rows, setRows] = useState(REQUIREMENTS.map((r) => ({ requirement: r, outcome: previous.get(r)?.outcome ?? 'MET', evidence: previous.get(r)?.evidence ?? '', compensatingControl: previous.get(r)?.compensatingControl ?? '' })));
  const setRow = (i, k) => (e) => setRows(rows.map((row, j) => (j === i ? { ...row, [k]: e.currentTarget.value } : row)));
  return html`<div id="self-certification-form">
    <h3>Submit self-certification</h3>
    <div class="table-wrap"><table><thead><tr><th>Requirement</th><th>Outcome</th><th>Evidence</th><th>Compensating control</th></tr></thead>
    <tbody>${rows.map((row, i) => html`<tr data-requirement=${row.requirement}>
      <th scope="row">${requirementLabel(row.requirement)}</th>
      <td><select aria-label=${`Outcome: ${requirementLabel(row.requirement)}`} name=${`outcome-${row.requirement}`} value=${row.outcome} onChange=${setRow(i, 'outcome')}>
        ${['MET', 'COMPENSATING_CONTROL', 'NOT_MET'].map((o) => html`<option value=${o}>${o}</option>`)}</select></td>
      <td><textarea aria-label=${`Evidence: ${requirementLabel(row.requirement)}`} name=${`evidence-${row.requirement}`} required value=${row.evidence} onInput=${setRow(i, 'evidence')}></textarea></td>
      <td>${row.outcome === 'COMPENSATING_CONTROL' ? html`<textarea aria-label=${`Compensating control: ${requirementLabel(row.requirement)}`} name=${`control-${row.requirement}`} required value=${row.compensatingControl} onInput=${setRow(i, 'compensatingControl')}></textarea>` : html`<span class="muted">–</span>`}</td>
    </tr>`)}</tbody></table></div>
    <${ActionForm} title="Self-certification" submitLabel="Submit self-certification" operationId="developer/SubmitSelfCertification" onDone=${onDone} onReload=${onReload}
      variables=${() => ({ productId: product.id, expectedRevision: product.revision, assessments: rows.map((r) => ({ requirement: r.requirement, outcome: r.outcome, evidence: r.evidence, ...(r.outcome === 'COMPENSATING_CONTROL' ? { compensatingControl: r.compensatingControl } : {}) })) })} />
  </div>`;
}

function ProductActions({ product: p, onDone, onReload }) {
  const base = (v) => ({ productId: p.id, expectedRevision: p.revision, ...v });
  const form = (key, label, operationId, fields, variables, opts = {}) => ({
    key, label, danger: opts.danger,
    render: (close) => html`<${ActionForm} title=${label} operationId=${operationId} fields=${fields} variables=${(v) => base(variables(v))} danger=${opts.danger}
      onCancel=${close} onReload=${() => { close(); onReload(); }} onDone=${(d) => { close(); onDone(opts.done ?? label)(d); }} />`,
  });
  const year = 365 * 86_400_000;
  const certify = form('certify', p.status === 'CERTIFIED' ? 'Recertify' : 'Certify', 'admin/CertifyProduct', [
    { name: 'tier', label: 'Tier', type: 'select', options: ['STANDARD', 'ENHANCED'], default: 'STANDARD' },
    { name: 'validFrom', label: 'Valid from', type: 'datetime-local', required: true, default: toLocalInput(Date.now() - 60_000) },
    { name: 'validUntil', label: 'Valid until', type: 'datetime-local', required: true, default: toLocalInput(Date.now() + year) },
    { name: 'services', label: 'Services to whitelist', type: 'checkboxes', options: p.allowedServices, default: [...p.allowedServices] },
    // Approving the pending manifest with the certification is the admin's explicit choice.
    ...(p.pendingManifest ? [{ name: 'approveManifest', label: 'Operation manifest', type: 'checkboxes', options: [approveLabel(p.pendingManifest)] }] : []),
  ], (v) => ({
    tier: v.tier, validFrom: toInstant(v.validFrom), validUntil: toInstant(v.validUntil), services: v.services,
    ...(p.pendingManifest && (v.approveManifest ?? []).length ? { manifestVersion: p.pendingManifest.version } : {}),
  }), { done: 'Certified' });
  const actions = [];
  const s = p.status;
  if (s === 'SELF_CERTIFIED') actions.push(certify, form('reject-certification', 'Reject certification', 'admin/RejectCertification', [], () => ({}), { danger: true }));
  if (s === 'CERTIFIED') {
    const addable = p.allowedServices.filter((x) => !p.services.includes(x));
    // Offered only while there is something left to whitelist.
    if (addable.length) actions.push(form('whitelist', 'Whitelist services', 'admin/WhitelistServices', [{ name: 'services', label: 'Services', type: 'checkboxes', options: addable, default: addable }], (v) => ({ services: v.services }), { done: 'Services whitelisted' }));
  }
  if (s === 'CERTIFIED' || s === 'SUSPENDED') actions.push(form('remove-services', 'Remove services', 'admin/RemoveServices', [{ name: 'services', label: 'Services', type: 'checkboxes', options: p.services }], (v) => ({ services: v.services }), { done: 'Services removed' }));
  if (s !== 'REVOKED') actions.push(form('minimum-version', 'Set minimum version', 'admin/SetMinimumVersion', [{ name: 'minimumVersion', label: 'Minimum supported version', required: true, default: p.minimumVersion }], (v) => ({ minimumVersion: v.minimumVersion }), { done: 'Minimum version set' }));
  if (s === 'CERTIFIED') actions.push(certify, form('suspend', 'Suspend', 'admin/SuspendProduct', [{ name: 'until', label: 'Until (optional: lapses by itself then)', type: 'datetime-local' }], (v) => (v.until ? { until: toInstant(v.until) } : {}), { danger: true, done: 'Suspended' }));
  if (s === 'SUSPENDED') actions.push(form('reinstate', 'Reinstate', 'admin/ReinstateProduct', [], () => ({}), { done: 'Reinstated' }));
  if (p.pendingManifest) actions.push(form('approve-manifest', `Approve manifest v${p.pendingManifest.version}`, 'admin/ApproveOperationManifest', [], () => ({ manifestVersion: p.pendingManifest.version }), { done: `Manifest v${p.pendingManifest.version} approved` }));
  actions.push(form('trusted-documents', 'Set trusted documents', 'admin/SetTrustedDocuments', [
    { name: 'mode', label: 'Documents outside the approved manifest', type: 'select', default: p.trustedDocuments ?? '',
      options: [{ value: '', label: 'Default (ENFORCE once a manifest is approved, OFF before)' }, { value: 'OFF', label: 'OFF: served' }, { value: 'LOG', label: 'LOG: served and flagged' }, { value: 'ENFORCE', label: 'ENFORCE: refused OPERATION_NOT_CERTIFIED' }] },
  ], (v) => ({ mode: v.mode || null }), { done: 'Trusted documents set' }));
  if (s !== 'REVOKED') actions.push(form('key-binding', 'Set key binding', 'admin/SetKeyBinding', [
    { name: 'required', label: 'DPoP binding', type: 'checkboxes', options: [REQUIRED_BINDING], default: p.keyBinding?.required ? [REQUIRED_BINDING] : [] },
    { name: 'thumbprints', label: 'Key thumbprints (RFC 7638 SHA-256, base64url), one a line', type: 'textarea', default: (p.keyBinding?.thumbprints ?? []).join('\n'), hint: 'No thumbprints and not required removes the binding.' },
  ], (v) => ({ required: (v.required ?? []).includes(REQUIRED_BINDING), thumbprints: v.thumbprints.split('\n').map((x) => x.trim()).filter(Boolean) }), { done: 'Key binding set' }));
  if (s !== 'REVOKED') actions.push(form('revoke', 'Revoke', 'admin/RevokeProduct', [], () => ({}), { danger: true, done: 'Revoked' }));
  return html`<${ActionBar} label="Admin actions" actions=${actions} />`;
}

const REQUIRED_BINDING = 'Required: refuse the product\'s tokens sent as Bearer or without a proof by one of these keys';
const approveLabel = (m) => `Approve pending manifest v${m.version} with the certification`;

/** One manifest version: who submitted and approved it, and each document's names and hash (the document on demand). */
function ManifestTable({ manifest: m, id }) {
  return html`<div data-manifest-version=${m.version} id=${id}>
    <p class="muted">Version <strong class="mono">v${m.version}</strong> · submitted <${Time} iso=${m.submittedAt} /> by ${m.submittedBy}${m.approvedAt ? html` · approved <${Time} iso=${m.approvedAt} /> by ${m.approvedBy}` : html` · <span class="badge warn">awaiting approval</span>`}</p>
    <div class="table-wrap"><table><thead><tr><th>Operations</th><th>SHA-256</th><th>Document</th></tr></thead>
    <tbody>${m.operations.map((o) => html`<tr data-hash=${o.hash}><td>${o.operationNames.join(', ') || html`<span class="muted">(anonymous)</span>`}</td><td class="mono">${o.hash}</td>
      <td><details><summary>Show</summary><pre class="mono">${o.document}</pre></details></td></tr>`)}</tbody></table></div>
  </div>`;
}

/**
 * The product's operation manifest (approved and pending), the trusted-documents mode the gateway
 * applies, and its DPoP key binding. Developer staff (their own products) and admins submit a new
 * manifest version here; the admin's approvals and settings are in the admin actions.
 */
function ManifestSection({ product: p, onDone, onReload }) {
  const [submitting, setSubmitting] = useState(false);
  const [submitted, setSubmitted] = useState(null);
  const role = currentSession().role;
  const mode = p.trustedDocuments ?? 'default';
  return html`<section class="card" aria-labelledby="manifest-title" data-effective-trusted-documents=${p.effectiveTrustedDocuments}>
    <h2 id="manifest-title">Certified operations and key binding</h2>
    <dl class="facts">
      <dt>Trusted documents</dt><dd><span class=${`badge ${p.effectiveTrustedDocuments === 'ENFORCE' ? 'ok' : p.effectiveTrustedDocuments === 'LOG' ? 'warn' : 'neutral'}`} id="effective-trusted-documents">${p.effectiveTrustedDocuments}</span> <span class="muted">(setting: ${mode})</span></dd>
      <dt>Approved manifest</dt><dd>${p.manifest ? html`v${p.manifest.version}` : 'none'}</dd>
      <dt>Pending manifest</dt><dd id="pending-manifest">${p.pendingManifest ? html`v${p.pendingManifest.version} <span class="badge warn">awaiting approval</span>` : 'none'}</dd>
      <dt>Key binding</dt><dd id="key-binding" data-required=${p.keyBinding ? String(p.keyBinding.required) : 'none'}>${p.keyBinding
        ? html`${p.keyBinding.required ? html`<span class="badge ok">DPoP required</span>` : html`<span class="badge neutral">DPoP optional</span>`}
          <ul class="mono">${p.keyBinding.thumbprints.map((k) => html`<li data-thumbprint=${k}>${k}</li>`)}</ul>`
        : 'none (Bearer tokens accepted)'}</dd>
    </dl>
    ${p.manifest ? html`<h3>Approved manifest</h3><${ManifestTable} manifest=${p.manifest} id="approved-manifest" />` : null}
    ${p.pendingManifest ? html`<h3>Pending manifest</h3><${ManifestTable} manifest=${p.pendingManifest} id="pending-manifest-table" />` : null}
    ${submitted ? html`<div class="notice success" role="status" id="submitted-hashes">Manifest v${submitted.version} submitted; its documents' SHA-256 hashes:
      <ul class="mono">${submitted.operations.map((o) => html`<li>${o.hash} ${o.operationNames.join(', ')}</li>`)}</ul></div>` : null}
    ${(role === 'admin' || role === 'developer') && p.status !== 'REVOKED' ? html`<div class="actions">
      <button type="button" class="secondary" aria-expanded=${submitting} onClick=${() => setSubmitting(!submitting)}>Submit operation manifest…</button></div>` : null}
    ${submitting ? html`<${SubmitManifestForm} product=${p} onCancel=${() => setSubmitting(false)} onReload=${() => { setSubmitting(false); onReload(); }}
      onDone=${(d) => { setSubmitting(false); setSubmitted(d.submitOperationManifest.pendingManifest); onDone(`Manifest v${d.submitOperationManifest.pendingManifest?.version} submitted`)(d); }} />` : null}
  </section>`;
}

/**
 * One textarea per document, added and removed one at a time. Each is sent exactly as typed (no
 * trimming: a document's SHA-256 of its exact text is its identity, and the product must send the
 * same bytes).
 */
function SubmitManifestForm({ product: p, onDone, onCancel, onReload }) {
  const start = (p.pendingManifest ?? p.manifest)?.operations.map((o) => o.document) ?? [''];
  const [docs, setDocs] = useState(start.length ? start : ['']);
  return html`<div id="manifest-form">
    <fieldset><legend>Documents, each exactly as the product sends it</legend>
      ${docs.map((d, i) => html`<div class="stack" data-document=${i}>
        <label>Document ${i + 1}<textarea class="mono" rows="6" name=${`document-${i}`} required value=${d} onInput=${(e) => setDocs(docs.map((x, j) => (j === i ? e.currentTarget.value : x)))}></textarea></label>
        ${docs.length > 1 ? html`<div><button type="button" class="secondary" onClick=${() => setDocs(docs.filter((_, j) => j !== i))}>Remove document ${i + 1}</button></div>` : null}
      </div>`)}
      <div><button type="button" class="secondary" data-add-document onClick=${() => setDocs([...docs, ''])}>Add a document</button></div>
    </fieldset>
    <${ActionForm} title="Submit operation manifest" operationId="admin/SubmitOperationManifest" onDone=${onDone} onCancel=${onCancel} onReload=${onReload}
      variables=${() => ({ productId: p.id, expectedRevision: p.revision, documents: docs })} />
  </div>`;
}

/**
 * Development only: mints a token for this product (the local issuer, as `npm run token` does)
 * and sends the request a product sends, so the effect of a change is seen at once.
 */
function TryRequest({ product }) {
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  async function tryIt() {
    setBusy(true);
    try {
      const token = await mintProductToken(product.id, product.minimumVersion);
      const op = catalogue()['product/ReadClient'];
      // The example's client (a demo client; the catalogue carries examples only beside the development tools).
      const r = await post(op.document, op.name, op.exampleVariables, token);
      setResult({ status: r.status, codes: codesOf(r), served: !!r.data?.client && r.errors.length === 0 });
    } catch (err) {
      setResult({ status: 0, codes: [String(err.message)], served: false });
    } finally {
      setBusy(false);
    }
  }
  return html`<section class="card" aria-labelledby="try-title">
    <h2 id="try-title">Try a product request <small class="muted">development only</small></h2>
    <p class="muted">Mints a development token for ${product.id} (version ${product.minimumVersion}) and sends <code>ReadClient</code> for the example's client through the gateway, as the product would.</p>
    <button type="button" onClick=${tryIt} disabled=${busy}>Send a request as ${product.id}</button>
    ${result ? html`<p id="try-result" role="status" data-served=${result.served} data-status=${result.status}>
      ${result.served ? html`<span class="badge ok">Served</span> HTTP ${result.status}` : html`<span class="badge bad">Refused</span> HTTP ${result.status}: ${result.codes.join(', ')}`}</p>` : null}
  </section>`;
}

// ─── a developer ──────────────────────────────────────────────────────────────────────────────

export function DeveloperPage({ id }) {
  const q = useOperation('register/Developer', { id }, [id]);
  const [notice, setNotice] = useState(null);
  const [adding, setAdding] = useState(false);
  if (q.loading && !q.data) return html`<${Loading} />`;
  const d = q.data?.developer;
  if (!d) return html`<section class="card"><h2>Developer ${id}</h2><${Errors} errors=${q.errors} />${q.errors.length ? null : html`<p>No such developer.</p>`}</section>`;
  const done = (what) => (data) => {
    setNotice(`${what} (revision ${Object.values(data)[0]?.revision ?? '?'}).`);
    q.reload();
  };
  const form = (key, label, operationId, fields = [], variables = () => ({}), opts = {}) => ({
    key, label, danger: opts.danger,
    render: (close) => html`<${ActionForm} title=${label} operationId=${operationId} fields=${fields} danger=${opts.danger}
      variables=${(v) => ({ developerId: d.id, expectedRevision: d.revision, ...variables(v) })}
      onCancel=${close} onReload=${() => { close(); q.reload(); }} onDone=${(x) => { close(); done(label)(x); }} />`,
  });
  const actions = [];
  if (d.status === 'PENDING') actions.push(form('approve', 'Approve', 'admin/ApproveDeveloper'), form('reject', 'Reject', 'admin/RejectDeveloper', [], undefined, { danger: true }));
  if (d.status === 'ACTIVE') actions.push(form('review', 'Complete annual review', 'admin/CompleteAnnualReview'), form('suspend', 'Suspend', 'admin/SuspendDeveloper', [], undefined, { danger: true }));
  if (d.status === 'SUSPENDED') actions.push(form('reinstate', 'Reinstate', 'admin/ReinstateDeveloper'));
  if (d.status === 'ACTIVE' || d.status === 'SUSPENDED') actions.push(form('deregister', 'Deregister', 'admin/DeregisterDeveloper', [], undefined, { danger: true }));
  const e = d.eligibility;
  return html`
    <section class="card" aria-labelledby="developer-title" data-developer=${d.id} data-revision=${d.revision}>
      <h2 id="developer-title">${d.legalName} <span class="mono muted">${d.id}</span></h2>
      <p><${Badge} value=${d.status} /> ${d.statusReason ?? ''} <button type="button" class="secondary" onClick=${q.reload}>Reload</button></p>
      ${notice ? html`<p class="notice success" role="status">${notice}</p>` : null}
      <${Errors} errors=${q.errors} />
      <div class="grid2">
        <dl class="facts">
          <dt>ABN</dt><dd class="mono">${d.abn}</dd>
          <dt>Contact</dt><dd>${d.contact.name}, ${d.contact.email}${d.contact.phone ? `, ${d.contact.phone}` : ''}</dd>
          <dt>Roles</dt><dd>${d.roles.join(', ')}</dd>
          <dt>Registered</dt><dd><${Time} iso=${d.registeredAt} /></dd>
          <dt>Annual review due</dt><dd><${Time} iso=${d.reviewDueAt} format=${date} />${d.reviewOverdue ? html` <span class="badge bad">overdue</span>` : null}</dd>
          <dt>Revision</dt><dd class="mono">${d.revision}</dd>
        </dl>
        <dl class="facts" aria-label="Eligibility">
          <dt>ABN valid</dt><dd>${e.abnValid ? 'yes' : 'no'}</dd><dt>ABN unique</dt><dd>${e.abnUnique ? 'yes' : 'no'}</dd>
          <dt>Declarations accepted</dt><dd>${e.declarationsAccepted ? 'yes' : 'no'}</dd><dt>Tax obligations current</dt><dd>${e.taxObligationsCurrent ? 'yes' : 'no'}</dd>
          ${e.reasons.length ? html`<dt>Eligibility problems</dt><dd>${e.reasons.join('; ')}</dd>` : null}
        </dl>
      </div>
    </section>
    ${isAdmin() ? html`<${ActionBar} label="Admin actions" actions=${actions} />` : null}
    <section class="card" aria-labelledby="dev-products-title">
      <h2 id="dev-products-title">Products</h2>
      <table><thead><tr><th>Product</th><th>Name</th><th>Effective</th><th>Gateway now</th></tr></thead>
      <tbody>${d.products.map((p) => html`<tr data-product=${p.id}><td class="mono"><a href=${`#/product/${p.id}`}>${p.id}</a></td><td>${p.name}</td><td><${Badge} value=${p.effectiveStatus} /></td><td><${Standing} blockedBy=${p.blockedBy} /></td></tr>`)}</tbody></table>
      ${(isAdmin() || currentSession().role === 'developer') && d.status === 'ACTIVE' ? html`<div class="actions"><button type="button" class="secondary" onClick=${() => setAdding(!adding)}>Register a product…</button></div>` : null}
      ${adding ? html`<${RegisterProductForm} developerId=${d.id} onCancel=${() => setAdding(false)} onDone=${(x) => go(`#/product/${x.registerProduct.id}`)} />` : null}
    </section>
    <section class="card" aria-labelledby="dev-history-title"><h2 id="dev-history-title">History</h2><${Timeline} entries=${q.data.developerHistory} /></section>`;
}

// ─── attention, history search, client authorisations ─────────────────────────────────────────

export function AttentionPage() {
  const [days, setDays] = useState(60);
  const q = useOperation('register/Attention', { withinDays: days }, [days]);
  return html`<section class="card" aria-labelledby="attention-title">
    <h2 id="attention-title">Needs attention</h2>
    <label class="inline">Within <select value=${days} onChange=${(e) => setDays(Number(e.currentTarget.value))}>${[7, 30, 60, 90, 180, 365].map((n) => html`<option value=${n}>${n} days</option>`)}</select></label>
    <${Errors} errors=${q.errors} />
    <div class="grid2">
      <div><h3>Certifications ending</h3><table><thead><tr><th>Product</th><th>Status</th><th>Ends</th></tr></thead>
        <tbody>${(q.data?.certificationsExpiring ?? []).map((p) => html`<tr><td><a href=${`#/product/${p.id}`}>${p.name}</a> <span class="mono muted">${p.id}</span></td><td><${Badge} value=${p.effectiveStatus} /></td><td><${Time} iso=${p.certification?.validUntil} format=${date} /></td></tr>`)}</tbody></table></div>
      <div><h3>Annual reviews due</h3><table><thead><tr><th>Developer</th><th>Status</th><th>Due</th></tr></thead>
        <tbody>${(q.data?.reviewsDue ?? []).map((d) => html`<tr><td><a href=${`#/developer/${d.id}`}>${d.legalName}</a></td><td><${Badge} value=${d.status} /></td><td><${Time} iso=${d.reviewDueAt} format=${date} />${d.reviewOverdue ? html` <span class="badge bad">overdue</span>` : null}</td></tr>`)}</tbody></table></div>
    </div>
  </section>`;
}

export function HistoryPage() {
  const [form, setForm] = useState({ actor: '', ticket: '', entityType: '', from: '', to: '' });
  const [query, setQuery] = useState({ filter: {}, before: null, pages: [] });
  const filter = Object.fromEntries(Object.entries(query.filter).filter(([, v]) => v));
  const q = useOperation('register/RegistryHistory', { filter, first: 50, ...(query.before ? { beforeRevision: query.before } : {}) }, [JSON.stringify(query)]);
  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.value });
  const entries = q.data?.registryHistory ?? [];
  return html`<section class="card" aria-labelledby="rh-title">
    <h2 id="rh-title">Register history <small class="muted">newest first</small></h2>
    <form class="filters" role="search" onSubmit=${(e) => { e.preventDefault(); setQuery({ filter: { ...form, from: toInstant(form.from), to: toInstant(form.to) }, before: null, pages: [] }); }}>
      <label>Actor<input name="actor" value=${form.actor} onInput=${set('actor')} /></label>
      <label>Ticket<input name="ticket" value=${form.ticket} onInput=${set('ticket')} /></label>
      <label>Entity<select name="entityType" value=${form.entityType} onChange=${set('entityType')}>${['', 'DEVELOPER', 'PRODUCT', 'CLIENT_AUTHORISATION'].map((s) => html`<option value=${s}>${s || '(any)'}</option>`)}</select></label>
      <label>From<input type="datetime-local" name="from" value=${form.from} onInput=${set('from')} /></label>
      <label>To<input type="datetime-local" name="to" value=${form.to} onInput=${set('to')} /></label>
      <button type="submit">Search</button>
    </form>
    <${Errors} errors=${q.errors} />
    <table><thead><tr><th>When</th><th>Entity</th><th>Change</th><th>Actor</th><th>Reason</th><th>Ticket</th><th>Revision</th></tr></thead>
    <tbody>${entries.map((e) => html`<tr><td><${Time} iso=${e.effectiveAt} /></td>
      <td><a href=${e.entityType === 'PRODUCT' ? `#/product/${e.entityId}` : e.entityType === 'DEVELOPER' ? `#/developer/${e.entityId}` : '#/authorisations'}>${e.entityType} ${e.entityId}</a></td>
      <td>${e.action} <span class="muted">${e.fromStatus ?? ''}${e.toStatus ? ` → ${e.toStatus}` : ''}</span></td><td>${e.actor}</td><td>${e.reason}</td><td>${e.ticket ?? '–'}</td><td class="num">${e.revision}</td></tr>`)}</tbody></table>
    <div class="pager">
      <button type="button" class="secondary" disabled=${!query.pages.length} onClick=${() => setQuery({ ...query, before: query.pages.at(-1) ?? null, pages: query.pages.slice(0, -1) })}>Newer</button>
      <button type="button" class="secondary" disabled=${entries.length < 50} onClick=${() => setQuery({ ...query, before: entries.at(-1).revision, pages: [...query.pages, query.before] })}>Older</button>
    </div>
  </section>`;
}

export function AuthorisationsPage() {
  const [form, setForm] = useState({ org: '', clientId: '' });
  const [applied, setApplied] = useState(null);
  const [granting, setGranting] = useState(false);
  const [notice, setNotice] = useState(null);
  const vars = applied ? Object.fromEntries(Object.entries(applied).filter(([, v]) => v)) : {};
  const q = useOperation('register/ClientAuthorisations', vars, [JSON.stringify(applied)]);
  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.value.trim() });
  const [revoking, setRevoking] = useState(null);
  return html`<section class="card" aria-labelledby="ca-title">
    <h2 id="ca-title">Client authorisations <small class="muted">which org (ABN, the token's org) may act for which client</small></h2>
    <form class="filters" role="search" onSubmit=${(e) => { e.preventDefault(); setApplied(form); }}>
      <label>Org (ABN)<input name="org" value=${form.org} onInput=${set('org')} /></label>
      <label>Client id<input name="clientId" value=${form.clientId} onInput=${set('clientId')} /></label>
      <button type="submit">Search</button>
      ${isAdmin() ? html`<button type="button" class="secondary" onClick=${() => setGranting(!granting)}>Grant an authorisation…</button>` : null}
    </form>
    ${notice ? html`<p class="notice success" role="status">${notice}</p>` : null}
    ${granting ? html`<${ActionForm} title="Grant a client authorisation" operationId="admin/GrantClientAuthorisation" onCancel=${() => setGranting(false)}
      fields=${[{ name: 'org', label: 'Org (ABN)', required: true }, { name: 'clientId', label: 'Client id', required: true }, { name: 'expiresAt', label: 'Expires (optional)', type: 'datetime-local' }]}
      variables=${(v) => ({ org: v.org, clientId: v.clientId, expectedRevision: null, ...(v.expiresAt ? { expiresAt: toInstant(v.expiresAt) } : {}) })}
      onDone=${(d) => { setGranting(false); setNotice(`Granted ${d.grantClientAuthorisation.org} → ${d.grantClientAuthorisation.clientId}.`); q.reload(); }} />` : null}
    <${Errors} errors=${q.errors} />
    <table><thead><tr><th>Org</th><th>Client</th><th>Granted</th><th>Expires</th><th>Active</th><th>Revision</th>${isAdmin() ? html`<th>Action</th>` : null}</tr></thead>
    <tbody>${(q.data?.clientAuthorisations ?? []).slice(0, 200).map((a) => html`<tr><td class="mono">${a.org}</td><td class="mono">${a.clientId}</td><td><${Time} iso=${a.grantedAt} /></td><td><${Time} iso=${a.expiresAt} /></td>
      <td>${a.active ? html`<span class="badge ok">active</span>` : html`<span class="badge neutral">${a.revoked ? 'revoked' : 'expired'}</span>`}</td><td class="num">${a.revision}</td>
      ${isAdmin() ? html`<td>${a.active ? html`<button type="button" class="secondary" onClick=${() => setRevoking(a)}>Revoke…</button>` : null}</td>` : null}</tr>`)}</tbody></table>
    ${revoking ? html`<${ActionForm} title=${`Revoke ${revoking.org} → ${revoking.clientId}`} operationId="admin/RevokeClientAuthorisation" danger=${true} onCancel=${() => setRevoking(null)} onReload=${() => { setRevoking(null); q.reload(); }}
      variables=${() => ({ org: revoking.org, clientId: revoking.clientId, expectedRevision: revoking.revision })}
      onDone=${() => { setRevoking(null); setNotice('Revoked.'); q.reload(); }} />` : null}
  </section>`;
}
