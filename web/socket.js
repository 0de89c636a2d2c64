// consultgw web client: the page's one signaling socket (wss://HOST/ws).
//
// At most one WebSocket is current: open() makes a new one current, and the
// handlers of one that is no longer current never run, so a late close or
// message of an abandoned attempt cannot confuse the page. Every message is
// shown to the heartbeat first (heartbeat.js): a current socket that goes
// silent is dropped and reported as closed.

import { createHeartbeat } from './heartbeat.js';

// deps: {onMessage(msg) (a parsed message object with a string type),
// onClose(ev|null) (the current socket closed; null: it went silent)}.
export function createSocket(deps) {
  let current = null;
  const heartbeat = createHeartbeat(() => {
    console.warn('the consult socket went silent: treated as closed');
    drop(current);
    deps.onClose(null);
  });

  // Forgets @ws without running its handlers, and closes it.
  function drop(ws) {
    if (!ws) return;
    if (current === ws) {
      current = null;
      heartbeat.stop();
    }
    ws.onopen = null;
    ws.onmessage = null;
    ws.onclose = null;
    try { ws.close(1000); } catch { /* already closed */ }
  }

  function onMessage(ev) {
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch {
      return;
    }
    if (!msg || typeof msg !== 'object' || typeof msg.type !== 'string') return;
    heartbeat.heard(msg);
    deps.onMessage(msg);
  }

  return {
    get current() {
      return current;
    },
    isOpen: () => !!current && current.readyState === WebSocket.OPEN,

    // Opens a socket that sends @join once open, and makes it current; null
    // if the browser refuses to open one at all.
    open(join) {
      let ws;
      try {
        ws = new WebSocket(`wss://${location.host}/ws`);
      } catch (err) {
        console.warn('cannot open the consult socket', err);
        return null;
      }
      heartbeat.stop();
      current = ws;
      ws.onopen = () => { if (current === ws) ws.send(JSON.stringify(join)); };
      ws.onmessage = (ev) => { if (current === ws) onMessage(ev); };
      ws.onclose = (ev) => {
        if (current !== ws) return;
        current = null;
        heartbeat.stop();
        deps.onClose(ev);
      };
      ws.onerror = () => { /* onclose follows and reports it */ };
      return ws;
    },

    drop,

    send(msg) {
      if (current && current.readyState === WebSocket.OPEN) current.send(JSON.stringify(msg));
    },

    // Sends @last on the current socket and lets it go without closing it:
    // the server closes it; @closed() runs then, or after @timeoutMs.
    sendLast(last, closed, timeoutMs) {
      const ws = current;
      if (!ws) {
        closed();
        return;
      }
      current = null;
      heartbeat.stop();
      ws.onmessage = null;
      const timer = setTimeout(() => {
        ws.onclose = null;
        drop(ws);
        closed();
      }, timeoutMs);
      ws.onclose = () => {
        clearTimeout(timer);
        closed();
      };
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(last));
    },
  };
}
