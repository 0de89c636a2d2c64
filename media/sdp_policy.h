/* sdp_policy.h — what consultd accepts in an endpoint's SDP (pure).
 *
 * An endpoint's description (an offer on "pub", an answer on "sub-N") passes
 * through cg_sdp_policy_apply() before the relay's model reads it:
 *  - at most CG_MEDIA_MAX_SDP_BYTES, parsable, at least one m-line (BAD_SDP);
 *  - DTLS-SRTP only: every audio/video m-line uses UDP/TLS/RTP/SAVP(F) or
 *    TCP/DTLS/RTP/SAVP(F), no a=crypto anywhere, and an a=fingerprint (session or
 *    media level, all equal) with a known hash function (DTLS_REQUIRED);
 *  - only Opus (audio) and VP8 (video) payload types survive; rtx/red/ulpfec and
 *    other codecs are removed with their rtpmap/fmtp/rtcp-fb lines, and
 *    a=ssrc-group lines (they name RTX streams) are dropped. An m-line with
 *    nothing usable, or of another kind (application), is rejected (port 0),
 *    as is one sent with port 0 unless it says a=bundle-only (RFC 8843);
 *    if no m-line is left usable the SDP is refused (BAD_SDP).
 * No main loop, no globals: safe on any thread. Errors are in CG_MEDIA_ERROR.
 */
#pragma once

#include <glib.h>
#include <gst/sdp/sdp.h>

G_BEGIN_DECLS

typedef struct {
    char *hash_func; /* lower case, e.g. "sha-256" */
    char *value;     /* upper-case hex with colons, e.g. "AB:CD:..." */
} CgSdpFingerprint;

void cg_sdp_fingerprint_clear(CgSdpFingerprint *fp);

/* The payload type an m= format or an rtpmap/fmtp/rtcp-fb value starts with
 * ("111 opus/48000/2"), or -1 (also for "*"). */
int cg_sdp_attr_payload(const char *value);

/* Checks and filters @sdp (@len bytes, not necessarily NUL-terminated).
 * Returns (transfer full) the filtered SDP text and fills @fp (caller clears
 * it with cg_sdp_fingerprint_clear), or NULL with @error set. */
char *cg_sdp_policy_apply(const char *sdp, gsize len, CgSdpFingerprint *fp, GError **error);

/* In what consultd offers or answers: asks for Opus in-band FEC and DTX on
 * every Opus payload (a=fmtp ... useinbandfec=1;usedtx=1), keeping the other
 * parameters, so a lossy link recovers speech and silence costs little. The
 * relay never decodes: this only tells the endpoints' encoders and decoders. */
void cg_sdp_enable_opus_resilience(GstSDPMessage *msg);

G_END_DECLS
