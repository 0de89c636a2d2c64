// consultgw web client: our own camera and microphone.
//
// Started once joined (never in the waiting room): camera and microphone,
// falling back to either alone (an interpreter: the microphone only). The
// Mute and Camera buttons turn tracks off without renegotiating, and every
// change is told to the others with `media_state` (docs/protocol.md), so
// their pages say "Microphone off" rather than guess from silence.
//
// An interpreter who says it wears a headset (browsers cannot tell) is
// captured with echo cancellation, noise suppression and gain control off:
// with no loudspeaker there is no echo to cancel, and those three damage the
// voice (clipped onsets, pumping level) that listeners depend on. Without a
// headset they stay on, or every listener would hear the floor come back
// through the interpreter's microphone.

const AUDIO = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
const HEADSET_AUDIO = { echoCancellation: false, noiseSuppression: false, autoGainControl: false };
const HEADSET_KEY = 'consultgw.headset';
const VIDEO = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24, max: 30 } };

const refused = (err) => !!err && (err.name === 'NotAllowedError' || err.name === 'SecurityError');

function storedHeadset() {
  try {
    return localStorage.getItem(HEADSET_KEY) === 'true';
  } catch {
    return false; // storage blocked: ask again next time
  }
}

// deps: {selfVideo, selfTile, micBtn, camBtn, audioOnlyBtn, send(msg),
// showError(code), replaceAudioTrack(old, track) -> Promise (put @track in
// place of @old where it is being sent)}.
export function createLocalMedia(deps) {
  let stream = null;
  let role = null;
  let headset = storedHeadset();

  function audioConstraints() {
    return role === 'interpreter' && headset ? HEADSET_AUDIO : AUDIO;
  }

  // Tells the others whether our microphone and camera are on.
  function sendState() {
    if (!stream) return;
    const on = (tracks) => tracks.length > 0 && tracks.some((t) => t.enabled);
    deps.send({ type: 'media_state', audio: on(stream.getAudioTracks()), video: on(stream.getVideoTracks()) });
  }

  return {
    get stream() {
      return stream;
    },
    sendState,

    // The stream, started now if not yet; null (with the error shown) if none.
    async acquire(asRole) {
      role = asRole || null;
      if (stream) return stream;
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        deps.showError('no_media_api');
        return null;
      }
      const audio = audioConstraints();
      const attempts = role === 'interpreter'
        ? [{ audio }]
        : [{ audio, video: VIDEO }, { audio }, { video: VIDEO }];
      let lastErr = null;
      for (const constraints of attempts) {
        try {
          stream = await navigator.mediaDevices.getUserMedia(constraints);
          break;
        } catch (err) {
          lastErr = err;
          if (refused(err)) break;
        }
      }
      if (!stream) {
        deps.showError(refused(lastErr) ? 'media_denied' : 'no_camera');
        return null;
      }
      deps.selfVideo.srcObject = stream;
      deps.selfTile.classList.toggle('no-video', stream.getVideoTracks().length === 0);
      deps.micBtn.disabled = stream.getAudioTracks().length === 0;
      deps.camBtn.disabled = stream.getVideoTracks().length === 0;
      deps.audioOnlyBtn.disabled = false;
      return stream;
    },

    stop() {
      if (!stream) return;
      for (const t of stream.getTracks()) t.stop();
      stream = null;
      deps.selfVideo.srcObject = null;
      deps.micBtn.disabled = true;
      deps.camBtn.disabled = true;
      deps.audioOnlyBtn.disabled = true;
    },

    // The Mute / Camera buttons: their label says what they will do next;
    // data-off marks the state for styling.
    toggle(kind) {
      if (!stream) return;
      const btn = kind === 'audio' ? deps.micBtn : deps.camBtn;
      const off = btn.dataset.off !== 'true';
      for (const t of kind === 'audio' ? stream.getAudioTracks() : stream.getVideoTracks()) t.enabled = !off;
      btn.dataset.off = String(off);
      if (kind === 'audio') btn.textContent = off ? 'Unmute microphone' : 'Mute microphone';
      else btn.textContent = off ? 'Turn camera on' : 'Turn camera off';
      if (kind === 'video') deps.selfTile.classList.toggle('no-video', off);
      sendState();
    },

    get headset() {
      return headset;
    },

    // What the microphone is captured with now: {echoCancellation,
    // noiseSuppression, autoGainControl} as the browser applied them, and
    // the device's label; null without a microphone.
    processing() {
      const t = stream && stream.getAudioTracks()[0];
      if (!t || typeof t.getSettings !== 'function') return null;
      const s = t.getSettings();
      return { echoCancellation: s.echoCancellation, noiseSuppression: s.noiseSuppression,
        autoGainControl: s.autoGainControl, label: t.label || '' };
    },

    // "I am using a headset" (interpreters): remembered in this browser, and
    // the microphone captured again with the matching processing (a browser
    // does not change it on a live track), sent in place of the old one
    // without renegotiating.
    async setHeadset(on) {
      const was = headset;
      headset = !!on;
      const old = stream && stream.getAudioTracks()[0];
      if (old) {
        let fresh = null;
        try {
          const deviceId = old.getSettings ? old.getSettings().deviceId : undefined;
          const audio = deviceId ? { ...audioConstraints(), deviceId: { exact: deviceId } } : audioConstraints();
          fresh = (await navigator.mediaDevices.getUserMedia({ audio })).getAudioTracks()[0];
          if (!stream || !stream.getAudioTracks().includes(old)) {
            fresh.stop(); // stopped or replaced meanwhile
            return;
          }
          fresh.enabled = old.enabled;
          await deps.replaceAudioTrack(old, fresh);
        } catch (err) {
          if (fresh) fresh.stop();
          headset = was;
          throw err;
        }
        stream.removeTrack(old);
        stream.addTrack(fresh);
        old.stop();
      }
      try {
        localStorage.setItem(HEADSET_KEY, String(headset));
      } catch {
        /* not remembered: asked again next time */
      }
    },

    // A specialist muted us (or let us unmute).
    setMic(on) {
      if (stream) for (const t of stream.getAudioTracks()) t.enabled = on;
      deps.micBtn.dataset.off = String(!on);
      deps.micBtn.textContent = on ? 'Mute microphone' : 'Unmute microphone';
      sendState();
    },
  };
}
