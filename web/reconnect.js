// consultgw web client: taking the seat back after the socket dropped.
//
// docs/protocol.md "The signaling socket drops: resume the seat": consultd
// holds a joined seat for joined.resume.grace_s seconds. Meanwhile the page
// reopens the socket with backoff (each attempt a `join` with the resume id,
// opened by app.js) and keeps every RTCPeerConnection; what media needs to
// send meanwhile waits in a bounded outbox and goes once resumed. Leave
// pressed meanwhile is delivered the same way: the attempts go on, and the
// first socket that gets the seat back says `leave`, so the others hear
// `left`, not connection_lost. This module keeps the timing and the outbox.

// Backoff between attempts (ms): 0.5, 1, 2, 4, 4, ... s.
const FIRST_MS = 500;
const MAX_MS = 4000;
// An attempt that neither opens nor fails in this long is abandoned (a dead
// network can leave a TCP connect hanging for minutes).
const ATTEMPT_MS = 5000;
// Held meanwhile: at most this many, only what media needs.
const OUTBOX_MAX = 256;
const OUTBOX_TYPES = new Set(['offer', 'answer', 'candidate', 'media_state', 'receive']);

// attempt(): opens one resume socket. giveUp(leaving): the grace period is
// over. onChange(): active changed (for the "Reconnecting…" indicator).
export function createReconnect({ attempt, giveUp, onChange }) {
  let active = false;
  let leaving = false;
  let tries = 0;
  let deadline = 0;
  let timer = null;
  let attemptTimer = null;
  let deadlineTimer = null;
  let outbox = [];

  function clearTimers() {
    clearTimeout(timer);
    clearTimeout(attemptTimer);
    clearTimeout(deadlineTimer);
    timer = attemptTimer = deadlineTimer = null;
  }

  // The next attempt after the backoff; the last one still lands inside the
  // grace period, after it the deadline timer gives up.
  function schedule() {
    clearTimeout(attemptTimer);
    attemptTimer = null;
    const delay = Math.min(FIRST_MS * 2 ** tries, MAX_MS);
    tries += 1;
    const left = deadline - Date.now() - 250;
    if (left <= 0) return;
    timer = setTimeout(() => {
      timer = null;
      attempt();
    }, Math.min(delay, left));
  }

  const reconnect = {
    get active() {
      return active;
    },
    // Leave was pressed: the next socket that gets the seat back only leaves.
    get leaving() {
      return leaving;
    },

    // Are we still inside the grace period (true before the first drop)?
    inGrace() {
      return !active || Date.now() < deadline;
    },

    // The socket dropped, or an attempt failed: try again after the backoff.
    failed(graceS) {
      if (!active) {
        active = true;
        leaving = false;
        tries = 0;
        outbox = [];
        deadline = Date.now() + graceS * 1000;
        deadlineTimer = setTimeout(() => {
          const wasLeaving = leaving;
          reconnect.stop();
          giveUp(wasLeaving);
        }, graceS * 1000);
        onChange();
      }
      schedule();
    },

    // The attempt's socket was opened: @abandon drops it if it hangs.
    watch(abandon) {
      clearTimeout(attemptTimer);
      attemptTimer = setTimeout(() => {
        attemptTimer = null;
        if (active) abandon();
      }, ATTEMPT_MS);
    },

    leave() {
      if (!active) return false;
      leaving = true;
      outbox = [];
      onChange();
      return true;
    },

    // Keeps @msg for after the resume; false if it is not kept.
    hold(msg) {
      if (leaving || !OUTBOX_TYPES.has(msg.type) || outbox.length >= OUTBOX_MAX) return false;
      outbox.push(msg);
      return true;
    },

    // Resumed, given up, or the user acted: returns what was held.
    stop() {
      const held = outbox;
      outbox = [];
      if (!active) return held;
      active = false;
      leaving = false;
      clearTimers();
      onChange();
      return held;
    },
  };
  return reconnect;
}
