// consultgw web client: one page per join link (https://HOST/c/CONSULT_ID#token=JWT).
//
// It speaks the endpoint protocol of docs/protocol.md over wss://HOST/ws:
//   join -> joined; one "pub" RTCPeerConnection that we offer (camera + microphone,
//   sendonly); one "sub-N" RTCPeerConnection per other publisher that the server
//   offers and we answer (its audio + video shown in a labelled tile).
// ICE candidates trickle both ways, each tagged with its pc name and sdpMLineIndex.
// Reconnecting (docs/protocol.md "Reconnecting"): a socket that drops while joined is
// reopened with backoff and resumes the seat (join + resume id) within its grace
// period, keeping every RTCPeerConnection; a "pub" that loses its ICE path is
// restarted with a new offer (iceRestart), and the server re-offers each "sub-N".
// "Reconnecting…" shows meanwhile. When the server no longer holds the seat (it
// restarted: resume_refused) or says it is restarting (bye server_shutdown), the
// page joins anew with its token by itself (rejoin.js).
//
// The token lives only in memory: it is read from the URL fragment and removed from
// the address bar at once, so it is not kept in the browser history.
// Beside this file, one module per feature: quality.js (the network-quality
// indicator, from `stats`), speaker.js (the active-speaker highlight),
// screen-share.js (sharing our screen on "pub"), screen-tiles.js (the others'
// screens), ice-path.js (when an ICE restart is over), rejoin.js (joining
// again after a server restart), errors.js (what each error says). Plain ES2020 modules, no dependencies, no build step.

import { createQualityIndicator } from './quality.js';
import { createSpeakerHighlight } from './speaker.js';
import { createScreenShare } from './screen-share.js';
import { createScreenTiles } from './screen-tiles.js';
import { onNewIcePath } from './ice-path.js';
import { ERRORS } from './errors.js';
import { createRejoin } from './rejoin.js';

const ROLE_LABELS = {
  specialist: 'Specialist',
  provider: 'Provider',
  patient: 'Patient',
  interpreter: 'Interpreter',
  observer: 'Observer',
};

const KIND_LABELS = {
  virtual_consult: 'Virtual consult',
  case_conference: 'Case conference',
};

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
};

const state = {
  token: null,
  ws: null,
  joined: false,
  closedByUs: false, // leave or rejoin: a close is expected
  fatal: false, // an error that ends this connection is on screen
  you: null,
  iceServers: [],
  participants: new Map(), // id -> {id, role, name}
  pcs: new Map(), // pc name -> {pc, name, participant, stream, chain, pending}
  localStream: null,
  firstFrameMarked: false,
  opensAt: null, // from consult_not_open_yet
  mutedBySpecialist: false,
  resume: null, // {id, grace_s} of the last joined: takes the seat back after a drop
  reconnect: null, // while the socket is being resumed: {attempt, deadline, timers}
  outbox: [], // media messages held while reconnecting, sent once resumed
  ice: { timer: null, answerTimer: null, restarting: false, pending: false, inFlight: false, tries: 0 },
};

// Backoff between resume attempts (ms): 0.5, 1, 2, 4, 4, ... s.
const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 4000;
// A resume attempt that neither opens nor fails in this long is abandoned (a dead
// network can leave a TCP connect hanging for minutes).
const RECONNECT_ATTEMPT_MS = 5000;
// "pub" disconnected this long (ms) is restarted; "failed" is restarted at once.
const ICE_DISCONNECTED_MS = 3000;
// ICE restarts without reaching "connected" before giving up with pub_failed.
const ICE_MAX_TRIES = 3;
// A restart offer unanswered this long (ms) no longer blocks the next one.
const ICE_ANSWER_MS = 10000;
// Held while reconnecting: at most this many, only what media needs.
const OUTBOX_MAX = 256;
const OUTBOX_TYPES = new Set(['offer', 'answer', 'candidate', 'media_state', 'receive']);

// ---------- feature modules ----------

const quality = createQualityIndicator(ui.quality, (text) => setNotice(text));
const speaker = createSpeakerHighlight(ui.stage, ui.selfTile);
const screens = createScreenTiles({
  stage: ui.stage,
  cameraTileOf: (id) => tileFor(id),
  nameOf: (id) => state.participants.get(id)?.name,
  onChange: () => updateLayout(),
});
const screenShare = createScreenShare({
  button: ui.shareBtn,
  stage: ui.stage,
  getPub: () => state.pcs.get('pub') || null,
  queue: (entry, fn) => onPcStrict(entry, fn),
  send: (msg) => send(msg),
  notice: (text) => setNotice(text),
  alert: () => showError('screen_refused'),
  afterRollback: () => { if (state.ice.pending) restartIce(); },
});

// ---------- small helpers ----------

function roleLabel(role) {
  return ROLE_LABELS[role] || (role ? String(role) : '');
}

function initials(name) {
  const parts = String(name || '').trim().split(/\s+/).filter((w) => /^[\p{L}\p{N}]/u.test(w));
  if (parts.length === 0) return '?';
  const first = parts[0][0];
  const last = parts.length > 1 ? parts[parts.length - 1][0] : '';
  return (first + last).toUpperCase();
}

function decodeTokenClaims(token) {
  try {
    const part = token.split('.')[1];
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const json = decodeURIComponent(
      Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)),
        (c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0')).join(''));
    const claims = JSON.parse(json);
    return claims && typeof claims === 'object' ? claims : null;
  } catch {
    return null;
  }
}

function formatTime(unixSeconds) {
  try {
    return new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' })
      .format(new Date(unixSeconds * 1000));
  } catch {
    return new Date(unixSeconds * 1000).toString();
  }
}

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
  if (!(code in ERRORS)) {
    ERRORS[code] = { text: 'Something went wrong with the consult connection. Select Rejoin to try again.', rejoin: true };
  }
  const e = ERRORS[code];
  if (e === null) return;
  let text = e.text;
  if (code === 'consult_not_open_yet' && state.opensAt) {
    const t = Date.parse(state.opensAt);
    if (!Number.isNaN(t)) text = `This consult opens at ${formatTime(t / 1000)} (your time). Please open your link again then.`;
  } else if (code === 'token_not_yet_valid') {
    const claims = state.token ? decodeTokenClaims(state.token) : null;
    if (claims && typeof claims.nbf === 'number') {
      text += ` It opens ${formatTime(claims.nbf)} (your local time). Please open your link again then.`;
    } else {
      text += ' Please open your link again closer to the appointment time.';
    }
  }
  ui.status.textContent = text;
  ui.status.dataset.code = code;
  ui.status.hidden = false;
  if (e.fatal) {
    state.fatal = true;
    setNotice('');
    // Nothing more will happen on this link: turn the camera off and show only the message.
    if (!e.rejoin) stopLocalMedia();
    document.body.dataset.state = 'error';
  }
  ui.rejoinBtn.hidden = !(e.rejoin && state.token);
}

function send(msg) {
  if (state.reconnect) {
    // The seat is being resumed: keep what media needs, in order, for afterwards.
    if (OUTBOX_TYPES.has(msg.type) && state.outbox.length < OUTBOX_MAX) state.outbox.push(msg);
    return;
  }
  const ws = state.ws;
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
}

// ---------- tiles ----------

function tileFor(participantId) {
  return ui.stage.querySelector(`figure.tile[data-participant="${CSS.escape(participantId)}"]`);
}

function labelTile(tile, p) {
  const name = p && p.name ? p.name : 'Participant';
  const role = p ? roleLabel(p.role) : '';
  tile.querySelector('.name').textContent = name;
  tile.querySelector('.role').textContent = role;
  tile.querySelector('.avatar').textContent = initials(name);
  tile.querySelector('video').setAttribute('aria-label', role ? `${name}, ${role}` : name);
  if (p && p.role) tile.dataset.role = p.role;
  // What they said of their microphone and camera (media_state), not guessed from silence.
  const off = [];
  if (p && p.audio === false) off.push('Microphone off');
  if (p && p.video === false) off.push('Camera off');
  tile.dataset.micOff = String(!!(p && p.audio === false));
  tile.dataset.camOff = String(!!(p && p.video === false));
  tile.querySelector('.media-state').textContent = off.join(' · ');
}

// Tells the others whether our microphone and camera are on.
function sendMediaState() {
  if (!state.localStream) return;
  const on = (tracks) => tracks.length > 0 && tracks.some((t) => t.enabled);
  send({
    type: 'media_state',
    audio: on(state.localStream.getAudioTracks()),
    video: on(state.localStream.getVideoTracks()),
  });
}

function onParticipantMediaState(msg) {
  const p = state.participants.get(msg.participant);
  if (!p || typeof msg.audio !== 'boolean' || typeof msg.video !== 'boolean') return;
  p.audio = msg.audio;
  p.video = msg.video;
  const tile = tileFor(msg.participant);
  if (tile) labelTile(tile, p);
}

function createTile(participantId) {
  const tile = document.createElement('figure');
  tile.className = 'tile remote no-video';
  tile.dataset.participant = participantId;

  const avatar = document.createElement('div');
  avatar.className = 'avatar';
  avatar.setAttribute('aria-hidden', 'true');

  const video = document.createElement('video');
  video.dataset.participant = participantId;
  video.autoplay = true;
  video.playsInline = true;
  video.setAttribute('playsinline', '');
  video.muted = false; // their voice is heard through this element

  const caption = document.createElement('figcaption');
  caption.className = 'label';
  const name = document.createElement('span');
  name.className = 'name';
  const role = document.createElement('span');
  role.className = 'role';
  const mediaState = document.createElement('span');
  mediaState.className = 'media-state';
  caption.append(name, role, mediaState);

  tile.append(avatar, video, caption);
  labelTile(tile, state.participants.get(participantId));
  addSpecialistControls(tile);

  const showVideo = () => {
    if (video.videoWidth > 0) {
      tile.classList.remove('no-video');
      markFirstFrame();
    }
  };
  video.addEventListener('resize', showVideo);
  video.addEventListener('loadeddata', showVideo);
  ui.stage.append(tile);
  updateLayout();
  return tile;
}

// Specialists get Mute and Remove on every other participant's tile.
function addSpecialistControls(tile) {
  if (!isSpecialist() || tile.querySelector('.tile-controls')) return;
  const id = tile.dataset.participant;
  const p = state.participants.get(id);
  const who = p && p.name ? p.name : 'participant';
  const box = document.createElement('div');
  box.className = 'tile-controls';
  const mute = document.createElement('button');
  mute.type = 'button';
  mute.className = 'ctl small';
  mute.textContent = 'Mute';
  mute.setAttribute('aria-label', `Mute ${who}`);
  mute.addEventListener('click', () => send({ type: 'mute', participant: id }));
  const remove = document.createElement('button');
  remove.type = 'button';
  remove.className = 'ctl small leave';
  remove.textContent = 'Remove';
  remove.setAttribute('aria-label', `Remove ${who} from the consult`);
  remove.addEventListener('click', () => {
    if (window.confirm(`Remove ${who} from this consult? They will not be able to rejoin.`)) {
      send({ type: 'remove', participant: id });
    }
  });
  box.append(mute, remove);
  tile.append(box);
}

function removeTile(participantId) {
  const tile = tileFor(participantId);
  if (!tile) return;
  const video = tile.querySelector('video');
  video.srcObject = null;
  tile.remove();
  updateLayout();
}

function updateLayout() {
  const remotes = ui.stage.querySelectorAll('figure.tile.remote').length;
  ui.stage.dataset.count = String(remotes + 1);
  speaker.refresh();
  ui.waiting.hidden = !state.joined || remotes > 0 || state.participants.size > 0 || state.fatal;
}

// Measurement hook (read by the e2e test): time from page start to the first
// decoded remote video frame.
function markFirstFrame() {
  if (state.firstFrameMarked) return;
  state.firstFrameMarked = true;
  try {
    performance.mark('cg-first-remote-frame');
  } catch {
    /* measurement only */
  }
}

function playRemote(video) {
  const p = video.play();
  if (p && typeof p.catch === 'function') {
    p.catch((err) => {
      if (err && err.name === 'NotAllowedError') ui.soundBtn.hidden = false;
    });
  }
}

// ---------- peer connections ----------

function newPc(name, participant) {
  const pc = new RTCPeerConnection({ iceServers: state.iceServers });
  const entry = { pc, name, participant, stream: null, chain: Promise.resolve(), pending: [] };
  pc.onicecandidate = (ev) => {
    if (ev.candidate && ev.candidate.candidate) {
      send({
        type: 'candidate', pc: name,
        sdpMLineIndex: ev.candidate.sdpMLineIndex ?? 0,
        candidate: ev.candidate.candidate,
      });
    } else if (!ev.candidate) {
      send({ type: 'candidate', pc: name, sdpMLineIndex: 0, candidate: '' });
    }
  };
  state.pcs.set(name, entry);
  return entry;
}

// Runs fn after everything already queued on this pc, so an answer is applied
// before the candidates that follow it.
function onPc(entry, fn) {
  entry.chain = entry.chain.then(fn).catch((err) => {
    if (state.pcs.get(entry.name) === entry) console.warn(`[${entry.name}]`, err);
  });
  return entry.chain;
}

// As onPc, but the caller sees fn's error too.
function onPcStrict(entry, fn) {
  const run = entry.chain.then(fn);
  entry.chain = run.catch((err) => {
    if (state.pcs.get(entry.name) === entry) console.warn(`[${entry.name}]`, err);
  });
  return run;
}

async function flushCandidates(entry) {
  const queued = entry.pending;
  entry.pending = [];
  for (const c of queued) await addCandidate(entry, c);
}

async function addCandidate(entry, c) {
  if (entry.pc.signalingState === 'closed') return;
  if (!entry.pc.remoteDescription) {
    entry.pending.push(c);
    return;
  }
  try {
    if (c.candidate === '') {
      await entry.pc.addIceCandidate();
    } else {
      await entry.pc.addIceCandidate(c);
    }
  } catch (err) {
    if (c.candidate !== '') console.warn(`[${entry.name}] candidate refused`, err);
  }
}

function closePc(name) {
  const entry = state.pcs.get(name);
  if (!entry) return;
  state.pcs.delete(name);
  entry.pc.onicecandidate = null;
  entry.pc.ontrack = null;
  entry.pc.onconnectionstatechange = null;
  entry.pc.oniceconnectionstatechange = null;
  entry.pc.close();
  screens.close(name);
  if (name === 'pub') {
    resetIce();
    screenShare.reset();
  }
  if (entry.participant) {
    const tile = tileFor(entry.participant);
    if (tile && tile.dataset.pc === name) removeTile(entry.participant);
  }
}

function closeAllPcs() {
  for (const name of Array.from(state.pcs.keys())) closePc(name);
  screens.clear();
  quality.stop();
  speaker.forget();
  for (const tile of ui.stage.querySelectorAll('figure.tile.remote')) {
    removeTile(tile.dataset.participant);
  }
}

async function getLocalMedia(role) {
  if (state.localStream) return state.localStream;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    showError('no_media_api');
    return null;
  }
  const audio = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
  const video = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24, max: 30 } };
  const attempts = role === 'interpreter'
    ? [{ audio }]
    : [{ audio, video }, { audio }, { video }];
  let lastErr = null;
  for (const constraints of attempts) {
    try {
      state.localStream = await navigator.mediaDevices.getUserMedia(constraints);
      break;
    } catch (err) {
      lastErr = err;
      if (err && (err.name === 'NotAllowedError' || err.name === 'SecurityError')) break;
    }
  }
  if (!state.localStream) {
    const denied = lastErr && (lastErr.name === 'NotAllowedError' || lastErr.name === 'SecurityError');
    showError(denied ? 'media_denied' : 'no_camera');
    return null;
  }
  ui.selfVideo.srcObject = state.localStream;
  ui.selfTile.classList.toggle('no-video', state.localStream.getVideoTracks().length === 0);
  ui.micBtn.disabled = state.localStream.getAudioTracks().length === 0;
  ui.camBtn.disabled = state.localStream.getVideoTracks().length === 0;
  ui.audioOnlyBtn.disabled = false;
  return state.localStream;
}

async function startPublishing() {
  const stream = await getLocalMedia(state.you && state.you.role);
  if (!stream || !state.joined) return;
  const entry = newPc('pub', null);
  entry.pc.onconnectionstatechange = () => {
    if (entry.pc.connectionState !== 'connected') return;
    if (ui.status.dataset.code === 'pub_failed') clearError();
    setNotice('Your camera and microphone are connected.');
  };
  // A lost path is mended by an ICE restart, not reported as an error at once.
  entry.pc.oniceconnectionstatechange = () => onPubIceState(entry);
  screenShare.render();
  // Audio first, then video: m-line 0 is audio when both are present.
  const tracks = [...stream.getAudioTracks(), ...stream.getVideoTracks()];
  for (const track of tracks) {
    entry.pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
  }
  await onPc(entry, async () => {
    const offer = await entry.pc.createOffer();
    await entry.pc.setLocalDescription(offer);
    send({ type: 'offer', pc: 'pub', sdp: entry.pc.localDescription.sdp });
  });
}

// An offer for a new sub-N opens it; one for an existing sub-N renegotiates that
// RTCPeerConnection (after an ICE restart the server re-offers each with new ICE
// credentials): same pc, same tile, a new answer.
function onServerOffer(msg) {
  const name = msg.pc;
  if (name === 'pub') return; // we are the offerer on pub
  const participantId = typeof msg.participant === 'string' ? msg.participant : name;
  let entry = state.pcs.get(name);
  if (!entry) {
    entry = newPc(name, participantId);
    const stream = new MediaStream();
    entry.stream = stream;
    let tile = tileFor(participantId);
    if (!tile) tile = createTile(participantId);
    tile.dataset.pc = name;
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
      playRemote(video);
    };
    entry.pc.onconnectionstatechange = () => {
      tile.classList.toggle('failed', entry.pc.connectionState === 'failed');
    };
  }
  onPc(entry, async () => {
    // Which m-lines are a screen share, known before ontrack; a screen that
    // comes back takes two steps (screen-tiles.js).
    for (const sdp of screens.offersToApply(entry, msg.sdp)) {
      await entry.pc.setRemoteDescription({ type: 'offer', sdp });
      await flushCandidates(entry);
      await entry.pc.setLocalDescription(await entry.pc.createAnswer());
    }
    send({ type: 'answer', pc: name, sdp: entry.pc.localDescription.sdp });
    screens.applied(entry);
  });
}

function onServerAnswer(msg) {
  const entry = state.pcs.get(msg.pc);
  if (!entry) return;
  onPc(entry, async () => {
    await entry.pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
    await flushCandidates(entry);
    if (msg.pc !== 'pub') return;
    screenShare.onAnswer();
    const restarted = state.ice.inFlight;
    state.ice.inFlight = false;
    clearTimeout(state.ice.answerTimer);
    // A restart wanted while this offer was out goes now.
    if (state.ice.pending) restartIce();
    else if (restarted) confirmIceRestart(entry);
  });
}

function onServerCandidate(msg) {
  const entry = state.pcs.get(msg.pc);
  if (!entry) return;
  const c = {
    candidate: typeof msg.candidate === 'string' ? msg.candidate : '',
    sdpMLineIndex: Number.isInteger(msg.sdpMLineIndex) ? msg.sdpMLineIndex : 0,
  };
  if (typeof msg.sdpMid === 'string') c.sdpMid = msg.sdpMid;
  onPc(entry, () => addCandidate(entry, c));
}

// ---------- protocol ----------

function isSpecialist() {
  return !!(state.you && state.you.role === 'specialist');
}

function showIdentity(you) {
  if (!you) return;
  const role = roleLabel(you.role);
  ui.you.textContent = `You: ${you.name || ''}${role ? ` (${role})` : ''}`;
  ui.you.hidden = false;
}

// In the waiting room: nothing is published; only the waiting page shows.
function onWaiting(msg) {
  endAutoRejoin();
  clearError();
  if (msg.you) state.you = msg.you;
  showIdentity(state.you);
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

// Specialists: the live waiting list with Admit / Decline for each person.
function onWaitingList(msg) {
  const waiting = Array.isArray(msg.waiting) ? msg.waiting : [];
  ui.lobby.hidden = false;
  ui.lobbyList.replaceChildren();
  ui.lobbyEmpty.hidden = waiting.length > 0;
  for (const p of waiting) {
    if (!p || typeof p.id !== 'string') continue;
    const li = document.createElement('li');
    const label = document.createElement('span');
    label.textContent = `${p.name || 'Participant'} (${roleLabel(p.role)})`;
    const admit = document.createElement('button');
    admit.type = 'button';
    admit.className = 'ctl primary';
    admit.textContent = 'Admit';
    admit.setAttribute('aria-label', `Admit ${p.name || 'participant'}`);
    admit.addEventListener('click', () => send({ type: 'admit', participant: p.id }));
    const decline = document.createElement('button');
    decline.type = 'button';
    decline.className = 'ctl';
    decline.textContent = 'Decline';
    decline.setAttribute('aria-label', `Decline ${p.name || 'participant'}`);
    decline.addEventListener('click', () => send({ type: 'decline', participant: p.id }));
    li.append(label, admit, decline);
    ui.lobbyList.append(li);
  }
  if (waiting.length > 0) setNotice(`${waiting.length} waiting to be let in.`);
}

function setMic(on) {
  if (state.localStream) for (const t of state.localStream.getAudioTracks()) t.enabled = on;
  ui.micBtn.dataset.off = String(!on);
  ui.micBtn.textContent = on ? 'Mute microphone' : 'Unmute microphone';
  sendMediaState();
}

function onMuted(msg, muted) {
  const by = msg.by && msg.by.name ? msg.by.name : 'The specialist';
  if (muted) {
    setMic(false);
    state.mutedBySpecialist = msg.may_unmute !== true;
    ui.micBtn.disabled = state.mutedBySpecialist;
    setNotice(state.mutedBySpecialist
      ? `${by} muted your microphone. They can turn it back on.`
      : `${by} muted your microphone. You can unmute it when you need to speak.`);
  } else {
    state.mutedBySpecialist = false;
    ui.micBtn.disabled = !state.localStream;
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
  ui.lobby.hidden = true;
  ui.endBtn.hidden = true;
  stopLocalMedia();
}

function onJoined(msg) {
  state.resume = msg.resume && typeof msg.resume.id === 'string' && Number.isFinite(msg.resume.grace_s)
    ? { id: msg.resume.id, grace_s: msg.resume.grace_s } : null;
  if (msg.resumed === true && state.reconnect) {
    onResumed(msg);
    return;
  }
  state.joined = true;
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

  const consult = msg.consult || {};
  if (consult.title) {
    ui.title.textContent = consult.title;
    document.title = `${consult.title} \u2014 Video consult`;
  }
  const meta = [];
  if (consult.specialty) meta.push(consult.specialty.charAt(0).toUpperCase() + consult.specialty.slice(1));
  if (consult.kind) meta.push(KIND_LABELS[consult.kind] || consult.kind);
  ui.meta.textContent = meta.join(' \u00b7 ');
  ui.meta.hidden = meta.length === 0;

  if (state.you) {
    const role = roleLabel(state.you.role);
    ui.you.textContent = `You: ${state.you.name || ''}${role ? ` (${role})` : ''}`;
    ui.you.hidden = false;
    ui.selfTile.querySelector('.avatar').textContent = initials(state.you.name);
    ui.selfTile.querySelector('.name').textContent = role ? `You \u00b7 ${role}` : 'You';
  }
  ui.leaveBtn.disabled = false;
  ui.endBtn.hidden = !isSpecialist();
  quality.start();
  speaker.setSelf(state.you && state.you.id);
  screenShare.setRole(state.you && state.you.role);
  for (const tile of ui.stage.querySelectorAll('figure.tile.remote')) addSpecialistControls(tile);
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
  const tile = tileFor(p.id);
  if (tile) labelTile(tile, p);
  screens.relabel(p.id);
  setNotice(`${p.name || 'Someone'}${p.role ? ` (${roleLabel(p.role)})` : ''} joined.`);
  updateLayout();
}

function onParticipantLeft(msg) {
  const id = msg.participant;
  if (typeof id !== 'string') return;
  const p = state.participants.get(id);
  const who = p && p.name ? p.name : 'A participant';
  state.participants.delete(id);
  for (const entry of Array.from(state.pcs.values())) {
    if (entry.participant === id) closePc(entry.name);
  }
  removeTile(id);
  speaker.forget(id);
  updateLayout();
  const why = msg.reason === 'disconnected' || msg.reason === 'connection_lost' ? ' (connection lost)'
    : msg.reason === 'media_failed' ? ' (their video connection failed)' : '';
  setNotice(`${who} left${why}.`);
}

function onMessage(ev) {
  let msg;
  try {
    msg = JSON.parse(ev.data);
  } catch {
    return;
  }
  if (!msg || typeof msg !== 'object' || typeof msg.type !== 'string') return;
  switch (msg.type) {
    case 'joined': onJoined(msg); break;
    case 'offer': if (typeof msg.pc === 'string' && typeof msg.sdp === 'string') onServerOffer(msg); break;
    case 'answer': if (typeof msg.pc === 'string' && typeof msg.sdp === 'string') onServerAnswer(msg); break;
    case 'candidate': if (typeof msg.pc === 'string') onServerCandidate(msg); break;
    case 'participant_joined': onParticipantJoined(msg); break;
    case 'participant_left': onParticipantLeft(msg); break;
    case 'participant_media_state': if (typeof msg.participant === 'string') onParticipantMediaState(msg); break;
    case 'pc_closed': if (typeof msg.pc === 'string') closePc(msg.pc); break;
    case 'stats': if (state.joined) quality.update(msg); break;
    case 'active_speaker': speaker.set(msg.participant); break;
    case 'error':
      if (typeof msg.code === 'string') {
        if (typeof msg.opens_at === 'string') state.opensAt = msg.opens_at;
        // A refused screen-share offer is the share's to undo, not a broken browser.
        if (msg.code === 'bad_sdp' && screenShare.onRefused()) break;
        // The server restarted and forgot the seat: join anew, as a new seat.
        if (msg.code === 'resume_refused' && state.reconnect) {
          startAutoRejoin(0);
          break;
        }
        showError(msg.code);
      }
      break;
    case 'waiting': onWaiting(msg); break;
    case 'waiting_status': onWaitingStatus(msg); break;
    case 'waiting_list': onWaitingList(msg); break;
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

function onClose(ev) {
  const wasOurs = state.closedByUs;
  state.ws = null;
  // The server names the error code as the close reason when it closes on an error.
  const code = ev && ev.reason && ev.reason in ERRORS && ERRORS[ev.reason] ? ev.reason : null;
  if (autoRejoin.active) {
    if (!wasOurs && !state.fatal && !(code && ERRORS[code].fatal)) {
      autoRejoin.failed(); // not up yet: the next attempt follows
      return;
    }
    autoRejoin.stop();
  }
  if (!wasOurs && !state.fatal && !(code && ERRORS[code].fatal) && mayResume()) {
    keepReconnecting(); // the seat is held for us: keep the calls, reopen the socket
    return;
  }
  stopReconnecting();
  state.joined = false;
  closeAllPcs();
  ui.leaveBtn.disabled = true;
  if (wasOurs) return;
  if (!state.fatal) showError(code || 'connection_lost');
  updateLayout();
}

// Opens the socket and sends @join once it is open; null if the browser refuses
// to open one at all.
function openSocket(join) {
  let ws;
  try {
    ws = new WebSocket(`wss://${location.host}/ws`);
  } catch (err) {
    console.warn('cannot open the consult socket', err);
    return null;
  }
  state.ws = ws;
  ws.onopen = () => { if (state.ws === ws) ws.send(JSON.stringify(join)); };
  ws.onmessage = (ev) => { if (state.ws === ws) onMessage(ev); };
  ws.onclose = (ev) => { if (state.ws === ws) onClose(ev); };
  ws.onerror = () => { /* onclose follows and reports it */ };
  return ws;
}

// Forgets @ws without running its handlers, and closes it.
function dropSocket(ws) {
  if (!ws) return;
  ws.onopen = null;
  ws.onmessage = null;
  ws.onclose = null;
  try { ws.close(1000); } catch { /* already closed */ }
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
  state.resume = null;
  ui.rejoinBtn.hidden = true;
  setNotice('Connecting to the consult\u2026');
  if (!openSocket({ type: 'join', token: state.token })) showError('connection_lost');
}

function disconnect() {
  autoRejoin.stop();
  stopReconnecting();
  state.closedByUs = true;
  const ws = state.ws;
  state.ws = null;
  state.joined = false;
  closeAllPcs();
  dropSocket(ws);
}

// ---------- reconnecting ----------

// "Reconnecting…" while the socket is resumed or pub's ICE is restarted.
function updateReconnecting() {
  const on = !state.fatal && (!!state.reconnect || state.ice.restarting || autoRejoin.active);
  ui.reconnecting.hidden = !on;
  if (on) document.body.dataset.connection = 'reconnecting';
  else delete document.body.dataset.connection;
}

// A joined seat with a resume id, and (once reconnecting) its grace not over.
function mayResume() {
  if (!state.resume || !state.joined) return false;
  return !state.reconnect || Date.now() < state.reconnect.deadline;
}

// The socket dropped (or a resume attempt failed): try again after the backoff,
// as long as the server holds the seat.
function keepReconnecting() {
  if (!state.reconnect) {
    const deadline = Date.now() + state.resume.grace_s * 1000;
    state.reconnect = { attempt: 0, deadline, timer: null, attemptTimer: null, deadlineTimer: null };
    state.reconnect.deadlineTimer = setTimeout(giveUpReconnecting, state.resume.grace_s * 1000);
    setNotice('');
    updateReconnecting();
  }
  const r = state.reconnect;
  clearTimeout(r.attemptTimer);
  const delay = Math.min(RECONNECT_FIRST_MS * 2 ** r.attempt, RECONNECT_MAX_MS);
  r.attempt += 1;
  // The last try still lands inside the grace period; after it, the deadline
  // timer gives up.
  const left = r.deadline - Date.now() - 250;
  if (left <= 0) return;
  r.timer = setTimeout(resumeAttempt, Math.min(delay, left));
}

function resumeAttempt() {
  const r = state.reconnect;
  if (!r) return;
  r.timer = null;
  const ws = openSocket({ type: 'join', token: state.token, resume: state.resume.id });
  if (!ws) {
    keepReconnecting();
    return;
  }
  // A connect that hangs on a dead network: give up on this one and try again.
  r.attemptTimer = setTimeout(() => {
    if (state.ws !== ws || state.reconnect !== r) return;
    state.ws = null;
    dropSocket(ws);
    keepReconnecting();
  }, RECONNECT_ATTEMPT_MS);
}

function stopReconnecting() {
  const r = state.reconnect;
  if (!r) return;
  clearTimeout(r.timer);
  clearTimeout(r.attemptTimer);
  clearTimeout(r.deadlineTimer);
  state.reconnect = null;
  state.outbox = [];
  updateReconnecting();
}

// ---------- joining again after a server restart (rejoin.js) ----------

const autoRejoin = createRejoin({
  attempt: autoRejoinAttempt,
  giveUp: () => {
    showError('connection_lost');
    updateLayout();
  },
  onChange: () => updateReconnecting(),
});

// The server no longer holds our seat, or is going away: drop the calls and
// join again as a new seat (an admitted patient is let straight in again).
function startAutoRejoin(firstDelayMs) {
  const ws = state.ws;
  state.ws = null;
  dropSocket(ws);
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
  const ws = openSocket({ type: 'join', token: state.token });
  if (!ws) {
    autoRejoin.failed();
    return;
  }
  autoRejoin.watch(() => {
    if (state.ws !== ws) return;
    state.ws = null;
    dropSocket(ws);
    autoRejoin.failed();
  });
}

// Answered: the attempts are over.
function endAutoRejoin() {
  if (!autoRejoin.active) return;
  autoRejoin.stop();
  setNotice('Reconnected.');
}

// The grace period is over: the server has given the seat up.
function giveUpReconnecting() {
  if (!state.reconnect) return;
  const ws = state.ws;
  state.ws = null;
  dropSocket(ws);
  stopReconnecting();
  state.joined = false;
  closeAllPcs();
  ui.leaveBtn.disabled = true;
  showError('connection_lost');
  updateLayout();
}

// The seat is ours again: same participant, same calls. Re-sync who is here,
// send what waited, and restart ICE if the path went meanwhile.
function onResumed(msg) {
  const outbox = state.outbox;
  stopReconnecting();
  state.joined = true;
  state.iceServers = Array.isArray(msg.ice_servers) ? msg.ice_servers : state.iceServers;
  for (const entry of state.pcs.values()) {
    try {
      entry.pc.setConfiguration({ ...entry.pc.getConfiguration(), iceServers: state.iceServers });
    } catch (err) {
      console.warn(`[${entry.name}] new ICE servers refused`, err);
    }
  }
  const now = new Map();
  for (const p of Array.isArray(msg.participants) ? msg.participants : []) {
    if (p && typeof p.id === 'string') now.set(p.id, p);
  }
  for (const id of Array.from(state.participants.keys())) {
    if (!now.has(id)) onParticipantLeft({ participant: id, reason: 'left' });
  }
  state.participants = now;
  for (const p of now.values()) {
    const tile = tileFor(p.id);
    if (tile) labelTile(tile, p);
  }
  for (const m of outbox) send(m);
  setNotice('Reconnected.');
  updateLayout();
  const pub = state.pcs.get('pub');
  const ice = pub ? pub.pc.iceConnectionState : 'new';
  if (state.ice.pending || ice === 'failed' || ice === 'disconnected') restartIce();
  updateReconnecting();
}

// ---------- ICE restart of pub ----------

function resetIce() {
  clearTimeout(state.ice.timer);
  clearTimeout(state.ice.answerTimer);
  state.ice = { timer: null, answerTimer: null, restarting: false, pending: false, inFlight: false, tries: 0 };
  updateReconnecting();
}

function onPubIceState(entry) {
  const ice = entry.pc.iceConnectionState;
  clearTimeout(state.ice.timer);
  state.ice.timer = null;
  if (ice === 'connected' || ice === 'completed') {
    state.ice.restarting = false;
    state.ice.tries = 0;
    updateReconnecting();
  } else if (ice === 'failed') {
    restartIce();
  } else if (ice === 'disconnected') {
    // Often a blip that heals by itself; a restart only if it lasts.
    state.ice.timer = setTimeout(() => {
      state.ice.timer = null;
      if (entry.pc.iceConnectionState === 'disconnected') restartIce();
    }, ICE_DISCONNECTED_MS);
  }
}

// A path that never broke stays "connected" through a restart, with no event to
// say it is done: the restart is over once media runs on the new credentials.
function confirmIceRestart(entry) {
  onNewIcePath(entry.pc, ICE_ANSWER_MS).then((ok) => {
    if (!ok || state.pcs.get('pub') !== entry || state.ice.inFlight || state.ice.pending) return;
    const ice = entry.pc.iceConnectionState;
    if (ice !== 'connected' && ice !== 'completed') return; // onPubIceState decides
    state.ice.restarting = false;
    state.ice.tries = 0;
    updateReconnecting();
  });
}

// A new offer on pub with new ICE credentials; the server answers and re-offers
// every sub-N (docs/protocol.md "Reconnecting").
function restartIce() {
  const entry = state.pcs.get('pub');
  if (!entry || state.fatal) return;
  state.ice.restarting = true;
  updateReconnecting();
  const ws = state.ws;
  if (state.reconnect || !ws || ws.readyState !== WebSocket.OPEN || state.ice.inFlight) {
    state.ice.pending = true; // after the resume, or after the answer in flight
    return;
  }
  if (state.ice.tries >= ICE_MAX_TRIES) {
    state.ice.restarting = false;
    updateReconnecting();
    showError('pub_failed');
    return;
  }
  state.ice.pending = false;
  state.ice.inFlight = true;
  state.ice.tries += 1;
  clearTimeout(state.ice.answerTimer);
  state.ice.answerTimer = setTimeout(() => {
    state.ice.inFlight = false;
    const ice = entry.pc.iceConnectionState;
    if (state.ice.pending || ice === 'failed' || ice === 'disconnected') restartIce();
  }, ICE_ANSWER_MS);
  onPc(entry, async () => {
    if (entry.pc.signalingState !== 'stable') {
      state.ice.inFlight = false;
      state.ice.pending = true;
      return;
    }
    const offer = await entry.pc.createOffer({ iceRestart: true });
    await entry.pc.setLocalDescription(offer);
    send({ type: 'offer', pc: 'pub', sdp: entry.pc.localDescription.sdp });
  });
}

// ---------- controls ----------

function stopLocalMedia() {
  if (!state.localStream) return;
  for (const t of state.localStream.getTracks()) t.stop();
  state.localStream = null;
  ui.selfVideo.srcObject = null;
  ui.micBtn.disabled = true;
  ui.camBtn.disabled = true;
  ui.audioOnlyBtn.disabled = true;
}

function leave() {
  stopReconnecting(); // a socket being resumed has nobody to tell; the seat expires
  send({ type: 'leave' });
  disconnect();
  stopLocalMedia();
  clearError();
  ui.leaveBtn.disabled = true;
  ui.rejoinBtn.hidden = !state.token;
  ui.waiting.hidden = true;
  setNotice('You have left the consult. You can close this page.');
}

function rejoin() {
  disconnect();
  clearError();
  connect();
}

function toggleTrack(kind, btn, onText, offText) {
  if (!state.localStream) return;
  const tracks = kind === 'audio' ? state.localStream.getAudioTracks() : state.localStream.getVideoTracks();
  // The label says what the button will do; data-off marks the state for styling.
  const off = btn.dataset.off !== 'true';
  for (const t of tracks) t.enabled = !off;
  btn.dataset.off = String(off);
  btn.textContent = off ? offText : onText;
  if (kind === 'video') ui.selfTile.classList.toggle('no-video', off);
  sendMediaState();
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

ui.micBtn.addEventListener('click', () => toggleTrack('audio', ui.micBtn, 'Mute microphone', 'Unmute microphone'));
ui.camBtn.addEventListener('click', () => toggleTrack('video', ui.camBtn, 'Turn camera off', 'Turn camera on'));
ui.shareBtn.addEventListener('click', () => screenShare.toggle());
ui.leaveBtn.addEventListener('click', leave);
ui.endBtn.addEventListener('click', () => {
  if (window.confirm('End this consult for everyone? Nobody will be able to rejoin it.')) send({ type: 'end' });
});
ui.rejoinBtn.addEventListener('click', rejoin);
ui.soundBtn.addEventListener('click', () => {
  ui.soundBtn.hidden = true;
  for (const v of ui.stage.querySelectorAll('figure.tile.remote video')) playRemote(v);
});
window.addEventListener('pagehide', () => {
  if (state.ws) send({ type: 'leave' });
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
// as the page does by itself when "pub" loses it.
window.consultgw = Object.freeze({
  restartIce: () => restartIce(),
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
