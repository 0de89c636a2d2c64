/* group_common.c — see group_common.h. */
#include "group_common.h"

const guint32 group_colours[GROUP_MAX] = {0xff0000, 0x00ff00, 0x0000ff, 0xffff00,
                                          0xff00ff, 0x00ffff, 0xffffff, 0x000000};
const guint group_tones[GROUP_MAX] = {440, 660, 880, 1100, 1320, 1540, 1760, 1980};

CgTestConsult *group_create_consult(CgTestDaemon *daemon, guint n)
{
    g_assert_cmpuint(n, <=, GROUP_MAX);
    const char *roles[GROUP_MAX + 1] = {0};
    for (guint i = 0; i < n; i++)
        roles[i] = i == 0 ? "specialist" : "provider";
    return cg_fx_consult_new(daemon, "case_conference", roles);
}

CgTestEndpoint *group_join(CgTestDaemon *daemon, CgTestConsult *c, guint i,
                           const CgRtcPeerOptions *media)
{
    CgTestEndpointOptions o = {0};
    if (media)
        o.media = *media;
    o.media.color_rgb = group_colours[i];
    o.media.tone_hz = group_tones[i];
    CgTestEndpoint *ep = cg_fx_join(daemon, c->tokens[i], &o, GROUP_JOIN_TIMEOUT_MS);
    g_assert_cmpstr(cg_test_endpoint_id(ep), ==, c->ids[i]);
    return ep;
}

void group_assert_all_media(CgTestEndpoint **ep, CgTestConsult *c, guint n)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)GROUP_MEDIA_TIMEOUT_MS * 1000;
    for (guint i = 0; i < n; i++)
        for (guint j = 0; j < n; j++) {
            if (i == j)
                continue;
            gint64 left_ms = MAX(1, (deadline - g_get_monotonic_time()) / 1000);
            if (cg_fx_wait_media(ep[i], c->ids[j], group_colours[j], group_tones[j],
                                 CG_FX_TONE_TOLERANCE_HZ, (guint)left_ms))
                continue;
            CgRtcPeer *peer = cg_test_endpoint_peer(ep[i]);
            guint32 got = 0;
            gboolean have = peer && cg_rtc_peer_video_color(peer, c->ids[j], &got);
            g_autofree char *pc = peer ? cg_rtc_peer_describe_label(peer, c->ids[j]) : NULL;
            cg_test_run_for(2000); /* does anything still arrive? */
            g_autofree char *pc2 = peer ? cg_rtc_peer_describe_label(peer, c->ids[j]) : NULL;
            g_message("%s then 2 s later %s", pc, pc2);
            g_error("%s from %s: %u frames from %" G_GUINT64_FORMAT " video packets, colour "
                    "%s%06x (want %06x), tone %.1f Hz (want %u)",
                    c->ids[i], c->ids[j], cg_test_endpoint_frames_from(ep[i], c->ids[j]),
                    peer ? cg_rtc_peer_video_packets(peer, c->ids[j]) : 0, have ? "" : "none ", got,
                    group_colours[j], peer ? cg_rtc_peer_tone_hz(peer, c->ids[j]) : 0.0,
                    group_tones[j]);
        }
    /* nothing is looped back */
    for (guint i = 0; i < n; i++)
        g_assert_cmpuint(cg_test_endpoint_frames_from(ep[i], c->ids[i]), ==, 0);
}
