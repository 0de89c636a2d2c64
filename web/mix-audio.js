// consultgw web client: the server's mix ("mix" connection), heard without a tile.
//
// In a consult with simultaneous interpretation consultd offers every
// endpoint one more connection, "mix" (docs/protocol.md "Interpretation"): a
// listener's language channel, or an interpreter's floor feed with its booth
// partner's talk-back. It is played by one <audio> element of its own; what it
// carries changes with the channel without renegotiation. For the interpreter
// view's floor meter, level() measures it (WebAudio AnalyserNode), made only
// when first asked for.

// deps: {element (the <audio>), onSoundBlocked() (autoplay with sound was refused)}.
export function createMixAudio(deps) {
  let entry = null;
  let stream = null;
  let meter = null; // {ctx, analyser, buf, source, track}

  function play() {
    const p = deps.element.play();
    if (p && typeof p.catch === 'function') {
      p.catch((err) => {
        if (err && err.name === 'NotAllowedError') deps.onSoundBlocked();
      });
    }
  }

  function dropSource() {
    if (meter && meter.source) {
      meter.source.disconnect();
      meter.source = null;
      meter.track = null;
    }
  }

  // The RMS level of a buffer in dBFS (-Infinity for silence).
  function rmsDb(buf) {
    let sum = 0;
    for (let i = 0; i < buf.length; i++) sum += buf[i] * buf[i];
    return 10 * Math.log10(sum / buf.length);
  }

  return {
    // A new "mix" connection (peers.js): its audio goes to the element.
    attach(e) {
      entry = e;
      stream = new MediaStream();
      e.stream = stream;
      deps.element.srcObject = stream;
      e.pc.ontrack = (ev) => {
        if (entry !== e || ev.track.kind !== 'audio') return;
        if (!stream.getTracks().includes(ev.track)) stream.addTrack(ev.track);
        if (deps.element.srcObject !== stream) deps.element.srcObject = stream;
        play();
      };
    },

    // The connection closed (or the page left the consult).
    detach(e) {
      if (e && e !== entry) return;
      entry = null;
      stream = null;
      deps.element.srcObject = null;
      dropSource();
    },

    // Sound was blocked until a click: try again.
    play() {
      if (stream) play();
    },

    // The mix's level now in dBFS (RMS over the last 43 ms), -Infinity when
    // silent, null when there is no mix (yet) to measure, NaN while the
    // browser holds audio analysis back until the user first clicks or
    // types on the page (autoplay rules; the mix itself plays on).
    level() {
      const track = stream && stream.getAudioTracks().find((t) => t.readyState === 'live');
      if (!track) return null;
      if (!meter) {
        const ctx = new AudioContext();
        const analyser = ctx.createAnalyser();
        analyser.fftSize = 2048;
        meter = { ctx, analyser, buf: new Float32Array(analyser.fftSize), source: null, track: null };
      }
      // Made before any click, the context may wait for one (autoplay rules).
      if (meter.ctx.state === 'suspended') meter.ctx.resume().catch(() => {});
      if (meter.track !== track) {
        dropSource();
        meter.source = meter.ctx.createMediaStreamSource(new MediaStream([track]));
        meter.source.connect(meter.analyser);
        meter.track = track;
      }
      if (meter.ctx.state !== 'running') return NaN;
      meter.analyser.getFloatTimeDomainData(meter.buf);
      return rmsDb(meter.buf);
    },
  };
}
