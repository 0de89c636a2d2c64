// e2e-reconnect: a specialist and a provider in one consult from Chromium, each
// seeing the other's video. The test closes the specialist page's WebSocket
// under it (the page did not ask for it): the page shows "Reconnecting…",
// reopens the socket and resumes its seat (join + resume id), and the indicator
// goes, with both remote videos still playing; the provider's page never hears
// that the specialist left, the audit log has one join for the specialist (and
// a resume), and the specialist is still the host (mutes the provider).
// Then the socket is closed again while every new one is refused: once the
// grace period is over the specialist's page says the connection is lost and
// the provider's page sees the specialist leave.
//
// Env: CONSULTD (consultd binary), CG_WEB_ROOT (the repo's web/),
// CG_E2E_ARTIFACTS (where screenshots go on failure; default: a temp dir).

import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  Daemon, TestFailure, fail, launchBrowser, loadPlaywright, newPage, waitFor,
} from './lib/harness.mjs';
import { expectRemoteVideo } from './lib/media.mjs';

const ARTIFACTS = process.env.CG_E2E_ARTIFACTS || path.join(os.tmpdir(), 'cg-e2e-artifacts');
const GRACE_S = 6;
const LOST_TEXT = 'Connection lost.';

// Runs in every page before app.js: keeps each WebSocket the page opens and
// every message it receives, so the test can cut a socket the page did not
// close and read what the server said. With window.__cgRefuse set, new
// sockets ask for a path consultd refuses, so each attempt fails at once (as
// on a network that lets nothing through, only faster).
function recordSockets() {
  const Native = window.WebSocket;
  const sockets = [];
  const received = [];
  class Recorded extends Native {
    constructor(url, ...rest) {
      super(window.__cgRefuse ? String(url).replace(/\/ws$/, '/refused-by-the-test') : url, ...rest);
      sockets.push(this);
      this.addEventListener('message', (ev) => {
        try {
          received.push(JSON.parse(ev.data));
        } catch {
          /* not JSON: not ours to judge here */
        }
      });
    }
  }
  window.WebSocket = Recorded;
  window.__cgSockets = sockets;
  window.__cgReceived = received;
}

// Remembers whether #reconnecting was ever shown, and whether a tile of
// @watchId was ever removed: both may come and go between two polls.
async function watchPage(page, watchId) {
  await page.evaluate((id) => {
    const seen = { reconnecting: false, tileRemoved: false };
    window.__cgSeen = seen;
    const ind = document.getElementById('reconnecting');
    new MutationObserver(() => { if (!ind.hidden) seen.reconnecting = true; })
      .observe(ind, { attributes: true, attributeFilter: ['hidden'] });
    new MutationObserver((records) => {
      for (const r of records) {
        for (const n of r.removedNodes) {
          if (n.dataset && n.dataset.participant === id) seen.tileRemoved = true;
        }
      }
    }).observe(document.getElementById('stage'), { childList: true });
  }, watchId);
}

function participantLefts(page, id) {
  return page.evaluate((pid) => window.__cgReceived
    .filter((m) => m.type === 'participant_left' && m.participant === pid), id);
}

async function auditCount(daemon, consultId, action, participant) {
  const res = await daemon.request('GET', `/api/v1/consults/${consultId}/audit`);
  if (res.status !== 200 || !res.json || !Array.isArray(res.json.records)) {
    fail(`GET audit answered ${res.status}: ${res.text}`);
  }
  return res.json.records.filter((r) => r.action === action && r.participant === participant).length;
}

async function cutSocket(page) {
  await page.evaluate(() => window.__cgSockets.at(-1).close(4000, 'e2e: cut by the test'));
}

async function run(ctx) {
  const playwright = await loadPlaywright();
  const daemon = new Daemon();
  ctx.daemon = daemon;
  await daemon.start({ resumeGraceS: GRACE_S });
  console.log(`# consultd listening on ${daemon.origin} (dir ${daemon.dir}), resume grace ${GRACE_S} s`);

  const consult = await daemon.createConsult({
    title: 'Reconnect (e2e)',
    participants: [
      { name: 'Dr. Lee', role: 'specialist' },
      { name: 'Dr. Osei', role: 'provider' },
    ],
  });
  const [spec, prov] = consult.participants;

  const browser = await launchBrowser(playwright);
  ctx.browser = browser;
  const specPage = await newPage(browser, daemon.origin, 'specialist', ctx.console);
  const provPage = await newPage(browser, daemon.origin, 'provider', ctx.console);
  ctx.pages = { specialist: specPage, provider: provPage };
  await specPage.addInitScript(recordSockets);
  await provPage.addInitScript(recordSockets);
  await Promise.all([
    specPage.goto(daemon.joinUrl(consult.id, spec.token), { waitUntil: 'load', timeout: 20000 }),
    provPage.goto(daemon.joinUrl(consult.id, prov.token), { waitUntil: 'load', timeout: 20000 }),
  ]);
  await Promise.all([
    expectRemoteVideo(specPage, 'specialist', prov.id),
    expectRemoteVideo(provPage, 'provider', spec.id),
  ]);
  await watchPage(specPage, prov.id);
  await watchPage(provPage, spec.id);

  // 1. The socket is cut; the page resumes its seat by itself.
  const cutAt = Date.now();
  await cutSocket(specPage);
  await waitFor(specPage, 'specialist: "Reconnecting…" is shown after the socket was cut',
    () => window.__cgSeen.reconnecting, undefined, 5000);
  const text = await specPage.evaluate(() => document.getElementById('reconnecting').textContent);
  if (!text.includes('Reconnecting')) fail(`specialist: the indicator reads "${text}"`);
  await waitFor(specPage, 'specialist: resumed (joined with resumed: true) and "Reconnecting…" gone',
    () => window.__cgReceived.some((m) => m.type === 'joined' && m.resumed === true) &&
      document.getElementById('reconnecting').hidden &&
      window.__cgSockets.at(-1).readyState === WebSocket.OPEN, undefined, 15000);
  console.log(`# specialist resumed ${Date.now() - cutAt} ms after the cut ` +
    `(${await specPage.evaluate(() => window.__cgSockets.length)} sockets opened)`);
  const resumedYou = await specPage.evaluate(() =>
    window.__cgReceived.filter((m) => m.type === 'joined' && m.resumed === true).at(-1).you);
  if (resumedYou.id !== spec.id || resumedYou.role !== 'specialist') {
    fail(`specialist: the resumed seat is ${JSON.stringify(resumedYou)}, not ${spec.id} as specialist`);
  }
  const statusShown = await specPage.evaluate(() => !document.getElementById('status').hidden &&
    document.getElementById('status').textContent);
  if (statusShown) fail(`specialist: an error is on screen after the resume: "${statusShown}"`);
  await Promise.all([
    expectRemoteVideo(specPage, 'specialist (after the resume)', prov.id),
    expectRemoteVideo(provPage, 'provider (after the resume)', spec.id),
  ]);
  if ((await participantLefts(provPage, spec.id)).length) fail('provider: was told the specialist left');
  if (await provPage.evaluate(() => window.__cgSeen.tileRemoved)) fail('provider: the specialist\'s tile went away');
  if (await specPage.evaluate(() => window.__cgSeen.tileRemoved)) fail('specialist: the provider\'s tile went away');
  const joins = await auditCount(daemon, consult.id, 'join', spec.id);
  const resumes = await auditCount(daemon, consult.id, 'resume', spec.id);
  if (joins !== 1 || resumes !== 1) fail(`audit: ${joins} join and ${resumes} resume records for the specialist, expected 1 and 1`);

  // Still the host: the provider's tile has Mute, and it works.
  await specPage.getByRole('button', { name: 'Mute Dr. Osei' }).click();
  await waitFor(provPage, 'provider: muted by the specialist after the resume',
    (id) => window.__cgReceived.some((m) => m.type === 'muted' && m.by && m.by.id === id), spec.id, 10000);

  // 2. Cut again while every new socket fails: lost once the grace is over.
  await specPage.evaluate(() => { window.__cgRefuse = true; });
  const cut2At = Date.now();
  await cutSocket(specPage);
  await waitFor(specPage, `specialist: says "${LOST_TEXT}" once the grace period is over`, (t) => {
    const s = document.getElementById('status');
    return s && !s.hidden && s.textContent.includes(t) && document.getElementById('reconnecting').hidden;
  }, LOST_TEXT, (GRACE_S + 10) * 1000);
  const lostAfter = Date.now() - cut2At;
  const attempts = await specPage.evaluate(() => window.__cgSockets.length);
  console.log(`# specialist shows the loss ${lostAfter} ms after the second cut (${attempts} sockets in all)`);
  if (lostAfter < (GRACE_S - 1) * 1000) fail(`specialist: gave up after ${lostAfter} ms, before the ${GRACE_S} s grace`);
  // backoff 0.5, 1, 2, then the last one just inside the grace: 4 attempts
  if (attempts - 2 < 3) fail(`specialist: only ${attempts - 2} reconnection attempts in the grace period`);
  if (attempts - 2 > 6) fail(`specialist: ${attempts - 2} reconnection attempts in ${GRACE_S} s: no backoff`);
  if (await specPage.getByRole('button', { name: 'Rejoin' }).isHidden()) fail('specialist: no Rejoin button');
  await waitFor(provPage, 'provider: the specialist left (connection_lost) after the grace period',
    (id) => window.__cgReceived.some((m) => m.type === 'participant_left' && m.participant === id &&
      m.reason === 'connection_lost') && !document.querySelector(`figure.tile[data-participant="${id}"]`),
    spec.id, 15000);
}

async function main() {
  const ctx = { console: [], pages: {}, daemon: null, browser: null };
  let ok = false;
  try {
    await run(ctx);
    ok = true;
  } catch (err) {
    console.error(`FAIL: ${err instanceof TestFailure ? err.message : err.stack || err}`);
    for (const [name, page] of Object.entries(ctx.pages)) {
      try {
        mkdirSync(ARTIFACTS, { recursive: true });
        const p = path.join(ARTIFACTS, `reconnect-failure-${name}.png`);
        await page.screenshot({ path: p, timeout: 5000 });
        const status = await page.evaluate(() => document.getElementById('status')?.textContent || '');
        console.error(`# ${name}: status "${status}", screenshot ${p}`);
      } catch {
        /* the page may be gone */
      }
    }
    if (ctx.console.length) console.error(`# browser console:\n${ctx.console.slice(-60).join('\n')}`);
    if (ctx.daemon) console.error(`# consultd log (last lines):\n${ctx.daemon.logTail(60)}`);
  } finally {
    if (ctx.browser) await ctx.browser.close().catch(() => {});
    if (ctx.daemon) {
      const exit = await ctx.daemon.stop().catch(() => null);
      if (ok && exit && exit.code !== 0) {
        console.error(`FAIL: consultd exited with code ${exit.code} signal ${exit.signal} on SIGTERM`);
        console.error(ctx.daemon.logTail(20));
        ok = false;
      }
      ctx.daemon.cleanup();
    }
  }
  console.log(ok ? '1 passed, 0 failed' : '0 passed, 1 failed');
  process.exitCode = ok ? 0 : 1;
}

await main();
