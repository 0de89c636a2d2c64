/* link_quality.c — see link_quality.h. */
#include "link_quality.h"

CgLinkQuality cg_link_quality(double loss_pct, double rtt_ms, double jitter_ms)
{
    if (loss_pct < 0 && rtt_ms < 0 && jitter_ms < 0)
        return CG_LINK_UNKNOWN;
    if (loss_pct >= 8 || rtt_ms >= 800 || jitter_ms >= 100)
        return CG_LINK_POOR;
    if (loss_pct >= 2 || rtt_ms >= 300 || jitter_ms >= 30)
        return CG_LINK_FAIR;
    return CG_LINK_GOOD;
}

const char *cg_link_quality_name(CgLinkQuality q)
{
    static const char *const names[] = {"unknown", "good", "fair", "poor"};
    return (guint)q < G_N_ELEMENTS(names) ? names[q] : "unknown";
}
