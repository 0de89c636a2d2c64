// e2e-crash-recovery: a specialist, a provider and an admitted patient in one
// consult from Chromium, each seeing the two others. consultd is killed with
// SIGKILL mid-call and started again on the same database and port (as
// systemd's Restart= would). Nobody touches the pages: each one's resume is
// refused by the new process (it never held their seats), so the page joins
// again with its own token — the patient straight in, no waiting room, since
// the admission is stored — and every page sees both others' video again.
// The consult is still there and live, and its audit chain verifies.
// Then a clean restart (SIGTERM, as `systemctl restart`): the pages hear
// "bye" (server_shutdown) and join again by themselves once it is back.
// Printed: the time from the restart ("listening") to every page playing both
// others' video again (goal: <= 10 s; asserted < 30 s so a slow CI machine is
// not a failure, the figure is in the output).
//
// Env: CONSULTD (consultd binary), CONSULTCTL (consultctl binary),
// CG_WEB_ROOT (the repo's web/), CG_E2E_ARTIFACTS (screenshots on failure).

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Daemon, fail, launchBrowser, loadPlaywright, newPage, waitFor } from './lib/harness.mjs';
import { expectRemoteVideo } from './lib/media.mjs';
import { recordSockets } from './lib/page-scripts.mjs';
import { runTest } from './lib/run.mjs';

const RESTART_DELAY_MS = 500; // systemd/consultd.service waits 2 s (RestartSec); any value works
const BACK_IN_MEDIA_LIMIT_MS = 30000;

// Marks every remote <video> shown now, so what comes after the restart can
// be told from what was there before.
function markOldVideos(page) {
  return page.evaluate(() => {
    for (const v of document.querySelectorAll('video[data-participant]')) v.dataset.beforeCrash = '1';
  });
}

// Resolves when @page plays a new (not marked) video of @otherId, with
// frames and time moving on.
async function expectFreshVideo(page, who, otherId, timeoutMs) {
  const sel = `video[data-participant="${otherId}"]:not([data-before-crash])`;
  await waitFor(page, `${who}: a new video of ${otherId} with frames`, (s) => {
    const v = document.querySelector(s);
    return v && v.videoWidth > 0 && v.readyState >= 2;
  }, sel, timeoutMs);
  const t0 = await page.evaluate((s) => document.querySelector(s).currentTime, sel);
  await waitFor(page, `${who}: the new video of ${otherId} keeps playing`, ([s, t]) => {
    const v = document.querySelector(s);
    return v && !v.paused && v.currentTime > t + 0.3;
  }, [sel, t0], timeoutMs);
}

// Every page plays a new video of both others, within @limitMs of @since;
// returns the worst time.
async function expectAllBack(pages, others, since, what) {
  const back = await Promise.all(pages.map(async ([page, who, p]) => {
    await Promise.all(others(p).map((id) => expectFreshVideo(page, who, id, BACK_IN_MEDIA_LIMIT_MS)));
    return [who, Date.now() - since];
  }));
  for (const [who, ms] of back) console.log(`# ${what}: ${who} sees both others again after ${ms} ms`);
  const worst = Math.max(...back.map(([, ms]) => ms));
  console.log(`# ${what}: restart -> every endpoint back in media: ${worst} ms (goal <= 10000 ms)`);
  if (worst > BACK_IN_MEDIA_LIMIT_MS) fail(`${what}: back in media only after ${worst} ms`);
}

function sentJoins(page) {
  return page.evaluate(() => ({
    fresh: window.__cgSent.filter((m) => m.type === 'join' && !m.resume).length,
    resumes: window.__cgSent.filter((m) => m.type === 'join' && m.resume).length,
    refused: window.__cgReceived.filter((m) => m.type === 'error' && m.code === 'resume_refused').length,
    byes: window.__cgReceived.filter((m) => m.type === 'bye').length,
    status: document.getElementById('status').hidden ? '' : document.getElementById('status').textContent,
  }));
}

async function run(ctx) {
  const consultctl = process.env.CONSULTCTL;
  if (!consultctl) fail('CONSULTCTL is not set: the path of the consultctl binary (CTest sets it).');
  const playwright = await loadPlaywright();
  const daemon = new Daemon();
  ctx.daemon = daemon;
  await daemon.start();
  const consult = await daemon.createConsult({
    title: 'Crash recovery (e2e)',
    participants: [
      { name: 'Dr. Lee', role: 'specialist' },
      { name: 'Dr. Osei', role: 'provider' },
      { name: 'Sam Doe', role: 'patient' },
    ],
  });
  const [spec, prov, pat] = consult.participants;
  const browser = await launchBrowser(playwright);
  ctx.browser = browser;
  const pages = [];
  for (const [p, who] of [[spec, 'specialist'], [prov, 'provider'], [pat, 'patient']]) {
    const page = await newPage(browser, daemon.origin, who, ctx.console);
    await page.addInitScript(recordSockets);
    ctx.pages[who] = page;
    pages.push([page, who, p]);
  }
  await Promise.all(pages.map(([page, , p]) =>
    page.goto(daemon.joinUrl(consult.id, p.token), { waitUntil: 'load', timeout: 20000 })));
  const admit = ctx.pages.specialist.getByRole('button', { name: 'Admit Sam Doe' });
  await admit.waitFor({ state: 'visible', timeout: 20000 });
  await admit.click();
  const others = (p) => consult.participants.filter((o) => o.id !== p.id).map((o) => o.id);
  await Promise.all(pages.flatMap(([page, who, p]) => others(p).map((id) => expectRemoteVideo(page, who, id))));
  console.log('# every page sees both others; killing consultd (SIGKILL)');

  await Promise.all(pages.map(([page]) => markOldVideos(page)));
  await daemon.kill();
  await new Promise((resolve) => { setTimeout(resolve, RESTART_DELAY_MS); });
  await daemon.restart();
  const restarted = Date.now();
  console.log(`# consultd started again on ${daemon.origin}`);

  await expectAllBack(pages, others, restarted, 'kill -9');

  // Nobody pressed anything: each page joined again by itself, with a fresh join.
  for (const [page, who] of pages) {
    const r = await sentJoins(page);
    if (r.fresh !== 2 || r.resumes < 1 || r.refused < 1) {
      fail(`${who}: expected a resume refused and then one new join, got ${JSON.stringify(r)}`);
    }
    if (r.status) fail(`${who}: the page shows "${r.status}" after coming back`);
  }
  const patWaited = await ctx.pages.patient.evaluate(() =>
    window.__cgReceived.filter((m) => m.type === 'waiting').length);
  if (patWaited !== 1) fail(`patient: went through the waiting room ${patWaited} times (admitted once is enough)`);

  const res = await daemon.request('GET', `/api/v1/consults/${consult.id}`);
  if (res.status !== 200 || res.json.state !== 'live') {
    fail(`the consult after the crash: ${res.status} ${res.text}`);
  }
  // The keyed chain, checked against the newest anchor the new process logged.
  const anchors = daemon.logLines.map((l) => { try { return JSON.parse(l).anchor; } catch { return null; } })
    .filter((a) => typeof a === 'string');
  if (!anchors.length) fail('consultd logged no "audit anchor" line');
  const out = execFileSync(consultctl, ['audit', 'verify', '--db', path.join(daemon.dir, 'consultd.db'),
    '--key-file', path.join(daemon.dir, 'var', 'audit.key'), '--anchor', anchors.at(-1)], { encoding: 'utf8' });
  console.log(`# consultctl audit verify: ${out.trim()}`);

  // A clean restart: "bye", then the pages join again by themselves.
  await Promise.all(pages.map(([page]) => markOldVideos(page)));
  const exit = await daemon.stop();
  if (!exit || exit.code !== 0) fail(`consultd did not stop cleanly on SIGTERM: ${JSON.stringify(exit)}`);
  await daemon.restart();
  const again = Date.now();
  await expectAllBack(pages, others, again, 'SIGTERM');
  for (const [page, who] of pages) {
    const r = await sentJoins(page);
    if (r.fresh !== 3 || r.byes !== 1) fail(`${who}: expected a bye and a third join, got ${JSON.stringify(r)}`);
    if (r.status) fail(`${who}: the page shows "${r.status}" after coming back`);
  }

  // Chromium logs each socket that could not connect while consultd was
  // down as a console error; those are the crash's, not the app's.
  const refused = /WebSocket connection to 'wss:\/\/127\.0\.0\.1:\d+\/ws' failed/;
  const kept = ctx.console.filter((l) => !refused.test(l));
  console.log(`# ${ctx.console.length - kept.length} refused-socket lines from the browser while consultd was down`);
  ctx.console.splice(0, ctx.console.length, ...kept);
}

runTest('e2e-crash-recovery', run);
