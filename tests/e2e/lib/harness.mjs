// Browser e2e harness: runs the real consultd in a temp dir, talks to its admin
// API, and drives Debian's chromium through playwright-core.
//
// startDaemon() writes a config in the layout of config/consultd.conf (port 0,
// absolute paths in a fresh temp dir, its own random API key and token secret,
// generate_keys = false), spawns $CONSULTD, and waits for the JSON "listening"
// log line to learn the port. Every wait has a deadline; nothing sleeps.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync, accessSync, constants } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const E2E_DIR = path.resolve(here, '..');
const REPO = path.resolve(E2E_DIR, '..', '..');

export class TestFailure extends Error {}

export function fail(message) {
  throw new TestFailure(message);
}

// playwright-core is installed by `npm ci` in tests/e2e (tools/install-deps.sh).
// A missing install is a failure with instructions, never a silent skip.
export async function loadPlaywright() {
  try {
    return await import('playwright-core');
  } catch (err) {
    fail(`playwright-core is not installed in ${E2E_DIR} (${err.code || err.message}).\n` +
      `Run tools/install-deps.sh (or: cd tests/e2e && npm ci) and run the test again.`);
  }
  return null;
}

function requiredPath(envName, fallback, what) {
  const p = process.env[envName] || fallback;
  if (!p) fail(`${envName} is not set: the path of ${what} (CTest sets it).`);
  return path.resolve(p);
}

function b64url(bytes) {
  return Buffer.from(bytes).toString('base64url');
}

function configText(dir, webRoot, tenant, resumeGraceS, port) {
  const resume = resumeGraceS === undefined ? '' : ` resume_grace_s = ${resumeGraceS};`;
  return `# written by tests/e2e/lib/harness.mjs
server: {
  listen_address = "127.0.0.1";
  port = ${port};
  public_url = "https://127.0.0.1:8443";
  cert_file = "${dir}/tls/cert.pem";
  key_file = "${dir}/tls/key.pem";
  generate_certificate = true;
  web_root = "${webRoot}";
  shutdown_timeout_s = 2;
};
store: { path = "${dir}/consultd.db"; };
auth: { clock_skew_s = 30; };
consults: { max_participants = 16; open_before_min = 15; grace_min = 15;${resume} };
media: { ice_addresses = [ "127.0.0.1" ]; };
tenants: {
  generate_keys = false;
  list = (
    {
      id = "${tenant.id}";
      name = "E2E Test Hospital";
      api_key_file = "${tenant.apiKeyFile}";
      secret_file = "${tenant.secretFile}";
    }
  );
};
log: { level = "info"; };
`;
}

export class Daemon {
  constructor() {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'cg-e2e-'));
    this.logLines = [];
    this.proc = null;
    this.port = 0;
    this.exited = null; // {code, signal} once it exited
  }

  logTail(n = 40) {
    return this.logLines.slice(-n).join('\n');
  }

  // resumeGraceS: consults.resume_grace_s (default: the daemon's). A second
  // start (see restart()) keeps the directory, the tenant's keys and the port.
  async start({ timeoutMs = 20000 * TIMEOUT_SCALE, resumeGraceS } = {}) {
    const binary = requiredPath('CONSULTD', process.env.CG_CONSULTD, 'the consultd binary');
    try {
      accessSync(binary, constants.X_OK);
    } catch {
      fail(`consultd binary ${binary} does not exist or is not executable: build target consultd first.`);
    }
    const webRoot = requiredPath('CG_WEB_ROOT', path.join(REPO, 'web'), 'the web client folder');
    if (!existsSync(path.join(webRoot, 'index.html'))) fail(`${webRoot}/index.html is missing`);

    if (!this.tenant) {
      this.tenant = {
        id: 'e2e',
        apiKey: b64url(randomBytes(32)),
        secret: b64url(randomBytes(32)),
        apiKeyFile: path.join(this.dir, 'e2e.api-key'),
        secretFile: path.join(this.dir, 'e2e.secret'),
      };
      writeFileSync(this.tenant.apiKeyFile, this.tenant.apiKey + '\n', { mode: 0o600 });
      writeFileSync(this.tenant.secretFile, this.tenant.secret + '\n', { mode: 0o600 });
    }
    const conf = path.join(this.dir, 'consultd.conf');
    writeFileSync(conf, configText(this.dir, webRoot, this.tenant, resumeGraceS, this.port || 0), { mode: 0o600 });
    this.exited = null;

    this.proc = spawn(binary, ['--config', conf], {
      cwd: this.dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NOTIFY_SOCKET: '' },
    });
    let resolveListening;
    let rejectListening;
    const listening = new Promise((resolve, reject) => {
      resolveListening = resolve;
      rejectListening = reject;
    });
    let partial = '';
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (chunk) => {
      partial += chunk;
      let nl;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        this.logLines.push(line);
        try {
          const rec = JSON.parse(line);
          if (rec && rec.msg === 'listening' && Number.isInteger(rec.port) && rec.port > 0) {
            resolveListening(rec.port);
          }
        } catch {
          /* not JSON: kept in the log tail */
        }
      }
    });
    this.proc.on('exit', (code, signal) => {
      this.exited = { code, signal };
      rejectListening(new TestFailure(
        `consultd exited (code ${code}, signal ${signal}) before it was listening. Log:\n${this.logTail()}`));
    });
    this.proc.on('error', (err) => rejectListening(new TestFailure(`cannot start ${binary}: ${err.message}`)));

    let timer;
    const deadline = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new TestFailure(
        `consultd did not log {"msg":"listening","port":N} within ${timeoutMs} ms. Log:\n${this.logTail()}`)),
      timeoutMs);
    });
    try {
      this.port = await Promise.race([listening, deadline]);
    } finally {
      clearTimeout(timer);
    }
    this.origin = `https://127.0.0.1:${this.port}`;
    return this;
  }

  // One admin API request; resolves {status, json}.
  request(method, urlPath, body) {
    const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = https.request({
        host: '127.0.0.1',
        port: this.port,
        method,
        path: urlPath,
        rejectUnauthorized: false, // the daemon's self-generated certificate
        headers: {
          Authorization: `Bearer ${this.tenant.apiKey}`,
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}),
        },
        timeout: 10000,
      }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json = null;
          try {
            json = text ? JSON.parse(text) : null;
          } catch {
            /* left null */
          }
          resolve({ status: res.statusCode, json, text });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: no answer within 10 s`)));
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  // Creates a consult starting now; returns the 201 body. Other members of
  // the argument (e.g. video_bitrate_kbps) go into the request as they are.
  async createConsult({ kind = 'virtual_consult', specialty = 'dermatology', title, participants, ...extra }) {
    const startsAt = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    const res = await this.request('POST', '/api/v1/consults', {
      kind, specialty, title, starts_at: startsAt, duration_min: 30, participants, ...extra,
    });
    if (res.status !== 201 || !res.json || !Array.isArray(res.json.participants) ||
        res.json.participants.length !== participants.length) {
      fail(`POST /api/v1/consults answered ${res.status}: ${res.text}`);
    }
    for (const p of res.json.participants) {
      if (typeof p.token !== 'string' || typeof p.id !== 'string') fail(`participant without id/token: ${res.text}`);
    }
    return res.json;
  }

  // The join link on the port this daemon really listens on.
  joinUrl(consultId, token) {
    return `${this.origin}/c/${encodeURIComponent(consultId)}#token=${token}`;
  }

  async stop(timeoutMs = 10000) {
    if (!this.proc || this.exited) return this.exited;
    const exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })));
    this.proc.kill('SIGTERM');
    let timer;
    const result = await Promise.race([
      exited,
      new Promise((resolve) => { timer = setTimeout(() => resolve(null), timeoutMs); }),
    ]);
    clearTimeout(timer);
    if (!result) {
      this.proc.kill('SIGKILL');
      await exited;
    }
    return result;
  }

  // SIGKILL, as a crash would end it; resolves once it is gone.
  async kill() {
    if (!this.proc || this.exited) return;
    const exited = new Promise((resolve) => this.proc.once('exit', resolve));
    this.proc.kill('SIGKILL');
    await exited;
  }

  // Starts consultd again on the same directory (database, certificate,
  // tenant keys) and port, as systemd restarts it after a crash.
  restart(options = {}) {
    return this.start(options);
  }

  cleanup() {
    if (this.proc && !this.exited) this.proc.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export const CHROMIUM = process.env.CG_CHROMIUM || '/usr/bin/chromium';

// Headless Debian chromium with fake camera/microphone (a test pattern and a
// beep), self-signed certificates accepted, and host ICE candidates as IP
// literals (no mDNS names) so consultd, listening on 127.0.0.1 only, can
// reach them. Playwright gives the browser a fresh temporary --user-data-dir.
// extraArgs: more switches, e.g. --use-file-for-fake-audio-capture=FILE
// (per process: one browser per microphone sound).
export async function launchBrowser(playwright, extraArgs = []) {
  if (!existsSync(CHROMIUM)) fail(`${CHROMIUM} is missing: run tools/install-deps.sh`);
  return playwright.chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60000,
    ignoreDefaultArgs: ['--mute-audio'],
    args: [
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--ignore-certificate-errors',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
      '--disable-features=WebRtcHideLocalIpsWithMdns',
      // Gather on loopback too, so the pair Chromium picks is 127.0.0.1 <-> 127.0.0.1.
      '--allow-loopback-in-peer-connection',
      ...extraArgs,
    ],
  });
}

export async function newPage(browser, origin, label, consoleLog) {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width: 1100, height: 760 },
  });
  await context.grantPermissions(['camera', 'microphone'], { origin });
  const page = await context.newPage();
  page.on('console', (msg) => consoleLog.push(`[${label}] console.${msg.type()}: ${msg.text()}`));
  page.on('pageerror', (err) => consoleLog.push(`[${label}] pageerror: ${err.message}`));
  return page;
}

// page.waitForFunction with a message that says what was awaited.
// Deadlines are for a normal build; `make check-asan` sets
// CG_TEST_TIMEOUT_SCALE (consultd runs several times slower there).
export const TIMEOUT_SCALE = Math.min(Math.max(Number(process.env.CG_TEST_TIMEOUT_SCALE) || 1, 1), 20);

export async function waitFor(page, what, fn, arg, timeoutMs = 30000) {
  timeoutMs *= TIMEOUT_SCALE;
  try {
    return await page.waitForFunction(fn, arg, { timeout: timeoutMs, polling: 100 });
  } catch (err) {
    fail(`${what}: not within ${timeoutMs} ms (${err.message.split('\n')[0]})`);
  }
  return null;
}
