// e2e-bitrate-cap: the per-consult video bitrate cap, as a user would see it.
// A specialist and a provider join, from Chromium, a consult created with
// video_bitrate_kbps 0 (no cap). The publishing rate is the outbound-rtp
// video bytesSent delta of pc.getStats() in the publishing page.
//  1. No cap: the specialist's camera climbs clearly above the cap to come
//     (Chrome's fake 640x480 camera levels off near 500 kbps here).
//  2. The admin API sets 150 kbps mid-call (PATCH): within seconds the
//     specialist publishes at most 1.3x the cap, and the provider still
//     decodes a moving picture.
//  3. The provider leaves and joins again: its new endpoint gets the cap at
//     admission and publishes under it too, the specialist still decoding.
//
// The pages' RTCPeerConnections are collected by an init script (the web
// client keeps its own in module scope). Every wait polls with a deadline; the
// only fixed waits are the measuring windows.
//
// Env: CONSULTD, CG_WEB_ROOT, CG_E2E_ARTIFACTS as for e2e-two-party.

import { ARTIFACTS, runTest } from './lib/run.mjs';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  Daemon, TestFailure, fail, launchBrowser, loadPlaywright, newPage, waitFor,
} from './lib/harness.mjs';

const CAP_KBPS = 150;
const CAP_TOLERANCE = 1.3; // encoders overshoot a little around their target
const UNCAPPED_MIN_KBPS = 2.5 * CAP_KBPS; // "clearly higher" (it plateaus near 500 kbps here)
const WINDOW_MS = 4000; // one measuring window
const MIN_DECODED_FPS = 3; // the other side still sees a moving picture

// Runs in every page before app.js: keeps each RTCPeerConnection it creates.
function collectPeerConnections() {
  const Native = window.RTCPeerConnection;
  window.__cgPcs = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      window.__cgPcs.push(this);
    }
  };
}

// Sums one page's video RTP counters over its open PeerConnections:
// what it sends (outbound-rtp: payload bytes, frames) and decodes (inbound-rtp).
async function videoCounters(page) {
  return page.evaluate(async () => {
    const out = { at: performance.now(), sentBytes: 0, framesEncoded: 0, framesDecoded: 0,
      width: 0, height: 0, limitation: '' };
    for (const pc of window.__cgPcs) {
      if (pc.connectionState === 'closed') continue;
      const stats = await pc.getStats();
      stats.forEach((r) => {
        if (r.type === 'outbound-rtp' && r.kind === 'video') {
          out.sentBytes += r.bytesSent || 0;
          out.framesEncoded += r.framesEncoded || 0;
          out.width = r.frameWidth || out.width;
          out.height = r.frameHeight || out.height;
          out.limitation = r.qualityLimitationReason || out.limitation;
        } else if (r.type === 'inbound-rtp' && r.kind === 'video') {
          out.framesDecoded += r.framesDecoded || 0;
        }
      });
    }
    return out;
  });
}

// One measuring window: the publisher's video kbps and the viewer's decoded fps.
async function measure(publisher, viewer, ms = WINDOW_MS) {
  const [p0, v0] = await Promise.all([videoCounters(publisher), videoCounters(viewer)]);
  await publisher.waitForTimeout(ms); // the measuring window itself
  const [p1, v1] = await Promise.all([videoCounters(publisher), videoCounters(viewer)]);
  const seconds = (p1.at - p0.at) / 1000;
  return {
    kbps: Math.round((8 * (p1.sentBytes - p0.sentBytes)) / 1000 / seconds),
    encodedFps: +((p1.framesEncoded - p0.framesEncoded) / seconds).toFixed(1),
    decodedFps: +((v1.framesDecoded - v0.framesDecoded) / ((v1.at - v0.at) / 1000)).toFixed(1),
    size: `${p1.width}x${p1.height}`,
    limitation: p1.limitation,
  };
}

function describe(m) {
  return `${m.kbps} kbps video (${m.size}, ${m.encodedFps} fps encoded, quality limited by ` +
    `${m.limitation || '?'}); the viewer decodes ${m.decodedFps} fps`;
}

// Measures windows until @ok(m) holds or @deadlineMs passes; returns the last.
async function measureUntil(publisher, viewer, what, ok, deadlineMs, windowMs = 2000) {
  const end = Date.now() + deadlineMs;
  const seen = [];
  for (;;) {
    const m = await measure(publisher, viewer, windowMs);
    seen.push(m.kbps);
    if (ok(m)) {
      console.log(`# ${what}: reached after ${seen.length} window(s) of ${windowMs} ms (kbps: ${seen.join(', ')})`);
      return m;
    }
    if (Date.now() > end) fail(`${what}: not within ${deadlineMs} ms; windows of ${windowMs} ms gave ${seen.join(', ')} kbps; last: ${describe(m)}`);
  }
}

function expectDecoding(m, when) {
  if (m.decodedFps < MIN_DECODED_FPS) {
    fail(`${when}: the other page decodes only ${m.decodedFps} fps of the published video (want >= ${MIN_DECODED_FPS})`);
  }
}

function expectCapped(m, when, who) {
  const limit = Math.round(CAP_KBPS * CAP_TOLERANCE);
  console.log(`# ${when}: ${who} ${describe(m)}`);
  if (m.kbps > limit) fail(`${when}: the ${who} publishes ${m.kbps} kbps of video, above ${limit} (${CAP_TOLERANCE} x the ${CAP_KBPS} kbps cap)`);
  if (m.kbps < 20) fail(`${when}: the ${who} publishes only ${m.kbps} kbps: the video stopped instead of being capped`);
  expectDecoding(m, when);
}

async function patchCap(daemon, consultId, value) {
  const res = await daemon.request('PATCH', `/api/v1/consults/${consultId}`, { video_bitrate_kbps: value });
  if (res.status !== 200 || !res.json || res.json.video_bitrate_kbps !== value) {
    fail(`PATCH video_bitrate_kbps ${value}: answered ${res.status} ${res.text}`);
  }
}

async function expectRemoteVideo(page, who, otherId) {
  await waitFor(page, `${who}: remote video of ${otherId} has frames (videoWidth > 0)`, (id) => {
    const v = document.querySelector(`video[data-participant="${id}"]`);
    return v && v.videoWidth > 0 && v.readyState >= 2 && !v.paused;
  }, otherId, 30000);
}

async function run(ctx) {
  const playwright = await loadPlaywright();
  mkdirSync(ARTIFACTS, { recursive: true });
  const daemon = new Daemon();
  ctx.daemon = daemon;
  await daemon.start();
  console.log(`# consultd listening on ${daemon.origin} (dir ${daemon.dir})`);

  // Explicitly no cap, so the baseline is the browsers' own estimate (the
  // config default would cap it at 1000 kbps).
  const consult = await daemon.createConsult({
    title: 'Bitrate cap (e2e)',
    video_bitrate_kbps: 0,
    participants: [
      { name: 'Dr. Lee', role: 'specialist' },
      { name: 'Dr. Osei', role: 'provider' },
    ],
  });
  if (consult.video_bitrate_kbps !== 0) fail(`created consult shows video_bitrate_kbps ${consult.video_bitrate_kbps}, want 0`);
  const [spec, prov] = consult.participants;

  const browser = await launchBrowser(playwright);
  ctx.browser = browser;
  console.log(`# chromium ${browser.version()}`);
  const specPage = await newPage(browser, daemon.origin, 'specialist', ctx.console);
  const provPage = await newPage(browser, daemon.origin, 'provider', ctx.console);
  ctx.pages = { specialist: specPage, provider: provPage };
  await Promise.all([specPage.addInitScript(collectPeerConnections), provPage.addInitScript(collectPeerConnections)]);
  await Promise.all([
    specPage.goto(daemon.joinUrl(consult.id, spec.token), { waitUntil: 'load', timeout: 20000 }),
    provPage.goto(daemon.joinUrl(consult.id, prov.token), { waitUntil: 'load', timeout: 20000 }),
  ]);
  await Promise.all([
    expectRemoteVideo(specPage, 'specialist', prov.id),
    expectRemoteVideo(provPage, 'provider', spec.id),
  ]);

  // 1. No cap: the specialist's camera goes clearly above what the cap will be.
  const free = await measureUntil(specPage, provPage, 'no cap', (m) => m.kbps >= UNCAPPED_MIN_KBPS, 30000);
  console.log(`# no cap: ${describe(free)}`);
  expectDecoding(free, 'no cap');

  // 2. The admin sets a cap mid-call: the connected publisher drops to it at once.
  const limit = CAP_KBPS * CAP_TOLERANCE;
  const patchedAt = Date.now();
  await patchCap(daemon, consult.id, CAP_KBPS);
  await measureUntil(specPage, provPage, `cap ${CAP_KBPS} after PATCH`, (m) => m.kbps <= limit, 15000, 1000);
  console.log(`# PATCH ${CAP_KBPS} -> the end of the first 1 s window at the cap: ${Date.now() - patchedAt} ms`);
  expectCapped(await measure(specPage, provPage), `cap ${CAP_KBPS} kbps set by PATCH mid-call`, 'specialist');

  // 3. Someone joining a capped consult publishes under the cap from its
  // admission on: the provider leaves and opens its join link again (the page
  // dropped the token from its address, and a fragment-only change would not
  // reload it, hence about:blank between).
  await provPage.goto('about:blank');
  await provPage.goto(daemon.joinUrl(consult.id, prov.token), { waitUntil: 'load', timeout: 20000 });
  await Promise.all([
    expectRemoteVideo(specPage, 'specialist', prov.id),
    expectRemoteVideo(provPage, 'provider', spec.id),
  ]);
  // Its first seconds go at the browser's start rate until the first REMB;
  // past them, without the cap it would be well above it by now.
  const startup = await measure(provPage, specPage, 2000);
  console.log(`# rejoined provider, first 2 s: ${describe(startup)}`);
  expectCapped(await measure(provPage, specPage), `cap ${CAP_KBPS} kbps on a rejoined endpoint`, 'provider');
  await specPage.screenshot({ path: path.join(ARTIFACTS, 'bitrate-cap-specialist.png') });
  await provPage.screenshot({ path: path.join(ARTIFACTS, 'bitrate-cap-provider.png') });
}

await runTest('bitrate-cap', run);
