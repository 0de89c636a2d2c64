// consultgw web client: other participants' screen shares, each in its own tile.
//
// When a clinician shares a screen, consultd re-offers every "sub-N" carrying
// them with one more video m-line (docs/protocol.md "offer (publish)"):
// a=content:slides and a track id ending in "-screen"; the same m-line is
// re-offered `inactive` once they stop (m-lines are never removed). Here:
//   - offersToApply(entry, sdp) before the offer is applied: which mids of
//     that connection are screen m-lines, and whether the server sends on them;
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
// share comes back with the same SSRC (same transceiver). So a screen m-line
// that comes back is applied in two steps (offersToApply): first the offer
// with a stand-in SSRC, then the server's own; the receiver sees the SSRC
// change (X, stand-in, X) and attaches its track to the new stream. Only the
// last answer is sent: the steps' answers are the same (no SSRC of ours
// changes), and consultd never sees the stand-in.

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

// @lines (one m-section) with every SSRC in a=ssrc and a=ssrc-group lines
// replaced by another one, the same for each occurrence.
function withStandInSsrcs(lines) {
  const map = new Map();
  const standIn = (x) => {
    if (!map.has(x)) {
      let y;
      do {
        y = String(1 + Math.floor(Math.random() * 0xfffffffe));
      } while (y === x || [...map.values()].includes(y));
      map.set(x, y);
    }
    return map.get(x);
  };
  return lines.map((l) => {
    if (l.startsWith('a=ssrc:')) return l.replace(/^a=ssrc:(\d+)/, (_, x) => `a=ssrc:${standIn(x)}`);
    if (l.startsWith('a=ssrc-group:')) {
      const [head, ...ids] = l.split(' ');
      return [head, ...ids.map(standIn)].join(' ');
    }
    return l;
  });
}

// @stage: the tiles' container. @cameraTileOf(id): that participant's camera tile.
// @nameOf(id): their display name. @onChange(): after a tile came or went.
export function createScreenTiles({ stage, cameraTileOf, nameOf, onChange }) {
  // pc name -> {participant, mids: Map mid -> {sending, ssrc}, tracks: Map mid -> track,
  // active: Set of the mids last applied sending, tile}
  const byPc = new Map();

  function slot(entry) {
    let s = byPc.get(entry.name);
    if (!s) {
      s = { participant: entry.participant, mids: new Map(), tracks: new Map(), active: new Set(), tile: null };
      byPc.set(entry.name, s);
    }
    return s;
  }

  // The offers to apply in turn for the server's @sdp: just it, or first a
  // copy where each screen m-line that comes back sending has stand-in SSRCs.
  function offersToApply(entry, sdp) {
    const s = slot(entry);
    const parts = splitSdp(String(sdp));
    let comeBack = false;
    s.mids = new Map();
    const active = new Set();
    for (let i = 0; i < parts.sections.length; i++) {
      const m = screenSection(parts.sections[i]);
      if (!m) continue;
      s.mids.set(m.mid, m);
      if (!m.sending) continue;
      active.add(m.mid);
      if (s.active.has(m.mid) || m.ssrc === null || entry.pc.getTransceivers().every((t) => t.mid !== m.mid)) continue;
      parts.sections[i] = withStandInSsrcs(parts.sections[i]);
      comeBack = true;
    }
    s.active = active;
    if (!comeBack) return [sdp];
    return [[...parts.head, ...parts.sections.flat()].join(parts.eol), sdp];
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
    // Before an offer on entry is applied: which m-lines are screens; the SDPs to apply.
    offersToApply,
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
