// Scripts the browser tests install in a page before app.js runs
// (page.addInitScript). Each runs in the page, so it may use only what it
// defines itself.

// Keeps every WebSocket the page opens, every message it receives and every
// message it sends (parsed), so a test can read what was said both ways.
export function recordSockets() {
  const Native = window.WebSocket;
  const sockets = [];
  const received = [];
  const sent = [];
  class Recorded extends Native {
    constructor(...args) {
      super(...args);
      sockets.push(this);
      this.addEventListener('message', (ev) => {
        try {
          received.push({ at: performance.now(), ...JSON.parse(ev.data) });
        } catch {
          /* not JSON */
        }
      });
    }

    send(data) {
      try {
        sent.push({ at: performance.now(), ...JSON.parse(data) });
      } catch {
        /* not JSON */
      }
      super.send(data);
    }
  }
  window.WebSocket = Recorded;
  window.__cgSockets = sockets;
  window.__cgReceived = received;
  window.__cgSent = sent;
}

// Headless Chromium has no screen to share: getDisplayMedia returns a
// 640x360 canvas at 10 fps, magenta (255, 0, 255) with a black block moving
// along its middle, so a receiver can tell it apart from the fake camera and
// see it move. window.__cgDisplayTracks holds every track handed out.
export function fakeDisplayMedia() {
  window.__cgDisplayTracks = [];
  const md = navigator.mediaDevices;
  if (!md) return;
  md.getDisplayMedia = async () => {
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 360;
    const g = canvas.getContext('2d');
    let n = 0;
    const draw = () => {
      g.fillStyle = 'rgb(255, 0, 255)';
      g.fillRect(0, 0, 640, 360);
      g.fillStyle = 'rgb(0, 0, 0)';
      g.fillRect((n * 16) % 600, 160, 40, 40);
      n += 1;
    };
    draw();
    const timer = setInterval(draw, 100);
    const stream = canvas.captureStream(10);
    const track = stream.getVideoTracks()[0];
    const stop = track.stop.bind(track);
    track.stop = () => {
      clearInterval(timer);
      stop();
    };
    window.__cgDisplayTracks.push(track);
    return stream;
  };
}

// recordSockets, plus ways for a test to make the network or the server
// misbehave from inside the page (consultd itself is not changed):
//   window.__cgRefuse = true: new sockets ask for a path consultd refuses, so
//     each attempt fails at once (a network that lets nothing through);
//   window.__cgOutFilter = (msg) => msg | null: what the page sends, replaced
//     or (null) dropped before it reaches the socket;
//   socket.__cgDead = true: that socket goes silent both ways without closing
//     (a half-dead connection: nothing arrives, nothing leaves).
export function controlSockets() {
  const Native = window.WebSocket;
  const sockets = [];
  const received = [];
  const sent = [];
  class Controlled extends Native {
    constructor(url, ...rest) {
      super(window.__cgRefuse ? String(url).replace(/\/ws$/, '/refused-by-the-test') : url, ...rest);
      this.__cgDead = false;
      sockets.push(this);
      this.addEventListener('message', (ev) => {
        if (this.__cgDead) return;
        try {
          received.push({ at: performance.now(), ...JSON.parse(ev.data) });
        } catch {
          /* not JSON */
        }
      });
    }

    set onmessage(fn) {
      this.__cgOnMessage = fn;
      super.onmessage = fn ? (ev) => { if (!this.__cgDead) fn.call(this, ev); } : null;
    }

    get onmessage() {
      return this.__cgOnMessage || null;
    }

    send(data) {
      if (this.__cgDead) return;
      let msg = null;
      try {
        msg = JSON.parse(data);
      } catch {
        /* not JSON: sent as it is */
      }
      if (msg && typeof window.__cgOutFilter === 'function') {
        const out = window.__cgOutFilter(msg);
        if (!out) {
          sent.push({ at: performance.now(), dropped: true, ...msg });
          return;
        }
        if (out !== msg) data = JSON.stringify(out);
        msg = out;
      }
      if (msg) sent.push({ at: performance.now(), ...msg });
      super.send(data);
    }
  }
  window.WebSocket = Controlled;
  window.__cgSockets = sockets;
  window.__cgReceived = received;
  window.__cgSent = sent;
}
