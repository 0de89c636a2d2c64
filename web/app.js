// consultgw web client: one page per join link (https://HOST/c/CONSULT_ID#token=JWT).
//
// It speaks the endpoint protocol of docs/protocol.md over wss://HOST/ws. This
// file dispatches what the server says and keeps the page in step with it
// (controls, the waiting room, who is here, "Reconnecting…", errors); every
// other job has its module:
//   socket.js        the one current socket; heartbeat.js notices one that
//                    went silent without closing;
//   peers.js         the RTCPeerConnections: "pub" that we offer, one "sub-N"
//                    per other publisher that the server offers, and "mix"
//                    (simultaneous interpretation) played by mix-audio.js;
//   interpretation.js, interpreter-view.js  language channels and the booth;
//   reconnect.js     a dropped socket resumes the seat (join + resume id)
//                    within its grace period, keeping every connection;
//   ice-restart.js   "pub" that lost its path gets a new offer (iceRestart);
//                    ice-path.js says when that is over;
//   rejoin.js        joining anew by itself when the server no longer holds
//                    the seat (it restarted), or after a drop in the waiting room;
//   local-media.js   our camera and microphone; screen-share.js our screen;
//   tiles.js, screen-tiles.js  the others' cameras and screens;
//   consult-info.js, lobby.js, quality.js, speaker.js, errors.js  the header,
//                    the specialist's waiting list, the network indicator, the
//                    active speaker, and what each error says;
//   audio-probe.js   what the page hears, measured on request (tests, support).
// "Reconnecting…" shows while a resume, an ICE restart or a rejoin is under way.
//
// The token lives only in memory: it is read from the URL fragment and removed from
// the address bar at once, so it is not kept in the browser history.
// Plain ES2020 modules, no dependencies, no build step.

import { createQualityIndicator } from './quality.js';
import { createSpeakerHighlight } from './speaker.js';
import { createScreenShare } from './screen-share.js';
import { createScreenTiles } from './screen-tiles.js';
import { ERRORS, errorEntry, errorText } from './errors.js';
import { createRejoin } from './rejoin.js';
import { createPeers } from './peers.js';
import { createTiles } from './tiles.js';
import { showConsult, showIdentity, whoLabel } from './consult-info.js';
import { createIceRestart } from './ice-restart.js';
import { createReconnect } from './reconnect.js';
import { createSocket } from './socket.js';
import { createLobby } from './lobby.js';
import { createLocalMedia } from './local-media.js';
import { createMixAudio } from './mix-audio.js';
import { createInterpretation } from './interpretation.js';
import { audioLevels } from './audio-probe.js';

const $ = (id) => document.getElementById(id);
const ui = {
  title: $('consult-title'),
  meta: $('consult-meta'),
  you: $('you'),
  status: $('status'),
  reconnecting: $('reconnecting'),
  notice: $('notice'),
  stage: $('stage'),
  waiting: $('waiting'),
  selfTile: $('self-tile'),
  selfVideo: $('self-video'),
  micBtn: $('mic-btn'),
  camBtn: $('cam-btn'),
  soundBtn: $('sound-btn'),
  rejoinBtn: $('rejoin-btn'),
  leaveBtn: $('leave-btn'),
  audioOnlyBtn: $('audio-only-btn'),
  shareBtn: $('share-btn'),
  quality: $('quality'),
  endBtn: $('end-btn'),
  waitingRoom: $('waiting-room'),
  waitingNote: $('waiting-room-note'),
  lobby: $('lobby'),
  lobbyList: $('lobby-list'),
  lobbyEmpty: $('lobby-empty'),
  interpretation: $('interpretation'),
  mixAudio: $('mix-audio'),
};

const state = {
  token: null,
  joined: false,
  waiting: false, // in the waiting room (no seat is held there)
  closedByUs: false, // leave or rejoin: a close is expected
  fatal: false, // an error that ends this connection is on screen
  you: null,
  iceServers: [],
  participants: new Map(), // id -> {id, role, name, language}
  opensAt: null, // from consult_not_open_yet
  mutedBySpecialist: false,
  resume: null, // {id, grace_s} of the last joined: takes the seat back after a drop
};

// Leave delivered after a resume: the server closes the socket within this (ms).
const LEAVE_CLOSE_MS = 3000;

// ---------- feature modules ----------

const localMedia = createLocalMedia({
  selfVideo: ui.selfVideo,
  selfTile: ui.selfTile,
  micBtn: ui.micBtn,
  camBtn: ui.camBtn,
  audioOnlyBtn: ui.audioOnlyBtn,
  send: (msg) => send(msg),
  showError: (code) => showError(code),
  // The headset switch of an interpreter: the new track goes out on pub as it is.
  replaceAudioTrack: async (old, track) => {
    const pub = peers.get('pub');
    const sender = pub && pub.pc.getSenders().find((s) => s.track === old);
    if (sender) await sender.replaceTrack(track);
  },
});
const quality = createQualityIndicator(ui.quality, (text) => setNotice(text));
const speaker = createSpeakerHighlight(ui.stage, ui.selfTile);
const tiles = createTiles({
  stage: ui.stage,
  participant: (id) => state.participants.get(id),
  isHost: () => isSpecialist(),
  send: (msg) => send(msg),
  onChange: () => updateLayout(),
  onSoundBlocked: () => { ui.soundBtn.hidden = false; },
});
const lobby = createLobby({
  box: ui.lobby,
  list: ui.lobbyList,
  empty: ui.lobbyEmpty,
  send: (msg) => send(msg),
  notice: (text) => setNotice(text),
});
const screens = createScreenTiles({
  stage: ui.stage,
  cameraTileOf: (id) => tiles.tileFor(id),
  nameOf: (id) => state.participants.get(id)?.name,
  onChange: () => updateLayout(),
});
const peers = createPeers({
  send: (msg) => send(msg),
  iceServers: () => state.iceServers,
  onSubCreated: (entry) => showSub(entry),
  subOffers: (entry, sdp) => screens.offersToApply(entry, sdp),
  subAnswered: (entry) => screens.applied(entry),
  onMixCreated: (entry) => mixAudio.attach(entry),
  onPubAnswer: (entry) => {
    screenShare.onAnswer();
    ice.onAnswer(entry);
  },
  onClosed: (entry) => onPcClosed(entry),
});
const screenShare = createScreenShare({
  button: ui.shareBtn,
  stage: ui.stage,
  getPub: () => peers.get('pub'),
  queue: (entry, fn) => peers.queueStrict(entry, fn),
  send: (msg) => send(msg),
  connected: () => !reconnect.active && socket.isOpen(),
  notice: (text) => setNotice(text),
  alert: () => showError('screen_refused'),
  afterRollback: () => ice.retryIfNeeded(),
});
const mixAudio = createMixAudio({
  element: ui.mixAudio,
  onSoundBlocked: () => { ui.soundBtn.hidden = false; },
});
const interpretation = createInterpretation({
  box: ui.interpretation,
  send: (msg) => send(msg),
  name: (id) => nameOf(id),
  isSpecialist: () => isSpecialist(),
  mixAudio,
  localMedia,
  // A refusal the new state made moot (we are live now) leaves the screen.
  clearError: (codes) => { if (codes.includes(ui.status.dataset.code)) clearError(); },
});
const ice = createIceRestart({
  getPub: () => peers.get('pub'),
  queue: (entry, fn) => peers.queue(entry, fn),
  send: (msg) => send(msg),
  canOffer: () => !reconnect.active && socket.isOpen(),
  stopped: () => state.fatal,
  onChange: () => updateReconnecting(),
  failed: () => showError('pub_failed'),
});
const reconnect = createReconnect({
  attempt: () => resumeAttempt(),
  giveUp: (leaving) => giveUpReconnecting(leaving),
  onChange: () => updateReconnecting(),
});
const socket = createSocket({ onMessage: (msg) => onMessage(msg), onClose: (ev) => onClose(ev) });
const autoRejoin = createRejoin({
  attempt: () => autoRejoinAttempt(),
  giveUp: () => {
    state.waiting = false;
    showError('connection_lost');
    updateLayout();
  },
  onChange: () => updateReconnecting(),
});

// ---------- small helpers ----------

function setNotice(text) {
  ui.notice.textContent = text || '';
}

function clearError() {
  delete document.body.dataset.state;
  ui.status.hidden = true;
  ui.status.textContent = '';
  delete ui.status.dataset.code;
}

// Shows the plain-words text for an error code in the alert element.
function showError(code) {
  const e = errorEntry(code);
  if (e === null) return;
  const live = code === 'channel_taken' && state.you ? interpretation.liveOn(state.you.language) : null;
  ui.status.textContent = errorText(code, {
    opensAt: state.opensAt, token: state.token, liveName: live ? nameOf(live) : null,
  });
  ui.status.dataset.code = code;
  ui.status.hidden = false;
  if (e.fatal) {
    state.fatal = true;
    setNotice('');
    // Nothing more will happen on this link: turn the camera off and show only the message.
    if (!e.rejoin) localMedia.stop();
    document.body.dataset.state = 'error';
  }
  ui.rejoinBtn.hidden = !(e.rejoin && state.token);
}

// A participant's name as the page shows it; ourselves as "you".
function nameOf(id) {
  if (state.you && id === state.you.id) return `${state.you.name || 'You'} (you)`;
  const p = state.participants.get(id);
  return p && p.name ? p.name : 'An interpreter';
}

function send(msg) {
  if (reconnect.active) {
    // The seat is being resumed: keep what media needs, in order, for afterwards.
    reconnect.hold(msg);
    return;
  }
  socket.send(msg);
}

// ---------- tiles and connections (tiles.js, peers.js) ----------

function onParticipantMediaState(msg) {
  const p = state.participants.get(msg.participant);
  if (!p || typeof msg.audio !== 'boolean' || typeof msg.video !== 'boolean') return;
  p.audio = msg.audio;
  p.video = msg.video;
  const tile = tiles.tileFor(msg.participant);
  if (tile) tiles.labelTile(tile, p);
}

function updateLayout() {
  const remotes = tiles.remotes().length;
  ui.stage.dataset.count = String(remotes + 1);
  speaker.refresh();
  ui.waiting.hidden = !state.joined || remotes > 0 || state.participants.size > 0 || state.fatal;
}

// A new sub-N: the participant's tile (made now if not there yet) plays it.
function showSub(entry) {
  const stream = new MediaStream();
  entry.stream = stream;
  const tile = tiles.tileFor(entry.participant) || tiles.createTile(entry.participant);
  tile.dataset.pc = entry.name;
  const video = tile.querySelector('video');
  video.srcObject = stream;
  entry.pc.ontrack = (ev) => {
    // A screen share of theirs goes to its own tile (screen-tiles.js).
    if (screens.isScreen(entry, ev.transceiver)) {
      screens.onTrack(entry, ev.track, ev.transceiver);
      return;
    }
    if (!stream.getTracks().includes(ev.track)) stream.addTrack(ev.track);
    // Re-attach so every browser picks up a track added after the first.
    if (video.srcObject !== stream) video.srcObject = stream;
    tiles.playRemote(video);
  };
  entry.pc.onconnectionstatechange = () => {
    tile.classList.toggle('failed', entry.pc.connectionState === 'failed');
  };
}

function onPcClosed(entry) {
  screens.close(entry.name);
  if (entry.name === 'pub') {
    ice.reset();
    screenShare.reset();
  }
  if (entry.participant) {
    const tile = tiles.tileFor(entry.participant);
    if (tile && tile.dataset.pc === entry.name) tiles.removeTile(entry.participant);
  } else if (entry.name !== 'pub') {
    mixAudio.detach(entry);
  }
}

function closeAllPcs() {
  peers.closeAll();
  mixAudio.detach(null);
  interpretation.reset();
  screens.clear();
  quality.stop();
  speaker.forget();
  for (const tile of tiles.remotes()) tiles.removeTile(tile.dataset.participant);
}

async function startPublishing() {
  const stream = await localMedia.acquire(state.you && state.you.role);
  if (!stream || !state.joined) return;
  interpretation.refresh(); // an interpreter's panel says how its microphone is captured
  await peers.publish(stream, (entry) => {
    entry.pc.onconnectionstatechange = () => {
      if (entry.pc.connectionState !== 'connected') return;
      if (ui.status.dataset.code === 'pub_failed') clearError();
      setNotice('Your camera and microphone are connected.');
    };
    // A lost path is mended by an ICE restart, not reported as an error at once.
    entry.pc.oniceconnectionstatechange = () => ice.onIceState(entry);
    screenShare.render();
  });
}

// ---------- protocol ----------

function isSpecialist() {
  return !!(state.you && state.you.role === 'specialist');
}

// In the waiting room: nothing is published; only the waiting page shows.
function onWaiting(msg) {
  state.waiting = true;
  endAutoRejoin();
  clearError();
  if (msg.you) state.you = msg.you;
  showIdentity({ you: ui.you, selfTile: null }, state.you);
  if (msg.consult && msg.consult.title) ui.title.textContent = msg.consult.title;
  document.body.dataset.state = 'waiting';
  ui.waitingRoom.hidden = false;
  ui.stage.hidden = true;
  ui.leaveBtn.disabled = false;
  setNotice('');
  onWaitingStatus(msg);
}

function onWaitingStatus(msg) {
  ui.waitingNote.textContent = msg.specialist_present
    ? 'The specialist knows you are here and will let you in shortly. Your camera and microphone are not shared until then.'
    : 'The specialist has not joined yet. You will be let in once they arrive. Your camera and microphone are not shared until then.';
}

function onMuted(msg, muted) {
  const by = msg.by && msg.by.name ? msg.by.name : 'The specialist';
  if (muted) {
    localMedia.setMic(false);
    state.mutedBySpecialist = msg.may_unmute !== true;
    ui.micBtn.disabled = state.mutedBySpecialist;
    setNotice(state.mutedBySpecialist
      ? `${by} muted your microphone. They can turn it back on.`
      : `${by} muted your microphone. You can unmute it when you need to speak.`);
  } else {
    state.mutedBySpecialist = false;
    ui.micBtn.disabled = !localMedia.stream;
    setNotice(`${by} lets you unmute your microphone again.`);
  }
}

function onConsultEnded(msg) {
  const texts = {
    ended_by_specialist: 'The specialist ended the consult. Thank you for joining.',
    time_up: 'The consult’s time is over. Thank you for joining.',
    cancelled: 'This consult was cancelled. Please contact the clinic.',
  };
  state.closedByUs = true; // the close that follows is expected
  ERRORS.consult_over = { text: texts[msg.reason] || 'The consult has ended. Thank you for joining.', fatal: true };
  showError('consult_over');
  ui.waitingRoom.hidden = true;
  lobby.hide();
  ui.endBtn.hidden = true;
  localMedia.stop();
}

function onJoined(msg) {
  state.resume = msg.resume && typeof msg.resume.id === 'string' && Number.isFinite(msg.resume.grace_s)
    ? { id: msg.resume.id, grace_s: msg.resume.grace_s } : null;
  if (msg.resumed === true && reconnect.active) {
    if (reconnect.leaving) deliverLeave();
    else onResumed(msg);
    return;
  }
  state.joined = true;
  state.waiting = false;
  ui.waitingRoom.hidden = true;
  ui.stage.hidden = false;
  clearError();
  endAutoRejoin();
  state.you = msg.you || null;
  state.iceServers = Array.isArray(msg.ice_servers) ? msg.ice_servers : [];
  state.participants.clear();
  for (const p of Array.isArray(msg.participants) ? msg.participants : []) {
    if (p && typeof p.id === 'string') state.participants.set(p.id, p);
  }

  showConsult(ui, msg.consult);
  showIdentity(ui, state.you);
  interpretation.onJoined(msg);
  ui.leaveBtn.disabled = false;
  ui.endBtn.hidden = !isSpecialist();
  quality.start();
  speaker.setSelf(state.you && state.you.id);
  screenShare.setRole(state.you && state.you.role);
  for (const tile of tiles.remotes()) tiles.addSpecialistControls(tile);
  ui.rejoinBtn.hidden = true;
  setNotice(state.participants.size > 0 ? 'Connected. Starting video\u2026' : 'Connected.');
  updateLayout();

  // Observers only listen and watch: they have no camera or microphone to send.
  if (!state.you || state.you.role !== 'observer') {
    startPublishing().catch((err) => {
      console.warn('publish failed', err);
      if (!state.fatal) showError('pub_failed');
    });
  }
}

function onParticipantJoined(msg) {
  const p = msg.participant;
  if (!p || typeof p.id !== 'string') return;
  state.participants.set(p.id, p);
  const tile = tiles.tileFor(p.id);
  if (tile) tiles.labelTile(tile, p);
  screens.relabel(p.id);
  interpretation.refresh();
  setNotice(`${p.name || 'Someone'}${p.role ? ` (${whoLabel(p)})` : ''} joined.`);
  updateLayout();
}

function onParticipantLeft(msg) {
  const id = msg.participant;
  if (typeof id !== 'string') return;
  const p = state.participants.get(id);
  const who = p && p.name ? p.name : 'A participant';
  state.participants.delete(id);
  for (const entry of peers.values()) {
    if (entry.participant === id) peers.close(entry.name);
  }
  tiles.removeTile(id);
  speaker.forget(id);
  interpretation.refresh();
  updateLayout();
  const why = msg.reason === 'disconnected' || msg.reason === 'connection_lost' ? ' (connection lost)'
    : msg.reason === 'media_failed' ? ' (their video connection failed)' : '';
  setNotice(`${who} left${why}.`);
}

function onMessage(msg) {
  switch (msg.type) {
    case 'joined': onJoined(msg); break;
    case 'offer': if (typeof msg.pc === 'string' && typeof msg.sdp === 'string') peers.onOffer(msg); break;
    case 'answer': if (typeof msg.pc === 'string' && typeof msg.sdp === 'string') peers.onAnswer(msg); break;
    case 'candidate': if (typeof msg.pc === 'string') peers.onCandidate(msg); break;
    case 'participant_joined': onParticipantJoined(msg); break;
    case 'participant_left': onParticipantLeft(msg); break;
    case 'participant_media_state': if (typeof msg.participant === 'string') onParticipantMediaState(msg); break;
    case 'pc_closed': if (typeof msg.pc === 'string') peers.close(msg.pc); break;
    case 'stats': if (state.joined) quality.update(msg); break;
    case 'active_speaker': speaker.set(msg.participant); break;
    case 'interpretation': if (state.joined) interpretation.onState(msg); break;
    case 'error':
      if (typeof msg.code === 'string') {
        // Leaving, and the seat could not be taken back: nobody is left to tell.
        if (reconnect.leaving) {
          endLeaving();
          break;
        }
        if (typeof msg.opens_at === 'string') state.opensAt = msg.opens_at;
        // A refused offer of ours on pub (a screen share, an ICE restart) is
        // rolled back by whoever sent it, not a broken browser.
        if (msg.code === 'bad_sdp' && (screenShare.onRefused() || ice.onRefused())) break;
        // The server restarted and forgot the seat: join anew, as a new seat.
        if (msg.code === 'resume_refused' && reconnect.active) {
          startAutoRejoin(0);
          break;
        }
        interpretation.onError(msg.code);
        showError(msg.code);
      }
      break;
    case 'waiting': onWaiting(msg); break;
    case 'waiting_status': onWaitingStatus(msg); break;
    case 'waiting_list': lobby.show(msg); break;
    case 'muted': onMuted(msg, true); break;
    case 'unmuted': onMuted(msg, false); break;
    case 'consult_ended': onConsultEnded(msg); break;
    case 'bye':
      // A restart: give the server a moment, then join again by ourselves.
      if (msg.reason === 'server_shutdown' && state.token && !state.fatal) startAutoRejoin(1000);
      else showError(msg.reason === 'server_shutdown' ? 'server_shutdown' : 'connection_lost');
      break;
    default: break;
  }
}

// The socket closed (@ev), or went silent though it never closed (null,
// heartbeat.js): mended the same way.
function onClose(ev) {
  const wasOurs = state.closedByUs;
  // The server names the error code as the close reason when it closes on an error.
  const code = ev && ev.reason && ev.reason in ERRORS && ERRORS[ev.reason] ? ev.reason : null;
  const unexpected = !wasOurs && !state.fatal && !(code && ERRORS[code].fatal);
  if (autoRejoin.active) {
    if (unexpected) {
      autoRejoin.failed(); // not up yet: the next attempt follows
      return;
    }
    autoRejoin.stop();
  }
  if (unexpected && mayResume()) {
    keepReconnecting(); // the seat is held for us: keep the calls, reopen the socket
    return;
  }
  if (unexpected && state.waiting && state.token) {
    startAutoRejoin(0); // the waiting room holds no seat: wait again with a plain join
    return;
  }
  const leaving = reconnect.leaving;
  stopReconnecting();
  state.joined = false;
  state.waiting = false;
  closeAllPcs();
  ui.leaveBtn.disabled = true;
  if (wasOurs || leaving) return;
  if (!state.fatal) showError(code || 'connection_lost');
  updateLayout();
}

function connect() {
  if (typeof WebSocket !== 'function' || typeof RTCPeerConnection !== 'function') {
    showError('no_websocket');
    return;
  }
  autoRejoin.stop();
  stopReconnecting();
  state.closedByUs = false;
  state.fatal = false;
  state.joined = false;
  state.waiting = false;
  state.resume = null;
  ui.rejoinBtn.hidden = true;
  setNotice('Connecting to the consult\u2026');
  if (!socket.open({ type: 'join', token: state.token })) showError('connection_lost');
}

function disconnect() {
  autoRejoin.stop();
  stopReconnecting();
  state.closedByUs = true;
  state.joined = false;
  state.waiting = false;
  closeAllPcs();
  socket.drop(socket.current);
}

// ---------- reconnecting (reconnect.js, rejoin.js, ice-restart.js) ----------

// "Reconnecting…" while the socket is resumed, pub's ICE restarted or the page
// joins again; not after Leave.
function updateReconnecting() {
  const on = !state.fatal && ((reconnect.active && !reconnect.leaving) || ice.restarting || autoRejoin.active);
  ui.reconnecting.hidden = !on;
  if (on) document.body.dataset.connection = 'reconnecting';
  else delete document.body.dataset.connection;
}

// A joined seat with a resume id (or one we are leaving), its grace not over.
function mayResume() {
  return !!state.resume && (state.joined || reconnect.leaving) && reconnect.inGrace();
}

// The socket dropped (or a resume attempt failed): try again after the backoff,
// as long as the server holds the seat.
function keepReconnecting() {
  if (!reconnect.active) setNotice('');
  reconnect.failed(state.resume.grace_s);
}

function resumeAttempt() {
  const ws = socket.open({ type: 'join', token: state.token, resume: state.resume.id });
  if (!ws) {
    keepReconnecting();
    return;
  }
  // A connect that hangs on a dead network: give up on this one and try again.
  reconnect.watch(() => {
    if (socket.current !== ws) return;
    socket.drop(ws);
    keepReconnecting();
  });
}

// Ends the attempts; returns the messages held for after a resume.
function stopReconnecting() {
  return reconnect.stop();
}

// The grace period is over: the server has given the seat up.
function giveUpReconnecting(leaving) {
  socket.drop(socket.current);
  state.joined = false;
  closeAllPcs();
  ui.leaveBtn.disabled = true;
  if (leaving) return; // the page already says we left
  showError('connection_lost');
  updateLayout();
}

// The seat is ours again: same participant, same calls. Re-sync who is here,
// send what waited, and restart ICE if the path went meanwhile.
function onResumed(msg) {
  const outbox = stopReconnecting();
  state.joined = true;
  state.iceServers = Array.isArray(msg.ice_servers) ? msg.ice_servers : state.iceServers;
  peers.setIceServers(state.iceServers);
  const now = new Map();
  for (const p of Array.isArray(msg.participants) ? msg.participants : []) {
    if (p && typeof p.id === 'string') now.set(p.id, p);
  }
  for (const id of Array.from(state.participants.keys())) {
    if (!now.has(id)) onParticipantLeft({ participant: id, reason: 'left' });
  }
  state.participants = now;
  for (const p of now.values()) {
    const tile = tiles.tileFor(p.id);
    if (tile) tiles.labelTile(tile, p);
  }
  for (const m of outbox) send(m);
  setNotice('Reconnected.');
  updateLayout();
  ice.retryIfNeeded();
  updateReconnecting();
}

// Leave was pressed while the seat was being resumed: the seat is back, so
// the others can now hear that we left (not that our connection was lost).
// The calls close once the server has taken the leave and closes the socket:
// closed first, they would reach it as a media failure.
function deliverLeave() {
  stopReconnecting();
  state.closedByUs = true;
  state.resume = null;
  socket.sendLast({ type: 'leave' }, () => {
    if (!socket.current) closeAllPcs(); // unless Rejoin was pressed meanwhile
  }, LEAVE_CLOSE_MS);
}

// Leaving, and the seat cannot be taken back: stop trying, say nothing more.
function endLeaving() {
  stopReconnecting();
  state.closedByUs = true;
  state.resume = null;
  socket.drop(socket.current);
  closeAllPcs();
}

// The server no longer holds our seat, is going away, or we were in the
// waiting room: drop the calls and join again as a new seat (an admitted
// patient is let straight in again).
function startAutoRejoin(firstDelayMs) {
  socket.drop(socket.current);
  stopReconnecting();
  state.joined = false;
  state.resume = null;
  closeAllPcs();
  ui.leaveBtn.disabled = true;
  setNotice('');
  updateLayout();
  autoRejoin.start(firstDelayMs);
}

function autoRejoinAttempt() {
  state.closedByUs = false;
  state.fatal = false;
  const ws = socket.open({ type: 'join', token: state.token });
  if (!ws) {
    autoRejoin.failed();
    return;
  }
  autoRejoin.watch(() => {
    if (socket.current !== ws) return;
    socket.drop(ws);
    autoRejoin.failed();
  });
}

// Answered: the attempts are over.
function endAutoRejoin() {
  if (!autoRejoin.active) return;
  autoRejoin.stop();
  setNotice('Reconnected.');
}

// ---------- controls ----------

function leave() {
  if (reconnect.leave()) {
    // The socket is being resumed: the attempts go on, and the first one that
    // gets the seat back says leave (deliverLeave).
    // The calls stay open until then (see deliverLeave), unseen and unheard.
    autoRejoin.stop();
    state.joined = false;
    state.waiting = false;
    for (const v of ui.stage.querySelectorAll('video')) v.pause();
    ui.stage.hidden = true;
  } else {
    send({ type: 'leave' });
    disconnect();
  }
  localMedia.stop();
  clearError();
  ui.leaveBtn.disabled = true;
  ui.rejoinBtn.hidden = !state.token;
  ui.waiting.hidden = true;
  ui.waitingRoom.hidden = true;
  setNotice('You have left the consult. You can close this page.');
}

function rejoin() {
  disconnect();
  clearError();
  connect();
}

// Audio only: on a poor link, receive nobody's video; voices keep coming.
ui.audioOnlyBtn.addEventListener('click', () => {
  const on = ui.audioOnlyBtn.getAttribute('aria-pressed') !== 'true';
  ui.audioOnlyBtn.setAttribute('aria-pressed', String(on));
  send({ type: 'receive', video: !on });
  document.body.classList.toggle('audio-only', on);
  setNotice(on ? 'Audio only: you hear everyone but receive no video, to save your connection.'
    : 'Video is back on.');
});

ui.micBtn.addEventListener('click', () => localMedia.toggle('audio'));
ui.camBtn.addEventListener('click', () => localMedia.toggle('video'));
ui.shareBtn.addEventListener('click', () => screenShare.toggle());
ui.leaveBtn.addEventListener('click', leave);
ui.endBtn.addEventListener('click', () => {
  if (window.confirm('End this consult for everyone? Nobody will be able to rejoin it.')) send({ type: 'end' });
});
ui.rejoinBtn.addEventListener('click', rejoin);
ui.soundBtn.addEventListener('click', () => {
  ui.soundBtn.hidden = true;
  for (const tile of tiles.remotes()) tiles.playRemote(tile.querySelector('video'));
  mixAudio.play();
});
window.addEventListener('pagehide', () => {
  if (socket.current) send({ type: 'leave' });
});

// ---------- start ----------

function readToken() {
  const hash = location.hash.startsWith('#') ? location.hash.slice(1) : location.hash;
  const token = new URLSearchParams(hash).get('token');
  if (location.hash) {
    // Keep the token out of the browser history and out of shared screenshots.
    history.replaceState(null, '', location.pathname + location.search);
  }
  return token && token.trim() ? token.trim() : null;
}

// For the browser tests (and support staff): mend the media path by hand, exactly
// as the page does by itself when "pub" loses it; measure what the page hears
// (made on the first call only).
window.consultgw = Object.freeze({
  restartIce: () => ice.restart(),
  audioLevels,
  shareScreen: () => screenShare.start(true), // consultd refuses it for roles that may not
  stopScreenShare: () => screenShare.stop(),
});

state.token = readToken();
ui.selfVideo.muted = true; // never play our own microphone back
if (!state.token) {
  showError('no_token');
} else {
  connect();
}
