// e2e-interpretation: simultaneous interpretation heard in Chromium through the
// real consultd (issue 11). A consult with one language channel, es (floor
// language en): a specialist whose microphone plays 440 Hz, a provider at
// 660 Hz, an es interpreter at 1000 Hz (each browser's fake microphone is a
// tone file this test writes: the switch is per process, so one browser
// each), and two observers that only listen: one on es (its `language`), one
// on the original. Each page's received audio is measured in the page
// (window.consultgw.audioLevels: a WebAudio AnalyserNode on every remote
// track it plays). It proves:
//   - the interpreter ticks "I am using a headset": its microphone is captured
//     again without echo cancellation, noise suppression and gain control;
//   - the es listener hears 1000 Hz strong and the original (440, 660 Hz)
//     about 15 dB (the default floor level) below what the floor listener
//     hears of it; the floor listener hears no 1000 Hz; the interpreter hears
//     the original and not itself, and its floor meter moves;
//   - the specialist's floor level control (-25 dB) ducks the original more;
//   - "Interpreter only" removes the original;
//   - the interpreter mutes: the es listener's page says (aria-live) that it
//     hears the original, and the original comes back at full level;
//   - the es listener picks the original from the selector: 1000 Hz is gone
//     and the original is at full level within a deadline.
//
// Env: CONSULTD (consultd binary), CG_WEB_ROOT (the repo's web/),
// CG_E2E_ARTIFACTS (where screenshots go on failure; default: a temp dir).

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Daemon, TIMEOUT_SCALE, fail, launchBrowser, loadPlaywright, newPage, waitFor } from './lib/harness.mjs';
import { recordSockets } from './lib/page-scripts.mjs';
import { runTest } from './lib/run.mjs';

const SPEC_HZ = 440;
const PROV_HZ = 660;
const INTERP_HZ = 1000;
const FREQS = [SPEC_HZ, PROV_HZ, INTERP_HZ];
const FLOOR_LEVEL_DB = -15; // the consult's default
const TOLERANCE_DB = 3; // two Opus encodes and a mix between the pages
const ABSENT_DB = 30; // "not heard": this far below the loudest tone heard
const HEARD_DB = -75; // AnalyserNode dB; a -10 dBFS tone reads about -24 dB raw
const SWITCH_DEADLINE_MS = 1500; // the server switches in 500 ms; jitter buffers add
const MEASURE_DEADLINE_MS = 20000;

// A 16-bit mono 48 kHz WAV of a sine at @hz, @seconds long, -10.5 dBFS.
// Whole cycles, so Chromium's looping of the file makes no click.
function writeTone(file, hz, seconds = 12) {
  const rate = 48000;
  const n = rate * seconds;
  const b = Buffer.alloc(44 + n * 2);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + n * 2, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(32767 * 0.3 * Math.sin((2 * Math.PI * hz * i) / rate)), 44 + i * 2);
  writeFileSync(file, b);
  return file;
}

const fmt = (l) => FREQS.map((f) => `${f} Hz ${Number.isFinite(l[f]) ? l[f].toFixed(1) : l[f]} dB`).join(', ');

// What @page hears now: {440: dB, 660: dB, 1000: dB}, averaged over @ms.
async function levels(page, ms = 600) {
  const r = await page.evaluate(([f, m]) => window.consultgw.audioLevels(f, m), [FREQS, ms]);
  return r.levels;
}

// Polls what the pages hear until @pred(levels...) holds; fails with the
// last levels after @timeoutMs. Resolves {levels, ms}.
async function untilHeard(pages, what, pred, timeoutMs = MEASURE_DEADLINE_MS, windowMs = 600) {
  const t0 = Date.now();
  const deadline = t0 + timeoutMs * TIMEOUT_SCALE;
  let last = null;
  for (;;) {
    last = await Promise.all(pages.map((p) => levels(p, windowMs)));
    if (pred(...last)) return { levels: last, ms: Date.now() - t0 };
    if (Date.now() > deadline) {
      fail(`${what}: not within ${timeoutMs * TIMEOUT_SCALE} ms; last heard: ${last.map(fmt).join(' | ')}`);
    }
  }
}

const near = (x, want) => Math.abs(x - want) <= TOLERANCE_DB;
const loudest = (l) => Math.max(...FREQS.map((f) => l[f]));
const absent = (l, f) => l[f] <= loudest(l) - ABSENT_DB;

// Keeps the page's RTCPeerConnections in window.__cgPcs.
function recordPcs() {
  const Native = window.RTCPeerConnection;
  window.__cgPcs = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      window.__cgPcs.push(this);
    }
  };
}

async function goto(page, url) {
  await page.addInitScript(recordSockets);
  await page.addInitScript(recordPcs);
  await page.goto(url, { waitUntil: 'load', timeout: 20000 });
}

async function channelState(page) {
  return page.evaluate(() => {
    const s = document.getElementById('channel-state');
    return { text: s.textContent, interpreted: s.dataset.interpreted, live: s.getAttribute('aria-live') };
  });
}

async function run(ctx) {
  const playwright = await loadPlaywright();
  const daemon = new Daemon();
  ctx.daemon = daemon;
  await daemon.start();
  console.log(`# consultd listening on ${daemon.origin} (dir ${daemon.dir})`);
  const consult = await daemon.createConsult({
    title: 'Interpreted consult (e2e)',
    interpretation: { mode: 'simultaneous', languages: ['es'] },
    floor_language: 'en',
    participants: [
      { name: 'Dr. Lee', role: 'specialist' },
      { name: 'Dr. Osei', role: 'provider' },
      { name: 'Ana Ruiz', role: 'interpreter', language: 'es' },
      { name: 'Luis Doe', role: 'observer', language: 'es' },
      { name: 'Mia Park', role: 'observer' },
    ],
  });
  const [spec, prov, interp, obsEs, obsFloor] = consult.participants;

  const tone = (hz) => `--use-file-for-fake-audio-capture=${writeTone(path.join(daemon.dir, `tone-${hz}.wav`), hz)}`;
  const browsers = [];
  ctx.browser = { close: () => Promise.all(browsers.map((b) => b.close())) };
  const launch = async (args) => {
    const b = await launchBrowser(playwright, args);
    browsers.push(b);
    return b;
  };
  const [specB, provB, interpB, listenB] = await Promise.all([
    launch([tone(SPEC_HZ)]), launch([tone(PROV_HZ)]), launch([tone(INTERP_HZ)]), launch([]),
  ]);
  const specPage = await newPage(specB, daemon.origin, 'specialist', ctx.console);
  const provPage = await newPage(provB, daemon.origin, 'provider', ctx.console);
  const interpPage = await newPage(interpB, daemon.origin, 'interpreter', ctx.console);
  const esPage = await newPage(listenB, daemon.origin, 'listener-es', ctx.console);
  const floorPage = await newPage(listenB, daemon.origin, 'listener-floor', ctx.console);
  ctx.pages = { specialist: specPage, provider: provPage, interpreter: interpPage, 'listener-es': esPage,
    'listener-floor': floorPage };
  await Promise.all([
    goto(specPage, daemon.joinUrl(consult.id, spec.token)),
    goto(provPage, daemon.joinUrl(consult.id, prov.token)),
    goto(interpPage, daemon.joinUrl(consult.id, interp.token)),
    goto(esPage, daemon.joinUrl(consult.id, obsEs.token)),
    goto(floorPage, daemon.joinUrl(consult.id, obsFloor.token)),
  ]);

  // 1. The pages as each role sees them.
  await waitFor(interpPage, 'interpreter: the booth says it is live (the first interpreter of es)', () => {
    const s = document.getElementById('booth-state');
    return s && !s.closest('[hidden]') && s.textContent.startsWith('You are live');
  }, undefined, 20000);
  const you = await interpPage.evaluate(() => document.getElementById('you').textContent);
  if (!you.includes('Interpreter, Spanish')) fail(`interpreter: the header says "${you}", not its language`);
  await waitFor(esPage, 'es listener: the selector shows Spanish, interpreted by Ana Ruiz', () => {
    const s = document.getElementById('channel-select');
    const st = document.getElementById('channel-state');
    return s && s.value === 'es' && st.dataset.interpreted === 'true' && st.textContent.includes('Ana Ruiz');
  }, undefined, 20000);
  await waitFor(floorPage, 'floor listener: the selector shows the original (English)', () => {
    const s = document.getElementById('channel-select');
    return s && s.value === 'floor' && s.selectedOptions[0].textContent === 'Original (English)';
  }, undefined, 20000);
  if (await floorPage.locator('#floor-level').isVisible()) fail('observer: the floor level control is shown');
  if (!(await specPage.locator('#floor-level').isVisible())) fail('specialist: no floor level control');
  console.log('# booth live, es listener on Spanish, floor listener on the original');

  // 2. The interpreter wears a headset: captured with no processing.
  await interpPage.getByLabel('I am using a headset').check();
  await waitFor(interpPage, 'interpreter: the microphone is captured with processing off', () =>
    document.getElementById('headset-state').dataset.processing === 'off', undefined, 10000);
  // What is sent on pub, not only what the preview shows.
  const settings = await interpPage.evaluate(() => window.__cgPcs.flatMap((pc) => pc.getSenders())
    .filter((x) => x.track && x.track.kind === 'audio').map((x) => {
      const t = x.track.getSettings();
      return { ec: t.echoCancellation, ns: t.noiseSuppression, agc: t.autoGainControl };
    }));
  if (settings.length !== 1 || settings[0].ec !== false || settings[0].ns !== false || settings[0].agc !== false) {
    fail(`interpreter: pub does not send the headset capture (processing off): ${JSON.stringify(settings)}`);
  }

  // 3. Who hears what.
  const heard = await untilHeard([esPage, floorPage], 'es listener hears 1000 Hz and the original ducked ' +
    `by ${-FLOOR_LEVEL_DB} dB; floor listener hears the original and no 1000 Hz`, (es, fl) =>
    fl[SPEC_HZ] > HEARD_DB && fl[PROV_HZ] > HEARD_DB && absent(fl, INTERP_HZ) &&
    es[INTERP_HZ] > HEARD_DB && es[INTERP_HZ] > es[SPEC_HZ] && es[INTERP_HZ] > es[PROV_HZ] &&
    near(fl[SPEC_HZ] - es[SPEC_HZ], -FLOOR_LEVEL_DB) && near(fl[PROV_HZ] - es[PROV_HZ], -FLOOR_LEVEL_DB), 30000, 1000);
  const [es0, fl0] = heard.levels;
  console.log(`# es listener: ${fmt(es0)}\n# floor listener: ${fmt(fl0)}`);
  const self = await untilHeard([interpPage], 'interpreter hears the original, not itself', (l) =>
    l[SPEC_HZ] > HEARD_DB && l[PROV_HZ] > HEARD_DB && absent(l, INTERP_HZ));
  console.log(`# interpreter: ${fmt(self.levels[0])}`);
  await waitFor(interpPage, 'interpreter: the floor meter shows a level', () => {
    const db = Number(document.getElementById('floor-meter').dataset.db);
    return document.getElementById('floor-meter').dataset.db !== '' && db > -60;
  }, undefined, 10000);

  // 4. The specialist ducks the original further: -25 dB.
  await specPage.evaluate(() => {
    const r = document.getElementById('floor-level');
    r.value = '-25';
    r.dispatchEvent(new Event('input', { bubbles: true }));
    r.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await untilHeard([esPage, floorPage], 'es listener hears the original 25 dB down after floor_level -25', (es, fl) =>
    near(fl[SPEC_HZ] - es[SPEC_HZ], 25) && es[INTERP_HZ] > HEARD_DB);
  await waitFor(esPage, 'es listener: its page got floor_level_db -25', () =>
    window.__cgReceived.some((m) => m.type === 'interpretation' && m.floor_level_db === -25), undefined, 5000);
  console.log('# floor level -25 dB heard');

  // 5. Interpreter only: the original goes.
  await esPage.getByLabel('Interpreter only (mute the original)').check();
  await untilHeard([esPage], 'es listener with "Interpreter only" hears 1000 Hz alone', (es) =>
    es[INTERP_HZ] > HEARD_DB && absent(es, SPEC_HZ) && absent(es, PROV_HZ));
  console.log('# "Interpreter only" leaves the interpreter alone');

  // 6. The interpreter mutes: nobody interprets es; its listener hears the
  // original at full level, and is told so.
  await interpPage.getByRole('button', { name: 'Mute microphone' }).click();
  await waitFor(esPage, 'es listener: the page says it hears the original', () => {
    const s = document.getElementById('channel-state');
    return s.dataset.interpreted === 'false' && s.textContent.includes('you hear the original');
  }, undefined, 10000);
  const notice = await channelState(esPage);
  if (notice.live !== 'polite') fail(`es listener: the notice is not a live region: ${JSON.stringify(notice)}`);
  await untilHeard([esPage, floorPage], 'es listener hears the original at full level while the interpreter is muted',
    (es, fl) => near(es[SPEC_HZ], fl[SPEC_HZ]) && near(es[PROV_HZ], fl[PROV_HZ]) && absent(es, INTERP_HZ));
  console.log(`# interpreter muted: "${notice.text}"`);
  await interpPage.getByRole('button', { name: 'Unmute microphone' }).click();
  await esPage.getByLabel('Interpreter only (mute the original)').uncheck();
  await untilHeard([esPage], 'es listener hears the interpreter again', (es) =>
    es[INTERP_HZ] > HEARD_DB && es[INTERP_HZ] > es[SPEC_HZ]);

  // 7. The es listener picks the original from the selector.
  await esPage.selectOption('#channel-select', 'floor');
  const sent = await esPage.evaluate(() => window.__cgSent.filter((m) => m.type === 'channel').at(-1));
  if (!sent || sent.channel !== 'floor') fail(`es listener: the selector sent ${JSON.stringify(sent)}`);
  const sw = await untilHeard([esPage, floorPage], 'es listener, switched to the original, hears no 1000 Hz and the ' +
    'original at full level', (es, fl) => absent(es, INTERP_HZ) && near(es[SPEC_HZ], fl[SPEC_HZ]),
  SWITCH_DEADLINE_MS, 200);
  console.log(`# switch to the original heard within ${sw.ms} ms: ${fmt(sw.levels[0])}`);
  await waitFor(esPage, 'es listener: the page says it hears the original', () =>
    document.getElementById('channel-state').textContent.startsWith('You hear the original'), undefined, 5000);
}

await runTest('interpretation', run);
