// consultgw web client: our own camera and microphone.
//
// Started once joined (never in the waiting room): camera and microphone,
// falling back to either alone (an interpreter: the microphone only). The
// Mute and Camera buttons turn tracks off without renegotiating, and every
// change is told to the others with `media_state` (docs/protocol.md), so
// their pages say "Microphone off" rather than guess from silence.

const AUDIO = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
const VIDEO = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24, max: 30 } };

const refused = (err) => !!err && (err.name === 'NotAllowedError' || err.name === 'SecurityError');

// deps: {selfVideo, selfTile, micBtn, camBtn, audioOnlyBtn, send(msg),
// showError(code)}.
export function createLocalMedia(deps) {
  let stream = null;

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
    async acquire(role) {
      if (stream) return stream;
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        deps.showError('no_media_api');
        return null;
      }
      const attempts = role === 'interpreter'
        ? [{ audio: AUDIO }]
        : [{ audio: AUDIO, video: VIDEO }, { audio: AUDIO }, { video: VIDEO }];
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

    // A specialist muted us (or let us unmute).
    setMic(on) {
      if (stream) for (const t of stream.getAudioTracks()) t.enabled = on;
      deps.micBtn.dataset.off = String(!on);
      deps.micBtn.textContent = on ? 'Mute microphone' : 'Unmute microphone';
      sendState();
    },
  };
}
