/* opus_packet.h — checks an input's RTP packet before it reaches the Opus
 * decoder: pure parsing, no GStreamer.
 *
 * Why: opusdec does not finish the frame of a packet it fails to decode, so
 * every later packet comes out with the timestamp of an older one and the
 * mixer drops it as late: a burst of garbage would silence that input for
 * good. Packets whose framing is valid (RFC 6716 section 3, rules R1-R7)
 * always decode, so the mixer lets only those through.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The payload of RTP packet @rtp (version 2; CSRCs, header extension and
 * padding skipped), or FALSE if the header does not hold together. */
gboolean cg_rtp_payload(const guint8 *rtp, gsize len, const guint8 **payload, gsize *payload_len);

/* Whether @data is a well-formed Opus packet (RFC 6716 section 3.4); if so
 * *@samples (nullable) is its duration at 48 kHz (at most 120 ms: 5760). */
gboolean cg_opus_packet_valid(const guint8 *data, gsize len, guint *samples);

G_END_DECLS
