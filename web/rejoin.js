// consultgw web client: joining again by itself when the server no longer
// holds this page's seat — it restarted (a resume answered resume_refused) or
// says it is restarting (bye server_shutdown) — or when a page in the waiting
// room lost its socket (the waiting room holds no seat to resume). Each
// attempt is a fresh join with the page's own token, with backoff, until one
// is answered or the window passes; nobody has to press Rejoin
// (docs/protocol.md "Reconnecting"). app.js opens the sockets; this module
// only keeps the timing.

const FIRST_MS = 500; // then 1, 2, 4, 4, ... s
const MAX_MS = 4000;
const WINDOW_MS = 90000; // a restart that takes longer is an outage: say so
const ATTEMPT_MS = 6000; // a socket that neither opens nor fails in this long is dropped

// attempt(): opens one join socket. giveUp(): the window is over.
// onChange(): active changed (for the "Reconnecting…" indicator).
export function createRejoin({ attempt, giveUp, onChange }) {
  let active = false;
  let tries = 0;
  let deadline = 0;
  let timer = null;
  let attemptTimer = null;

  function clearTimers() {
    clearTimeout(timer);
    clearTimeout(attemptTimer);
    timer = null;
    attemptTimer = null;
  }

  function schedule(delayMs) {
    clearTimers();
    timer = setTimeout(() => {
      timer = null;
      tries += 1;
      attempt();
    }, delayMs);
  }

  const rejoin = {
    get active() { return active; },

    // Starts trying after @firstDelayMs (no-op when already trying).
    start(firstDelayMs = 0) {
      if (active) return;
      active = true;
      tries = 0;
      deadline = Date.now() + WINDOW_MS;
      onChange();
      schedule(firstDelayMs);
    },

    // The attempt's socket is open and waiting for an answer: @abandon drops
    // it if none comes in time (a half-open network).
    watch(abandon) {
      clearTimeout(attemptTimer);
      attemptTimer = setTimeout(() => {
        attemptTimer = null;
        if (active) abandon();
      }, ATTEMPT_MS);
    },

    // The attempt ended without joined or waiting: try again, or give up.
    failed() {
      if (!active) return;
      const left = deadline - Date.now();
      if (left <= 0) {
        rejoin.stop();
        giveUp();
        return;
      }
      schedule(Math.min(FIRST_MS * 2 ** Math.max(tries - 1, 0), MAX_MS, left));
    },

    // Answered (joined, waiting, or a final refusal), or the user acted.
    stop() {
      if (!active) return;
      active = false;
      clearTimers();
      onChange();
    },
  };
  return rejoin;
}
