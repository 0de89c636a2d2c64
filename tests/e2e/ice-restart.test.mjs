// e2e-ice-restart: a specialist and a provider in one consult from Chromium,
// each seeing the other's video. The specialist's page restarts ICE through
// the hook it exposes (window.consultgw.restartIce(), the same function the
// page runs when "pub" loses its path). The page shows "Reconnecting…", sends
// a new offer on pub with new ICE credentials; consultd answers with new
// credentials of its own and re-offers the page's sub connection (same pc,
// new credentials), which the page answers. "Reconnecting…" goes, both videos
// keep playing (time advancing after the restart), and the provider's page
// hears nothing of it: no participant_left, no tile removed, no new offer.
// The provider shares a screen from before the specialist joins (the sub is
// created with the screen m-line): the re-offered sub keeps it, the
// specialist's page still shows it playing after the restart, and once the
// provider stops and shares again it shows it again.
//
// Env: CONSULTD (consultd binary), CG_WEB_ROOT (the repo's web/),
// CG_E2E_ARTIFACTS (where screenshots go on failure; default: a temp dir).

import { Daemon, fail, launchBrowser, loadPlaywright, newPage, waitFor } from './lib/harness.mjs';
import { expectRemoteVideo, expectScreenTile } from './lib/media.mjs';
import { fakeDisplayMedia, recordSockets } from './lib/page-scripts.mjs';
import { runTest } from './lib/run.mjs';

const ufrag = (sdp) => (String(sdp).match(/a=ice-ufrag:(\S+)/) || [])[1];

// Remembers whether #reconnecting was ever shown and whether a tile of
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
        for (const n of r.removedNodes) if (n.dataset && n.dataset.participant === id) seen.tileRemoved = true;
      }
    }).observe(document.getElementById('stage'), { childList: true });
  }, watchId);
}

// Messages of one kind the page sent or received after performance.now() = @since.
function messages(page, dir, since) {
  return page.evaluate(([d, t]) => (d === 'sent' ? window.__cgSent : window.__cgReceived)
    .filter((m) => m.at >= t), [dir, since]);
}

async function run(ctx) {
  const playwright = await loadPlaywright();
  const daemon = new Daemon();
  ctx.daemon = daemon;
  await daemon.start();
  console.log(`# consultd listening on ${daemon.origin} (dir ${daemon.dir})`);
  const consult = await daemon.createConsult({
    title: 'ICE restart (e2e)',
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
  await provPage.addInitScript(fakeDisplayMedia);
  await provPage.goto(daemon.joinUrl(consult.id, prov.token), { waitUntil: 'load', timeout: 20000 });
  const share = provPage.getByRole('button', { name: 'Share screen' });
  await share.waitFor({ state: 'visible', timeout: 20000 });
  await waitFor(provPage, 'provider: "Share screen" enabled', () => !document.getElementById('share-btn').disabled,
    undefined, 20000);
  await share.click();
  // Shared once consultd answered: the button turns into an enabled, pressed "Stop sharing".
  await waitFor(provPage, 'provider: sharing ("Stop sharing" pressed)', () => {
    const b = document.getElementById('share-btn');
    return b.textContent === 'Stop sharing' && b.getAttribute('aria-pressed') === 'true' && !b.disabled;
  }, undefined, 10000);
  await specPage.goto(daemon.joinUrl(consult.id, spec.token), { waitUntil: 'load', timeout: 20000 });
  await Promise.all([
    expectRemoteVideo(specPage, 'specialist', prov.id),
    expectRemoteVideo(provPage, 'provider', spec.id),
    expectScreenTile(specPage, 'specialist (joined during the share)', prov.id, 'Dr. Osei'),
  ]);
  await watchPage(specPage, prov.id);
  await watchPage(provPage, spec.id);

  const before = await specPage.evaluate(() => ({
    pubOffer: window.__cgSent.filter((m) => m.type === 'offer' && m.pc === 'pub').at(-1).sdp,
    pubAnswer: window.__cgReceived.filter((m) => m.type === 'answer' && m.pc === 'pub').at(-1).sdp,
    subs: [...new Map(window.__cgReceived.filter((m) => m.type === 'offer' && m.pc !== 'pub')
      .map((m) => [m.pc, { pc: m.pc, participant: m.participant, ufrag: (m.sdp.match(/a=ice-ufrag:(\S+)/) || [])[1] }]))
      .values()],
  }));
  if (before.subs.length !== 1) fail(`specialist: ${before.subs.length} sub connections before the restart, expected 1`);
  const t0 = await specPage.evaluate(() => performance.now());
  const provT0 = await provPage.evaluate(() => performance.now());
  const restartedAt = Date.now();
  await specPage.evaluate(() => window.consultgw.restartIce());

  await waitFor(specPage, 'specialist: "Reconnecting…" is shown during the restart',
    () => window.__cgSeen.reconnecting, undefined, 5000);
  const text = await specPage.evaluate(() => document.getElementById('reconnecting').textContent);
  if (text !== 'Reconnecting…') fail(`specialist: the indicator reads "${text}"`);

  // The restart offer: new ICE credentials, the same media.
  await waitFor(specPage, 'specialist: an ICE-restart offer on pub is sent',
    (t) => window.__cgSent.some((m) => m.at >= t && m.type === 'offer' && m.pc === 'pub'), t0, 5000);
  const offer = (await messages(specPage, 'sent', t0)).find((m) => m.type === 'offer' && m.pc === 'pub');
  if (!ufrag(offer.sdp) || ufrag(offer.sdp) === ufrag(before.pubOffer)) {
    fail(`specialist: the restart offer keeps ice-ufrag ${ufrag(offer.sdp)}`);
  }
  const mlines = (sdp) => sdp.split(/\r?\n/).filter((l) => l.startsWith('m=')).join('|');
  if (mlines(offer.sdp) !== mlines(before.pubOffer)) fail('specialist: the restart offer changed the m-lines');

  // consultd answers with new credentials and re-offers the sub connection.
  await waitFor(specPage, 'specialist: consultd answered the restart on pub and re-offered every sub',
    ([t, n]) => window.__cgReceived.some((m) => m.at >= t && m.type === 'answer' && m.pc === 'pub') &&
      window.__cgReceived.filter((m) => m.at >= t && m.type === 'offer' && m.pc !== 'pub').length >= n,
    [t0, before.subs.length], 10000);
  const got = await messages(specPage, 'received', t0);
  const answer = got.find((m) => m.type === 'answer' && m.pc === 'pub');
  if (ufrag(answer.sdp) === ufrag(before.pubAnswer)) fail('specialist: consultd\'s answer kept its ICE credentials');
  for (const sub of before.subs) {
    const re = got.find((m) => m.type === 'offer' && m.pc === sub.pc);
    if (!re) fail(`specialist: no new offer for ${sub.pc}`);
    if (re.participant !== sub.participant) fail(`specialist: the new offer for ${sub.pc} names ${re.participant}`);
    if (ufrag(re.sdp) === sub.ufrag) fail(`specialist: the new offer for ${sub.pc} kept its ICE credentials`);
    if (!/a=content:slides[\s\S]*a=msid:\S+ \S+-screen/.test(re.sdp)) fail(`specialist: the new offer for ${sub.pc} lost the screen m-line`);
    await waitFor(specPage, `specialist: answered the new offer for ${sub.pc}`,
      ([t, pc]) => window.__cgSent.some((m) => m.at >= t && m.type === 'answer' && m.pc === pc),
      [t0, sub.pc], 5000);
  }
  if (!daemon.logLines.some((l) => l.includes('ICE restart: the endpoint\'s connections reconnect'))) {
    fail('consultd did not log the ICE restart');
  }

  await waitFor(specPage, 'specialist: "Reconnecting…" is gone after the restart',
    () => document.getElementById('reconnecting').hidden, undefined, 15000);
  console.log(`# specialist restarted ICE; "Reconnecting…" gone ${Date.now() - restartedAt} ms after the restart`);

  // Media goes on, on both pages; nobody was told anything.
  await Promise.all([
    expectRemoteVideo(specPage, 'specialist (after the restart)', prov.id),
    expectRemoteVideo(provPage, 'provider (after the restart)', spec.id),
    expectScreenTile(specPage, 'specialist (after the restart)', prov.id, 'Dr. Osei'),
  ]);
  const status = await specPage.evaluate(() => !document.getElementById('status').hidden &&
    document.getElementById('status').textContent);
  if (status) fail(`specialist: an error is on screen after the restart: "${status}"`);
  const provGot = await messages(provPage, 'received', provT0);
  const told = provGot.filter((m) => ['participant_left', 'participant_joined', 'offer', 'pc_closed'].includes(m.type));
  if (told.length) fail(`provider: was told of the restart: ${told.map((m) => m.type).join(', ')}`);
  if (await provPage.evaluate(() => window.__cgSeen.tileRemoved)) fail('provider: the specialist\'s tile went away');
  if (await specPage.evaluate(() => window.__cgSeen.tileRemoved)) fail('specialist: the provider\'s tile went away');
  if (await provPage.evaluate(() => window.__cgSeen.reconnecting)) fail('provider: showed "Reconnecting…"');

  // Stop and share again: the sub created with the screen m-line shows it again.
  await provPage.getByRole('button', { name: 'Stop sharing' }).click();
  await waitFor(specPage, 'specialist: the provider\'s screen tile is gone after "Stop sharing"',
    (id) => !document.querySelector(`figure.tile.screen[data-screen-participant="${id}"]`), prov.id, 10000);
  await provPage.getByRole('button', { name: 'Share screen' }).click();
  await expectScreenTile(specPage, 'specialist (shared again)', prov.id, 'Dr. Osei');

  // The provider restarts ICE and, in the same moment, stops sharing: the
  // stop's offer waits for the restart's answer, then goes (before, it waited
  // for a stable pub inside the queue that held that very answer, and failed
  // after 10 s: "pub did not become stable for a screen-share offer").
  await waitFor(provPage, 'provider: "Stop sharing" enabled', () => !document.getElementById('share-btn').disabled,
    undefined, 10000);
  const t1 = await specPage.evaluate(() => performance.now());
  await provPage.evaluate(() => {
    window.consultgw.restartIce();
    document.getElementById('share-btn').click();
  });
  // consultd took the stop: the specialist's sub is re-offered with the screen m-line inactive
  await waitFor(specPage, 'specialist: re-offered the provider\'s media with the share stopped',
    ([t, id]) => window.__cgReceived.some((m) => m.at >= t && m.type === 'offer' && m.participant === id &&
      m.sdp.split('m=').some((sec) => sec.includes('a=content:slides') && sec.includes('a=inactive'))),
    [t1, prov.id], 8000);
  await waitFor(specPage, 'specialist: the provider\'s screen tile is gone after a stop during its ICE restart',
    (id) => !document.querySelector(`figure.tile.screen[data-screen-participant="${id}"]`), prov.id, 8000);
  await waitFor(provPage, 'provider: not sharing, no error, after the stop during its ICE restart', () => {
    const b = document.getElementById('share-btn');
    return b.textContent === 'Share screen' && !b.disabled && document.getElementById('status').hidden;
  }, undefined, 8000);
}

await runTest('ice-restart', run);
