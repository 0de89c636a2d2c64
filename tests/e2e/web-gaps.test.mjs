// e2e-web-*: the web client's gaps of issue 10, one scenario per CTest test
// (the scenario is the first argument). Each makes the network or the server
// misbehave from inside the page (lib/page-scripts.mjs controlSockets), never
// by changing consultd, and checks what the user gets:
//
//   share-unanswered  a screen-share offer the server never answers: the
//                     Share button comes back (enabled, not pressed), and a
//                     later share works.
//   ice-refused       an ICE-restart offer consultd refuses (bad_sdp): pub is
//                     rolled back, "Reconnecting…" goes, no error is shown,
//                     and the next restart is answered.
//   waiting-rejoin    the socket of a patient in the waiting room drops: the
//                     page joins the waiting room again by itself (no Rejoin
//                     button), and the specialist can still admit them.
//   heartbeat         the socket goes silent without closing: the page notices
//                     from the missing `stats` (every 2 s while media is up)
//                     and resumes its seat on a new socket.
//   leave-reconnecting  Leave pressed while "Reconnecting…": once the network
//                     is back within the grace period the others hear `left`,
//                     not connection_lost.
//
// Env: CONSULTD (consultd binary), CG_WEB_ROOT (the repo's web/),
// CG_E2E_ARTIFACTS (where screenshots go on failure; default: a temp dir).

import { Daemon, fail, launchBrowser, loadPlaywright, newPage, waitFor } from './lib/harness.mjs';
import { expectRemoteVideo } from './lib/media.mjs';
import { controlSockets, fakeDisplayMedia } from './lib/page-scripts.mjs';
import { runTest } from './lib/run.mjs';

const ufrag = (sdp) => (String(sdp).match(/a=ice-ufrag:(\S+)/) || [])[1];

// Remembers whether #reconnecting was ever shown (it may come and go between polls).
async function watchReconnecting(page) {
  await page.evaluate(() => {
    window.__cgSeenReconnecting = false;
    const ind = document.getElementById('reconnecting');
    new MutationObserver(() => { if (!ind.hidden) window.__cgSeenReconnecting = true; })
      .observe(ind, { attributes: true, attributeFilter: ['hidden'] });
  });
}

async function statusShown(page) {
  return page.evaluate(() => {
    const s = document.getElementById('status');
    return !s.hidden && s.textContent;
  });
}

async function open(ctx, daemon, label, consult, participant, scripts = []) {
  const page = await newPage(ctx.browser, daemon.origin, label, ctx.console);
  ctx.pages[label] = page;
  await page.addInitScript(controlSockets);
  for (const s of scripts) await page.addInitScript(s);
  await page.goto(daemon.joinUrl(consult.id, participant.token), { waitUntil: 'load', timeout: 20000 });
  return page;
}

async function setup(ctx, { resumeGraceS, participants }) {
  const playwright = await loadPlaywright();
  const daemon = new Daemon();
  ctx.daemon = daemon;
  await daemon.start({ resumeGraceS });
  console.log(`# consultd listening on ${daemon.origin} (dir ${daemon.dir})`);
  const consult = await daemon.createConsult({ title: 'Web client gaps (e2e)', participants });
  ctx.browser = await launchBrowser(playwright);
  return { daemon, consult };
}

const SPECIALIST = { name: 'Dr. Lee', role: 'specialist' };
const PROVIDER = { name: 'Dr. Osei', role: 'provider' };
const PATIENT = { name: 'Sam Doe', role: 'patient' };

// (a) The share's offer never reaches consultd, so no answer ever comes.
async function shareUnanswered(ctx) {
  const { daemon, consult } = await setup(ctx, { participants: [SPECIALIST] });
  const [spec] = consult.participants;
  const page = await open(ctx, daemon, 'specialist', consult, spec, [fakeDisplayMedia]);
  await waitFor(page, 'specialist: "Share screen" enabled', () => {
    const b = document.getElementById('share-btn');
    return !b.hidden && !b.disabled;
  }, undefined, 20000);
  await waitFor(page, 'specialist: pub answered', () =>
    window.__cgReceived.some((m) => m.type === 'answer' && m.pc === 'pub'), undefined, 20000);
  await page.evaluate(() => {
    window.__cgOutFilter = (m) => (m.type === 'offer' && m.pc === 'pub' ? null : m);
  });
  const clickedAt = Date.now();
  await page.getByRole('button', { name: 'Share screen' }).click();
  await waitFor(page, 'specialist: the share\'s offer was sent (and dropped by the test)',
    () => window.__cgSent.some((m) => m.dropped && m.type === 'offer'), undefined, 10000);
  await waitFor(page, 'specialist: "Share screen" comes back enabled and not pressed after the unanswered offer', () => {
    const b = document.getElementById('share-btn');
    return b.textContent === 'Share screen' && !b.disabled && b.getAttribute('aria-pressed') === 'false';
  }, undefined, 25000);
  console.log(`# specialist: Share enabled again ${Date.now() - clickedAt} ms after the click`);
  const notice = await page.evaluate(() => document.getElementById('notice').textContent);
  if (!/could not be shared/.test(notice)) fail(`specialist: the notice reads "${notice}", not that the screen could not be shared`);
  const preview = await page.evaluate(() => !!document.querySelector('figure.self-screen'));
  if (preview) fail('specialist: the preview of the unshared screen is still on the stage');
  const live = await page.evaluate(() => window.__cgDisplayTracks.filter((t) => t.readyState === 'live').length);
  if (live) fail(`specialist: ${live} display tracks still live after the share failed`);

  // The network is fine again: sharing works (pub was left stable).
  await page.evaluate(() => { window.__cgOutFilter = null; });
  await page.getByRole('button', { name: 'Share screen' }).click();
  await waitFor(page, 'specialist: sharing after the failed attempt ("Stop sharing" pressed, enabled)', () => {
    const b = document.getElementById('share-btn');
    return b.textContent === 'Stop sharing' && b.getAttribute('aria-pressed') === 'true' && !b.disabled;
  }, undefined, 15000);
  const status = await statusShown(page);
  if (status) fail(`specialist: an error is on screen: "${status}"`);
}

// (b) consultd refuses the restart offer: its camera m-line's mid is changed
// on the way out ("any other change ... is refused with bad_sdp").
async function iceRefused(ctx) {
  const { daemon, consult } = await setup(ctx, { participants: [SPECIALIST, PROVIDER] });
  const [spec, prov] = consult.participants;
  const specPage = await open(ctx, daemon, 'specialist', consult, spec);
  const provPage = await open(ctx, daemon, 'provider', consult, prov);
  await Promise.all([
    expectRemoteVideo(specPage, 'specialist', prov.id),
    expectRemoteVideo(provPage, 'provider', spec.id),
  ]);
  await watchReconnecting(specPage);
  const first = await specPage.evaluate(() =>
    window.__cgSent.filter((m) => m.type === 'offer' && m.pc === 'pub').at(-1).sdp);
  await specPage.evaluate(() => {
    window.__cgOutFilter = (m) => {
      if (m.type !== 'offer' || m.pc !== 'pub') return m;
      window.__cgOutFilter = null; // this one only
      return { ...m, sdp: m.sdp.replace(/a=mid:(\S+)/, 'a=mid:e2e-changed-$1') };
    };
  });
  const t0 = await specPage.evaluate(() => performance.now());
  await specPage.evaluate(() => window.consultgw.restartIce());
  await waitFor(specPage, 'specialist: consultd refused the mangled restart offer with bad_sdp',
    (t) => window.__cgReceived.some((m) => m.at >= t && m.type === 'error' && m.code === 'bad_sdp'), t0, 10000);
  await waitFor(specPage, 'specialist: "Reconnecting…" gone after the refused restart (path still up)',
    () => window.__cgSeenReconnecting && document.getElementById('reconnecting').hidden, undefined, 8000);
  const status = await statusShown(specPage);
  if (status) fail(`specialist: an error is on screen after the refused restart: "${status}"`);

  // The next restart goes out and is answered: pub was rolled back to stable.
  const t1 = await specPage.evaluate(() => performance.now());
  await specPage.evaluate(() => window.consultgw.restartIce());
  await waitFor(specPage, 'specialist: the next restart offer is sent and answered on pub',
    (t) => window.__cgSent.some((m) => m.at >= t && m.type === 'offer' && m.pc === 'pub') &&
      window.__cgReceived.some((m) => m.at >= t && m.type === 'answer' && m.pc === 'pub'), t1, 8000);
  const second = await specPage.evaluate((t) =>
    window.__cgSent.filter((m) => m.at >= t && m.type === 'offer' && m.pc === 'pub').at(-1).sdp, t1);
  if (ufrag(second) === ufrag(first)) fail('specialist: the next restart offer keeps the old ICE credentials');
  await waitFor(specPage, 'specialist: "Reconnecting…" gone after the answered restart',
    () => document.getElementById('reconnecting').hidden, undefined, 15000);
  await Promise.all([
    expectRemoteVideo(specPage, 'specialist (after the restarts)', prov.id),
    expectRemoteVideo(provPage, 'provider (after the restarts)', spec.id),
  ]);
  const after = await statusShown(specPage);
  if (after) fail(`specialist: an error is on screen after the restarts: "${after}"`);
}

// (c) A patient's socket drops in the waiting room.
async function waitingRejoin(ctx) {
  const { daemon, consult } = await setup(ctx, { participants: [SPECIALIST, PATIENT] });
  const [spec, pat] = consult.participants;
  const patPage = await open(ctx, daemon, 'patient', consult, pat);
  await waitFor(patPage, 'patient: in the waiting room', () =>
    !document.getElementById('waiting-room').hidden &&
    window.__cgReceived.some((m) => m.type === 'waiting'), undefined, 20000);
  await watchReconnecting(patPage);
  await patPage.evaluate(() => window.__cgSockets.at(-1).close(4000, 'e2e: cut by the test'));
  await waitFor(patPage, 'patient: back in the waiting room on a new socket, by itself', () =>
    window.__cgSockets.length >= 2 && window.__cgSockets.at(-1).readyState === WebSocket.OPEN &&
    window.__cgReceived.filter((m) => m.type === 'waiting').length >= 2 &&
    !document.getElementById('waiting-room').hidden && document.getElementById('reconnecting').hidden,
  undefined, 15000);
  const status = await statusShown(patPage);
  if (status) fail(`patient: an error is on screen after the drop: "${status}"`);
  if (await patPage.getByRole('button', { name: 'Rejoin' }).isVisible()) fail('patient: a Rejoin button is shown');
  if (!(await patPage.evaluate(() => window.__cgSeenReconnecting))) fail('patient: "Reconnecting…" was never shown');

  // Still in the right waiting room: the specialist admits them.
  const specPage = await open(ctx, daemon, 'specialist', consult, spec);
  await specPage.getByRole('button', { name: 'Admit Sam Doe' }).click({ timeout: 20000 });
  await Promise.all([
    expectRemoteVideo(specPage, 'specialist', pat.id),
    expectRemoteVideo(patPage, 'patient (admitted after the drop)', spec.id),
  ]);
}

// (d) The socket goes silent both ways; no close ever comes.
async function heartbeat(ctx) {
  const { daemon, consult } = await setup(ctx, { participants: [SPECIALIST, PROVIDER] });
  const [spec, prov] = consult.participants;
  const specPage = await open(ctx, daemon, 'specialist', consult, spec);
  const provPage = await open(ctx, daemon, 'provider', consult, prov);
  await Promise.all([
    expectRemoteVideo(specPage, 'specialist', prov.id),
    expectRemoteVideo(provPage, 'provider', spec.id),
  ]);
  await waitFor(specPage, 'specialist: `stats` arrive', () =>
    window.__cgReceived.some((m) => m.type === 'stats'), undefined, 10000);
  await watchReconnecting(specPage);
  const deadAt = Date.now();
  await specPage.evaluate(() => { window.__cgSockets.at(-1).__cgDead = true; });
  await waitFor(specPage, 'specialist: notices the silent socket ("Reconnecting…")',
    () => window.__cgSeenReconnecting, undefined, 15000);
  const noticed = Date.now() - deadAt;
  await waitFor(specPage, 'specialist: resumed its seat on a new socket', () =>
    window.__cgSockets.length >= 2 && window.__cgSockets.at(-1).readyState === WebSocket.OPEN &&
    window.__cgReceived.some((m) => m.type === 'joined' && m.resumed === true) &&
    document.getElementById('reconnecting').hidden, undefined, 15000);
  console.log(`# specialist noticed the silent socket after ${noticed} ms, resumed after ${Date.now() - deadAt} ms`);
  if (noticed < 4000) fail(`specialist: gave up on the socket after ${noticed} ms: less than two missed stats`);
  const status = await statusShown(specPage);
  if (status) fail(`specialist: an error is on screen after the resume: "${status}"`);
  const lefts = await provPage.evaluate((id) => window.__cgReceived
    .filter((m) => m.type === 'participant_left' && m.participant === id).length, spec.id);
  if (lefts) fail('provider: was told the specialist left');
  await Promise.all([
    expectRemoteVideo(specPage, 'specialist (after the resume)', prov.id),
    expectRemoteVideo(provPage, 'provider (after the resume)', spec.id),
  ]);
}

// (e) Leave while the socket is down; the network comes back inside the grace.
async function leaveReconnecting(ctx) {
  const GRACE_S = 12;
  const { daemon, consult } = await setup(ctx, { resumeGraceS: GRACE_S, participants: [SPECIALIST, PROVIDER] });
  const [spec, prov] = consult.participants;
  const specPage = await open(ctx, daemon, 'specialist', consult, spec);
  const provPage = await open(ctx, daemon, 'provider', consult, prov);
  await Promise.all([
    expectRemoteVideo(specPage, 'specialist', prov.id),
    expectRemoteVideo(provPage, 'provider', spec.id),
  ]);
  await provPage.evaluate(() => {
    window.__cgRefuse = true;
    window.__cgSockets.at(-1).close(4000, 'e2e: cut by the test');
  });
  await waitFor(provPage, 'provider: "Reconnecting…" after the cut',
    () => !document.getElementById('reconnecting').hidden, undefined, 5000);
  await provPage.getByRole('button', { name: 'Leave' }).click();
  await waitFor(provPage, 'provider: says they left, no "Reconnecting…"', () =>
    document.getElementById('notice').textContent.includes('You have left') &&
    document.getElementById('reconnecting').hidden, undefined, 5000);
  await provPage.evaluate(() => { window.__cgRefuse = false; }); // the network is back
  const lefts = await (async () => {
    await waitFor(specPage, 'specialist: the provider left', (id) =>
      window.__cgReceived.some((m) => m.type === 'participant_left' && m.participant === id),
    prov.id, (GRACE_S + 10) * 1000);
    return specPage.evaluate((id) => window.__cgReceived
      .filter((m) => m.type === 'participant_left' && m.participant === id).map((m) => m.reason), prov.id);
  })();
  if (lefts.join() !== 'left') fail(`specialist: heard the provider leave with reason ${lefts.join()}, not "left"`);
  const provStatus = await statusShown(provPage);
  if (provStatus) fail(`provider: an error is on screen after leaving: "${provStatus}"`);
  const open_ = await provPage.evaluate(() => window.__cgSockets.filter((s) => s.readyState <= 1).length);
  await waitFor(provPage, 'provider: no socket left open after the leave went out', () =>
    window.__cgSockets.every((s) => s.readyState >= 2), undefined, 5000);
  console.log(`# provider: ${open_} sockets open right after the leave was heard, none after`);
}

const SCENARIOS = {
  'share-unanswered': shareUnanswered,
  'ice-refused': iceRefused,
  'waiting-rejoin': waitingRejoin,
  heartbeat,
  'leave-reconnecting': leaveReconnecting,
};

const name = process.argv[2];
if (!SCENARIOS[name]) {
  console.error(`usage: web-gaps.test.mjs ${Object.keys(SCENARIOS).join('|')}`);
  process.exit(2);
}
await runTest(`web-${name}`, SCENARIOS[name]);
