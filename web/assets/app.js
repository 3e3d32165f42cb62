// trawl's search page: API key, search, facets, document view, uploads.
// Everything the server sends is inserted as text, except `snippet_html`,
// which the server escapes and marks up with <mark> only.
(() => {
  'use strict';
  const KEY = 'trawl.key';
  const $ = (id) => document.getElementById(id);
  const el = (tag, props = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k === 'class') e.className = v; else if (k in e) e[k] = v; else e.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  };

  // ---- API access (also used by other panels: window.trawl.api) ----
  const key = () => sessionStorage.getItem(KEY) || '';
  async function api(path, opts = {}) {
    const headers = new Headers(opts.headers || {});
    if (key()) headers.set('Authorization', 'Bearer ' + key());
    const res = await fetch(path, { ...opts, headers });
    if (!res.ok) {
      let msg = res.statusText, code = 'http_' + res.status;
      try { const b = await res.json(); msg = b.error.message; code = b.error.code; } catch (_) { /* not JSON */ }
      const err = new Error(msg); err.code = code; err.status = res.status;
      throw err;
    }
    return res;
  }
  // Other panels (review.js) add filter parameters and react to results.
  const extraParams = [];
  window.trawl = { api, key, extraParams };

  // ---- which model serves (a tuned model changes what "semantic" means) ----
  fetch('/readyz').then((r) => (r.ok ? r.json() : null)).then((r) => {
    if (r) $('serving').textContent = `Search model: ${r.model}${r.backend === 'embedded' ? '' : ' · passages on a cluster'}`;
  }).catch(() => {});

  // ---- identity ----
  const who = $('who'), keyForm = $('key-form'), keyInput = $('key');
  let me = null;
  async function whoami() {
    try {
      me = await (await api('/api/whoami')).json();
      who.textContent = `${me.name}${me.admin ? ' (admin)' : ''}${me.groups.length ? ' · ' + me.groups.join(', ') : ''}`;
      keyForm.hidden = true;
    } catch (e) {
      me = null;
      who.textContent = e.status === 401 ? 'No valid API key' : 'Server unreachable';
      if (e.status === 401) { keyForm.hidden = false; keyInput.focus(); }
    }
    $('upload-open').hidden = !(me && me.admin);
    return me;
  }
  $('key-open').addEventListener('click', () => { keyForm.hidden = !keyForm.hidden; if (!keyForm.hidden) keyInput.focus(); });
  keyForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = keyInput.value.trim();
    if (v) sessionStorage.setItem(KEY, v);
    keyInput.value = '';
    if (await whoami()) { refreshFacets(); if (q.value.trim()) run(0); }
  });
  $('key-clear').addEventListener('click', () => { sessionStorage.removeItem(KEY); whoami(); list.replaceChildren(); });

  // ---- filters and facets ----
  const q = $('q'), mode = $('mode'), status = $('status'), list = $('results');
  const from = $('from'), to = $('to'), mfrom = $('modified-from'), mto = $('modified-to');
  const selected = { kind: new Set(), tag: new Set(), custodian: new Set() };
  const facetBoxes = { kind: ['f-kind', 'kind'], tag: ['f-tags', 'tags'], custodian: ['f-custodian', 'custodian'] };

  function filterParams(p) {
    for (const [name, set] of Object.entries(selected)) if (set.size) p.set(name, [...set].join(','));
    if (from.value) p.set('from', from.value);
    if (to.value) p.set('to', to.value);
    if (mfrom.value) p.set('modified_from', mfrom.value);
    if (mto.value) p.set('modified_to', mto.value);
    for (const add of extraParams) add(p);
    return p;
  }

  async function refreshFacets() {
    const p = filterParams(new URLSearchParams());
    p.delete('review_tag'); // facets count metadata only
    if (q.value.trim()) p.set('q', q.value.trim());
    let f;
    try { f = await (await api('/api/facets?' + p)).json(); } catch (_) { return; }
    for (const [param, [boxId, field]] of Object.entries(facetBoxes)) {
      const box = $(boxId).querySelector('.opts');
      box.replaceChildren();
      const values = f[field];
      // Keep selected values visible even when they count zero now.
      for (const v of selected[param]) if (!values.some((x) => x.value === v)) values.push({ value: v, count: 0 });
      if (!values.length) box.append(el('span', { class: 'none' }, 'none'));
      for (const { value, count } of values) {
        const id = `f-${param}-${value}`.replace(/[^A-Za-z0-9_-]/g, '_');
        const cb = el('input', { type: 'checkbox', id, checked: selected[param].has(value) });
        cb.addEventListener('change', () => {
          if (cb.checked) selected[param].add(value); else selected[param].delete(value);
          changed();
        });
        box.append(el('label', { htmlFor: id }, cb, value, el('span', { class: 'count' }, String(count))));
      }
    }
    const years = $('years');
    years.replaceChildren();
    for (const { value, count } of [...f.year].sort((a, b) => b.value.localeCompare(a.value))) {
      const b = el('button', { type: 'button', title: `Only ${value}` }, value, el('span', { class: 'count' }, String(count)));
      b.addEventListener('click', () => { from.value = `${value}-01-01`; to.value = `${value}-12-31`; changed(); });
      years.append(b);
    }
  }
  function changed() { refreshFacets(); if (q.value.trim()) run(0); }
  for (const input of [from, to, mfrom, mto]) input.addEventListener('change', changed);
  $('clear-filters').addEventListener('click', () => {
    for (const s of Object.values(selected)) s.clear();
    from.value = ''; to.value = ''; mfrom.value = ''; mto.value = '';
    document.dispatchEvent(new CustomEvent('trawl:clear-filters'));
    changed();
  });

  // ---- search ----
  const PAGE = 10;
  let offset = 0, last = null;
  const fmt = (x) => (x === null || x === undefined) ? '–' : Number(x).toFixed(3);
  const day = (t) => new Date(t * 1000).toISOString().slice(0, 10);

  function render(data) {
    list.replaceChildren();
    last = data;
    status.textContent = data.results.length
      ? `Results ${offset + 1}–${offset + data.results.length} · ${data.took_ms.toFixed(1)} ms · ${data.mode}`
      : `No documents match “${data.query}”.`;
    const rows = [];
    for (const r of data.results) {
      const open = el('button', { type: 'button' }, r.title || r.path);
      open.addEventListener('click', () => openDoc(r, li));
      const parts = [r.path];
      if (r.section) parts.push(r.section);
      if (r.page) parts.push('p. ' + r.page + (r.ocr ? ' (OCR)' : ''));
      const where = el('p', { class: 'where' }, parts.join(' › '));
      if (r.date) where.append(' · ' + day(r.date));
      if (r.tags.length) where.append(el('span', { class: 'tags' }, ...r.tags.map((t) => el('span', { class: 'tag' }, t))));
      const snip = el('p', { class: 'snippet' });
      snip.innerHTML = r.snippet_html; // escaped by the server; only <mark> is markup
      const scores = el('div', { class: 'scores' },
        `score ${fmt(r.score)} · keyword #${r.keyword_rank ?? '–'} (${fmt(r.keyword_score)}${r.keyword_share == null ? '' : `, ${Math.round(r.keyword_share * 100)}% of the query`}) · semantic #${r.vector_rank ?? '–'} (${fmt(r.vector_score)})`);
      const like = el('button', { type: 'button', class: 'link similar' }, 'Similar');
      like.addEventListener('click', () => similar(r.doc_id, r.title || r.path));
      scores.append(' · ', like);
      const li = el('li', {}, el('h2', { class: 'title' }, open), where, snip, scores);
      list.append(li);
      rows.push([r, li]);
    }
    document.dispatchEvent(new CustomEvent('trawl:results', { detail: { data, rows } }));
    if (data.similar_to) {
      status.textContent = data.results.length
        ? `${data.results.length} documents similar to “${data.similar_to}” · ${data.took_ms.toFixed(1)} ms`
        : `No other documents are similar to “${data.similar_to}”.`;
      $('pager').hidden = true;
      return;
    }
    $('pager').hidden = offset === 0 && data.results.length < PAGE;
    $('prev').disabled = offset === 0;
    $('next').disabled = data.results.length < PAGE;
  }

  async function run(at, push = true) {
    const query = q.value.trim();
    if (!query) return;
    offset = at;
    const p = filterParams(new URLSearchParams({ q: query, mode: mode.value, k: PAGE, offset }));
    // The address is a link to this search, filters included.
    if (push) history.replaceState(null, '', '?' + filterParams(new URLSearchParams({ q: query, mode: mode.value })));
    status.textContent = 'Searching…';
    try {
      render(await (await api('/api/search?' + p)).json());
    } catch (e) {
      list.replaceChildren();
      status.replaceChildren(el('span', { class: 'error' }, 'Search failed: ' + e.message));
      if (e.status === 401) { keyForm.hidden = false; keyInput.focus(); }
    }
  }
  // Documents like one document, shown in the result list.
  async function similar(id, title) {
    status.textContent = 'Finding similar documents…';
    try {
      const data = await (await api(`/api/documents/${encodeURIComponent(id)}/similar?` + filterParams(new URLSearchParams({ limit: PAGE })))).json();
      render({ ...data, query: '', mode: 'similar', similar_to: title });
      list.focus();
    } catch (e) {
      status.replaceChildren(el('span', { class: 'error' }, 'Could not find similar documents: ' + e.message));
    }
  }
  $('search').addEventListener('submit', (e) => { e.preventDefault(); run(0); refreshFacets(); });
  $('prev').addEventListener('click', () => run(Math.max(0, offset - PAGE)));
  $('next').addEventListener('click', () => run(offset + PAGE));

  // ---- document view ----
  const doc = $('doc');
  let current = null;

  const STOP = new Set(['and', 'not', 'the', 'for', 'with', 'from', 'are', 'was', 'that', 'this', 'title', 'into', 'our', 'you']);
  // Query words, for highlighting the passage client-side.
  function terms(query) {
    return query.replace(/[~^]\d*(\.\d+)?/g, ' ').split(/[^\p{L}\p{N}]+/u)
      .filter((w) => w.length > 2 && !STOP.has(w.toLowerCase()))
      .map((w) => w.toLowerCase());
  }
  function highlighted(text, words) {
    const frag = document.createDocumentFragment();
    if (!words.length) { frag.append(text); return frag; }
    const esc = words.map((w) => w.slice(0, Math.max(4, w.length - 2)).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    const re = new RegExp(`\\b(?:${esc.join('|')})[\\p{L}\\p{N}]*`, 'giu');
    let pos = 0;
    for (const m of text.matchAll(re)) {
      frag.append(text.slice(pos, m.index), el('mark', {}, m[0]));
      pos = m.index + m[0].length;
    }
    frag.append(text.slice(pos));
    return frag;
  }

  async function openDoc(hit, li) {
    for (const x of list.children) x.classList.remove('open');
    if (li) li.classList.add('open');
    const link = new URLSearchParams(location.search);
    link.set('doc', hit.doc_id);
    link.set('chunk', hit.chunk_id);
    history.replaceState(null, '', '?' + link);
    let d;
    try { d = await (await api('/api/documents/' + encodeURIComponent(hit.doc_id))).json(); } catch (e) {
      status.replaceChildren(el('span', { class: 'error' }, 'Could not open the document: ' + e.message));
      return;
    }
    current = d;
    $('doc-title').textContent = d.title || d.path;
    $('doc-where').textContent = d.path;
    const meta = $('doc-meta');
    meta.replaceChildren();
    const rows = [['Type', d.kind], ['Date', d.date && day(d.date)], ['Author', d.author], ['Custodian', d.custodian],
      ['Tags', d.tags.join(', ')], ['Groups', d.groups.length ? d.groups.join(', ') : 'everyone'],
      ['Size', d.size + ' bytes'], ['Id', d.doc_id]];
    for (const [k, v] of rows) if (v) meta.append(el('dt', {}, k), el('dd', {}, v));
    $('doc-file').hidden = !d.has_file;
    const box = $('doc-chunks');
    box.replaceChildren();
    const words = terms(last ? last.query : '');
    let target = null;
    for (const c of d.chunks) {
      const loc = [c.section, c.page && 'p. ' + c.page + (c.ocr ? ' (OCR)' : '')].filter(Boolean).join(' · ');
      const hitChunk = c.chunk_id === hit.chunk_id;
      const div = el('div', { class: 'chunk' + (hitChunk ? ' hit' : '') }, loc ? el('span', { class: 'loc' }, loc) : null,
        hitChunk ? highlighted(c.text, words) : c.text);
      if (hitChunk) { div.setAttribute('aria-label', 'Matched passage'); target = div; }
      box.append(div);
    }
    doc.hidden = false;
    document.querySelector('.layout').classList.add('reading');
    doc.focus({ preventScroll: true });
    // Scroll the panel, not the page, to the matched passage.
    doc.scrollTop = target ? Math.max(0, target.offsetTop - doc.clientHeight / 4) : 0;
  }
  function closeDoc() {
    doc.hidden = true;
    const link = new URLSearchParams(location.search);
    link.delete('doc'); link.delete('chunk');
    history.replaceState(null, '', '?' + link);
    document.querySelector('.layout').classList.remove('reading');
    const open = list.querySelector('li.open button');
    if (open) open.focus();
  }
  $('doc-close').addEventListener('click', closeDoc);
  $('doc-similar').addEventListener('click', () => { if (current) similar(current.doc_id, current.title || current.path); });
  $('doc-file').addEventListener('click', async () => {
    if (!current) return;
    try {
      const res = await api(`/api/documents/${encodeURIComponent(current.doc_id)}/file`);
      const url = URL.createObjectURL(await res.blob());
      const a = el('a', { href: url, download: current.path.split('/').pop() });
      document.body.append(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) {
      status.replaceChildren(el('span', { class: 'error' }, 'Download failed: ' + e.message));
    }
  });

  // ---- uploads (admins) ----
  const dlg = $('upload'), ustatus = $('u-status');
  $('upload-open').addEventListener('click', () => { ustatus.replaceChildren(); dlg.showModal(); });
  $('u-cancel').addEventListener('click', () => dlg.close());
  $('upload-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = new FormData();
    for (const f of $('u-files').files) form.append('file', f, f.name);
    for (const name of ['groups', 'tags', 'custodian', 'date']) {
      const v = $('u-' + name).value.trim();
      if (v) form.append(name, v);
    }
    ustatus.textContent = 'Uploading…';
    try {
      const job = await (await api('/api/documents', { method: 'POST', body: form })).json();
      ustatus.textContent = `Queued as job ${job.job_id}; indexing…`;
      for (;;) {
        await new Promise((r) => setTimeout(r, 700));
        const s = await (await api(job.status_url)).json();
        if (s.state === 'done' || s.state === 'failed') {
          const items = s.files.map((f) => el('li', {}, `${f.path}: ${f.status}${f.reason ? ' — ' + f.reason : ''}${f.existing_path ? ' (same as ' + f.existing_path + ')' : ''}`));
          ustatus.replaceChildren(el('p', {}, s.state === 'done' ? 'Done.' : 'Failed: ' + s.error), el('ul', {}, ...items));
          refreshFacets();
          break;
        }
      }
    } catch (err) {
      ustatus.replaceChildren(el('span', { class: 'error' }, 'Upload failed: ' + err.message));
    }
  });

  // ---- keyboard ----
  document.addEventListener('keydown', (e) => {
    const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName);
    if (e.key === '/' && !typing) { e.preventDefault(); q.focus(); q.select(); }
    if (e.key === 'Escape' && !doc.hidden && !dlg.open) closeDoc();
  });

  // ---- start ----
  const initial = new URLSearchParams(location.search);
  if (initial.get('q')) q.value = initial.get('q');
  if (initial.get('mode')) mode.value = initial.get('mode');
  for (const name of Object.keys(selected)) {
    for (const v of (initial.get(name) || '').split(',')) if (v.trim()) selected[name].add(v.trim());
  }
  if (initial.get('from')) from.value = initial.get('from');
  if (initial.get('to')) to.value = initial.get('to');
  if (initial.get('modified_from')) mfrom.value = initial.get('modified_from');
  if (initial.get('modified_to')) mto.value = initial.get('modified_to');
  Object.assign(window.trawl, { rerun: changed, openDoc, filterParams, initial });
  whoami().then(async (ok) => {
    if (!ok) return;
    refreshFacets();
    if (q.value.trim()) await run(0, false);
    // A link to a document (`?doc=ID&chunk=N`) opens it.
    const id = initial.get('doc');
    if (id) {
      const chunk = Number(initial.get('chunk'));
      const i = last ? last.results.findIndex((r) => r.doc_id === id) : -1;
      openDoc({ doc_id: id, chunk_id: chunk }, i >= 0 ? list.children[i] : null);
    }
  });
})();
