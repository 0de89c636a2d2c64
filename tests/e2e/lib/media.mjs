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
