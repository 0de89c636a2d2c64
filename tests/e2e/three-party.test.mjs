// e2e-three-party: a specialist, a provider and a patient in one virtual
// consult from Chromium through the real consultd (the patient admitted from
// the waiting room). Each page sees the two others' cameras playing, shows its
// own network quality becoming "Connection: good" and highlights one active
// speaker. The specialist shares a screen (getDisplayMedia is replaced by a
// magenta canvas, headless Chromium having no screen): the provider and the
// patient show it in a tile "Dr. Lee — screen" next to the camera, playing and
// magenta; "Stop sharing" removes it from both while the cameras play on. A
// second share reuses the transceiver (no fourth m-line) and ends from the
// browser's own stop (the track's `ended`); a third works as well. The
// patient has no share button, and a share forced from the patient's page is
// refused by consultd (bad_sdp): the page says so and goes on as before.
//
// Env: CONSULTD (consultd binary), CG_WEB_ROOT (the repo's web/),
// CG_E2E_ARTIFACTS (where screenshots go on failure; default: a temp dir).

import { Daemon, fail, launchBrowser, loadPlaywright, newPage, waitFor } from './lib/harness.mjs';
import { expectRemoteVideo, expectScreenTile, screenTileSelector } from './lib/media.mjs';
import { fakeDisplayMedia, recordSockets } from './lib/page-scripts.mjs';
import { runTest } from './lib/run.mjs';

const REFUSED_TEXT = 'The consult server did not accept your screen share';

// The offers a page sent on pub, as {mlines, ufrag, dirs}.
async function pubOffers(page) {
  return page.evaluate(() => window.__cgSent.filter((m) => m.type === 'offer' && m.pc === 'pub').map((m) => {
    const sections = m.sdp.split(/\r?\n(?=m=)/).slice(1);
    return {
      mlines: sections.length,
      ufrag: (m.sdp.match(/a=ice-ufrag:(\S+)/) || [])[1],
      dirs: sections.map((s) => (s.match(/a=(sendrecv|sendonly|recvonly|inactive)/) || [])[1]),
    };
  }));
}

async function expectOffer(page, who, n, mlines, lastDir) {
  await waitFor(page, `${who}: offer #${n} on pub sent`,
    (k) => window.__cgSent.filter((m) => m.type === 'offer' && m.pc === 'pub').length >= k, n, 10000);
  const offers = await pubOffers(page);
  const o = offers[n - 1];
  if (o.mlines !== mlines || o.dirs[mlines - 1] !== lastDir) {
    fail(`${who}: pub offer #${n} has m-lines ${JSON.stringify(o.dirs)}, expected ${mlines} ending ${lastDir}`);
  }
  if (o.ufrag !== offers[0].ufrag) fail(`${who}: pub offer #${n} changed the ICE credentials (a screen share must not)`);
}

async function expectNoScreenTile(page, who, sharerId) {
  await waitFor(page, `${who}: the screen tile of ${sharerId} is gone`,
    (s) => !document.querySelector(s), screenTileSelector(sharerId), 10000);
}

async function expectQualityGood(page, who) {
  await waitFor(page, `${who}: the indicator reads "Connection: good"`, () => {
    const q = document.getElementById('quality');
    return q && !q.hidden && q.dataset.quality === 'good' && q.textContent.trim() === 'Connection: good' &&
      q.getBoundingClientRect().height > 0;
  }, undefined, 10000);
  const title = await page.evaluate(() => document.getElementById('quality').title);
  // rtt_ms may still be null ("not known yet") while loss and jitter already say good.
  if (!/^Round trip to the consult server: (\d+ ms|not known yet)$/m.test(title) ||
      !/^What you send: \d+ kbps, \d+\.\d % lost, jitter \d+ ms$/m.test(title) ||
      !/^What you receive: \d+ kbps/m.test(title)) {
    fail(`${who}: the indicator's title lacks the figures: ${JSON.stringify(title)}`);
  }
}

// One tile highlighted as the active speaker, the one the last active_speaker named.
async function expectSpeaker(page, who, selfId) {
  const t0 = Date.now();
  await waitFor(page, `${who}: one tile highlighted as the active speaker`, () =>
    document.querySelectorAll('figure.tile[data-active-speaker="true"]').length === 1, undefined, 20000);
  const r = await page.evaluate(() => {
    const tiles = document.querySelectorAll('figure.tile[data-active-speaker="true"]');
    const named = window.__cgReceived.filter((m) => m.type === 'active_speaker').map((m) => m.participant);
    const t = tiles[0];
    return {
      n: tiles.length, named, self: t.dataset.self === 'true', id: t.dataset.participant || null,
      badge: t.querySelector('.speaking')?.textContent || '', frame: getComputedStyle(t, '::before').borderTopStyle,
    };
  });
  const expected = r.named.at(-1);
  const shown = r.self ? selfId : r.id;
  if (shown !== expected) fail(`${who}: highlights ${shown}, but the last active_speaker named ${expected}`);
  if (r.badge !== 'Speaking' || r.frame !== 'solid') fail(`${who}: the highlight has no frame or "Speaking" badge`);
  console.log(`# ${who}: active speaker ${shown}${r.self ? ' (self)' : ''} after ${Date.now() - t0} ms ` +
    `(active_speaker messages: ${r.named.join(', ')})`);
}

async function camerasPlay(pages) {
  await Promise.all(pages.flatMap(([page, who, others]) => others.map((id) => expectRemoteVideo(page, who, id))));
}

async function run(ctx) {
  const playwright = await loadPlaywright();
  const daemon = new Daemon();
  ctx.daemon = daemon;
  await daemon.start();
  console.log(`# consultd listening on ${daemon.origin} (dir ${daemon.dir})`);
  const consult = await daemon.createConsult({
    title: 'Three-party consult (e2e)',
    participants: [
      { name: 'Dr. Lee', role: 'specialist' },
      { name: 'Dr. Osei', role: 'provider' },
      { name: 'Sam Doe', role: 'patient' },
    ],
  });
  const [spec, prov, pat] = consult.participants;

  const browser = await launchBrowser(playwright);
  ctx.browser = browser;
  const specPage = await newPage(browser, daemon.origin, 'specialist', ctx.console);
  const provPage = await newPage(browser, daemon.origin, 'provider', ctx.console);
  const patPage = await newPage(browser, daemon.origin, 'patient', ctx.console);
  ctx.pages = { specialist: specPage, provider: provPage, patient: patPage };
  for (const page of [specPage, provPage, patPage]) {
    await page.addInitScript(recordSockets);
    await page.addInitScript(fakeDisplayMedia);
  }
  await Promise.all([
    specPage.goto(daemon.joinUrl(consult.id, spec.token), { waitUntil: 'load', timeout: 20000 }),
    provPage.goto(daemon.joinUrl(consult.id, prov.token), { waitUntil: 'load', timeout: 20000 }),
    patPage.goto(daemon.joinUrl(consult.id, pat.token), { waitUntil: 'load', timeout: 20000 }),
  ]);
  const admit = specPage.getByRole('button', { name: 'Admit Sam Doe' });
  await admit.waitFor({ state: 'visible', timeout: 20000 });
  await admit.click();

  const all = [
    [specPage, 'specialist', [prov.id, pat.id]],
    [provPage, 'provider', [spec.id, pat.id]],
    [patPage, 'patient', [spec.id, prov.id]],
  ];
  await camerasPlay(all);
  console.log('# every page sees both other cameras playing');

  await Promise.all(all.map(([page, who]) => expectQualityGood(page, who)));
  await Promise.all([
    expectSpeaker(specPage, 'specialist', spec.id),
    expectSpeaker(provPage, 'provider', prov.id),
    expectSpeaker(patPage, 'patient', pat.id),
  ]);

  // Clinicians are offered screen sharing; the patient is not.
  for (const [page, who] of [[specPage, 'specialist'], [provPage, 'provider']]) {
    const btn = page.getByRole('button', { name: 'Share screen' });
    await btn.waitFor({ state: 'visible', timeout: 10000 });
    if (!(await btn.isEnabled())) fail(`${who}: "Share screen" is disabled`);
  }
  if (await patPage.locator('#share-btn:visible').count() !== 0) fail('patient: a share button is shown');

  // 1. Share, see it on both other pages, stop with the button.
  await specPage.getByRole('button', { name: 'Share screen' }).click();
  await expectOffer(specPage, 'specialist', 2, 3, 'sendonly');
  await Promise.all([
    expectScreenTile(provPage, 'provider', spec.id, 'Dr. Lee'),
    expectScreenTile(patPage, 'patient', spec.id, 'Dr. Lee'),
  ]);
  const stopBtn = specPage.getByRole('button', { name: 'Stop sharing' });
  await stopBtn.waitFor({ state: 'visible', timeout: 5000 });
  if (await stopBtn.getAttribute('aria-pressed') !== 'true') fail('specialist: "Stop sharing" is not aria-pressed');
  if (await specPage.locator('figure.tile.self-screen').count() !== 1) fail('specialist: no preview of the shared screen');
  console.log('# provider and patient see the specialist\'s screen');
  await stopBtn.click();
  await expectOffer(specPage, 'specialist', 3, 3, 'inactive');
  await Promise.all([
    expectNoScreenTile(provPage, 'provider', spec.id),
    expectNoScreenTile(patPage, 'patient', spec.id),
  ]);
  await camerasPlay(all);
  console.log('# screen tiles gone after "Stop sharing"; cameras still playing');

  // 2. Share again (the same transceiver), stopped from the browser's own UI.
  await specPage.getByRole('button', { name: 'Share screen' }).click();
  await expectOffer(specPage, 'specialist', 4, 3, 'sendonly');
  await Promise.all([
    expectScreenTile(provPage, 'provider', spec.id, 'Dr. Lee'),
    expectScreenTile(patPage, 'patient', spec.id, 'Dr. Lee'),
  ]);
  await specPage.evaluate(() => window.__cgDisplayTracks.at(-1).dispatchEvent(new Event('ended')));
  await expectOffer(specPage, 'specialist', 5, 3, 'inactive');
  await Promise.all([
    expectNoScreenTile(provPage, 'provider', spec.id),
    expectNoScreenTile(patPage, 'patient', spec.id),
  ]);
  await specPage.getByRole('button', { name: 'Share screen' }).waitFor({ state: 'visible', timeout: 5000 });
  console.log('# second share shown and gone after the browser ended the track');

  // 3. A third time (the receivers' work-around for libwebrtc alternates; see
  // web/screen-tiles.js), stopped with the button.
  await specPage.getByRole('button', { name: 'Share screen' }).click();
  await expectOffer(specPage, 'specialist', 6, 3, 'sendonly');
  await Promise.all([
    expectScreenTile(provPage, 'provider', spec.id, 'Dr. Lee'),
    expectScreenTile(patPage, 'patient', spec.id, 'Dr. Lee'),
  ]);
  await specPage.getByRole('button', { name: 'Stop sharing' }).click();
  await Promise.all([
    expectNoScreenTile(provPage, 'provider', spec.id),
    expectNoScreenTile(patPage, 'patient', spec.id),
  ]);
  console.log('# third share shown and gone');

  // 3. A patient may not share: consultd refuses, the page says so and goes on.
  await patPage.evaluate(() => window.consultgw.shareScreen());
  await waitFor(patPage, `patient: the alert says "${REFUSED_TEXT}…"`, (t) => {
    const s = document.getElementById('status');
    return s && !s.hidden && s.textContent.includes(t);
  }, REFUSED_TEXT, 10000);
  const refused = await patPage.evaluate(() => ({
    errors: window.__cgReceived.filter((m) => m.type === 'error').map((m) => m.code),
    track: window.__cgDisplayTracks.at(-1)?.readyState,
    preview: document.querySelectorAll('figure.tile.self-screen').length,
  }));
  if (refused.errors.join() !== 'bad_sdp') fail(`patient: errors received ${JSON.stringify(refused.errors)}, expected [bad_sdp]`);
  if (refused.track !== 'ended' || refused.preview !== 0) fail(`patient: the refused share was not undone: ${JSON.stringify(refused)}`);
  for (const [page, who] of [[specPage, 'specialist'], [provPage, 'provider']]) {
    if (await page.locator(screenTileSelector(pat.id)).count() !== 0) fail(`${who}: shows a screen of the patient`);
  }
  await camerasPlay(all);
  console.log('# the patient\'s forced share was refused (bad_sdp) and undone; cameras still playing');
}

await runTest('three-party', run);
