/* media-testing.h — introspection for tests only (not for daemon/). */
#pragma once

#include "media.h"

G_BEGIN_DECLS

/* Number of live connections (leak checks after removal). */
guint cg_media_connection_count(CgMedia *media);

/* The relay's clock, read for everything it times (liveness, key frame
 * retries, reports, statistics): @now returns monotonic µs (default
 * g_get_monotonic_time). With a test clock, only the test moves time on. */
void cg_media_set_clock(CgMedia *media, gint64 (*now)(gpointer user), gpointer user);
/* Runs the liveness check once now (what the 1 s timer does). */
void cg_media_check_liveness(CgMedia *media);
/* Key frame requests sent towards @publisher's video so far (0 if unknown). */
guint cg_media_keyframe_requests(CgMedia *media, CgEndpointId publisher);

G_END_DECLS
