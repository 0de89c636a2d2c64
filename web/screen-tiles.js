// consultgw web client: other participants' screen shares, each in its own tile.
//
// When a clinician shares a screen, consultd re-offers every "sub-N" carrying
// them with one more video m-line (docs/protocol.md "offer (publish)"):
// a=content:slides and a track id ending in "-screen"; the same m-line is
// re-offered `inactive` once they stop (m-lines are never removed). Here:
//   - noteOffer(entry, sdp) before the offer is applied: which mids of that
//     connection are screen m-lines, and whether the server sends on them;
//   - isScreen(entry, transceiver) from ontrack: route the track here, away
//     from the participant's camera stream;
//   - a tile "<name> — screen" right after that participant's camera tile,
//     shown while the m-line is sent, its track is live and not muted (a
//     remote track is muted until its first packet, and again when the m-line
//     goes inactive), removed otherwise.
// One screen tile per connection (one publisher per "sub-N").
//
// A libwebrtc quirk (Chromium, and others built on it): when an m-line goes
// inactive its receive stream is destroyed; when it comes back with the same
// SSRC, VideoRtpReceiver sees "the same SSRC as before" and does not attach
// its track to the new stream (pc/video_rtp_receiver.cc, `ssrc ==
// signaled_ssrc_`), so frames are decoded and dropped. A publisher's second
// share comes back with the same SSRC (same transceiver), so prepareOffer()
// applies such a re-activation without its a=ssrc lines (as an unsignalled
// stream, demultiplexed by its mid): a different set-up, so the track is
// attached again. The answer is unchanged; consultd does not see it.

const MSID_SCREEN = /^a=msid:\S+\s+\S+-screen\s*$/;
const SSRC_MSID_SCREEN = /^a=ssrc:\d+\s+msid:\S+\s+\S+-screen\s*$/;
const DIRECTION = /^a=(sendrecv|sendonly|recvonly|inactive)\s*$/;

// The m-sections of an SDP: {head, sections: [[line, ...], ...], eol}.
function splitSdp(sdp) {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(/\r?\n/);
  const head = [];
  const sections = [];
  for (const line of lines) {
    if (line.startsWith('m=')) sections.push([line]);
    else if (sections.length) sections.at(-1).push(line);
    else head.push(line);
  }
  return { head, sections, eol };
}

// One m-section as a screen m-line: {mid, sending, ssrc} or null.
function screenSection(lines) {
  if (!lines[0].startsWith('m=video')) return null;
  let mid = null;
  let screen = false;
  let dir = 'sendrecv';
  let ssrc = null;
  for (const line of lines) {
    if (line.startsWith('a=mid:')) mid = line.slice(6).trim();
    else if (line.trim() === 'a=content:slides' || MSID_SCREEN.test(line) || SSRC_MSID_SCREEN.test(line)) screen = true;
    else if (DIRECTION.test(line)) dir = line.slice(2).trim();
    if (ssrc === null && line.startsWith('a=ssrc:')) ssrc = line.slice(7).split(/\s/)[0];
  }
  if (lines[0].split(' ')[1] === '0') dir = 'inactive'; // a rejected m-line
  if (!screen || mid === null) return null;
  return { mid, sending: dir === 'sendonly' || dir === 'sendrecv', ssrc };
}

// @stage: the tiles' container. @cameraTileOf(id): that participant's camera tile.
// @nameOf(id): their display name. @onChange(): after a tile came or went.
export function createScreenTiles({ stage, cameraTileOf, nameOf, onChange }) {
  // pc name -> {participant, mids: Map mid -> {sending, ssrc}, tracks: Map mid -> track,
  // setups: Map mid -> {active, ssrc, stripped} (how the receiver was last set up), tile}
  const byPc = new Map();

  function slot(entry) {
    let s = byPc.get(entry.name);
    if (!s) {
      s = { participant: entry.participant, mids: new Map(), tracks: new Map(), setups: new Map(), tile: null };
      byPc.set(entry.name, s);
    }
    return s;
  }

  // The offer to apply: the server's, with a re-activated screen m-line of an
  // SSRC the receiver was last set up with made unsignalled (see above).
  function prepareOffer(entry, sdp) {
    const s = slot(entry);
    const parts = splitSdp(String(sdp));
    let changed = false;
    s.mids = new Map();
    for (let i = 0; i < parts.sections.length; i++) {
      const m = screenSection(parts.sections[i]);
      if (!m) continue;
      s.mids.set(m.mid, m);
      const was = s.setups.get(m.mid) || { active: false, ssrc: null, stripped: false };
      if (!m.sending) {
        s.setups.set(m.mid, { ...was, active: false });
        continue;
      }
      // While it stays active, keep the form it was set up with.
      const strip = was.active ? was.stripped : !was.stripped && m.ssrc !== null && m.ssrc === was.ssrc;
      s.setups.set(m.mid, { active: true, ssrc: m.ssrc, stripped: strip });
      if (strip) {
        parts.sections[i] = parts.sections[i].filter((l) => !/^a=ssrc(-group)?:/.test(l));
        changed = true;
      }
    }
    if (!changed) return sdp;
    return [...parts.head, ...parts.sections.flat()].join(parts.eol);
  }

  function label(s) {
    const name = nameOf(s.participant) || 'Participant';
    s.tile.querySelector('.name').textContent = `${name} \u2014 screen`;
    s.tile.querySelector('video').setAttribute('aria-label', `Screen shared by ${name}`);
  }

  function makeTile(pcName, s) {
    const tile = document.createElement('figure');
    tile.className = 'tile screen';
    tile.dataset.screenParticipant = s.participant;
    tile.dataset.pc = pcName;
    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    video.setAttribute('playsinline', '');
    video.muted = true; // a screen share has no sound; muted also lets it autoplay
    const caption = document.createElement('figcaption');
    caption.className = 'label';
    const name = document.createElement('span');
    name.className = 'name';
    caption.append(name);
    tile.append(video, caption);
    s.tile = tile;
    label(s);
    const camera = cameraTileOf(s.participant);
    if (camera && camera.parentNode === stage) camera.after(tile);
    else stage.append(tile);
    return tile;
  }

  function removeTile(s) {
    if (!s.tile) return;
    s.tile.querySelector('video').srcObject = null;
    s.tile.remove();
    s.tile = null;
    onChange();
  }

  // Shows or removes the connection's screen tile as its m-line and track say.
  function update(pcName) {
    const s = byPc.get(pcName);
    if (!s) return;
    let live = null;
    for (const [mid, m] of s.mids) {
      const t = s.tracks.get(mid);
      if (m.sending && t && t.readyState === 'live' && !t.muted) live = t;
    }
    if (!live) {
      removeTile(s);
      return;
    }
    const fresh = !s.tile;
    const video = (s.tile || makeTile(pcName, s)).querySelector('video');
    const current = video.srcObject && video.srcObject.getVideoTracks()[0];
    if (current !== live) video.srcObject = new MediaStream([live]);
    const p = video.play();
    if (p && typeof p.catch === 'function') p.catch(() => { /* muted autoplay: retried on the next change */ });
    if (fresh) onChange();
  }

  return {
    // Before an offer on entry is applied: which m-lines are screens; returns the SDP to apply.
    prepareOffer,
    isScreen(entry, transceiver) {
      const s = byPc.get(entry.name);
      return !!(s && transceiver && transceiver.mid !== null && s.mids.has(transceiver.mid));
    },
    onTrack(entry, track, transceiver) {
      const s = slot(entry);
      if (s.tracks.get(transceiver.mid) !== track) {
        s.tracks.set(transceiver.mid, track);
        const again = () => update(entry.name);
        track.addEventListener('mute', again);
        track.addEventListener('unmute', again);
        track.addEventListener('ended', again);
      }
      update(entry.name);
    },
    // After the offer was applied and answered.
    applied(entry) {
      update(entry.name);
    },
    close(pcName) {
      const s = byPc.get(pcName);
      if (!s) return;
      byPc.delete(pcName);
      removeTile(s);
    },
    relabel(participantId) {
      for (const s of byPc.values()) if (s.participant === participantId && s.tile) label(s);
    },
    clear() {
      for (const name of Array.from(byPc.keys())) this.close(name);
    },
  };
}
