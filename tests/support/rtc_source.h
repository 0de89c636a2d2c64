/* rtc_source.h — one pair of encoders shared by many rtc_peer endpoints (a
 * load generator's: tools/bench).
 *
 * CgRtcSource owns one pipeline: a VP8 encoder (videotestsrc 640x360 at
 * 15 fps, SMPTE pattern) and an Opus encoder (440 Hz sine), each ending in a
 * tee. A CgRtcPeer made with options.source puts its elements into that
 * pipeline and feeds its "pub" connection from the tees through a leaky
 * queue, so that an endpoint that is not connected yet never holds the
 * others back. Encoding once is what lets one process drive dozens of
 * endpoints.
 *
 * Threads: the thread-default main context of its peers. Free every peer
 * made from it before the source.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CgRtcSource CgRtcSource;

/* (transfer full) the playing source, its encoders already producing (their
 * caps go into every offer), or NULL + @error. */
CgRtcSource *cg_rtc_source_new(guint video_kbps, GError **error);
void cg_rtc_source_free(CgRtcSource *src);

G_END_DECLS
