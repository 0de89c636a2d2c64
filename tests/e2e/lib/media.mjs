// Media checks shared by the browser tests: what a page shows of another
// participant's video.

import { fail, waitFor } from './harness.mjs';

// Resolves when the page shows the remote participant's video with decoded
// frames and its playback time moving on.
export async function expectRemoteVideo(page, who, otherId) {
  await waitFor(page, `${who}: a tile for ${otherId}`, (id) =>
    !!document.querySelector(`figure.tile[data-participant="${id}"] video[data-participant="${id}"]`),
  otherId, 30000);
  await waitFor(page, `${who}: remote video of ${otherId} has frames (videoWidth > 0)`, (id) => {
    const v = document.querySelector(`video[data-participant="${id}"]`);
    return v && v.videoWidth > 0 && v.readyState >= 2;
  }, otherId, 30000);
  const t0 = await page.evaluate((id) => document.querySelector(`video[data-participant="${id}"]`).currentTime, otherId);
  await waitFor(page, `${who}: remote video of ${otherId} keeps playing (currentTime advances from ${t0})`,
    ([id, t]) => {
      const v = document.querySelector(`video[data-participant="${id}"]`);
      return v && !v.paused && v.currentTime > t + 0.5;
    }, [otherId, t0], 15000);
  const info = await page.evaluate((id) => {
    const v = document.querySelector(`video[data-participant="${id}"]`);
    return { w: v.videoWidth, h: v.videoHeight, muted: v.muted };
  }, otherId);
  if (info.muted) fail(`${who}: the remote <video> of ${otherId} is muted, so its audio is not heard`);
  return info;
}

// The average colour of a small patch of a <video>'s current frame, [r, g, b].
export async function videoColour(page, selector, fx = 0.05, fy = 0.05) {
  return page.evaluate(([sel, x, y]) => {
    const v = document.querySelector(sel);
    if (!v || !v.videoWidth) return null;
    const c = document.createElement('canvas');
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    const g = c.getContext('2d', { willReadFrequently: true });
    g.drawImage(v, 0, 0);
    const d = g.getImageData(Math.floor(c.width * x), Math.floor(c.height * y), 8, 8).data;
    const sum = [0, 0, 0];
    for (let i = 0; i < d.length; i += 4) for (let k = 0; k < 3; k++) sum[k] += d[i + k];
    return sum.map((s) => Math.round(s / (d.length / 4)));
  }, [selector, fx, fy]);
}

// The test's fake screen is magenta; VP8 moves it a little.
export function isMagenta(rgb) {
  return !!rgb && rgb[0] > 190 && rgb[1] < 80 && rgb[2] > 190;
}

export const screenTileSelector = (id) => `figure.tile.screen[data-screen-participant="${id}"]`;

// Resolves when the page shows @sharerId's screen in its own tile, labelled
// "<name> — screen", playing (frames decoded, time moving on) in the fake
// screen's colour, while their camera tile still shows the camera alone.
export async function expectScreenTile(page, who, sharerId, name) {
  const sel = screenTileSelector(sharerId);
  await waitFor(page, `${who}: a screen tile for ${sharerId}`, (s) => !!document.querySelector(s), sel, 20000);
  await waitFor(page, `${who}: the screen of ${sharerId} has frames`, (s) => {
    const v = document.querySelector(`${s} video`);
    return v && v.videoWidth > 0 && v.readyState >= 2;
  }, sel, 20000);
  const t0 = await page.evaluate((s) => document.querySelector(`${s} video`).currentTime, sel);
  await waitFor(page, `${who}: the screen of ${sharerId} keeps playing (currentTime advances from ${t0})`,
    ([s, t]) => {
      const v = document.querySelector(`${s} video`);
      return v && !v.paused && v.currentTime > t + 0.5;
    }, [sel, t0], 15000);
  const label = await page.evaluate((s) => document.querySelector(`${s} figcaption`).textContent, sel);
  if (label !== `${name} \u2014 screen`) fail(`${who}: the screen tile is labelled "${label}", not "${name} — screen"`);
  const placed = await page.evaluate(([s, id]) => {
    const cam = document.querySelector(`figure.tile.remote[data-participant="${id}"]`);
    return !!cam && cam.nextElementSibling === document.querySelector(s);
  }, [sel, sharerId]);
  if (!placed) fail(`${who}: the screen tile of ${sharerId} is not right after their camera tile`);
  let rgb = null;
  for (let i = 0; i < 20 && !isMagenta(rgb); i++) {
    rgb = await videoColour(page, `${sel} video`);
    if (!isMagenta(rgb)) await page.waitForTimeout(200);
  }
  if (!isMagenta(rgb)) fail(`${who}: the screen of ${sharerId} is not the shared screen's magenta: rgb(${rgb})`);
  const cam = await page.evaluate((id) => {
    const v = document.querySelector(`video[data-participant="${id}"]`);
    return v && v.srcObject ? v.srcObject.getVideoTracks().length : -1;
  }, sharerId);
  if (cam !== 1) fail(`${who}: the camera tile of ${sharerId} holds ${cam} video tracks, not 1`);
  const camRgb = await videoColour(page, `video[data-participant="${sharerId}"]`, 0.5, 0.5);
  if (isMagenta(camRgb)) fail(`${who}: the camera tile of ${sharerId} shows the screen (rgb(${camRgb}))`);
  return rgb;
}
