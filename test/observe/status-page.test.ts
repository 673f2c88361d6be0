// The status page in a real headless Chromium (Debian's chromium, driven by playwright-core)
// while traffic flows: its figures match what was sent, a failing upstream shows its error and
// dead letters, the last spans show what each backend will display. UPDATE_SCREENSHOT=1 keeps
// a screenshot in docs/status.png.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { fakeLangtrace, fakeWeave } from '../helpers/upstreams.js';
import { startProxy, FAST_RETRY, drained } from '../helpers/proxy.js';

/** The page's document, as the functions run inside Chromium see it (the suite is typed for Node, without the DOM). */
declare const document: { body: { dataset: Record<string, string | undefined> }; querySelector(selector: string): { textContent: string | null } | null };

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const oi = readFileSync(new URL('../../examples/traces/openinference-openai.json', import.meta.url), 'utf8');
const curl = readFileSync(new URL('../fixtures/langtrace-curl.json', import.meta.url), 'utf8');

t.test('the status page, in Chromium, while traffic flows', { skip: !existsSync(CHROMIUM) && !process.env.CI ? `no browser at ${CHROMIUM}` : false }, async (t) => {
  const weave = await fakeWeave({ key: 'WEAVE-SECRET-KEY' });
  const langtrace = await fakeLangtrace({ key: 'LANGTRACE-SECRET-KEY' });
  const tb = await startProxy({
    inboundKeys: ['page-key'],
    upstreams: [
      { name: 'weave', type: 'weave', url: weave.url, project: 'a/b', auth: { mode: 'static', key: 'WEAVE-SECRET-KEY' }, retry: FAST_RETRY },
      // One batch a request: coalesced, the refused batch would take the others to the dead letters with it.
      { name: 'langtrace', type: 'langtrace', url: langtrace.url, auth: { mode: 'static', key: 'LANGTRACE-SECRET-KEY' }, retry: FAST_RETRY, batch: { maxSpans: 1 } },
    ],
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.teardown(async () => {
    await browser.close();
    await tb.close();
    await Promise.all([weave.close(), langtrace.close()]);
  });
  const send = (body: string, path = '/v1/traces') =>
    fetch(`${tb.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'page-key' }, body }).then((r) => r.status);
  // Langtrace refuses one batch for good: its error and dead letter must show.
  langtrace.failNext(1, 400);
  t.equal(await send(oi), 200);
  for (let i = 1; i <= 4; i++) t.equal(await send(curl.replace('1a2b3c4d5e6f7g8h', i.toString(16).padStart(16, '0'))), 200);
  await drained(tb);
  const spansSent = 3 + 4; // three OpenInference spans, four cURL examples
  t.equal(weave.spans().length, spansSent);

  t.equal((await fetch(`${tb.url}/status`)).status, 401, 'the page honours inbound keys');
  t.equal((await fetch(`${tb.url}/status`)).headers.get('www-authenticate'), 'Basic realm="tracebridge"', 'and asks a browser for one');

  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 }, httpCredentials: { username: 'me', password: 'page-key' } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`${tb.url}/status`);
  await page.waitForSelector('[data-upstream="weave"] .delivered');
  const text = (sel: string) => page.locator(sel).first().innerText();
  t.equal(await text('[data-upstream="weave"] .delivered'), String(spansSent), 'Weave: every span sent, delivered');
  t.equal(await text('[data-upstream="langtrace"] .delivered'), String(spansSent - 3), 'Langtrace: all but the refused batch');
  t.equal(await text('[data-upstream="weave"] .depth'), '0', 'nothing queued');
  t.match(await text('[data-upstream="langtrace"] .last-error'), /HTTP 400/, "Langtrace's last error");
  t.equal(await text('[data-upstream="langtrace"] .dead-count'), '1', 'its dead letter');
  t.match(await text('[data-upstream="langtrace"] .dead'), /HTTP 400/, 'with its reason');
  t.equal(await page.locator('[data-upstream="weave"] svg.chart rect').count(), 60, 'a per-minute chart of the last hour');
  t.equal(await text('[data-convention="openinference"] .spans'), '3', 'conventions seen: OpenInference');
  t.equal(await text('[data-convention="langtrace-docs"] .spans'), '4', "and Langtrace's documented dialect");
  const spans = await text('#spans');
  t.match(spans, /OpenAI Chat Completions/, 'the last spans received');
  t.match(spans, /Weave: llm · model gpt-4o-mini-2024-07-18/, 'with what Weave will show');
  t.match(spans, /\[image https:\/\/example\.com\/cat\.png\]/, 'images included');
  t.notMatch(await page.content(), /page-key|SECRET-KEY/, 'no credential on the page');
  t.notMatch(JSON.stringify(await (await fetch(`${tb.url}/status.json`, { headers: { 'x-api-key': 'page-key' } })).json()), /page-key|SECRET-KEY/, 'nor in its data');
  t.same(errors, [], 'no script errors');
  t.ok(
    requests.every((u) => u.startsWith(tb.url)),
    'nothing fetched from elsewhere',
  );
  // It refreshes itself: new traffic shows without reloading.
  const before = await page.evaluate(() => document.body.dataset.updated);
  t.equal(await send(curl.replace('1a2b3c4d5e6f7g8h', 'ff'.padStart(16, '0'))), 200);
  await drained(tb);
  await page.waitForFunction((b) => document.body.dataset.updated !== b, before, { timeout: 30_000 });
  await page.waitForFunction((n) => document.querySelector('[data-upstream="weave"] .delivered')?.textContent === String(n), spansSent + 1, { timeout: 30_000 });
  t.pass('refreshed by itself with the new span');
  if (process.env.UPDATE_SCREENSHOT) await page.screenshot({ path: fileURLToPath(new URL('../../docs/status.png', import.meta.url)), fullPage: true });
});
