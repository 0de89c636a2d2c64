// consultgw web client: mending "pub"'s media path with an ICE restart.
//
// docs/protocol.md "The media path fails: ICE restart": when pub's ICE state
// is "failed", or "disconnected" for more than ICE_DISCONNECTED_MS, the page
// sends a new offer on pub with new ICE credentials; the server answers and
// re-offers every sub-N (peers.js applies those). One offer at a time: a
// restart wanted while another offer of ours is out goes after its answer.
// An offer consultd refuses (`error` `bad_sdp`) changed nothing on the
// server, so it is rolled back here and pub is stable again for the next one.

import { onNewIcePath } from './ice-path.js';

// "pub" disconnected this long (ms) is restarted; "failed" is restarted at once.
const ICE_DISCONNECTED_MS = 3000;
// ICE restarts without reaching "connected" before giving up with pub_failed.
const ICE_MAX_TRIES = 3;
// A restart offer unanswered this long (ms) no longer blocks the next one.
const ICE_ANSWER_MS = 10000;
// A refused restart on a path that is still broken is tried again after this long.
const ICE_RETRY_MS = 2000;

const broken = (pc) => pc.iceConnectionState === 'failed' || pc.iceConnectionState === 'disconnected';
const up = (pc) => pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed';

// deps: {getPub() -> entry|null, queue(entry, fn) (peers.js), send(msg),
// canOffer() (the socket is open and not being resumed), stopped() (an error
// that ends the connection is on screen), onChange() (restarting changed),
// failed() (given up: pub_failed)}.
export function createIceRestart(deps) {
  let timer = null; // the "disconnected" grace
  let answerTimer = null;
  let retryTimer = null;
  let restarting = false; // shown as "Reconnecting…"
  let pending = false; // wanted, waiting for the socket or for the offer out
  let inFlight = false; // our restart offer awaits its answer
  let tries = 0;

  function setRestarting(on) {
    restarting = on;
    deps.onChange();
  }

  function done() {
    tries = 0;
    setRestarting(false);
  }

  // A path that never broke stays "connected" through a restart, with no event
  // to say it is done: the restart is over once media runs on the new credentials.
  function confirm(entry) {
    onNewIcePath(entry.pc, ICE_ANSWER_MS).then((ok) => {
      if (!ok || deps.getPub() !== entry || inFlight || pending) return;
      if (up(entry.pc)) done(); // otherwise onIceState decides
    });
  }

  function restart() {
    const entry = deps.getPub();
    if (!entry || deps.stopped()) return;
    clearTimeout(retryTimer);
    retryTimer = null;
    setRestarting(true);
    if (!deps.canOffer() || inFlight) {
      pending = true; // after the resume, or after the answer in flight
      return;
    }
    if (tries >= ICE_MAX_TRIES) {
      setRestarting(false);
      deps.failed();
      return;
    }
    pending = false;
    inFlight = true;
    tries += 1;
    clearTimeout(answerTimer);
    answerTimer = setTimeout(() => {
      inFlight = false;
      if (pending || broken(entry.pc)) restart();
    }, ICE_ANSWER_MS);
    deps.queue(entry, async () => {
      if (entry.pc.signalingState !== 'stable') {
        inFlight = false;
        pending = true;
        return;
      }
      await entry.pc.setLocalDescription(await entry.pc.createOffer({ iceRestart: true }));
      deps.send({ type: 'offer', pc: 'pub', sdp: entry.pc.localDescription.sdp });
    });
  }

  return {
    get restarting() {
      return restarting;
    },
    restart,

    // pub's iceConnectionState changed.
    onIceState(entry) {
      clearTimeout(timer);
      timer = null;
      const ice = entry.pc.iceConnectionState;
      if (up(entry.pc)) {
        done();
      } else if (ice === 'failed') {
        restart();
      } else if (ice === 'disconnected') {
        // Often a blip that heals by itself; a restart only if it lasts.
        timer = setTimeout(() => {
          timer = null;
          if (entry.pc.iceConnectionState === 'disconnected') restart();
        }, ICE_DISCONNECTED_MS);
      }
    },

    // An answer on pub was applied (ours, or a screen share's).
    onAnswer(entry) {
      const restarted = inFlight;
      inFlight = false;
      clearTimeout(answerTimer);
      // A restart wanted while this offer was out goes now.
      if (pending) restart();
      else if (restarted) confirm(entry);
    },

    // `error` `bad_sdp`: true if it refused our restart offer (and is handled).
    onRefused() {
      const entry = deps.getPub();
      if (!inFlight || !entry) return false;
      inFlight = false;
      clearTimeout(answerTimer);
      deps.queue(entry, async () => {
        if (entry.pc.signalingState === 'have-local-offer') {
          await entry.pc.setLocalDescription({ type: 'rollback' });
        }
        if (deps.getPub() !== entry) return;
        if (pending) restart();
        else if (broken(entry.pc)) retryTimer = setTimeout(restart, ICE_RETRY_MS);
        else done(); // the old path still carries the media
      });
      return true;
    },

    // Resumed, or another offer of ours was rolled back: a restart that waited
    // goes now, and one is started if the path went meanwhile.
    retryIfNeeded() {
      const entry = deps.getPub();
      if (entry && (pending || broken(entry.pc))) restart();
    },

    // pub closed: nothing to restart.
    reset() {
      clearTimeout(timer);
      clearTimeout(answerTimer);
      clearTimeout(retryTimer);
      timer = answerTimer = retryTimer = null;
      pending = inFlight = false;
      tries = 0;
      setRestarting(false);
    },
  };
}
