// consultgw web client: the RTCPeerConnections of one seat.
//
// docs/protocol.md "Media model": one "pub" connection that we offer (camera +
// microphone, sendonly) and one "sub-N" per other publisher that the server
// offers and we answer. In a consult with simultaneous interpretation the
// server also offers "mix" (no participant): one audio m-line carrying the
// language channel we listen to (or, for an interpreter, its floor feed),
// answered like a sub-N and played without a tile (mix-audio.js). ICE candidates trickle both ways, each tagged with its
// pc name and sdpMLineIndex. Work on one connection is serialised (queue) so
// an answer is applied before the candidates that follow it; candidates that
// arrive before their description wait for it. What the page shows of a
// connection (tiles, screens, the share button) stays with app.js and the
// feature modules, reached through deps.

// deps: {send(msg), iceServers() -> array, onSubCreated(entry) (a new sub-N:
// show it), subOffers(entry, sdp) -> [sdp, ...] and subAnswered(entry) (the
// steps of applying a sub offer, screen-tiles.js), onMixCreated(entry) (a
// new server mix: play it), onPubAnswer(entry) (an answer on pub was
// applied), onClosed(entry) (a connection closed)}.
export function createPeers(deps) {
  const pcs = new Map(); // pc name -> {pc, name, participant, stream, chain, pending}
  // participant is null for pub and for a server mix.

  // Runs fn after everything already queued on this pc; its error is logged.
  function queue(entry, fn) {
    entry.chain = entry.chain.then(fn).catch((err) => {
      if (pcs.get(entry.name) === entry) console.warn(`[${entry.name}]`, err);
    });
    return entry.chain;
  }

  // As queue, but the caller sees fn's error too.
  function queueStrict(entry, fn) {
    const run = entry.chain.then(fn);
    entry.chain = run.catch((err) => {
      if (pcs.get(entry.name) === entry) console.warn(`[${entry.name}]`, err);
    });
    return run;
  }

  function create(name, participant) {
    const pc = new RTCPeerConnection({ iceServers: deps.iceServers() });
    const entry = { pc, name, participant, stream: null, chain: Promise.resolve(), pending: [] };
    pc.onicecandidate = (ev) => {
      if (ev.candidate && ev.candidate.candidate) {
        deps.send({
          type: 'candidate', pc: name,
          sdpMLineIndex: ev.candidate.sdpMLineIndex ?? 0,
          candidate: ev.candidate.candidate,
        });
      } else if (!ev.candidate) {
        deps.send({ type: 'candidate', pc: name, sdpMLineIndex: 0, candidate: '' });
      }
    };
    pcs.set(name, entry);
    return entry;
  }

  async function addCandidate(entry, c) {
    if (entry.pc.signalingState === 'closed') return;
    if (!entry.pc.remoteDescription) {
      entry.pending.push(c);
      return;
    }
    try {
      if (c.candidate === '') await entry.pc.addIceCandidate();
      else await entry.pc.addIceCandidate(c);
    } catch (err) {
      if (c.candidate !== '') console.warn(`[${entry.name}] candidate refused`, err);
    }
  }

  async function flushCandidates(entry) {
    const queued = entry.pending;
    entry.pending = [];
    for (const c of queued) await addCandidate(entry, c);
  }

  function close(name) {
    const entry = pcs.get(name);
    if (!entry) return;
    pcs.delete(name);
    entry.pc.onicecandidate = null;
    entry.pc.ontrack = null;
    entry.pc.onconnectionstatechange = null;
    entry.pc.oniceconnectionstatechange = null;
    entry.pc.close();
    deps.onClosed(entry);
  }

  return {
    get: (name) => pcs.get(name) || null,
    values: () => Array.from(pcs.values()),
    queue,
    queueStrict,
    close,
    closeAll() {
      for (const name of Array.from(pcs.keys())) close(name);
    },

    // Resumed with fresh ICE servers (TURN credentials): every connection takes them.
    setIceServers(iceServers) {
      for (const entry of pcs.values()) {
        try {
          entry.pc.setConfiguration({ ...entry.pc.getConfiguration(), iceServers });
        } catch (err) {
          console.warn(`[${entry.name}] new ICE servers refused`, err);
        }
      }
    },

    // Opens pub with @stream's tracks and sends its first offer; @setup(entry)
    // attaches the page's handlers before anything is negotiated.
    async publish(stream, setup) {
      const entry = create('pub', null);
      setup(entry);
      // Audio first, then video: m-line 0 is audio when both are present.
      for (const track of [...stream.getAudioTracks(), ...stream.getVideoTracks()]) {
        entry.pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
      }
      await queue(entry, async () => {
        await entry.pc.setLocalDescription(await entry.pc.createOffer());
        deps.send({ type: 'offer', pc: 'pub', sdp: entry.pc.localDescription.sdp });
      });
    },

    // An offer for a new sub-N (or mix) opens it; one for an existing one
    // renegotiates that connection (after an ICE restart the server re-offers
    // each with new ICE credentials): same pc, same tile, a new answer. An
    // offer naming no participant is a server mix: it has no tile and no
    // screen m-lines.
    onOffer(msg) {
      const name = msg.pc;
      if (name === 'pub') return; // we are the offerer on pub
      let entry = pcs.get(name);
      if (!entry) {
        entry = create(name, typeof msg.participant === 'string' ? msg.participant : null);
        if (entry.participant) deps.onSubCreated(entry);
        else deps.onMixCreated(entry);
      }
      queue(entry, async () => {
        for (const sdp of entry.participant ? deps.subOffers(entry, msg.sdp) : [msg.sdp]) {
          await entry.pc.setRemoteDescription({ type: 'offer', sdp });
          await flushCandidates(entry);
          await entry.pc.setLocalDescription(await entry.pc.createAnswer());
        }
        deps.send({ type: 'answer', pc: name, sdp: entry.pc.localDescription.sdp });
        if (entry.participant) deps.subAnswered(entry);
      });
    },

    onAnswer(msg) {
      const entry = pcs.get(msg.pc);
      if (!entry) return;
      queue(entry, async () => {
        // An answer to an offer we already gave up (and rolled back) has
        // nothing to apply to.
        if (entry.pc.signalingState !== 'have-local-offer') {
          console.warn(`[${entry.name}] an answer with no offer of ours out: ignored`);
          return;
        }
        await entry.pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
        await flushCandidates(entry);
        if (msg.pc === 'pub') deps.onPubAnswer(entry);
      });
    },

    onCandidate(msg) {
      const entry = pcs.get(msg.pc);
      if (!entry) return;
      const c = {
        candidate: typeof msg.candidate === 'string' ? msg.candidate : '',
        sdpMLineIndex: Number.isInteger(msg.sdpMLineIndex) ? msg.sdpMLineIndex : 0,
      };
      if (typeof msg.sdpMid === 'string') c.sdpMid = msg.sdpMid;
      queue(entry, () => addCandidate(entry, c));
    },
  };
}
