// consultgw web client: what this page receives, measured (for tests and support).
//
// audioLevels(freqs) sums every remote audio track the page plays (the others'
// tiles and the server's mix) into one WebAudio AnalyserNode and reports the
// level at each frequency, so a browser test can tell which tones a page
// hears (tests/e2e/interpretation.test.mjs). Nothing is made until it is
// first called: a page nobody measures pays nothing. It only reads.

const FFT = 8192; // 5.9 Hz bins at 48 kHz: 440/660/1000/1200/1500 Hz apart

// What the page plays from the others: the audio tracks of the remote tiles
// and of the mix's <audio>.
function remoteAudioTracks() {
  return [...document.querySelectorAll('figure.tile.remote video, audio#mix-audio')]
    .map((el) => el.srcObject).filter((s) => s && typeof s.getAudioTracks === 'function')
    .flatMap((s) => s.getAudioTracks());
}

export function createAudioProbe(tracks = remoteAudioTracks) {
  let ctx = null;
  let analyser = null;
  const sources = new Map(); // track -> MediaStreamAudioSourceNode

  function sync() {
    const now = new Set(tracks().filter((t) => t.kind === 'audio' && t.readyState === 'live'));
    for (const [track, node] of sources) {
      if (!now.has(track)) {
        node.disconnect();
        sources.delete(track);
      }
    }
    for (const track of now) {
      if (sources.has(track)) continue;
      const node = ctx.createMediaStreamSource(new MediaStream([track]));
      node.connect(analyser);
      sources.set(track, node);
    }
  }

  const wait = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

  return {
    // {levels: {freq: dB}, tracks: n, state}: each frequency's strongest
    // bin within ±2 bins, power-averaged over @ms; dB relative to full scale
    // as the AnalyserNode gives it (a full-scale sine reads about -14 dB).
    async levels(freqs, ms = 500) {
      if (!ctx) {
        ctx = new AudioContext();
        analyser = ctx.createAnalyser();
        analyser.fftSize = FFT;
        analyser.smoothingTimeConstant = 0;
      }
      if (ctx.state !== 'running') await ctx.resume().catch(() => {});
      sync();
      const binHz = ctx.sampleRate / FFT;
      const buf = new Float32Array(analyser.frequencyBinCount);
      const power = freqs.map(() => 0);
      const reads = Math.max(1, Math.round(ms / 50));
      for (let r = 0; r < reads; r++) {
        await wait(50);
        analyser.getFloatFrequencyData(buf);
        freqs.forEach((f, k) => {
          const c = Math.round(f / binHz);
          let best = -Infinity;
          for (let i = Math.max(0, c - 2); i <= Math.min(buf.length - 1, c + 2); i++) best = Math.max(best, buf[i]);
          power[k] += 10 ** (best / 10) / reads;
        });
      }
      const levels = {};
      freqs.forEach((f, k) => {
        levels[f] = power[k] > 0 ? Math.round(100 * 10 * Math.log10(power[k])) / 100 : -Infinity;
      });
      return { levels, tracks: sources.size, state: ctx.state };
    },
  };
}

let probe = null;

// The page's probe, made on the first call: see levels() above.
export function audioLevels(freqs, ms) {
  probe = probe || createAudioProbe();
  return probe.levels(freqs, ms);
}
