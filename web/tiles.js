// consultgw web client: the other participants' camera tiles.
//
// One <figure class="tile remote"> per participant with a sub-N: their video
// and voice, their name and role (an interpreter's with its language), what they said of their microphone and
// camera (participant_media_state), and for a specialist the Mute and Remove
// buttons. Their screens have tiles of their own (screen-tiles.js).

import { initials, whoLabel } from './consult-info.js';

// deps: {stage, participant(id) -> {id, role, name, language, audio, video}|undefined,
// isHost() (we are a specialist), send(msg), onChange()
// (tiles came or went), onSoundBlocked() (autoplay with sound was refused)}.
export function createTiles(deps) {
  let firstFrameMarked = false;

  function tileFor(participantId) {
    return deps.stage.querySelector(`figure.tile[data-participant="${CSS.escape(participantId)}"]`);
  }

  function labelTile(tile, p) {
    const name = p && p.name ? p.name : 'Participant';
    const role = whoLabel(p);
    tile.querySelector('.name').textContent = name;
    tile.querySelector('.role').textContent = role;
    tile.querySelector('.avatar').textContent = initials(name);
    tile.querySelector('video').setAttribute('aria-label', role ? `${name}, ${role}` : name);
    if (p && p.role) tile.dataset.role = p.role;
    // What they said of their microphone and camera (media_state), not guessed from silence.
    const off = [];
    if (p && p.audio === false) off.push('Microphone off');
    if (p && p.video === false) off.push('Camera off');
    tile.dataset.micOff = String(!!(p && p.audio === false));
    tile.dataset.camOff = String(!!(p && p.video === false));
    tile.querySelector('.media-state').textContent = off.join(' · ');
  }

  function createTile(participantId) {
    const tile = document.createElement('figure');
    tile.className = 'tile remote no-video';
    tile.dataset.participant = participantId;

    const avatar = document.createElement('div');
    avatar.className = 'avatar';
    avatar.setAttribute('aria-hidden', 'true');

    const video = document.createElement('video');
    video.dataset.participant = participantId;
    video.autoplay = true;
    video.playsInline = true;
    video.setAttribute('playsinline', '');
    video.muted = false; // their voice is heard through this element

    const caption = document.createElement('figcaption');
    caption.className = 'label';
    const name = document.createElement('span');
    name.className = 'name';
    const role = document.createElement('span');
    role.className = 'role';
    const mediaState = document.createElement('span');
    mediaState.className = 'media-state';
    caption.append(name, role, mediaState);

    tile.append(avatar, video, caption);
    labelTile(tile, deps.participant(participantId));
    addSpecialistControls(tile);

    const showVideo = () => {
      if (video.videoWidth > 0) {
        tile.classList.remove('no-video');
        markFirstFrame();
      }
    };
    video.addEventListener('resize', showVideo);
    video.addEventListener('loadeddata', showVideo);
    deps.stage.append(tile);
    deps.onChange();
    return tile;
  }

  // Specialists get Mute and Remove on every other participant's tile.
  function addSpecialistControls(tile) {
    if (!deps.isHost() || tile.querySelector('.tile-controls')) return;
    const id = tile.dataset.participant;
    const p = deps.participant(id);
    const who = p && p.name ? p.name : 'participant';
    const box = document.createElement('div');
    box.className = 'tile-controls';
    const mute = document.createElement('button');
    mute.type = 'button';
    mute.className = 'ctl small';
    mute.textContent = 'Mute';
    mute.setAttribute('aria-label', `Mute ${who}`);
    mute.addEventListener('click', () => deps.send({ type: 'mute', participant: id }));
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'ctl small leave';
    remove.textContent = 'Remove';
    remove.setAttribute('aria-label', `Remove ${who} from the consult`);
    remove.addEventListener('click', () => {
      if (window.confirm(`Remove ${who} from this consult? They will not be able to rejoin.`)) {
        deps.send({ type: 'remove', participant: id });
      }
    });
    box.append(mute, remove);
    tile.append(box);
  }

  function removeTile(participantId) {
    const tile = tileFor(participantId);
    if (!tile) return;
    const video = tile.querySelector('video');
    video.srcObject = null;
    tile.remove();
    deps.onChange();
  }

  // Measurement hook (read by the e2e test): time from page start to the first
  // decoded remote video frame.
  function markFirstFrame() {
    if (firstFrameMarked) return;
    firstFrameMarked = true;
    try {
      performance.mark('cg-first-remote-frame');
    } catch {
      /* measurement only */
    }
  }

  function playRemote(video) {
    const p = video.play();
    if (p && typeof p.catch === 'function') {
      p.catch((err) => {
        if (err && err.name === 'NotAllowedError') deps.onSoundBlocked();
      });
    }
  }

  return {
    tileFor, labelTile, createTile, addSpecialistControls, removeTile, playRemote,
    remotes: () => deps.stage.querySelectorAll('figure.tile.remote'),
  };
}
