// consultgw web client: the waiting list a specialist sees (waiting_list).
//
// Everyone waiting to be let in, live, with Admit and Decline for each
// (docs/protocol.md "Specialist controls"). The patient's own waiting page is
// app.js's; this is the other side of the door.

import { roleLabel } from './consult-info.js';

// deps: {box (the lobby section), list (its <ul>), empty (the "Nobody is
// waiting" line), send(msg), notice(text)}.
export function createLobby(deps) {
  function button(text, label, className, onClick) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = className;
    b.textContent = text;
    b.setAttribute('aria-label', label);
    b.addEventListener('click', onClick);
    return b;
  }

  return {
    // waiting_list: the whole list, every time it changes.
    show(msg) {
      const waiting = Array.isArray(msg.waiting) ? msg.waiting : [];
      deps.box.hidden = false;
      deps.list.replaceChildren();
      deps.empty.hidden = waiting.length > 0;
      for (const p of waiting) {
        if (!p || typeof p.id !== 'string') continue;
        const who = p.name || 'participant';
        const li = document.createElement('li');
        const label = document.createElement('span');
        label.textContent = `${p.name || 'Participant'} (${roleLabel(p.role)})`;
        li.append(
          label,
          button('Admit', `Admit ${who}`, 'ctl primary', () => deps.send({ type: 'admit', participant: p.id })),
          button('Decline', `Decline ${who}`, 'ctl', () => deps.send({ type: 'decline', participant: p.id })),
        );
        deps.list.append(li);
      }
      if (waiting.length > 0) deps.notice(`${waiting.length} waiting to be let in.`);
    },
    hide() {
      deps.box.hidden = true;
    },
  };
}
