// consultgw web client: what the page says for each error, in plain words.
//
// One entry per error code of docs/protocol.md, plus the page's own (local)
// ones. fatal: the server closes the socket after it (or nothing more can
// happen on this link); rejoin: offering "Rejoin" may help. null: nothing to
// show (a harmless race). app.js adds entries at run time (an unknown code, the
// end of the consult with its reason), so the table is a plain mutable object.

export const ERRORS = {
  bad_token: { text: 'This join link is not valid. Ask the clinic for a new link.', fatal: true },
  token_expired: { text: 'This join link has expired. Ask the clinic for a new link.', fatal: true },
  token_not_yet_valid: { text: 'This consult is not open yet.', fatal: true },
  consult_not_found: {
    text: 'This consult could not be found. It may have been cancelled or ended. Ask the clinic for a new link.',
    fatal: true,
  },
  role_not_allowed: {
    text: 'This join link does not allow you to join this consult in that role. Ask the clinic for a new link.',
    fatal: true,
  },
  consult_full: {
    text: 'This consult is full right now. Please try again in a few minutes or contact the clinic.',
    fatal: true, rejoin: true,
  },
  dtls_fingerprint_mismatch: {
    text: 'The secure video connection could not be verified, so the call was stopped to protect your privacy. Select Rejoin to try again.',
    fatal: true, rejoin: true,
  },
  dtls_required: {
    text: 'Your browser did not offer an encrypted video connection, which this consult requires. Please try an up-to-date browser.',
  },
  media_failed: {
    text: 'Your audio and video could not be connected. Check your network, then select Rejoin.',
    fatal: true, rejoin: true,
  },
  internal: {
    text: 'The consult server had a problem. Select Rejoin to try again.',
    fatal: true, rejoin: true,
  },
  message_too_big: {
    text: 'Your browser sent the consult server more data than it accepts. Select Rejoin to try again.',
    fatal: true, rejoin: true,
  },
  bad_sdp: {
    text: 'Your browser\u2019s video setup was not accepted by the consult server. Please try an up-to-date browser.',
  },
  malformed_message: { text: 'The consult server could not read a message from this page. Try reloading your link.' },
  unknown_type: { text: 'The consult server did not understand a message from this page. Try reloading your link.' },
  consult_not_open_yet: { text: 'This consult is not open yet.', fatal: true },
  consult_ended: { text: 'This consult has ended. Thank you for joining.', fatal: true },
  consult_cancelled: { text: 'This consult was cancelled. Please contact the clinic.', fatal: true },
  participant_removed: { text: 'A specialist removed you from this consult.', fatal: true },
  declined: {
    text: 'The specialist could not let you in right now. Please contact the clinic, or select Rejoin to wait again.',
    fatal: true, rejoin: true,
  },
  too_many_failures: {
    text: 'Too many attempts to join failed from this network. Please wait a few minutes and open your link again.',
    fatal: true,
  },
  join_timeout: { text: 'Joining took too long. Select Rejoin to try again.', fatal: true, rejoin: true },
  // The server closed a socket that misbehaved (docs/protocol.md "Limits per
  // connection"); a page in good health never meets them.
  too_many_errors: {
    text: 'The consult server stopped this connection after too many unreadable messages. Select Rejoin to try again.',
    fatal: true, rejoin: true,
  },
  outbox_full: { text: 'This page fell too far behind the consult. Select Rejoin to continue.', fatal: true, rejoin: true },
  unmasked_frame: {
    text: 'The consult server refused a message from this browser. Please try an up-to-date browser.',
    fatal: true, rejoin: true,
  },
  resume_refused: {
    text: 'Connection lost, and the consult could not be resumed in time. Select Rejoin to join again.',
    fatal: true, rejoin: true,
  },
  session_replaced: {
    text: 'You joined this consult from another window or device, so this page was disconnected. Select Rejoin to continue here.',
    fatal: true, rejoin: true,
  },
  not_allowed: { text: 'Only the specialist can do that.' },
  // Interpretation (docs/protocol.md "Interpretation"): the page offers these
  // actions only when they fit, so each means the state changed meanwhile.
  unknown_channel: { text: 'That language channel is not part of this consult. You hear what you heard before.' },
  channel_taken: {
    text: 'Another interpreter is live on your channel. Select \u201cTake over\u201d to take the channel from them (they see it happen).',
  },
  no_partner: { text: 'No booth partner has joined, so there is nobody to hand over to. You stay live.' },
  not_live: { text: 'You are not live, so there is nothing to hand over.' },
  not_simultaneous: { text: 'This consult uses consecutive interpretation: there are no language channels to choose.' },
  no_interpretation: { text: 'This consult has no interpretation.' },
  not_admitted: null, // a racing message while still in the waiting room: harmless
  unknown_participant: null, // that person already left or was let in: the list updates itself
  not_joined: { text: 'This page is not yet part of the consult. Select Rejoin to try again.', rejoin: true },
  already_joined: null, // harmless: we are in already
  unknown_pc: null, // a candidate racing a closed connection: harmless
  server_shutdown: { text: 'The consult server is restarting. Select Rejoin in a moment.', fatal: true, rejoin: true },
  connection_lost: {
    text: 'Connection lost. Check your network, then select Rejoin.',
    fatal: true, rejoin: true,
  },
  no_token: {
    text: 'This page needs the full join link from your invitation. Please open that link again.',
    fatal: true,
  },
  no_websocket: { text: 'This browser cannot join video consults. Please use an up-to-date browser.', fatal: true },
  pub_failed: {
    text: 'Your audio and video could not reach the consult server. Check your network, then select Rejoin.',
    rejoin: true,
  },
  // The page's own, not protocol codes.
  media_denied: {
    text: 'Camera and microphone access was blocked, so the others cannot see or hear you. Allow access in your browser settings, then select Rejoin.',
    rejoin: true,
  },
  no_camera: {
    text: 'No camera or microphone could be started, so the others cannot see or hear you. You can still see and hear them.',
  },
  screen_refused: {
    text: 'The consult server did not accept your screen share, so nothing was shared. Your camera and microphone are not affected.',
  },
  no_media_api: {
    text: 'This browser cannot use your camera or microphone here. You can still see and hear the others.',
  },
};

// The entry for @code; an unknown code gets a general one (kept, so it is
// the same object next time).
export function errorEntry(code) {
  if (!(code in ERRORS)) {
    ERRORS[code] = { text: 'Something went wrong with the consult connection. Select Rejoin to try again.', rejoin: true };
  }
  return ERRORS[code];
}

function decodeTokenClaims(token) {
  try {
    const part = token.split('.')[1];
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const json = decodeURIComponent(
      Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)),
        (c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0')).join(''));
    const claims = JSON.parse(json);
    return claims && typeof claims === 'object' ? claims : null;
  } catch {
    return null;
  }
}

function formatTime(unixSeconds) {
  try {
    return new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' })
      .format(new Date(unixSeconds * 1000));
  } catch {
    return new Date(unixSeconds * 1000).toString();
  }
}

// What the page says for @code (an entry that is not null); a consult not open
// yet says when it opens, from the server's opens_at or the token's nbf;
// channel_taken names who is live (@liveName) when the page knows.
export function errorText(code, { opensAt, token, liveName }) {
  let text = errorEntry(code).text;
  if (code === 'channel_taken' && liveName) {
    text = `${liveName} is live on your channel. Select \u201cTake over\u201d to take the channel from them (they see it happen).`;
  } else if (code === 'consult_not_open_yet' && opensAt) {
    const t = Date.parse(opensAt);
    if (!Number.isNaN(t)) text = `This consult opens at ${formatTime(t / 1000)} (your time). Please open your link again then.`;
  } else if (code === 'token_not_yet_valid') {
    const claims = token ? decodeTokenClaims(token) : null;
    if (claims && typeof claims.nbf === 'number') {
      text += ` It opens ${formatTime(claims.nbf)} (your local time). Please open your link again then.`;
    } else {
      text += ' Please open your link again closer to the appointment time.';
    }
  }
  return text;
}
