/* media-limits.h — every size media/ accepts from outside, in one place.
 *
 * The protocol documents the first two (docs/protocol.md); the rest bound the
 * work one endpoint can make the relay do.
 */
#pragma once

#define CG_MEDIA_MAX_SDP_BYTES 32768u       /* an SDP, offer or answer */
#define CG_MEDIA_MAX_REMOTE_CANDIDATES 64u  /* trickled candidates per connection */
#define CG_MEDIA_MAX_CANDIDATE_BYTES 1024u  /* one candidate line */
#define CG_MEDIA_MAX_MLINES 16u             /* m-lines in an endpoint's SDP */
#define CG_MEDIA_MAX_FINGERPRINT_BYTES 256u /* a=fingerprint value */
#define CG_MEDIA_BRANCH_QUEUE_BUFFERS 200u  /* per subscriber branch, leaky */
#define CG_MEDIA_KEYFRAME_RETRY_MS 300u     /* repeat/coalescing interval of PLI/FIR */
#define CG_MEDIA_CONSENT_TIMEOUT_S 30u      /* no authenticated packet for this long: fail */
#define CG_MEDIA_LIVENESS_CHECK_MS 1000u    /* how often that is checked */
/* The lowest receiver estimate (REMB) that counts towards what a publisher is
 * asked to send: a subscriber reporting less (a lie, or a link too poor for
 * any picture: audio-only mode is for that) degrades the video for nobody
 * below this. 100 kbps still carries a small VP8 picture (~320x180 at a low
 * frame rate) that is worth seeing in a consult. The consult's cap, when
 * lower, still wins. */
#define CG_MEDIA_REMB_FLOOR_KBPS 100u
