// consultgw web client: who and what this consult is, in the page's header.
//
// The consult's title, specialty and kind, and "You: name (role)" with our
// own tile's initials, from `joined` or `waiting` (docs/protocol.md). Role
// names are shown in words everywhere (tiles, lobby, notices): roleLabel;
// an interpreter's with the language it interprets into (both modes of
// interpretation): whoLabel.

const ROLE_LABELS = {
  specialist: 'Specialist',
  provider: 'Provider',
  patient: 'Patient',
  interpreter: 'Interpreter',
  observer: 'Observer',
};

const KIND_LABELS = {
  virtual_consult: 'Virtual consult',
  case_conference: 'Case conference',
};

export function initials(name) {
  const parts = String(name || '').trim().split(/\s+/).filter((w) => /^[\p{L}\p{N}]/u.test(w));
  if (parts.length === 0) return '?';
  const first = parts[0][0];
  const last = parts.length > 1 ? parts[parts.length - 1][0] : '';
  return (first + last).toUpperCase();
}

export function roleLabel(role) {
  return ROLE_LABELS[role] || (role ? String(role) : '');
}

const BCP47 = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/;

function displayName(locale, tag) {
  try {
    const name = new Intl.DisplayNames([locale], { type: 'language', fallback: 'none' }).of(tag);
    return name && name.toLowerCase() !== tag.toLowerCase() ? name : null;
  } catch {
    return null; // not a tag this browser knows, or no Intl.DisplayNames
  }
}

// A language tag in words for this page ("Spanish"), with its own name when
// that differs ("Spanish · español"), so that a family who does not read the
// page's language still finds theirs; the tag itself when the browser has no
// name for it.
export function languageLabel(tag) {
  const inPage = languageName(tag);
  if (inPage === tag) return inPage ? String(inPage) : '';
  const own = displayName(tag, tag);
  return own && own.toLowerCase() !== inPage.toLowerCase() ? `${inPage} \u00b7 ${own}` : inPage;
}

// The language's name in the page's language alone ("Spanish"), for sentences.
export function languageName(tag) {
  if (typeof tag !== 'string' || !BCP47.test(tag)) return tag || '';
  return displayName(document.documentElement.lang || 'en', tag) || tag;
}

// The role in words, an interpreter's with its language: "Interpreter, Spanish · español".
export function whoLabel(p) {
  if (!p) return '';
  const role = roleLabel(p.role);
  return p.role === 'interpreter' && p.language ? `${role}, ${languageLabel(p.language)}` : role;
}

// ui: {title, meta} of the header.
export function showConsult(ui, consult) {
  if (!consult) return;
  if (consult.title) {
    ui.title.textContent = consult.title;
    document.title = `${consult.title} \u2014 Video consult`;
  }
  const meta = [];
  if (consult.specialty) meta.push(consult.specialty.charAt(0).toUpperCase() + consult.specialty.slice(1));
  if (consult.kind) meta.push(KIND_LABELS[consult.kind] || consult.kind);
  ui.meta.textContent = meta.join(' \u00b7 ');
  ui.meta.hidden = meta.length === 0;
}

// ui: {you (the header line), selfTile (null: not in the call yet)}.
export function showIdentity(ui, you) {
  if (!you) return;
  const role = whoLabel(you);
  ui.you.textContent = `You: ${you.name || ''}${role ? ` (${role})` : ''}`;
  ui.you.hidden = false;
  if (!ui.selfTile) return;
  ui.selfTile.querySelector('.avatar').textContent = initials(you.name);
  ui.selfTile.querySelector('.name').textContent = role ? `You \u00b7 ${role}` : 'You';
}
