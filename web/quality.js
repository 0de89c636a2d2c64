// consultgw web client: the network-quality indicator ("Connection: good").
//
// consultd sends each endpoint a `stats` message every 2 s (docs/protocol.md
// "stats"): how its own link looks from the server, summed up as quality
// good | fair | poor | unknown. The indicator shows that word as text, with
// bars and a colour beside it (never colour alone), and the figures in its
// title. Without a message for STALE_MS it goes grey ("checking…"): old
// figures are worse than none on a link that just dropped.
//
// It is deliberately not a live region (it changes every 2 s); instead a
// change for the worse is said once through onWorse, which the page puts in its
// polite notice.

const STALE_MS = 6000;
const LEVELS = new Set(['good', 'fair', 'poor']);
const RANK = { good: 3, fair: 2, poor: 1 };
const TEXT = {
  good: 'Connection: good',
  fair: 'Connection: fair',
  poor: 'Connection: poor',
  unknown: 'Connection: checking\u2026',
};
const WORSE_TEXT = {
  fair: 'Your connection is unsteady. Video may stutter.',
  poor: 'Your connection is poor. Video may freeze; "Audio only" can help you keep hearing everyone.',
};

function num(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function fmt(v, unit, digits = 0) {
  const n = num(v);
  return n === null ? 'not known yet' : `${n.toFixed(digits)} ${unit}`;
}

function direction(label, d) {
  if (!d || typeof d !== 'object') return `${label}: not known yet`;
  return `${label}: ${fmt(d.kbps, 'kbps')}, ${fmt(d.loss_pct, '% lost', 1)}, jitter ${fmt(d.jitter_ms, 'ms')}`;
}

// What the title (tooltip) says of one stats message.
export function describeStats(msg) {
  return [
    `Round trip to the consult server: ${fmt(msg.rtt_ms, 'ms')}`,
    direction('What you send', msg.sent),
    direction('What you receive', msg.received),
  ].join('\n');
}

// @el: the indicator element (index.html #quality: a .bars span and a .text span).
// @onWorse(text): called once when the quality drops to fair or poor.
export function createQualityIndicator(el, onWorse) {
  const text = el.querySelector('.text');
  let staleTimer = null;
  let last = null; // the last level shown that was not unknown

  function show(level, title, stale) {
    el.dataset.quality = level;
    el.dataset.stale = String(stale);
    text.textContent = TEXT[level];
    el.title = title;
    el.hidden = false;
  }

  function goStale() {
    staleTimer = null;
    show('unknown', 'No recent measurement from the consult server.', true);
  }

  function armStale() {
    clearTimeout(staleTimer);
    staleTimer = setTimeout(goStale, STALE_MS);
  }

  return {
    // One `stats` message from the server.
    update(msg) {
      const level = LEVELS.has(msg.quality) ? msg.quality : 'unknown';
      show(level, level === 'unknown' ? 'Measuring your connection\u2026' : describeStats(msg), false);
      armStale();
      if (level !== 'unknown') {
        if (last && RANK[level] < RANK[last] && onWorse) onWorse(WORSE_TEXT[level]);
        last = level;
      }
    },
    // Joined (again): grey until the first figures come.
    start() {
      last = null;
      show('unknown', 'Measuring your connection\u2026', false);
      armStale();
    },
    // Not in the consult: nothing to show.
    stop() {
      clearTimeout(staleTimer);
      staleTimer = null;
      last = null;
      el.hidden = true;
    },
  };
}
