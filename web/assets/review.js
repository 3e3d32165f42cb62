// Review panel: search-term reports (POST /api/terms), saved searches
// (/api/saved-searches), e-mail threads (/api/threads), review tags per result
// (/api/documents/{id}/tags) and the review-tag filter (/api/review-tags).
// Served as /assets/review.js (the page's CSP allows no inline script);
// window.trawl (app.js) provides the API call, the filters and the results.
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const el = (tag, props = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k === 'class') e.className = v; else if (k in e) e[k] = v; else e.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  };
  const t = window.trawl;
  const api = t.api;
  const json = (body) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const fail = (box, what, e) => box.replaceChildren(el('span', { class: 'error' }, `${what}: ${e.message}`));
  const day = (s) => s ? new Date(s * 1000).toISOString().slice(0, 10) : '';

  // ---- panel ----
  const panel = $('review-panel'), toggle = $('review-open');
  function show(open) {
    panel.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    if (open) loadSaved();
  }
  toggle.addEventListener('click', () => show(panel.hidden));

  // ---- review-tag filter ----
  const chosen = new Set((t.initial.get('review_tag') || '').split(',').map((s) => s.trim()).filter(Boolean));
  t.extraParams.push((p) => { if (chosen.size) p.set('review_tag', [...chosen].join(',')); });
  const tagBox = $('f-review').querySelector('.opts');
  async function loadReviewTags() {
    let tags = [];
    try { tags = (await (await api('/api/review-tags')).json()).tags; } catch (_) { return; }
    for (const c of chosen) if (!tags.some((x) => x.tag === c)) tags.push({ tag: c, documents: 0 });
    tagBox.replaceChildren();
    if (!tags.length) tagBox.append(el('span', { class: 'none' }, 'none yet'));
    for (const { tag, documents } of tags) {
      const id = ('f-review-' + tag).replace(/[^A-Za-z0-9_-]/g, '_');
      const cb = el('input', { type: 'checkbox', id, checked: chosen.has(tag) });
      cb.addEventListener('change', () => { if (cb.checked) chosen.add(tag); else chosen.delete(tag); t.rerun(); });
      tagBox.append(el('label', { htmlFor: id }, cb, tag, el('span', { class: 'count' }, String(documents))));
    }
  }
  document.addEventListener('trawl:clear-filters', () => { chosen.clear(); loadReviewTags(); });

  // ---- search-term report ----
  const termsStatus = $('terms-status'), table = $('terms-table');
  $('terms-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const terms = $('terms-input').value.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    if (!terms.length) { termsStatus.textContent = 'Enter at least one term.'; return; }
    const body = { terms };
    for (const [k, v] of t.filterParams(new URLSearchParams())) body[k] = v;
    termsStatus.textContent = 'Counting…';
    table.hidden = true;
    try {
      const r = await (await api('/api/terms', json(body))).json();
      const tbody = table.querySelector('tbody');
      tbody.replaceChildren();
      for (const row of r.terms) {
        const name = el('th', { scope: 'row' }, row.term);
        if (row.query !== row.term) name.append(el('small', { class: 'where' }, ' run as ' + row.query));
        tbody.append(el('tr', {}, name, el('td', {}, String(row.documents)), el('td', {}, String(row.unique)), el('td', {}, String(row.passages))));
      }
      $('terms-total').textContent = String(r.documents_hit);
      $('terms-searched').textContent = `of ${r.documents_searched} documents searched`;
      table.hidden = false;
      termsStatus.textContent = '';
    } catch (err) { fail(termsStatus, 'Report failed', err); }
  });

  // ---- saved searches ----
  const savedList = $('saved-list'), savedStatus = $('saved-status');
  // The address holds the current search and its filters (app.js keeps it up to date).
  function currentSearch() {
    const p = new URLSearchParams(location.search);
    const s = {};
    for (const k of ['q', 'mode', 'kind', 'tag', 'custodian', 'path', 'from', 'to', 'modified_from', 'modified_to', 'review_tag']) {
      if (p.get(k)) s[k] = p.get(k);
    }
    return s;
  }
  async function loadSaved() {
    let saved;
    try { saved = (await (await api('/api/saved-searches')).json()).saved; } catch (e) { fail(savedStatus, 'Could not list saved searches', e); return; }
    savedList.replaceChildren();
    if (!saved.length) savedList.append(el('li', { class: 'none' }, 'No saved searches yet.'));
    for (const s of saved) {
      const run = el('button', { type: 'button', class: 'secondary' }, 'Run');
      run.addEventListener('click', () => {
        const p = new URLSearchParams();
        for (const [k, v] of Object.entries(s.search)) if (v !== null && v !== undefined && v !== '') p.set(k, String(v));
        location.search = '?' + p; // app.js runs the search from the address
      });
      const del = el('button', { type: 'button', class: 'secondary' }, 'Delete');
      del.setAttribute('aria-label', `Delete saved search ${s.name}`);
      del.addEventListener('click', async () => {
        try { await api('/api/saved-searches/' + encodeURIComponent(s.name), { method: 'DELETE' }); loadSaved(); } catch (e) { fail(savedStatus, 'Delete failed', e); }
      });
      savedList.append(el('li', {}, el('strong', {}, s.name), ' ', el('code', {}, s.search.q), ' ', run, ' ', del));
    }
  }
  $('saved-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const search = currentSearch();
    if (!search.q) { savedStatus.textContent = 'Run a search first.'; return; }
    const name = $('saved-name').value.trim();
    try {
      await api('/api/saved-searches', json({ name, search }));
      savedStatus.textContent = `Saved “${name}”.`;
      $('saved-name').value = '';
      loadSaved();
    } catch (err) { fail(savedStatus, 'Save failed', err); }
  });

  // ---- threads ----
  const threadView = $('thread-view');
  async function openThread(docId, status) {
    try {
      const list = (await (await api('/api/threads?all=true&doc_id=' + encodeURIComponent(docId))).json()).threads;
      if (!list.length) { status.textContent = 'This message is in no thread.'; return; }
      const th = await (await api('/api/threads/' + encodeURIComponent(list[0].id))).json();
      $('thread-heading').textContent = 'Thread: ' + (th.subject || '(no subject)');
      $('thread-meta').textContent = `${th.messages.length} messages · ${th.inclusive} inclusive · ${th.participants.join(', ')}`;
      const ol = $('thread-messages');
      ol.replaceChildren();
      for (const m of th.messages) {
        const open = el('button', { type: 'button', class: 'link' }, m.subject || m.path);
        open.addEventListener('click', () => t.openDoc({ doc_id: m.doc_id, chunk_id: -1 }, null));
        const flags = [m.inclusive ? 'inclusive' : null, m.copy_of ? 'copy of ' + m.copy_of : null].filter(Boolean).join(' · ');
        const li = el('li', { class: 'depth-' + Math.min(m.depth, 6) }, open,
          el('span', { class: 'where' }, ` ${day(m.date)} · ${m.from || ''}${flags ? ' · ' + flags : ''}`));
        if (m.inclusive) li.classList.add('inclusive');
        ol.append(li);
      }
      threadView.hidden = false;
      show(true);
      threadView.scrollIntoView({ block: 'nearest' });
    } catch (e) { fail(status, 'Could not open the thread', e); }
  }

  // ---- per-result review tools ----
  async function tagEditor(docId, box) {
    const render = (d) => {
      box.replaceChildren();
      for (const tag of d.tags) {
        const rm = el('button', { type: 'button', class: 'link' }, '×');
        rm.setAttribute('aria-label', `Remove review tag ${tag}`);
        rm.addEventListener('click', () => change({ remove: [tag] }));
        box.append(el('span', { class: 'tag review' }, tag, ' ', rm));
      }
      const id = 'add-tag-' + docId;
      const input = el('input', { type: 'text', id, placeholder: 'responsive, privileged…', autocomplete: 'off', maxLength: 100 });
      const form = el('form', { class: 'tag-add' }, el('label', { htmlFor: id, class: 'sr-only' }, 'Add a review tag'), input,
        el('button', { type: 'submit', class: 'secondary' }, 'Add tag'));
      form.addEventListener('submit', (e) => { e.preventDefault(); if (input.value.trim()) change({ add: [input.value.trim()] }); });
      box.append(form);
      if (d.history.length) {
        const last = d.history[d.history.length - 1];
        box.append(el('small', { class: 'where' }, ` last change: ${last.op} “${last.tag}” by ${last.by} at ${last.time}`));
      }
    };
    const change = async (edit) => {
      try {
        render(await (await api(`/api/documents/${encodeURIComponent(docId)}/tags`, json(edit))).json());
        loadReviewTags();
      } catch (e) { fail(box, 'Tagging failed', e); }
    };
    try { render(await (await api(`/api/documents/${encodeURIComponent(docId)}/tags`)).json()); } catch (e) { fail(box, 'Could not read tags', e); }
  }

  async function nearDups(docId, box) {
    try {
      const d = await (await api(`/api/documents/${encodeURIComponent(docId)}/near-dups`)).json();
      const others = d.group ? d.group.members.filter((m) => m.doc_id !== docId) : [];
      if (!others.length) { box.textContent = 'No near-duplicates.'; return; }
      box.replaceChildren(el('span', {}, 'Near-duplicates: '), ...others.map((m) => {
        const b = el('button', { type: 'button', class: 'link' }, `${m.title || m.path} (${m.similarity.toFixed(2)})`);
        b.addEventListener('click', () => t.openDoc({ doc_id: m.doc_id, chunk_id: -1 }, null));
        return el('span', { class: 'dup' }, b, ' ');
      }));
    } catch (e) { fail(box, 'Could not read near-duplicates', e); }
  }

  document.addEventListener('trawl:results', (e) => {
    loadReviewTags(); // counts change as reviewers tag
    for (const [r, li] of e.detail.rows) {
      const out = el('div', { class: 'review-out', 'aria-live': 'polite' });
      const tags = el('button', { type: 'button', class: 'link' }, 'Review tags');
      tags.addEventListener('click', () => tagEditor(r.doc_id, out));
      const dups = el('button', { type: 'button', class: 'link' }, 'Near-duplicates');
      dups.addEventListener('click', () => nearDups(r.doc_id, out));
      const tools = el('div', { class: 'review-tools' }, tags, dups);
      if (r.kind === 'email') {
        const th = el('button', { type: 'button', class: 'link' }, 'Thread');
        th.addEventListener('click', () => openThread(r.doc_id, out));
        tools.append(th);
      }
      li.append(tools, out);
    }
  });

  loadReviewTags();
})();
