// consultgw web client: two small DOM helpers for the panels built in script.

// h('p', {className: 'x', hidden: true, 'aria-live': 'polite'}, 'text', child):
// attributes for aria-*, data-*, role and for; properties otherwise.
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k.startsWith('aria-') || k.startsWith('data-') || k === 'role' || k === 'for') el.setAttribute(k, v);
    else el[k] = v;
  }
  el.append(...children);
  return el;
}

// Sets @el's text only when it changes, so a live region is not read out again.
export function say(el, text) {
  if (el.textContent !== text) el.textContent = text;
}
