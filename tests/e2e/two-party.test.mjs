// e2e-two-party: a specialist and a patient join one consult from Chromium
// through the real consultd. The patient first sees the waiting room (and the
// specialist sees nobody's media from them); the specialist admits them from
// the live waiting list. Then each sees the other's video (frames decoded, time
// advancing) and hears the other's audio (the fake microphone's beep, measured
// with an AnalyserNode on the remote stream). A third page with a tampered
// token shows the bad_token text. Then the patient leaves and their tile goes
// from the specialist's page.
//
// Env: CONSULTD (consultd binary), CG_WEB_ROOT (the repo's web/),
// CG_E2E_ARTIFACTS (where screenshots go; default: a temp dir).

import { ARTIFACTS, runTest } from './lib/run.mjs';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  Daemon, TestFailure, fail, launchBrowser, loadPlaywright, newPage, waitFor,
} from './lib/harness.mjs';
import { expectRemoteVideo } from './lib/media.mjs';

const BAD_TOKEN_TEXT = 'This join link is not valid. Ask the clinic for a new link.';

function tamper(token) {
  const [h, p, s] = token.split('.');
  if (!p || !s) fail(`token is not a JWT: ${token.slice(0, 20)}…`);
  const i = Math.floor(p.length / 2);
  const c = p[i] === 'A' ? 'B' : 'A';
  return `${h}.${p.slice(0, i)}${c}${p.slice(i + 1)}.${s}`;
}

// Peak RMS of the remote stream's audio over a window, via WebAudio.
async function expectRemoteAudio(page, who, otherId) {
  await waitFor(page, `${who}: remote stream of ${otherId} has an audio track`, (id) => {
    const v = document.querySelector(`video[data-participant="${id}"]`);
    return v && v.srcObject && v.srcObject.getAudioTracks().length > 0;
  }, otherId, 20000);
  await page.evaluate((id) => {
    const v = document.querySelector(`video[data-participant="${id}"]`);
    const ctx = new AudioContext();
    const src = ctx.createMediaStreamSource(v.srcObject);
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 2048;
    src.connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    const probe = { peak: 0, state: ctx.state, ctx, src, analyser };
    window.__cgAudioProbe = probe;
    probe.timer = setInterval(() => {
      analyser.getFloatTimeDomainData(buf);
      let sum = 0;
      for (let i = 0; i < buf.length; i++) sum += buf[i] * buf[i];
      const rms = Math.sqrt(sum / buf.length);
      if (rms > probe.peak) probe.peak = rms;
      probe.state = ctx.state;
    }, 20);
    ctx.resume();
  }, otherId);
  try {
    await waitFor(page, `${who}: remote audio of ${otherId} carries signal (RMS > 0.01)`,
      () => window.__cgAudioProbe.peak > 0.01, undefined, 20000);
  } finally {
    const probe = await page.evaluate(() => {
      const p = window.__cgAudioProbe;
      clearInterval(p.timer);
      p.ctx.close();
      return { peak: p.peak, state: p.state };
    });
    console.log(`# ${who}: remote audio peak RMS ${probe.peak.toFixed(4)} (AudioContext ${probe.state})`);
  }
}

async function expectJoinedUi(page, who, name, roleLabel, title) {
  await waitFor(page, `${who}: shows "You: ${name} (${roleLabel})" and the consult title`, ([n, r, t]) => {
    const you = document.getElementById('you');
    return you && !you.hidden && you.textContent.includes(n) && you.textContent.includes(r) &&
      document.getElementById('consult-title').textContent === t;
  }, [name, roleLabel, title], 20000);
  const hash = await page.evaluate(() => location.hash);
  if (hash !== '') fail(`${who}: the token is still in the address bar (location.hash = ${hash.slice(0, 16)}…)`);
}

async function expectTileLabel(page, who, otherId, name, roleLabel) {
  const label = await page.evaluate((id) =>
    document.querySelector(`figure.tile[data-participant="${id}"] figcaption`)?.textContent || '', otherId);
  if (!label.includes(name) || !label.includes(roleLabel)) {
    fail(`${who}: the tile of ${otherId} is labelled "${label}", expected "${name}" and "${roleLabel}"`);
  }
}

async function firstFrameMs(page) {
  return page.evaluate(() => {
    const m = performance.getEntriesByName('cg-first-remote-frame')[0];
    return m ? Math.round(m.startTime) : null;
  });
}

async function run(ctx) {
  const playwright = await loadPlaywright();
  mkdirSync(ARTIFACTS, { recursive: true });

  const daemon = new Daemon();
  ctx.daemon = daemon;
  await daemon.start();
  console.log(`# consultd listening on ${daemon.origin} (dir ${daemon.dir})`);

  const title = 'Dermatology follow-up (e2e)';
  const consult = await daemon.createConsult({
    title,
    participants: [
      { name: 'Dr. Lee', role: 'specialist' },
      { name: 'Sam Doe', role: 'patient' },
    ],
  });
  const [spec, pat] = consult.participants;

  const browser = await launchBrowser(playwright);
  ctx.browser = browser;
  console.log(`# chromium ${browser.version()}`);
  const specPage = await newPage(browser, daemon.origin, 'specialist', ctx.console);
  const patPage = await newPage(browser, daemon.origin, 'patient', ctx.console);
  ctx.pages = { specialist: specPage, patient: patPage };

  await Promise.all([
    specPage.goto(daemon.joinUrl(consult.id, spec.token), { waitUntil: 'load', timeout: 20000 }),
    patPage.goto(daemon.joinUrl(consult.id, pat.token), { waitUntil: 'load', timeout: 20000 }),
  ]);

  await expectJoinedUi(specPage, 'specialist', 'Dr. Lee', 'Specialist', title);

  // The waiting room: the patient waits and shares nothing until admitted.
  await waitFor(patPage, 'patient: the waiting room page is shown', () => {
    const w = document.getElementById('waiting-room');
    return w && !w.hidden && w.getBoundingClientRect().height > 0;
  }, undefined, 20000);
  if (await specPage.locator(`figure.tile[data-participant="${pat.id}"]`).count() !== 0) {
    fail('specialist: a tile for the patient exists before admission');
  }
  await patPage.screenshot({ path: path.join(ARTIFACTS, 'waiting-room-patient.png') });
  const admit = specPage.getByRole('button', { name: 'Admit Sam Doe' });
  await admit.waitFor({ state: 'visible', timeout: 20000 });
  await specPage.screenshot({ path: path.join(ARTIFACTS, 'waiting-room-specialist.png') });
  const admittedAt = Date.now();
  await admit.click();

  await expectJoinedUi(patPage, 'patient', 'Sam Doe', 'Patient', title);
  await waitFor(patPage, 'patient: the waiting room page is gone after admission',
    () => document.getElementById('waiting-room').hidden, undefined, 10000);

  const [specSees, patSees] = await Promise.all([
    expectRemoteVideo(specPage, 'specialist', pat.id),
    expectRemoteVideo(patPage, 'patient', spec.id),
  ]);
  console.log(`# specialist sees the patient at ${specSees.w}x${specSees.h}; ` +
    `patient sees the specialist at ${patSees.w}x${patSees.h}`);
  await expectTileLabel(specPage, 'specialist', pat.id, 'Sam Doe', 'Patient');
  await expectTileLabel(patPage, 'patient', spec.id, 'Dr. Lee', 'Specialist');

  await expectRemoteAudio(specPage, 'specialist', pat.id);
  await expectRemoteAudio(patPage, 'patient', spec.id);

  // Mute is told to the others, not guessed from silence.
  await patPage.getByRole('button', { name: 'Mute microphone' }).click();
  await waitFor(specPage, 'specialist: the patient\'s tile says "Microphone off"', (id) => {
    const s = document.querySelector(`figure.tile[data-participant="${id}"] .media-state`);
    return s && s.textContent.includes('Microphone off');
  }, pat.id, 10000);
  await patPage.getByRole('button', { name: 'Unmute microphone' }).click();
  await waitFor(specPage, 'specialist: the patient\'s tile no longer says "Microphone off"', (id) => {
    const s = document.querySelector(`figure.tile[data-participant="${id}"] .media-state`);
    return s && !s.textContent.includes('Microphone off');
  }, pat.id, 10000);

  const [specMs, patMs] = [await firstFrameMs(specPage), await firstFrameMs(patPage)];
  console.log(`# page load -> first remote video frame: specialist ${specMs} ms, patient ${patMs} ms; ` +
    `admit click -> both videos playing ${Date.now() - admittedAt} ms (measurement only)`);

  const shot = path.join(ARTIFACTS, 'two-party-specialist.png');
  await specPage.screenshot({ path: shot });
  await patPage.setViewportSize({ width: 390, height: 844 }); // a phone
  await patPage.screenshot({ path: path.join(ARTIFACTS, 'two-party-patient-phone.png') });
  console.log(`# screenshots in ${ARTIFACTS}`);

  // A tampered token: one character of the payload changed.
  const badPage = await newPage(browser, daemon.origin, 'tampered', ctx.console);
  ctx.pages.tampered = badPage;
  await badPage.goto(daemon.joinUrl(consult.id, tamper(pat.token)), { waitUntil: 'load', timeout: 20000 });
  await waitFor(badPage, `tampered token: the alert shows "${BAD_TOKEN_TEXT}"`, (text) => {
    const s = document.querySelector('[role="alert"]');
    return s && !s.hidden && s.textContent.includes(text) && s.getBoundingClientRect().height > 0;
  }, BAD_TOKEN_TEXT, 15000);
  if (await badPage.locator('figure.tile.remote').count() !== 0) fail('tampered token: the page shows a remote tile');
  await badPage.screenshot({ path: path.join(ARTIFACTS, 'bad-token.png') });

  // The patient leaves: their tile goes from the specialist's page.
  await patPage.getByRole('button', { name: 'Leave' }).click();
  await waitFor(specPage, 'specialist: the patient\'s tile is removed after they leave',
    (id) => !document.querySelector(`[data-participant="${id}"]`), pat.id, 15000);
  await waitFor(patPage, 'patient: says they have left',
    () => document.getElementById('notice').textContent.includes('You have left'), undefined, 5000);
}

await runTest('two-party', run);
