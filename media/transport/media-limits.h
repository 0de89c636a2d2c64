/* media-limits.h — every size media/ accepts from outside, in one place.
 *
 * The protocol documents the first two (docs/protocol.md); the rest bound the
 * work one endpoint can make the relay do. (The relay's timings are media.h's.)
 */
#pragma once

#define CG_MEDIA_MAX_SDP_BYTES 32768u       /* an SDP, offer or answer */
#define CG_MEDIA_MAX_REMOTE_CANDIDATES 64u  /* trickled candidates per connection */
#define CG_MEDIA_MAX_CANDIDATE_BYTES 1024u  /* one candidate line */
#define CG_MEDIA_MAX_MLINES 16u             /* m-lines in an endpoint's SDP */
#define CG_MEDIA_MAX_FINGERPRINT_BYTES 256u /* a=fingerprint value */
