/* link_quality.h — one word for how an endpoint's link is doing (pure).
 *
 * The web client shows it as a network-quality indicator. Thresholds follow
 * what interactive voice tolerates (ITU-T G.114: one-way delay under 150 ms
 * is good, over 400 ms is poor; Opus with FEC hides a few percent of loss).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
    CG_LINK_UNKNOWN, /* nothing measured yet */
    CG_LINK_GOOD,
    CG_LINK_FAIR, /* loss >= 2 %, round trip >= 300 ms or jitter >= 30 ms */
    CG_LINK_POOR, /* loss >= 8 %, round trip >= 800 ms or jitter >= 100 ms */
} CgLinkQuality;

/* From the worse direction's loss (%), the round trip (ms) and the worse
 * jitter (ms); a negative value means unknown and is ignored. */
CgLinkQuality cg_link_quality(double loss_pct, double rtt_ms, double jitter_ms);
/* "unknown", "good", "fair", "poor". (transfer none) */
const char *cg_link_quality_name(CgLinkQuality q);

G_END_DECLS
