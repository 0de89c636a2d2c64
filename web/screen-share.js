// consultgw web client: sharing one's own screen (specialists and providers).
//
// docs/protocol.md "offer (publish)": the screen goes out on the existing "pub"
// RTCPeerConnection as a second video transceiver, negotiated with a normal
// new offer (same ICE credentials):
//   - the first share: addTransceiver(track, {direction: 'sendonly'});
//   - later shares reuse that transceiver: replaceTrack + 'sendonly';
//   - stop (the button, or the browser's own "Stop sharing", which ends the
//     track): direction 'inactive' and offer again. m-lines are never removed.
// consultd refuses a share it does not allow with `error` `bad_sdp`: the offer
// is rolled back, the transceiver put back as it was, and the user told. An
// offer that gets no answer in ANSWER_MS (lost on the way, or the server
// never got to it) is given up the same way, so the button comes back.
//
// Offers on "pub" are serialised with the page's other work on it (an ICE
// restart) through deps.queue; one of ours waits for a stable signaling state
// first, outside that queue (see renegotiate).

const STABLE_WAIT_MS = 10000;
const ANSWER_MS = 10000;

const TEXT = {
  start: 'Share screen',
  stop: 'Stop sharing',
  sharing: 'You are sharing your screen with everyone in the consult.',
  stopped: 'You stopped sharing your screen.',
  cancelled: 'Screen sharing was cancelled.',
  failed: 'Your screen could not be shared. Your camera and microphone are not affected.',
};

function waitStable(pc, ms) {
  if (pc.signalingState === 'stable') return Promise.resolve();
  if (ms <= 0) return Promise.reject(new Error('pub did not become stable for a screen-share offer'));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pc.removeEventListener('signalingstatechange', check);
      reject(new Error('pub did not become stable for a screen-share offer'));
    }, ms);
    function check() {
      if (pc.signalingState !== 'stable') return;
      clearTimeout(timer);
      pc.removeEventListener('signalingstatechange', check);
      resolve();
    }
    pc.addEventListener('signalingstatechange', check);
  });
}

// deps: {button, stage (for the preview tile), getPub() -> entry|null,
// queue(entry, fn) (runs fn after the work queued on entry.pc), send(msg),
// connected() (the socket is up, not being resumed), notice(text), alert()
// (the share was refused), afterRollback()}.
export function createScreenShare(deps) {
  const { button } = deps;
  const supported = !!(navigator.mediaDevices && typeof navigator.mediaDevices.getDisplayMedia === 'function');
  let allowed = false; // the role may share
  let tx = null; // the screen transceiver on the current pub
  let track = null; // the display track being shared
  let sharing = false; // consultd accepted our share
  let busy = false; // between the click and the answer
  let pending = null; // {kind: 'start'|'stop', fresh} an offer of ours awaiting its answer
  let stopWanted = false; // the track ended while our start offer was out
  let preview = null;
  let answerTimer = null;

  function render() {
    button.hidden = !(allowed && supported);
    button.disabled = busy || !deps.getPub();
    button.textContent = sharing ? TEXT.stop : TEXT.start;
    button.setAttribute('aria-pressed', String(sharing));
  }

  function showPreview(on) {
    if (on && !preview && track) {
      preview = document.createElement('figure');
      preview.className = 'tile screen self-screen';
      const video = document.createElement('video');
      video.muted = true;
      video.autoplay = true;
      video.playsInline = true;
      video.setAttribute('aria-label', 'Your shared screen (preview)');
      video.srcObject = new MediaStream([track]);
      const caption = document.createElement('figcaption');
      caption.className = 'label';
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = 'Your screen \u2014 shared with everyone';
      caption.append(name);
      preview.append(video, caption);
      deps.stage.append(preview);
      video.play().catch(() => {});
    } else if (!on && preview) {
      preview.querySelector('video').srcObject = null;
      preview.remove();
      preview = null;
    }
  }

  function dropTrack() {
    if (!track) return;
    track.removeEventListener('ended', onEnded);
    track.stop();
    track = null;
  }

  // The browser's own "Stop sharing" (or the window shared went away).
  function onEnded() {
    if (pending && pending.kind === 'start') stopWanted = true;
    else stop();
  }

  // Applies @change to pub, then offers; the answer comes through onAnswer.
  // The wait for a stable pub (another offer of ours, e.g. an ICE restart,
  // awaiting its answer) happens outside the queue: that answer is applied
  // through the same queue, and waiting inside it would hold the answer back
  // until the wait timed out. If yet another offer went first meanwhile, wait
  // again (within the same time limit).
  async function renegotiate(entry, kind, change) {
    const deadline = Date.now() + STABLE_WAIT_MS;
    for (;;) {
      await waitStable(entry.pc, deadline - Date.now());
      const sent = await deps.queue(entry, async () => {
        if (deps.getPub() !== entry) throw new Error('pub closed');
        if (entry.pc.signalingState !== 'stable') return false;
        const fresh = await change(entry.pc);
        const offer = await entry.pc.createOffer();
        await entry.pc.setLocalDescription(offer);
        const p = { kind, fresh: !!fresh };
        pending = p;
        clearTimeout(answerTimer);
        const expire = () => {
          if (pending !== p) return;
          // Held for a resume, the offer goes (and is answered) later: wait on.
          if (!deps.connected()) {
            answerTimer = setTimeout(expire, ANSWER_MS);
            return;
          }
          console.warn(`screen share: no answer to the ${kind} offer in ${ANSWER_MS} ms: rolled back`);
          undo(p, entry);
          deps.notice(TEXT.failed);
        };
        answerTimer = setTimeout(expire, ANSWER_MS);
        deps.send({ type: 'offer', pc: 'pub', sdp: entry.pc.localDescription.sdp });
        return true;
      });
      if (sent) return;
    }
  }

  // @anyRole: try even if this role is not offered the button (the tests check
  // that consultd refuses it).
  async function start(anyRole = false) {
    const entry = deps.getPub();
    if (!(allowed || anyRole) || !supported || busy || sharing || !entry) return;
    busy = true;
    render();
    let stream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: true });
    } catch (err) {
      busy = false;
      render();
      deps.notice(err && err.name === 'NotAllowedError' ? TEXT.cancelled : TEXT.failed);
      return;
    }
    const t = stream.getVideoTracks()[0];
    for (const other of stream.getTracks()) if (other !== t) other.stop();
    if (!t || deps.getPub() !== entry) {
      if (t) t.stop();
      busy = false;
      render();
      if (!t) deps.notice(TEXT.failed);
      return;
    }
    if ('contentHint' in t) t.contentHint = 'detail'; // text and images stay sharp
    track = t;
    track.addEventListener('ended', onEnded);
    stopWanted = false;
    try {
      await renegotiate(entry, 'start', async (pc) => {
        if (tx && !tx.stopped && tx.currentDirection !== 'stopped') {
          await tx.sender.replaceTrack(t);
          tx.direction = 'sendonly';
          return false;
        }
        tx = pc.addTransceiver(t, { direction: 'sendonly' });
        return true;
      });
    } catch (err) {
      console.warn('screen share offer failed', err);
      pending = null;
      dropTrack();
      busy = false;
      render();
      deps.notice(TEXT.failed);
    }
  }

  async function stop() {
    const entry = deps.getPub();
    dropTrack();
    showPreview(false);
    if (!entry || !tx || (!sharing && !busy)) {
      sharing = false;
      render();
      return;
    }
    busy = true;
    render();
    try {
      await renegotiate(entry, 'stop', async () => {
        tx.direction = 'inactive';
        await tx.sender.replaceTrack(null);
        return false;
      });
    } catch (err) {
      console.warn('stop sharing offer failed', err);
      pending = null;
      sharing = false;
      busy = false;
      render();
    }
  }

  // Our offer @p on @entry was refused or never answered: it changed nothing on
  // the server, so pub goes back to what was last negotiated.
  function undo(p, entry) {
    pending = null;
    clearTimeout(answerTimer);
    answerTimer = null;
    stopWanted = false;
    deps.queue(entry, async () => {
      if (entry.pc.signalingState === 'have-local-offer') {
        await entry.pc.setLocalDescription({ type: 'rollback' });
      }
      if (tx) {
        if (p.fresh) {
          tx.stop(); // never negotiated: no m-line is kept for it
          tx = null;
        } else {
          tx.direction = 'inactive';
          await tx.sender.replaceTrack(null);
        }
      }
      deps.afterRollback();
    });
    dropTrack();
    showPreview(false);
    sharing = false;
    busy = false;
    render();
  }

  return {
    // Joined: may this role share? (consultd enforces it as well.)
    setRole(role) {
      allowed = role === 'specialist' || role === 'provider';
      render();
    },
    render,
    toggle() {
      if (sharing) stop();
      else start();
    },
    start,
    stop,
    get sharing() {
      return sharing;
    },
    // The answer to an offer on pub was applied.
    onAnswer() {
      const p = pending;
      if (!p) return;
      pending = null;
      clearTimeout(answerTimer);
      answerTimer = null;
      busy = false;
      if (p.kind === 'start') {
        sharing = true;
        showPreview(true);
        deps.notice(TEXT.sharing);
        if (stopWanted) {
          stopWanted = false;
          stop();
          return;
        }
      } else {
        sharing = false;
        deps.notice(TEXT.stopped);
      }
      render();
    },
    // `error` `bad_sdp`: true if it was the answer to our offer (and is handled).
    onRefused() {
      const p = pending;
      const entry = deps.getPub();
      if (!p || !entry) return false;
      undo(p, entry);
      deps.alert();
      return true;
    },
    // pub closed (left, rejoined, lost): nothing is shared any more.
    reset() {
      dropTrack();
      showPreview(false);
      tx = null;
      pending = null;
      clearTimeout(answerTimer);
      answerTimer = null;
      sharing = false;
      busy = false;
      stopWanted = false;
      render();
    },
  };
}
