// e2e-interpretation-*: interpretation heard in Chromium through
// the real consultd (issue 11); the scenario is the first argument. Every
// consult declares one language, es (floor language en). Each browser's
// fake microphone plays a tone file this test writes (the switch is per
// process, so one browser per microphone): the specialist 440 Hz, the
// provider 660 Hz, the es interpreter 1000 Hz, its booth partner 1200 Hz;
// observers only listen. What each page receives is measured in the page
// (window.consultgw.audioLevels: a WebAudio AnalyserNode on every remote
// track it plays).
//
// channels: two listener pages on different channels (an observer on es, its
// `language`, and one on the original) and an interpreter page.
//   - the interpreter ticks "I am using a headset": pub sends a capture without
//     echo cancellation, noise suppression and gain control;
//   - the es listener hears 1000 Hz, and the original (440, 660 Hz) about
//     15 dB (the default floor level) below what the floor listener hears of
//     it; the floor listener hears no 1000 Hz; the interpreter hears the
//     original and not itself, and its floor meter moves;
//   - the specialist's floor level control (-25 dB) ducks the original more;
//   - "Interpreter only" removes the original;
//   - the interpreter mutes: the es listener's page says (aria-live) that it
//     hears the original, and the original comes back at full level;
//   - the es listener picks the original from the selector: 1000 Hz is gone
//     and the original is at full level within a deadline.
// booth: two es interpreters and a listener, from the booth's buttons.
//   - the first to join is live; the partner sees who is, hears the original
//     and the live one on the talk-back line 12 dB down, never itself;
//   - "Take over" and "Hand over" move the channel (the listener hears 1200
//     Hz instead of 1000 and back; both booths say who is live);
//   - the live one leaves: the partner is told "Your partner dropped: take
//     over", the listener is told it hears the original and hears it at full
//     level; "Take over" brings interpretation back.
// consecutive: no channels and no mix; everyone hears the interpreter, whose
//   tile says "Interpreter, Spanish · español" on every page; only the
//   interpreter sees the panel (the headset prompt).
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
const PARTNER_HZ = 1200;
const FREQS = [SPEC_HZ, PROV_HZ, INTERP_HZ, PARTNER_HZ];
const TALKBACK_DB = -12;
const FLOOR_LEVEL_DB = -15; // the consult's default
const TOLERANCE_DB = 3; // two Opus encodes and a mix between the pages
const ABSENT_DB = 30; // "not heard": this far below the loudest tone heard
const HEARD_DB = -75; // AnalyserNode dB; a -10 dBFS tone reads about -24 dB raw
// consultd switches within 500 ms (tests/integration); here a browser's
// jitter buffer, its 170 ms analysis window and the polling add to that.
const SWITCH_DEADLINE_MS = 2000;
const SWITCH_WINDOW_MS = 100;
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
async function levels(page, ms) {
  const r = await page.evaluate(([f, m]) => window.consultgw.audioLevels(f, m), [FREQS, ms]);
  return r.levels;
}

// What a page plays, for a failure message: each element's audio tracks
// (muted: no packets arrive), its connections' states and the audio packets
// each received.
function diagnose(page) {
  return page.evaluate(async () => {
    const els = [...document.querySelectorAll('#mix-audio, figure.tile.remote video')].map((v) => {
      const tracks = v.srcObject ? v.srcObject.getAudioTracks() : [];
      return `${v.id || v.dataset.participant} ${v.paused ? 'paused' : 'playing'} ` +
        `[${tracks.map((t) => `${t.readyState}${t.muted ? ' muted' : ''}`).join(', ')}]`;
    });
    const pcs = await Promise.all((window.__cgPcs || []).map(async (pc) => {
      let packets = 0;
      (await pc.getStats()).forEach((r) => {
        if (r.type === 'inbound-rtp' && r.kind === 'audio') packets += r.packetsReceived;
      });
      return `${pc.connectionState}/${packets} audio packets in`;
    }));
    const offers = window.__cgReceived.filter((m) => m.type === 'offer').map((m) => m.pc);
    return `${els.join('; ')}; pcs ${pcs.join(',')}; offers ${offers.join(',')}`;
  });
}

// Polls what the pages hear until @pred(levels...) holds; fails with the
// last levels after @timeoutMs. Resolves {levels, ms}.
async function untilHeard(pages, what, pred, timeoutMs = MEASURE_DEADLINE_MS, windowMs = 1000) {
  const t0 = Date.now();
  const deadline = t0 + timeoutMs * TIMEOUT_SCALE;
  let last = null;
  for (;;) {
    last = await Promise.all(pages.map((p) => levels(p, windowMs)));
    if (pred(...last)) return { levels: last, ms: Date.now() - t0 };
    if (Date.now() > deadline) {
      const why = await Promise.all(pages.map(diagnose));
      fail(`${what}: not within ${timeoutMs * TIMEOUT_SCALE} ms; last heard: ${last.map(fmt).join(' | ')}\n` +
        `# what the pages play: ${why.join(' | ')}`);
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

// consultd and a consult in @mode with @participants ({label, name, role,
// language, hz}: hz is the page's microphone tone; none: an observer), each
// page in a browser of its own tone (observers share one); nothing opened
// yet. Resolves {daemon, consult, pages: [page per participant], open(i)}.
async function setup(ctx, participants, mode = 'simultaneous') {
  const playwright = await loadPlaywright();
  const daemon = new Daemon();
  ctx.daemon = daemon;
  await daemon.start();
  console.log(`# consultd listening on ${daemon.origin} (dir ${daemon.dir})`);
  const consult = await daemon.createConsult({
    title: 'Interpreted consult (e2e)',
    interpretation: { mode, languages: ['es'] },
    floor_language: 'en',
    participants: participants.map(({ name, role, language }) => ({ name, role, ...(language ? { language } : {}) })),
  });

  const browsers = [];
  ctx.browser = { close: () => Promise.all(browsers.map((b) => b.close())) };
  const byTone = new Map();
  const browserFor = (hz) => {
    if (!byTone.has(hz)) {
      const args = hz ? [`--use-file-for-fake-audio-capture=${writeTone(path.join(daemon.dir, `tone-${hz}.wav`), hz)}`] : [];
      byTone.set(hz, launchBrowser(playwright, args).then((b) => {
        browsers.push(b);
        return b;
      }));
    }
    return byTone.get(hz);
  };
  const pages = await Promise.all(participants.map(async (p) =>
    newPage(await browserFor(p.hz || 0), daemon.origin, p.label, ctx.console)));
  participants.forEach((p, i) => { ctx.pages[p.label] = pages[i]; });
  const open = (i) => goto(pages[i], daemon.joinUrl(consult.id, consult.participants[i].token));
  return { daemon, consult, pages, open };
}

// The booth's state line starts with @text.
async function expectBooth(page, who, text) {
  await waitFor(page, `${who}: the booth says "${text}\u2026"`, (t) => {
    const s = document.getElementById('booth-state');
    return !!s && !s.closest('[hidden]') && s.textContent.startsWith(t);
  }, text, 20000);
}

async function channels(ctx) {
  const { consult, pages, open } = await setup(ctx, [
    { label: 'specialist', name: 'Dr. Lee', role: 'specialist', hz: SPEC_HZ },
    { label: 'provider', name: 'Dr. Osei', role: 'provider', hz: PROV_HZ },
    { label: 'interpreter', name: 'Ana Ruiz', role: 'interpreter', language: 'es', hz: INTERP_HZ },
    { label: 'listener-es', name: 'Luis Doe', role: 'observer', language: 'es' },
    { label: 'listener-floor', name: 'Mia Park', role: 'observer' },
  ]);
  const [specPage, , interpPage, esPage, floorPage] = pages;
  await Promise.all(pages.map((_, i) => open(i)));
  console.log(`# consult ${consult.id}: five pages open`);

  // 1. The pages as each role sees them.
  await expectBooth(interpPage, 'interpreter (the first of es)', 'You are live');
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
  SWITCH_DEADLINE_MS, SWITCH_WINDOW_MS);
  console.log(`# switch to the original heard within ${sw.ms} ms: ${fmt(sw.levels[0])}`);
  await waitFor(esPage, 'es listener: the page says it hears the original', () =>
    document.getElementById('channel-state').textContent.startsWith('You hear the original'), undefined, 5000);
}

async function booth(ctx) {
  const { pages, open } = await setup(ctx, [
    { label: 'specialist', name: 'Dr. Lee', role: 'specialist', hz: SPEC_HZ },
    { label: 'interpreter-ana', name: 'Ana Ruiz', role: 'interpreter', language: 'es', hz: INTERP_HZ },
    { label: 'interpreter-bea', name: 'Bea Diaz', role: 'interpreter', language: 'es', hz: PARTNER_HZ },
    { label: 'listener-es', name: 'Luis Doe', role: 'observer', language: 'es' },
  ]);
  const [, ana, bea, esPage] = pages;
  await Promise.all([open(0), open(3), open(1)]);
  await expectBooth(ana, 'Ana (the first of es)', 'You are live');
  await open(2);
  await expectBooth(bea, 'Bea', 'Ana Ruiz is live');
  for (const [page, who] of [[ana, 'Ana'], [bea, 'Bea']]) {
    await page.getByLabel('I am using a headset').check();
    await waitFor(page, `${who}: captured with processing off`, () =>
      document.getElementById('headset-state').dataset.processing === 'off', undefined, 10000);
  }
  const partners = await bea.evaluate(() => document.getElementById('booth-partners').textContent);
  if (!partners.includes('Ana Ruiz (live)')) fail(`Bea: the partners line says "${partners}"`);
  if (!(await bea.getByRole('button', { name: 'Take over' }).isVisible())) fail('Bea: no "Take over" button');
  if (await bea.getByRole('button', { name: 'Go live' }).isVisible()) fail('Bea: "Go live" is offered while Ana is live');

  // Ana is live: the listener hears her; Bea hears the original and Ana on
  // the talk-back line, 12 dB down, never herself.
  const heard = await untilHeard([esPage, bea], 'listener hears Ana (1000 Hz) and not Bea, the original ' +
    `${-FLOOR_LEVEL_DB} dB down; Bea hears the original and Ana ${-TALKBACK_DB} dB down, not herself`, (l, b) =>
    l[INTERP_HZ] > HEARD_DB && absent(l, PARTNER_HZ) && b[SPEC_HZ] > HEARD_DB && absent(b, PARTNER_HZ) &&
    near(l[INTERP_HZ] - b[INTERP_HZ], -TALKBACK_DB) && near(b[SPEC_HZ] - l[SPEC_HZ], -FLOOR_LEVEL_DB), 30000, 1000);
  console.log(`# listener: ${fmt(heard.levels[0])}\n# Bea: ${fmt(heard.levels[1])}`);

  // Bea takes over; then hands back. Timed from the click.
  await bea.getByRole('button', { name: 'Take over' }).click();
  const over = await untilHeard([esPage], 'listener hears Bea (1200 Hz), not Ana, after "Take over"', (l) =>
    l[PARTNER_HZ] > HEARD_DB && absent(l, INTERP_HZ), SWITCH_DEADLINE_MS, SWITCH_WINDOW_MS);
  console.log(`# take over heard within ${over.ms} ms`);
  await expectBooth(bea, 'Bea', 'You are live');
  await expectBooth(ana, 'Ana', 'Bea Diaz is live');
  await waitFor(esPage, 'listener: the page names Bea as the interpreter', () =>
    document.getElementById('channel-state').textContent.includes('Bea Diaz'), undefined, 5000);
  await bea.getByRole('button', { name: 'Hand over' }).click();
  const back = await untilHeard([esPage], 'listener hears Ana again, not Bea, after "Hand over"', (l) =>
    l[INTERP_HZ] > HEARD_DB && absent(l, PARTNER_HZ), SWITCH_DEADLINE_MS, SWITCH_WINDOW_MS);
  await expectBooth(ana, 'Ana', 'You are live');
  await expectBooth(bea, 'Bea', 'Ana Ruiz is live');
  console.log(`# hand over heard within ${back.ms} ms`);

  // The live one goes: the partner is offered the channel, the listener gets
  // the original at full level meanwhile and is told so.
  await ana.getByRole('button', { name: 'Leave' }).click();
  await waitFor(ana, 'Ana: the page says she left', () =>
    document.getElementById('notice').textContent.startsWith('You have left'), undefined, 5000);
  await waitFor(bea, 'Bea: "Your partner dropped: take over" is shown as an alert', () => {
    const o = document.getElementById('booth-offered');
    return !o.hidden && o.getAttribute('role') === 'alert' && o.textContent === 'Your partner dropped: take over.';
  }, undefined, 20000);
  await waitFor(esPage, 'listener: the page says nobody interprets and it hears the original', () => {
    const s = document.getElementById('channel-state');
    return s.dataset.interpreted === 'false' && s.textContent.startsWith('No interpreter on Spanish right now');
  }, undefined, 10000);
  // Bea hears the original at full level throughout: the reference (the
  // specialist's browser adapts its capture level over time).
  await untilHeard([esPage, bea], 'listener hears the original at full level while nobody is live', (l, b) =>
    near(l[SPEC_HZ], b[SPEC_HZ]) && absent(l, INTERP_HZ) && absent(l, PARTNER_HZ));
  await bea.getByRole('button', { name: 'Take over' }).click();
  await expectBooth(bea, 'Bea', 'You are live');
  await untilHeard([esPage, bea], 'listener hears Bea, and the original ducked again, after she took the free channel',
    (l, b) => l[PARTNER_HZ] > HEARD_DB && near(b[SPEC_HZ] - l[SPEC_HZ], -FLOOR_LEVEL_DB));
  console.log('# the partner was offered the channel and took it');
}

// Consecutive: no channels; the interpreter is a speaker everyone hears,
// labelled with its language on every page; only the interpreter sees the
// panel (its headset prompt).
async function consecutive(ctx) {
  const { consult, pages, open } = await setup(ctx, [
    { label: 'specialist', name: 'Dr. Lee', role: 'specialist', hz: SPEC_HZ },
    { label: 'interpreter', name: 'Ana Ruiz', role: 'interpreter', language: 'es', hz: INTERP_HZ },
    { label: 'observer', name: 'Luis Doe', role: 'observer', language: 'es' },
  ], 'consecutive');
  const [specPage, interpPage, obsPage] = pages;
  const interpId = consult.participants[1].id;
  await Promise.all(pages.map((_, i) => open(i)));
  for (const [page, who] of [[specPage, 'specialist'], [obsPage, 'observer']]) {
    await waitFor(page, `${who}: the interpreter's tile says "Interpreter, Spanish \u00b7 espa\u00f1ol"`, (id) => {
      const t = document.querySelector(`figure.tile[data-participant="${id}"] .role`);
      return !!t && t.textContent === 'Interpreter, Spanish \u00b7 espa\u00f1ol';
    }, interpId, 20000);
    if (await page.locator('#interpretation').isVisible()) fail(`${who}: the interpretation panel is shown in consecutive mode`);
  }
  await waitFor(interpPage, 'interpreter: the panel says it interprets consecutively, with the headset prompt', () => {
    const c = document.getElementById('booth-channel');
    return !!c && !c.closest('[hidden]') && c.textContent.startsWith('You interpret consecutively into Spanish') &&
      !document.getElementById('headset-check').closest('[hidden]') && document.getElementById('booth-state').closest('[hidden]');
  }, undefined, 20000);
  const heard = await untilHeard([obsPage, specPage], 'observer hears the specialist and the interpreter; the specialist ' +
    'hears the interpreter', (o, sp) => o[SPEC_HZ] > HEARD_DB && o[INTERP_HZ] > HEARD_DB && sp[INTERP_HZ] > HEARD_DB);
  console.log(`# observer: ${fmt(heard.levels[0])}\n# specialist: ${fmt(heard.levels[1])}`);
  const mix = await obsPage.evaluate(() => window.__cgReceived.filter((m) => m.type === 'offer' && m.pc === 'mix').length);
  if (mix !== 0) fail(`observer: offered a "mix" in consecutive mode (${mix})`);
}

const SCENARIOS = { channels, booth, consecutive };
const name = process.argv[2];
if (!SCENARIOS[name]) {
  console.error(`usage: interpretation.test.mjs ${Object.keys(SCENARIOS).join('|')}`);
  process.exit(2);
}
await runTest(`interpretation-${name}`, SCENARIOS[name]);
