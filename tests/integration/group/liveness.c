/* integration-group-liveness: three endpoints in a call; one freezes (its
 * whole media pipeline stops: no RTP, no RTCP, no ICE) while its WebSocket
 * stays open. consultd must notice the silence on its own (30 s, no consent
 * freshness in webrtcbin 1.22), remove it, and tell the others
 * participant_left with reason media_failed; the others keep their media. */
#include <gst/gst.h>

#include "group_common.h"

#define CONSENT_S 30
#define MARGIN_S 8

static void test_frozen_endpoint(void)
{
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(NULL);
    g_autoptr(CgTestConsult) c = group_create_consult(daemon, 3);
    CgRtcPeerOptions media = {.width = 160, .height = 120, .fps = 10};
    CgTestEndpoint *ep[3];
    for (guint i = 0; i < 3; i++)
        ep[i] = group_join(daemon, c, i, &media);
    group_assert_all_media(ep, c, 3);

    cg_rtc_peer_freeze(cg_test_endpoint_peer(ep[2]));
    gint64 frozen = g_get_monotonic_time();
    /* not gone early: still there after 25 s of silence, as told by
     * observers whose WebSockets are still open (a dead one hears nothing) */
    cg_test_run_for((CONSENT_S - 5) * 1000);
    for (guint i = 0; i < 3; i++)
        if (!cg_wss_client_is_open(cg_test_endpoint_wss(ep[i])))
            g_error("endpoint %u's WebSocket closed during the silence: %u %s", i,
                    cg_wss_client_close_status(cg_test_endpoint_wss(ep[i])),
                    cg_wss_client_close_reason(cg_test_endpoint_wss(ep[i])));
    g_assert_null(cg_test_endpoint_left_reason(ep[0], c->ids[2]));
    if (!cg_test_endpoint_wait_left(ep[0], c->ids[2], (5 + MARGIN_S) * 1000))
        g_error("the frozen endpoint is still in the call %.1f s after it froze (daemon log "
                "%s the liveness failure; the observer's WebSocket: %s %u %s)",
                (g_get_monotonic_time() - frozen) / 1e6,
                cg_test_daemon_log_contains(daemon, "no media or consent") ? "has" : "lacks",
                cg_wss_client_is_open(cg_test_endpoint_wss(ep[0])) ? "open" : "closed",
                cg_wss_client_close_status(cg_test_endpoint_wss(ep[0])),
                cg_wss_client_close_reason(cg_test_endpoint_wss(ep[0])));
    gint64 gone = g_get_monotonic_time();
    g_test_message("frozen endpoint removed %.1f s after it froze", (gone - frozen) / 1e6);
    g_assert_cmpstr(cg_test_endpoint_left_reason(ep[0], c->ids[2]), ==, "media_failed");
    g_assert_true(cg_test_endpoint_wait_left(ep[1], c->ids[2], 2000));
    g_assert_cmpstr(cg_test_endpoint_left_reason(ep[1], c->ids[2]), ==, "media_failed");
    g_assert_true(cg_test_endpoint_wait_error(ep[2], "media_failed", 2000));
    g_assert_true(cg_wss_client_wait_closed(cg_test_endpoint_wss(ep[2]), 2000));
    g_assert_cmpuint(cg_wss_client_close_status(cg_test_endpoint_wss(ep[2])), ==, 1011);
    /* the others stay, and their media goes on */
    g_assert_null(cg_test_endpoint_left_reason(ep[0], c->ids[1]));
    g_assert_null(cg_test_endpoint_left_reason(ep[1], c->ids[0]));
    guint f = cg_test_endpoint_frames_from(ep[0], c->ids[1]);
    g_assert_true(cg_test_endpoint_wait_frames(ep[0], c->ids[1], f + 10, 10000));
    f = cg_test_endpoint_frames_from(ep[1], c->ids[0]);
    g_assert_true(cg_test_endpoint_wait_frames(ep[1], c->ids[0], f + 10, 10000));
    for (guint i = 0; i < 3; i++)
        cg_test_endpoint_free(ep[i]);
}

int main(int argc, char **argv)
{
    gst_init(&argc, &argv);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/group/liveness", test_frozen_endpoint);
    return g_test_run();
}
