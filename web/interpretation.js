// consultgw web client: interpretation (docs/protocol.md "Interpretation").
//
// What joined's `interpretation` and the `interpretation` messages say, shown
// and acted on in the "Language" panel:
//   - listeners (simultaneous): a channel selector (the original, labelled with
//     the floor language if known, and each language by name), "Interpreter
//     only" (mute the original), who interprets on each channel, and a notice
//     read out (aria-live) while nobody interprets theirs: they hear the
//     original, never silence;
//   - specialists besides: how loud listeners hear the original under an
//     interpreter (floor_level, -40..0 dB);
//   - interpreters: the booth (interpreter-view.js);
//   - consecutive mode: the interpreter's headset prompt only; everyone else
//     sees interpreters by their labels (consult-info.js whoLabel).
// The channel shown is the one we asked for until the server confirms or
// refuses it, so a message that crosses ours does not flip the selector back.

import { languageLabel, languageName } from './consult-info.js';
import { h, say } from './dom.js';
import { createInterpreterView } from './interpreter-view.js';

const FLOOR = 'floor';
// Errors that refuse something this panel sent: show the server's state again.
export const INTERPRETATION_ERRORS = ['unknown_channel', 'channel_taken', 'no_partner', 'not_live',
  'not_simultaneous', 'no_interpretation'];

// Refusals of the booth that a new state makes moot.
const MOOT_WHEN_LIVE = ['channel_taken', 'not_live'];

// deps: {box (the panel's <section>), send(msg), name(id) -> display name,
// isSpecialist(), mixAudio (mix-audio.js: its level), localMedia
// (local-media.js: the headset switch), clearError(codes) (take the error on
// screen away if it is one of @codes)}.
export function createInterpretation(deps) {
  let config = null; // {mode, languages, floor_language}
  let you = null; // joined's you
  let state = null; // the last `interpretation` message
  let pending = null; // {channel, interpreter_only}: asked for, not yet confirmed

  const title = h('h2', { id: 'interp-title' }, 'Language');
  const select = h('select', { id: 'channel-select' });
  const only = h('input', { type: 'checkbox', id: 'interp-only' });
  const channelState = h('p', { id: 'channel-state', className: 'interp-state', role: 'status', 'aria-live': 'polite' });
  const listener = h('div', { className: 'interp-listener' },
    h('div', { className: 'field' }, h('label', { for: 'channel-select' }, 'You hear'), select),
    h('div', { className: 'field check' }, only,
      h('label', { for: 'interp-only' }, 'Interpreter only (mute the original)')),
    channelState);

  const level = h('input', {
    type: 'range', id: 'floor-level', min: '-40', max: '0', step: '1', 'aria-describedby': 'floor-level-help',
  });
  const levelOut = h('output', { id: 'floor-level-value', for: 'floor-level' });
  const floorLevel = h('div', { className: 'interp-floor-level field' },
    h('label', { for: 'floor-level' }, 'Original under the interpreter'), level, levelOut,
    h('p', { id: 'floor-level-help', className: 'hint' },
      'How loud listeners of a language hear the original voices beneath their interpreter (0 dB: as loud as the interpreter).'));

  const booth = createInterpreterView({
    send: deps.send,
    name: deps.name,
    mixLevel: () => deps.mixAudio.level(),
    headset: {
      get on() {
        return deps.localMedia.headset;
      },
      set: (on) => deps.localMedia.setHeadset(on),
      processing: () => deps.localMedia.processing(),
    },
  });

  deps.box.setAttribute('aria-labelledby', 'interp-title');
  deps.box.append(title, listener, floorLevel, booth.element);

  const simultaneous = () => !!config && config.mode === 'simultaneous';
  const isInterpreter = () => !!you && you.role === 'interpreter';

  function channelOf(lang) {
    const list = state && Array.isArray(state.channels) ? state.channels : [];
    return list.find((c) => c && c.language === lang) || null;
  }

  // The live interpreter of @lang who is heard (live and unmuted), or null.
  function heardOn(lang) {
    const c = channelOf(lang);
    return c && typeof c.live === 'string' && c.live_muted !== true ? c.live : null;
  }

  function floorText() {
    const fl = config && config.floor_language;
    return fl ? `Original (${languageLabel(fl)})` : 'Original (no interpretation)';
  }

  function buildOptions() {
    select.replaceChildren(h('option', { value: FLOOR }, floorText()),
      ...config.languages.map((l) => h('option', { value: l }, languageLabel(l))));
  }

  // Each language option says who interprets on it now.
  function labelOptions() {
    for (const opt of select.options) {
      if (opt.value === FLOOR) continue;
      const c = channelOf(opt.value);
      const live = heardOn(opt.value);
      const suffix = live ? `: ${deps.name(live)} interpreting`
        : c && c.live ? ': interpreter paused' : ': no interpreter yet';
      say(opt, `${languageLabel(opt.value)}${suffix}`);
    }
  }

  // {channel, interpreter_only} as we should show it.
  function mine() {
    if (pending) return pending;
    const y = state && state.you;
    if (y && typeof y.channel === 'string') return { channel: y.channel, interpreter_only: y.interpreter_only === true };
    const lang = you && you.language;
    return { channel: config.languages.includes(lang) ? lang : FLOOR, interpreter_only: false };
  }

  function renderListener() {
    const m = mine();
    if (select.value !== m.channel) select.value = m.channel;
    only.checked = m.interpreter_only;
    only.disabled = m.channel === FLOOR;
    labelOptions();
    deps.box.dataset.channel = m.channel;
    const fl = config.floor_language ? ` (${languageName(config.floor_language)})` : '';
    let text;
    let heard = false;
    if (m.channel === FLOOR) {
      text = `You hear the original${fl}, without interpretation.`;
    } else {
      const lang = languageName(m.channel);
      const c = channelOf(m.channel);
      const live = heardOn(m.channel);
      if (live) {
        heard = true;
        text = m.interpreter_only ? `You hear ${deps.name(live)} interpreting into ${lang}, without the original.`
          : `You hear ${deps.name(live)} interpreting into ${lang}, with the original quieter beneath.`;
      } else if (c && c.live) {
        text = `The ${lang} interpreter\u2019s microphone is off: you hear the original${fl} until it is back on.`;
      } else {
        text = `No interpreter on ${lang} right now: you hear the original${fl}.`;
      }
    }
    channelState.dataset.interpreted = String(heard);
    say(channelState, text);
  }

  function renderLevel() {
    const db = state && Number.isInteger(state.floor_level_db) ? state.floor_level_db : -15;
    if (document.activeElement !== level || !level.dataset.dragging) level.value = String(db);
    say(levelOut, `${Number(level.value)} dB`.replace('-', '\u2212'));
  }

  function render() {
    const on = simultaneous() || (!!config && isInterpreter());
    deps.box.hidden = !on;
    if (!on) {
      booth.render(null);
      return;
    }
    deps.box.dataset.mode = config.mode;
    const listening = simultaneous() && !isInterpreter();
    listener.hidden = !listening;
    floorLevel.hidden = !(listening && deps.isSpecialist());
    say(title, isInterpreter() ? 'Interpreting' : 'Language');
    if (listening) renderListener();
    if (!floorLevel.hidden) renderLevel();
    booth.render(isInterpreter() ? { config, you, state, channelOf, heardOn } : null);
  }

  function ask(channel, interpreterOnly) {
    pending = { channel, interpreter_only: channel !== FLOOR && interpreterOnly };
    deps.send({ type: 'channel', ...pending });
    render();
  }

  select.addEventListener('change', () => ask(select.value, only.checked));
  only.addEventListener('change', () => ask(select.value, only.checked));
  level.addEventListener('input', () => {
    level.dataset.dragging = 'true';
    say(levelOut, `${Number(level.value)} dB`.replace('-', '\u2212'));
  });
  level.addEventListener('change', () => {
    delete level.dataset.dragging;
    deps.send({ type: 'floor_level', db: Number(level.value) });
  });

  return {
    // joined (a fresh join: a resumed one keeps what we had).
    onJoined(msg) {
      const i = msg.interpretation;
      const ok = i && (i.mode === 'simultaneous' || i.mode === 'consecutive') && Array.isArray(i.languages);
      config = ok ? {
        mode: i.mode,
        languages: i.languages.filter((l) => typeof l === 'string'),
        floor_language: typeof i.floor_language === 'string' ? i.floor_language : null,
      } : null;
      you = msg.you || null;
      state = null;
      pending = null;
      if (config) buildOptions();
      render();
    },

    // An `interpretation` message: the channels and our place in them.
    onState(msg) {
      if (!config || !Array.isArray(msg.channels)) return;
      state = msg;
      const y = msg.you || {};
      if (pending && y.channel === pending.channel && (y.interpreter_only === true) === pending.interpreter_only) {
        pending = null;
      }
      if (y.live === true) deps.clearError(MOOT_WHEN_LIVE);
      if (Array.isArray(y.partners) && y.partners.length > 0) deps.clearError(['no_partner']);
      render();
    },

    // Someone's name may have come with participant_joined.
    refresh: () => render(),

    // The server refused something we sent: show its state again.
    onError(code) {
      if (!INTERPRETATION_ERRORS.includes(code) && code !== 'not_allowed' && code !== 'malformed_message') return;
      pending = null;
      render();
    },

    // Who is live on @lang's channel (for the channel_taken text), or null.
    liveOn(lang) {
      const c = channelOf(lang);
      return c && typeof c.live === 'string' ? c.live : null;
    },

    // Left the consult: nothing to show until the next joined.
    reset() {
      config = null;
      state = null;
      pending = null;
      deps.box.hidden = true;
      booth.render(null);
    },
  };
}
