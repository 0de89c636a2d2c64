// consultgw web client: noticing a socket that went silent without closing.
//
// After a network change a TCP connection can stay half-open: nothing
// arrives, nothing fails, and TCP itself notices only after minutes. A page
// cannot send WebSocket pings, and the protocol has no ping message; but while
// an endpoint's media is up consultd sends it `stats` every interval_ms (2 s,
// docs/protocol.md "stats"). So once `stats` have arrived on a socket, a
// silence of SILENT_INTERVALS intervals (at least SILENT_MIN_MS) means that
// socket is dead: app.js drops it and resumes the seat on a new one.
// Before the first `stats` (the waiting room, media still starting) nothing
// is watched: the server may rightly say nothing then.

const SILENT_INTERVALS = 4;
const SILENT_MIN_MS = 6000;

// onSilent(): the watched socket said nothing for too long.
export function createHeartbeat(onSilent) {
  let timer = null;
  let silentMs = 0; // 0: not watching

  function arm() {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      silentMs = 0;
      onSilent();
    }, silentMs);
  }

  return {
    // Every message that arrives on the current socket.
    heard(msg) {
      if (msg.type === 'stats') {
        const interval = Number.isFinite(msg.interval_ms) && msg.interval_ms > 0 ? msg.interval_ms : 2000;
        silentMs = Math.max(SILENT_INTERVALS * interval, SILENT_MIN_MS);
      }
      if (silentMs) arm();
    },

    // The socket closed or was replaced: a new one proves itself with `stats` again.
    stop() {
      clearTimeout(timer);
      timer = null;
      silentMs = 0;
    },
  };
}
