// consultgw web client: the interpreter's booth (part of interpretation.js's panel).
//
// For an interpreter: which channel it speaks into, whether it is live and
// who is, its booth partners, what it hears (the original, or the channel it
// relays from), "Go live" / "Take over" / "Hand over" (go_live, take_over,
// hand_over), a meter of the level it receives (the floor feed) and, when the
// live partner dropped (`offered`), "Your partner dropped: take over" read
// out at once. Every interpreter, in either mode, is asked for a headset and
// says whether it wears one (local-media.js then captures without echo
// cancellation, noise suppression and gain control).

import { languageLabel, languageName } from './consult-info.js';
import { h, say } from './dom.js';

const METER_MS = 150;
const HEADSET_NAME = /head ?set|head ?phone|earphone|airpods|buds/i;
const METER_FLOOR_DB = -60;

// deps: {send(msg), name(id), mixLevel() -> dBFS|null, headset: {on,
// set(on) -> Promise, processing()}}.
export function createInterpreterView(deps) {
  let meterTimer = null;
  let ctx = null; // the last render's argument

  const headsetCheck = h('input', { type: 'checkbox', id: 'headset-check' });
  const headsetState = h('p', { id: 'headset-state', className: 'hint', role: 'status', 'aria-live': 'polite' });
  const headsetBox = h('div', { className: 'headset-prompt' },
    h('p', { id: 'headset-ask' }, 'Please wear a headset (headphones with a microphone). ' +
      'Through loudspeakers, the voices you hear reach your microphone and every listener hears them twice.'),
    h('div', { className: 'field check' }, headsetCheck, h('label', { for: 'headset-check' }, 'I am using a headset')),
    headsetState);

  const channelLine = h('p', { id: 'booth-channel', className: 'booth-channel' });
  const offered = h('p', { id: 'booth-offered', className: 'booth-offered', role: 'alert', hidden: true });
  const boothState = h('p', { id: 'booth-state', className: 'interp-state', role: 'status', 'aria-live': 'polite' });
  const partners = h('p', { id: 'booth-partners' });
  const source = h('p', { id: 'booth-source' });

  const goLive = h('button', { type: 'button', className: 'ctl primary', id: 'go-live-btn' }, 'Go live');
  const takeOver = h('button', { type: 'button', className: 'ctl primary', id: 'take-over-btn' }, 'Take over');
  const handOver = h('button', { type: 'button', className: 'ctl', id: 'hand-over-btn' }, 'Hand over');
  const handOverTo = h('select', { id: 'hand-over-to' });
  const handOverToBox = h('div', { className: 'field', hidden: true },
    h('label', { for: 'hand-over-to' }, 'Hand over to'), handOverTo);
  const actions = h('div', { className: 'booth-actions' }, goLive, takeOver, handOverToBox, handOver);

  const meter = h('meter', {
    id: 'floor-meter', min: METER_FLOOR_DB, max: 0, low: -30, high: -6, optimum: -18, value: METER_FLOOR_DB,
  });
  const meterText = h('span', { id: 'floor-meter-text', className: 'hint' });
  const meterBox = h('div', { className: 'booth-meter field' },
    h('label', { for: 'floor-meter' }, 'Level of what you hear'), meter, meterText);

  const booth = h('div', { className: 'booth-live' }, offered, boothState, partners, source, actions, meterBox);
  const element = h('div', { className: 'interp-booth', hidden: true }, channelLine, headsetBox, booth);

  function describeProcessing() {
    const p = deps.headset.processing();
    if (!p) {
      say(headsetState, '');
      return;
    }
    const off = p.echoCancellation === false && p.noiseSuppression === false && p.autoGainControl === false;
    headsetState.dataset.processing = off ? 'off' : 'on';
    // Only a hint: a device's name says nothing certain about where its sound goes.
    const looksLikeHeadset = !deps.headset.on && HEADSET_NAME.test(p.label);
    say(headsetState, off
      ? 'Echo cancellation, noise suppression and automatic gain are off: listeners hear your voice as your headset picks it up.'
      : 'Echo cancellation, noise suppression and automatic gain are on, as needed without a headset.' +
        (looksLikeHeadset ? ` Your microphone (${p.label}) may be a headset: if you are wearing it, tick the box.` : ''));
  }

  headsetCheck.addEventListener('change', async () => {
    const want = headsetCheck.checked;
    headsetCheck.disabled = true;
    say(headsetState, 'Switching your microphone\u2026');
    try {
      await deps.headset.set(want);
      describeProcessing();
    } catch (err) {
      console.warn('the microphone could not be switched', err);
      headsetCheck.checked = deps.headset.on;
      say(headsetState, 'Your microphone could not be switched, so it stays as it was.');
    } finally {
      headsetCheck.disabled = false;
    }
  });

  goLive.addEventListener('click', () => deps.send({ type: 'go_live' }));
  takeOver.addEventListener('click', () => deps.send({ type: 'take_over' }));
  handOver.addEventListener('click', () => {
    const msg = { type: 'hand_over' };
    if (!handOverToBox.hidden && handOverTo.value) msg.to = handOverTo.value;
    deps.send(msg);
  });

  function updateMeter() {
    const db = deps.mixLevel();
    const known = db !== null && !Number.isNaN(db);
    const shown = !known || db === -Infinity ? METER_FLOOR_DB : Math.max(METER_FLOOR_DB, Math.min(0, db));
    meter.value = shown;
    meter.dataset.db = known ? String(Math.round(shown)) : '';
    let text;
    if (db === null) text = 'not connected yet';
    else if (!known) text = 'shown once you click or press a key on this page';
    else text = shown <= METER_FLOOR_DB ? 'silence' : `${Math.round(shown)} dB`.replace('-', '\u2212');
    say(meterText, text);
  }

  function meterOn(on) {
    if (on && !meterTimer) meterTimer = setInterval(updateMeter, METER_MS);
    if (!on && meterTimer) {
      clearInterval(meterTimer);
      meterTimer = null;
    }
  }

  function setPartners(ids, live) {
    const names = ids.map((id) => `${deps.name(id)}${id === live ? ' (live)' : ''}`);
    say(partners, names.length === 0 ? 'No booth partner has joined.'
      : `Booth partner${names.length > 1 ? 's' : ''}: ${names.join(', ')}. You hear ` +
        `${names.length > 1 ? 'them' : 'your partner'} quietly on your talk-back line; listeners do not.`);
    const options = ids.map((id) => h('option', { value: id }, deps.name(id)));
    const keep = handOverTo.value;
    handOverTo.replaceChildren(...options);
    if (ids.includes(keep)) handOverTo.value = keep;
    handOverToBox.hidden = ids.length < 2;
  }

  function renderSimultaneous(me) {
    const lang = languageName(me.language);
    const c = ctx.channelOf(me.language);
    const live = c && typeof c.live === 'string' ? c.live : null;
    const muted = !!c && c.live_muted === true;
    const ids = Array.isArray(me.partners) ? me.partners.filter((id) => typeof id === 'string') : [];
    setPartners(ids, live);

    element.dataset.live = String(me.live === true);
    offered.hidden = !(me.offered === true && me.live !== true);
    say(offered, offered.hidden ? '' : 'Your partner dropped: take over.');
    let text;
    if (me.live === true) {
      text = muted ? `You are live, but your microphone is off: listeners of ${lang} hear the original.`
        : `You are live: listeners of ${lang} hear you.`;
    } else if (live) {
      text = `${deps.name(live)} is live${muted ? ' (microphone off)' : ''}. You are not live: listeners do not hear you.`;
    } else {
      text = `Nobody is live on ${lang}: its listeners hear the original.`;
    }
    say(boothState, text);

    if (typeof me.relay_from === 'string') {
      const from = languageName(me.relay_from);
      const relay = ctx.heardOn(me.relay_from);
      say(source, relay ? `You hear ${deps.name(relay)} interpreting into ${from} (relay), not the original.`
        : `You relay from ${from}, but nobody interprets into it now: you hear the original meanwhile.`);
    } else {
      say(source, 'You hear the original voices.');
    }

    const focused = [goLive, takeOver, handOver].includes(document.activeElement) ? document.activeElement : null;
    goLive.hidden = me.live === true || !!live || me.offered === true;
    takeOver.hidden = me.live === true || !(live || me.offered === true);
    handOver.hidden = me.live !== true;
    handOver.disabled = ids.length === 0;
    handOverToBox.hidden = handOver.hidden || ids.length < 2;
    if (focused && focused.hidden) [goLive, takeOver, handOver].find((b) => !b.hidden)?.focus();
  }

  return {
    element,

    // @c: {config, you, state, channelOf(lang), heardOn(lang)} for an
    // interpreter; null hides the booth.
    render(c) {
      ctx = c;
      element.hidden = !c;
      if (!c) {
        meterOn(false);
        return;
      }
      headsetCheck.checked = deps.headset.on;
      if (!headsetCheck.disabled) describeProcessing();
      const language = c.you && c.you.language;
      const simultaneous = c.config.mode === 'simultaneous';
      say(channelLine, !language ? 'You are an interpreter in this consult.'
        : simultaneous ? `You interpret into ${languageLabel(language)}.`
          : `You interpret consecutively into ${languageLabel(language)}: everyone hears you.`);
      const me = c.state && c.state.you && c.state.you.interpreter === true ? c.state.you : null;
      booth.hidden = !simultaneous || !me;
      meterOn(!booth.hidden);
      if (!booth.hidden) renderSimultaneous(me);
    },
  };
}
