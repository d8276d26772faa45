// The API explorer (development only): GraphiQL, from its packaged bundle on React 18, mounted in
// this page so it uses the session's token from memory. Introspection is allowed for staff
// sessions outside production only (the gateway decides it per request); the examples are the
// console's own operations (docs/operations).
import { useEffect, useRef, useState } from 'preact/hooks';
import { catalogue, currentSession, post } from './api.js';
import { html } from './ui.js';

let loading = null;
function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(s);
  });
}
function loadGraphiQL() {
  loading ??= (async () => {
    const css = document.createElement('link');
    css.rel = 'stylesheet';
    css.href = '/console/explorer/graphiql.css';
    document.head.append(css);
    await loadScript('/console/explorer/react.js');
    await loadScript('/console/explorer/react-dom.js');
    await loadScript('/console/explorer/graphiql.js');
  })();
  return loading;
}

export function ExplorerPage() {
  const root = useRef(null);
  const reactRoot = useRef(null);
  const [error, setError] = useState(null);
  const [example, setExample] = useState('');
  const role = currentSession().role;
  const examples = Object.entries(catalogue()).filter(([, op]) => op.users.includes(role) || role === 'admin');

  useEffect(() => {
    let live = true;
    loadGraphiQL().then(
      () => live && (reactRoot.current = window.ReactDOM.createRoot(root.current)) && render(''),
      (err) => live && setError(err.message),
    );
    return () => {
      live = false;
      reactRoot.current?.unmount();
      reactRoot.current = null;
    };
  }, []);

  function render(id) {
    if (!reactRoot.current) return;
    const op = id ? catalogue()[id] : null;
    const fetcher = async (params) => {
      const r = await post(params.query, params.operationName ?? undefined, params.variables ?? undefined, currentSession()?.token);
      return { ...(r.data !== null ? { data: r.data } : {}), ...(r.errors.length ? { errors: r.errors } : {}) };
    };
    // A new key starts GraphiQL afresh with the example as its editors' content.
    reactRoot.current.render(window.React.createElement(window.GraphiQL, {
      key: id || 'blank',
      fetcher,
      defaultQuery: op ? op.document : '# Write a query, or load one of the console\'s operations above.\n{ serviceStatus { name version } }\n',
      ...(op ? { query: op.document, variables: JSON.stringify(op.exampleVariables, null, 2) } : {}),
      defaultEditorToolsVisibility: true,
      shouldPersistHeaders: false,
      storage: memoryStorage(),
    }));
  }

  return html`<section class="card" aria-labelledby="explorer-title">
    <h2 id="explorer-title">API explorer <small class="muted">development only: GraphiQL with your session's token</small></h2>
    <p class="muted">Every request here goes through the gateway like any other: the same directives decide it and the access log records it under your name.
      Introspection is allowed for signed-in staff outside production only.</p>
    <label class="inline">Load an example operation
      <select id="example" value=${example} onChange=${(e) => { setExample(e.currentTarget.value); render(e.currentTarget.value); }}>
        <option value="">(none)</option>
        ${examples.map(([id, op]) => html`<option value=${id}>${id} — ${op.type}</option>`)}
      </select></label>
    ${error ? html`<p class="notice error" role="alert">${error}</p>` : null}
    <div id="explorer-root" ref=${root}></div>
  </section>`;
}

/** GraphiQL keeps tabs and headers in storage; here it keeps them in memory (nothing of a session is stored in the browser). */
function memoryStorage() {
  const map = new Map();
  return {
    getItem: (k) => (map.has(k) ? map.get(k) : null),
    setItem: (k, v) => void map.set(k, String(v)),
    removeItem: (k) => void map.delete(k),
    clear: () => map.clear(),
    get length() {
      return map.size;
    },
  };
}
