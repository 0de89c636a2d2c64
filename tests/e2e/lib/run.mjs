// The frame every browser test shares: run(ctx) with a daemon, a browser and
// pages in ctx; on failure a screenshot of each page, its status line, the
// browser console and consultd's log tail; consultd must exit 0 on SIGTERM.
// Any console.error or page error of the app fails the test too (the app
// must not log errors in normal use).

import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestFailure } from './harness.mjs';

export const ARTIFACTS = process.env.CG_E2E_ARTIFACTS || path.join(os.tmpdir(), 'cg-e2e-artifacts');

export async function runTest(name, run) {
  const ctx = { console: [], pages: {}, daemon: null, browser: null };
  let ok = false;
  const started = Date.now();
  try {
    await run(ctx);
    const errors = ctx.console.filter((l) => /\] (console\.error|pageerror):/.test(l));
    if (errors.length) throw new TestFailure(`the pages logged errors:\n${errors.join('\n')}`);
    const warnings = ctx.console.filter((l) => /\] console\.warn(ing)?:/.test(l));
    if (warnings.length) console.log(`# the pages logged ${warnings.length} warnings:\n${warnings.join('\n')}`);
    ok = true;
  } catch (err) {
    console.error(`FAIL: ${err instanceof TestFailure ? err.message : err.stack || err}`);
    for (const [label, page] of Object.entries(ctx.pages)) {
      try {
        mkdirSync(ARTIFACTS, { recursive: true });
        const p = path.join(ARTIFACTS, `${name}-failure-${label}.png`);
        await page.screenshot({ path: p, timeout: 5000 });
        const status = await page.evaluate(() => document.getElementById('status')?.textContent || '');
        console.error(`# ${label}: status "${status}", screenshot ${p}`);
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
  console.log(`# ${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(ok ? '1 passed, 0 failed' : '0 passed, 1 failed');
  process.exitCode = ok ? 0 : 1;
}
