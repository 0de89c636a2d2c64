// consultgw web client: the active-speaker highlight.
//
// consultd sends `active_speaker` to everyone in the consult when the floor
// changes (docs/protocol.md "active_speaker"); there is no message when the
// speaker falls silent, so the last one stays highlighted. Exactly one camera
// tile carries it at a time: an outline, data-active-speaker="true" and a
// "Speaking" badge in words (not colour alone). Screen tiles never do.
//
// The message may come before the speaker's tile exists (their video is still
// being set up), so the id is kept and applied again by refresh().

export function createSpeakerHighlight(stage, selfTile) {
  let current = null; // participant id
  let selfId = null;

  function tileOf(id) {
    if (!id) return null;
    if (id === selfId) return selfTile;
    return stage.querySelector(`figure.tile.remote[data-participant="${CSS.escape(id)}"]`);
  }

  function refresh() {
    const want = tileOf(current);
    for (const tile of stage.querySelectorAll('figure.tile[data-active-speaker="true"]')) {
      if (tile !== want) mark(tile, false);
    }
    if (want && want.dataset.activeSpeaker !== 'true') mark(want, true);
  }

  function mark(tile, on) {
    let badge = tile.querySelector('.speaking');
    if (on) {
      tile.dataset.activeSpeaker = 'true';
      if (!badge) {
        badge = document.createElement('span');
        badge.className = 'speaking';
        badge.textContent = 'Speaking';
        tile.querySelector('.label').append(badge);
      }
    } else {
      delete tile.dataset.activeSpeaker;
      if (badge) badge.remove();
    }
  }

  return {
    setSelf(id) {
      selfId = id || null;
      refresh();
    },
    // An `active_speaker` message.
    set(participantId) {
      current = typeof participantId === 'string' ? participantId : null;
      refresh();
    },
    // The speaker left, or we did: no highlight until the next message.
    forget(participantId) {
      if (participantId === undefined || participantId === current) current = null;
      refresh();
    },
    refresh,
  };
}
