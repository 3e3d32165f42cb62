// Drives the UI of a running trawl server in headless Chromium and saves
// screenshots. Run by scripts/ui-check.sh, which starts the server.
// Env: BASE, KEY_HR, KEY_ADMIN, OUT (screenshot folder), CHROMIUM, CLUSTER (set: the server
// reads a cluster backend; the check ends after the document view).
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';

const { BASE, KEY_HR, KEY_ADMIN, OUT, CLUSTER } = process.env;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));
page.on('console', (m) => { if (m.type() === 'error' && !/401|403/.test(m.text())) errors.push(m.text()); });
const shot = (name) => page.screenshot({ path: `${OUT}/${name}.png` });
const step = (s) => console.log('ok -', s);
// Polls from node: the page's CSP (rightly) forbids the eval that
// page.waitForFunction needs.
async function until(cond, what, ms = 30000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out waiting for ' + what);
}

// 1. Without a key the page asks for one.
await page.goto(BASE + '/');
await page.waitForSelector('#key-form:not([hidden])');
assert.match(await page.textContent('#who'), /No valid API key/);
const ready = await (await fetch(BASE + '/readyz')).json();
await until(async () => (await page.textContent('#serving')).length > 0, 'the model line');
assert.equal(await page.textContent('#serving'), 'Search model: ' + ready.model + (CLUSTER ? ' · passages on a cluster' : ''));
await shot('01-key-entry');
step(`asks for an API key; names the search model (${ready.model})`);

// 2. An hr key: searches see public and hr documents only.
await page.fill('#key', KEY_HR);
await page.press('#key', 'Enter');
await until(async () => (await page.textContent('#who')).includes('hr-alice'), 'whoami');
await page.fill('#q', 'leave');
await page.press('#q', 'Enter');
await page.waitForSelector('#results li');
const paths = () => page.$$eval('#results li .where', (els) => els.map((e) => e.textContent.split(' › ')[0]));
let seen = await paths();
assert.ok(seen.length > 0);
assert.ok(seen.every((p) => !p.startsWith('kb/')), `hr saw it documents: ${seen}`);
assert.ok(seen.some((p) => p.startsWith('hr/')));
assert.ok(await page.$('#results li .snippet mark'), 'snippets highlight query words');
assert.match(await page.textContent('#results li .scores'), /keyword #.*semantic #/);
await page.waitForSelector('#f-tags input[type=checkbox]');
await shot('02-results');
step(`searching as hr shows ${seen.length} allowed documents with highlights and score breakdown`);

// 2b. A question is answered from an allowed document, with the fact and its source; a
// question the documents do not cover is refused (the real local model answers).
await page.fill('#ask-q', 'When does comp time expire?');
await page.click('#ask-go');
await until(async () => (await page.textContent('#ask-sources')).includes('hr/'), 'the answer', 180000);
const answer = await page.textContent('#ask-answer');
assert.match(answer, /one year/, `answer: ${answer}`);
assert.match(await page.textContent('#ask-sources'), /overtime\.md/);
// the note says where the wording came from, without calling a quote a failure
const askNote = await page.textContent('#ask-note');
assert.match(askNote, /^(Quoted from the cited source|Worded by .+, checked against the cited source)\. First text after \d+ ms/, `note: ${askNote}`);
assert.doesNotMatch(askNote, /failed/, `note: ${askNote}`);
await shot('02b-answer');
// the rule sits in another passage of the page search shows first
await page.fill('#ask-q', 'How many weeks of paid parental leave can I take?');
await page.click('#ask-go');
await until(async () => (await page.textContent('#ask-sources')).includes('paid-parental-leave'), 'the parental-leave answer', 180000);
const weeks = await page.textContent('#ask-answer');
assert.match(weeks, /12 weeks/, `answer: ${weeks}`);
assert.doesNotMatch(weeks, /Without Pay/, `answer: ${weeks}`);
await page.fill('#ask-q', 'Can I bring my dog to the office?');
await page.click('#ask-go');
await until(async () => /don.t say this|couldn.t find/.test(await page.textContent('#ask-answer')), 'the refusal', 180000);
step('a question is answered with the right fact and its source; an uncovered one is refused');

// 3. Facets filter the results.
const tagLabels = await page.$$eval('#f-tags label', (els) => els.map((e) => e.textContent));
assert.ok(tagLabels.some((t) => t.startsWith('policy')), `tags: ${tagLabels}`);
assert.ok(!tagLabels.some((t) => t.startsWith('secret')), `hr counts an it-only tag: ${tagLabels}`);
await page.check('#f-tags input[id="f-tag-policy"]');
await until(async () => new URL(page.url()).searchParams.get('tag') === 'policy', 'the tag filter');
// the list shown before stays until the filtered search answers: wait for the new one
await until(async () => {
  seen = await paths();
  return seen.length > 0 && seen.every((p) => p.startsWith('hr/'));
}, 'the filtered results', 10000).catch(() => {});
assert.ok(seen.length > 0 && seen.every((p) => p.startsWith('hr/')), `filtered: ${seen}`);
await shot('03-filtered');
step('the policy tag narrows the results to hr documents');

// 4. Opening a result shows the document with the matched passage highlighted.
await page.click('#results li .title button');
await page.waitForSelector('#doc:not([hidden]) .chunk.hit');
assert.ok(await page.$('#doc .chunk.hit mark'), 'the matched passage is highlighted');
assert.match(await page.textContent('#doc-meta'), /Groups\s*hr/);
if (CLUSTER) {
  // the originals are on the workers' machines, not the server's
  assert.ok(await page.isHidden('#doc-file'), 'no download on a cluster');
} else {
  assert.ok(await page.isVisible('#doc-file'));
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#doc-file')]);
  assert.ok((await download.suggestedFilename()).endsWith('.md'));
}
await shot('04-document');
await page.keyboard.press('Escape');
await page.waitForSelector('#doc', { state: 'hidden' });
await page.keyboard.press('/');
assert.equal(await page.evaluate(() => document.activeElement.id), 'q');
step(`the document view highlights the passage${CLUSTER ? '' : ', downloads the original'}, closes with Esc`);
if (CLUSTER) {
  // the review panel's own requests (saved searches, review tags) are refused on a cluster
  // with not_supported_on_cluster; nothing else may fail
  assert.deepEqual(errors.filter((e) => !/status of 400/.test(e)), [], 'no other errors in the page');
  await browser.close();
  console.log('ui check passed on the cluster backend (uploads and review need an embedded index)');
  process.exit(0);
}

// 5. An admin uploads a file; it becomes searchable.
assert.ok(await page.isHidden('#upload-open'), 'no upload for a non-admin');
await page.click('#key-open');
await page.click('#key-clear');
await page.fill('#key', KEY_ADMIN);
await page.press('#key', 'Enter');
await page.waitForSelector('#upload-open:not([hidden])');
await page.click('#upload-open');
await page.setInputFiles('#u-files', {
  name: 'wombat-policy.md', mimeType: 'text/markdown',
  buffer: Buffer.from('# Wombat policy\n\nWombats on site receive a daily carrot ration.\n'),
});
await page.fill('#u-groups', 'legal');
await page.click('#u-send');
await until(async () => /Done\./.test(await page.textContent('#u-status')), 'the upload job', 60000);
assert.match(await page.textContent('#u-status'), /indexed/);
await shot('05-upload');
await page.click('#u-cancel');
await page.click('#clear-filters');
await page.fill('#q', 'wombat carrot');
await page.press('#q', 'Enter');
await until(async () => (await paths()).some((p) => p.includes('wombat-policy.md')), 'the uploaded document');
step('an admin upload is indexed and found');

// 6. The review panel: a term report, a review tag from a result row used as a
// filter, a saved search.
await page.click('#review-open');
await page.waitForSelector('#review-panel:not([hidden])');
await page.fill('#terms-input', 'wombat\n# a comment\ncarrot OR leave\n');
await page.click('#terms-form button[type=submit]');
await page.waitForSelector('#terms-table:not([hidden])');
const rows = await page.$$eval('#terms-table tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
assert.equal(rows.length, 2, `term rows: ${rows}`);
assert.equal(rows[0][0], 'wombat');
assert.equal(rows[0][1], '1');
assert.ok(Number(rows[1][1]) >= 1, `carrot OR leave: ${rows[1]}`);
await shot('06-terms');
const first = page.locator('#results li').first();
await first.locator('.review-tools button', { hasText: 'Review tags' }).click();
await first.locator('.tag-add input').fill('Responsive');
await first.locator('.tag-add button').click();
await until(async () => (await first.locator('.review-out').textContent()).includes('responsive'), 'the new tag');
await page.fill('#q', 'wombat carrot');
await page.press('#q', 'Enter');
await page.waitForSelector('#f-review input[id="f-review-responsive"]');
await page.check('#f-review input[id="f-review-responsive"]');
await until(async () => new URL(page.url()).searchParams.get('review_tag') === 'responsive', 'the review-tag filter');
await until(async () => (await paths()).length === 1, 'one tagged result');
await page.fill('#saved-name', 'tagged wombats');
await page.click('#saved-form button[type=submit]');
await until(async () => (await page.textContent('#saved-list')).includes('tagged wombats'), 'the saved search');
await shot('07-review');
step('the review panel reports terms, tags a result, filters by the tag and saves the search');

assert.deepEqual(errors, [], 'no script errors');
await browser.close();
console.log('UI check passed; screenshots in', OUT);
