// Ask panel: POST /api/ask and render its server-sent events (token, replace, citations,
// done, error) as they arrive. Citation markers [n] link to the numbered sources.
// Served as /assets/ask.js (the page's CSP allows no inline script).
(() => {
  const form = document.getElementById('ask-form');
  const input = document.getElementById('ask-q');
  const stop = document.getElementById('ask-stop');
  const answerEl = document.getElementById('ask-answer');
  const note = document.getElementById('ask-note');
  const sources = document.getElementById('ask-sources');
  let controller = null;
  let text = '';

  const esc = (s) => s.replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
  const render = () => {
    answerEl.innerHTML = esc(text).replace(/\[(\d+(?:,\s*\d+)*)\]/g, (m, list) =>
      '[' + list.split(',').map((n) => n.trim()).map((n) => `<a class="cite" href="#ask-src-${n}" data-n="${n}">${n}</a>`).join(', ') + ']');
  };
  answerEl.addEventListener('click', (e) => {
    const a = e.target.closest('a.cite');
    if (!a) return;
    const li = document.getElementById('ask-src-' + a.dataset.n);
    if (!li) return;
    e.preventDefault();
    sources.querySelectorAll('li.hl').forEach((x) => x.classList.remove('hl'));
    li.classList.add('hl');
    const d = li.querySelector('details'); if (d) d.open = true;
    li.scrollIntoView({behavior: 'smooth', block: 'nearest'});
  });
  const showSources = (list, heading) => {
    sources.innerHTML = '';
    if (heading) note.textContent = heading;
    for (const c of list) {
      const li = document.createElement('li');
      li.id = 'ask-src-' + c.n;
      li.value = c.n;
      const where = [c.path, c.section, c.page ? 'p. ' + c.page : ''].filter(Boolean).join(' · ');
      li.innerHTML = `<strong>${esc(c.title || c.path)}</strong> <span class="where">${esc(where)}</span>` +
        `<details><summary>passage</summary><blockquote>${esc(c.text || '')}</blockquote></details>`;
      sources.appendChild(li);
    }
  };
  const handle = (name, data) => {
    if (name === 'token') { text += data.text; render(); }
    else if (name === 'replace') { text = data.text; render(); }
    else if (name === 'citations') { showSources(data); }
    else if (name === 'done') {
      text = data.answer; render();
      const t = data.timings;
      // a refusal with a support score found relevant documents that do not say it
      let msg = data.refused ? (data.support != null ? 'Not covered by the documents you can access; the closest sentence is quoted.' : 'Nothing relevant found in the documents you can access.') :
        // the sentence was chosen before generation; the model only rewords it, and most of its
        // rewordings are dropped by the guard, which is routine rather than a failure: the reason
        // stays one hover away
        data.fallback ? 'Quoted from the cited source.' :
        'Worded by ' + data.model + ', checked against the cited source.';
      msg += ` First text after ${Math.round(t.first_text_ms || 0)} ms, total ${Math.round(t.total_ms)} ms.`;
      note.textContent = msg;
      note.title = data.fallback && data.fallback_reason ? 'The model\'s wording was not kept: ' + data.fallback_reason : '';
      if (data.refused) showSources(data.closest, msg + ' Closest documents:');
    }
    else if (name === 'error') { note.innerHTML = '<span class="error">' + esc(data.message) + '</span>'; }
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (controller) controller.abort();
    controller = new AbortController();
    text = ''; render(); sources.innerHTML = ''; note.textContent = 'Searching and answering…'; note.title = '';
    stop.hidden = false;
    try {
      // window.trawl.api adds the API key and turns an error status into an exception.
      const res = await window.trawl.api('/api/ask', {method: 'POST', headers: {'content-type': 'application/json'},
        body: JSON.stringify({question: input.value}), signal: controller.signal});
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buf = '';
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        buf += decoder.decode(value, {stream: true});
        let cut;
        while ((cut = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, cut); buf = buf.slice(cut + 2);
          let name = 'message', data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) name = line.slice(6).trim();
            else if (line.startsWith('data:')) data += line.slice(5).replace(/^ /, '');
          }
          if (data) handle(name, JSON.parse(data));
        }
      }
    } catch (err) {
      if (err.name !== 'AbortError') note.innerHTML = '<span class="error">' + esc(String(err)) + '</span>';
      else note.textContent = 'Stopped.';
    } finally {
      stop.hidden = true;
    }
  });
  stop.addEventListener('click', () => { if (controller) controller.abort(); });
})();
