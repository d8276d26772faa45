// DSP Gateway staff console: the shell (sign-in, navigation, routing) around the pages. Preact and
// htm as ES modules from this origin; no build step. Every value from the server is rendered as
// text by Preact, never parsed as HTML.
import { render } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { loadCatalogue, onSessionChange, currentSession, signIn, signInAs, signOut, devToolsOffered } from './api.js';
import { html, Countdown } from './ui.js';
import { RegisterPage, ProductPage, DeveloperPage, AttentionPage, HistoryPage, AuthorisationsPage } from './register.js';
import { AccessLogPage, IntegrityPage } from './audit.js';
import { IncidentsPage, IncidentPage, MyIncidentsPage } from './monitoring.js';
import { ExplorerPage } from './explorer.js';

const ROLE_LABEL = { admin: 'ATO administrator', auditor: 'Auditor', developer: 'DSP developer staff' };

function navFor(role) {
  const explorer = devToolsOffered()?.explorer ? [['#/explorer', 'API explorer']] : [];
  if (role === 'admin') return [['#/register', 'Register'], ['#/attention', 'Needs attention'], ['#/history', 'History'], ['#/authorisations', 'Client authorisations'], ['#/incidents', 'Incidents and alerts'], ...explorer];
  if (role === 'auditor') return [['#/access-log', 'Access log'], ['#/integrity', 'Verify integrity'], ['#/incidents', 'Incidents and alerts'], ['#/register', 'Register'], ['#/attention', 'Needs attention'], ['#/history', 'History'], ...explorer];
  return [['#/register', 'My products'], ['#/my-incidents', 'Incidents'], ...explorer];
}

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

// A route comes from the address bar, so from any link: a malformed escape (`%E0%A4%A`) is no page, not a thrown URIError.
const decodePart = (part) => {
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
};

function page(hash, role) {
  const parts = hash.replace(/^#/, '').split('/').map(decodePart);
  if (parts.includes(null)) return null;
  const [, first, id] = parts;
  switch (first) {
    case 'product': return html`<${ProductPage} id=${id} key=${id} />`;
    case 'developer': return html`<${DeveloperPage} id=${id} key=${id} />`;
    case 'attention': return role === 'developer' ? null : html`<${AttentionPage} />`;
    case 'history': return role === 'developer' ? null : html`<${HistoryPage} />`;
    case 'authorisations': return role === 'developer' ? null : html`<${AuthorisationsPage} />`;
    case 'incidents': return role === 'developer' ? html`<${MyIncidentsPage} />` : html`<${IncidentsPage} />`;
    case 'incident': return html`<${IncidentPage} id=${id} key=${id} />`;
    case 'my-incidents': return html`<${MyIncidentsPage} />`;
    case 'access-log': return role === 'auditor' ? html`<${AccessLogPage} />` : null;
    case 'integrity': return role === 'auditor' ? html`<${IntegrityPage} />` : null;
    case 'explorer': return devToolsOffered()?.explorer ? html`<${ExplorerPage} />` : null;
    case 'register': return html`<${RegisterPage} />`;
    default: return null;
  }
}

/**
 * The token goes in a textarea, not a password field: a browser offers to save what is typed in
 * a password field (and may sync it), and a staff token must live in this tab's memory only. The
 * text is masked by the stylesheet (`.secret`), and Enter signs in as it would in a field.
 */
function submitOnEnter(e) {
  if (e.key !== 'Enter' || e.shiftKey) return;
  e.preventDefault();
  e.currentTarget.form.requestSubmit();
}

function SignIn({ message }) {
  const [error, setError] = useState(null);
  const [token, setToken] = useState('');
  const [name, setName] = useState('');
  const dev = devToolsOffered();
  const attempt = async (fn) => {
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(err.message);
    }
  };
  return html`<main id="main" tabindex="-1">
    ${message ? html`<p class="notice conflict" role="status">${message}</p>` : null}
    ${dev ? html`<section class="card narrow" aria-labelledby="as-title">
      <h2 id="as-title">Sign in as <small class="muted">development only: tokens from the local issuer, with MFA</small></h2>
      <label>Name to act under (optional)<input name="name" value=${name} onInput=${(e) => setName(e.currentTarget.value.trim())} placeholder="e.g. jane" /></label>
      <div class="signin-options">${dev.signInAs.map((i) => html`<button type="button" data-as=${i.as} onClick=${() => attempt(() => signInAs(i.as, name))}>${i.label}</button>`)}</div>
    </section>` : null}
    <section class="card narrow" aria-labelledby="token-title">
      <h2 id="token-title">Sign in with a staff token</h2>
      <p class="muted">A token from the ATO's staff issuer with role <code>ato:admin</code>, <code>ato:auditor</code> or <code>dsp:developer</code>, signed in with MFA.
        It is kept in this tab's memory only and sent only to this gateway; the session ends when the tab closes or the token expires.</p>
      <form class="stack" autocomplete="off" onSubmit=${(e) => { e.preventDefault(); attempt(() => signIn(token)); }}>
        <label for="token">Staff token<textarea id="token" name="token" class="secret" rows="3" autocomplete="off" autocapitalize="off" spellcheck="false" data-gramm="false" data-enable-grammarly="false" required value=${token} onInput=${(e) => setToken(e.currentTarget.value)} onKeyDown=${submitOnEnter}></textarea></label>
        <div class="actions"><button type="submit">Sign in</button></div>
      </form>
    </section>
    ${error ? html`<p id="sign-in-error" class="notice error" role="alert">${error}</p>` : null}
  </main>`;
}

function App() {
  const [session, setSession] = useState(currentSession());
  const [message, setMessage] = useState(null);
  const hash = useHash();
  useEffect(() => onSessionChange((s, reason) => {
    setSession(s);
    setMessage(reason);
    if (s && !location.hash.startsWith('#/')) location.hash = s.role === 'auditor' ? '#/access-log' : '#/register';
  }), []);
  const route = session ? (hash.startsWith('#/') ? hash : navFor(session.role)[0][0]) : null;
  // A new page takes the focus to its content, as a page load would put a screen reader there
  // (and the next Tab goes into the page, not through the navigation again). In the commit that
  // renders the page (a layout effect), not a frame later: a key pressed meanwhile would still
  // act on the navigation.
  const firstRoute = useRef(true);
  useLayoutEffect(() => {
    if (firstRoute.current) firstRoute.current = false;
    else if (route) document.getElementById('main')?.focus();
  }, [route]);
  // The routes live in the hash, so "#main" would be a route (the first page): the skip link moves the focus itself.
  const skip = (e) => {
    e.preventDefault();
    document.getElementById('main')?.focus();
  };
  const top = (who) => html`<a class="skip" href="#main" onClick=${skip}>Skip to content</a><header class="top"><h1>DSP Gateway · staff console</h1>${who}</header>`;
  if (!session) return html`${top(null)}<${SignIn} message=${message} />`;
  const nav = navFor(session.role);
  const current = page(route, session.role);
  return html`
    ${top(html`<div class="who" id="who" data-role=${session.role} data-sub=${session.sub}>
      <span>${session.sub} · ${ROLE_LABEL[session.role]}${session.developerId ? ` (${session.developerId})` : ''}</span>
      <span>session ends <${Countdown} iso=${new Date(session.expiresAt).toISOString()} plain=${true} /></span>
      <button type="button" onClick=${() => signOut('Signed out.')}>Sign out</button></div>`)}
    <nav class="main" aria-label="Console">${nav.map(([href, label]) => html`<a href=${href} aria-current=${route.split('/')[1] === href.split('/')[1] ? 'page' : undefined}>${label}</a>`)}</nav>
    <main id="main" tabindex="-1">${current ?? html`<section class="card"><h2>Not available</h2><p>This page is not available to your role.</p></section>`}</main>`;
}

loadCatalogue().then(
  () => {
    const root = document.getElementById('app');
    root.textContent = '';
    render(html`<${App} />`, root);
  },
  (err) => {
    document.getElementById('app').textContent = `The console could not start: ${err.message}`;
  },
);
