// consultgw web client: is an ICE restart over?
//
// After an ICE restart (createOffer({iceRestart: true}), docs/protocol.md
// "Reconnecting") a connection that never lost its path stays "connected":
// browsers fire no new iceconnectionstatechange, so that event cannot say the
// restart is done. What can: the selected candidate pair uses the new local
// ICE credentials (the ufrag of the current local description) and has
// succeeded. onNewIcePath polls getStats for that, within a deadline.

const POLL_MS = 250;

function localUfrag(pc) {
  const sdp = pc.localDescription ? pc.localDescription.sdp : '';
  const m = /a=ice-ufrag:(\S+)/.exec(sdp);
  return m ? m[1] : null;
}

async function selectedPairUfrag(pc) {
  const stats = await pc.getStats();
  let pairId = null;
  stats.forEach((r) => {
    if (r.type === 'transport' && r.selectedCandidatePairId) pairId = r.selectedCandidatePairId;
  });
  const pair = pairId ? stats.get(pairId) : null;
  if (!pair || pair.state !== 'succeeded') return null;
  const local = stats.get(pair.localCandidateId);
  return local ? local.usernameFragment || null : null;
}

// Resolves true once @pc's media runs over a candidate pair of its current
// local credentials, false if that does not happen within @timeoutMs (or the
// connection closes).
export async function onNewIcePath(pc, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && pc.signalingState !== 'closed') {
    try {
      const want = localUfrag(pc);
      if (want && (await selectedPairUfrag(pc)) === want) return true;
    } catch {
      /* closed meanwhile: the loop ends */
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return false;
}
