/* integration-consult-three_party: specialist, provider and patient join a
 * virtual consult; each publishes its own colour and tone; each must decode
 * every other one's video (right colour) and audio (right frequency), relayed
 * by consultd. Prints join -> first remote frame and consultd's RSS and CPU
 * over ~5 s of the call (measured, not asserted). */
#include <gst/gst.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "consult_fixture.h"

#define N 3
#define TONE_TOLERANCE_HZ 8.0

static const guint32 colours[N] = {0xff0000, 0x00ff00, 0x0000ff};
static const guint tones[N] = {440, 660, 880};

static void assert_media(CgTestEndpoint *ep, const char *from, guint32 rgb, guint tone)
{
    if (cg_fx_wait_media(ep, from, rgb, tone, TONE_TOLERANCE_HZ, 10000))
        return;
    CgRtcPeer *peer = cg_test_endpoint_peer(ep);
    guint32 got = 0;
    gboolean have = cg_rtc_peer_video_color(peer, from, &got);
    g_error("%s from %s: colour %s%06x (want %06x), tone %.1f Hz (want %u)",
            cg_test_endpoint_id(ep), from, have ? "" : "none ", got, rgb,
            cg_rtc_peer_tone_hz(peer, from), tone);
}

static void test_three_party(void)
{
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(NULL);
    static const char *const roles[] = {"specialist", "provider", "patient", NULL};
    g_autoptr(CgTestConsult) c = cg_fx_consult_new(daemon, "virtual_consult", roles);
    double cpu0 = 0;
    guint64 rss0 = 0;
    cg_fx_proc_usage(cg_test_daemon_pid(daemon), &cpu0, &rss0);

    CgTestEndpoint *ep[N];
    for (guint i = 0; i < N; i++) {
        ep[i] = cg_fx_join_publishing(daemon, c->tokens[i], colours[i], tones[i]);
        g_assert_cmpstr(cg_test_endpoint_id(ep[i]), ==, c->ids[i]);
    }
    for (guint i = 0; i < N; i++)
        for (guint j = 0; j < N; j++)
            if (i != j)
                cg_fx_wait_frames(ep[i], c->ids[j], 30);
    for (guint i = 0; i < N; i++)
        for (guint j = 0; j < N; j++)
            if (i != j)
                assert_media(ep[i], c->ids[j], colours[j], tones[j]);
    /* Nothing is looped back: no endpoint receives its own media. */
    for (guint i = 0; i < N; i++)
        g_assert_cmpuint(cg_test_endpoint_frames_from(ep[i], c->ids[i]), ==, 0);

    for (guint i = 0; i < N; i++)
        for (guint j = 0; j < N; j++)
            if (i != j)
                g_test_message(
                    "join -> first frame: %s sees %s after %.1f ms", c->ids[i], c->ids[j],
                    (cg_rtc_peer_first_frame_time(cg_test_endpoint_peer(ep[i]), c->ids[j]) -
                     cg_test_endpoint_join_time(ep[i])) /
                        1000.0);

    double cpu1 = 0, cpu2 = 0;
    guint64 rss1 = 0, rss2 = 0;
    cg_fx_proc_usage(cg_test_daemon_pid(daemon), &cpu1, &rss1);
    gint64 t1 = g_get_monotonic_time();
    cg_test_run_for(5000);
    gint64 t2 = g_get_monotonic_time();
    g_assert_true(cg_fx_proc_usage(cg_test_daemon_pid(daemon), &cpu2, &rss2));
    g_test_message("consultd idle RSS %" G_GUINT64_FORMAT " KiB; after 5 s of a 3-party call "
                   "RSS %" G_GUINT64_FORMAT " KiB, CPU %.2f s total, %.1f %% of one core "
                   "during the 5 s window",
                   rss0, rss2, cpu2, 100.0 * (cpu2 - cpu1) / ((t2 - t1) / 1e6));
    printf("three_party: rss_kib=%" G_GUINT64_FORMAT " cpu_window_pct=%.1f\n", rss2,
           100.0 * (cpu2 - cpu1) / ((t2 - t1) / 1e6));

    /* Media still flows after the window. */
    guint before = cg_test_endpoint_frames_from(ep[0], c->ids[1]);
    cg_fx_wait_frames(ep[0], c->ids[1], before + 10);

    for (guint i = 0; i < N; i++)
        cg_test_endpoint_free(ep[i]);
    cg_fx_daemon_stop_clean(daemon, 6000);
}

int main(int argc, char **argv)
{
    gst_init(&argc, &argv);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/consult/three_party", test_three_party);
    return g_test_run();
}
