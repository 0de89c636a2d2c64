/* integration-interpretation-meter: the tone meter of the interpretation
 * tests (tests/support/rtc_peer_audio.c) checked on the plain relay path of
 * a consult without interpretation, where consultd forwards each sine as it
 * was sent: so that a failure of the other tests is the server's, not the
 * meter's, and so that each of their checks can fail.
 *
 *   - levels: a 0.3 and a full-scale sine read -10.5 and 0 dBFS (+-1 dB), a
 *     tone nobody sends reads under -60 dBFS, the peak of the full-scale one
 *     reaches 0.9;
 *   - onset: a tone switched on is seen within 400 ms (the relay path);
 *   - gaps: a tone switched off for ~200 ms reads as a gap that long (+-40 ms). */
#include <gst/gst.h>
#include <math.h>

#include "interp_fixture.h"

enum { SPECIALIST, PROVIDER, LISTENER, N };

static void test_meter(void)
{
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(NULL);
    static const CgFxParty parties[] = {{"specialist", NULL, NULL},
                                        {"provider", NULL, NULL},
                                        {"observer", NULL, NULL},
                                        {NULL, NULL, NULL}};
    g_autoptr(CgTestConsult) c = cg_fx_interp_consult_new(daemon, NULL, NULL, NULL, parties);
    const char *const *id = (const char *const *)c->ids;
    CgTestEndpoint *ep[N];
    ep[SPECIALIST] = cg_fx_join_tone(daemon, c->tokens[SPECIALIST], 440, 0.3, 0);
    ep[PROVIDER] = cg_fx_join_tone(daemon, c->tokens[PROVIDER], 660, 1.0, 0);
    ep[LISTENER] = cg_fx_join_tone(daemon, c->tokens[LISTENER], 0, 0.3, 0);
    CgRtcPeer *peer = cg_test_endpoint_peer(ep[LISTENER]);

    double quiet = 20.0 * log10(0.3);
    cg_fx_expect_level(ep[LISTENER], id[SPECIALIST], 440, quiet - 1, quiet + 1, 15000);
    cg_fx_expect_level(ep[LISTENER], id[PROVIDER], 660, -1, 1, 15000);
    g_test_message("levels: 440 Hz %.2f dBFS (sent %.2f), 660 Hz %.2f dBFS (sent 0)",
                   cg_fx_level_db(ep[LISTENER], id[SPECIALIST], 440, 5), quiet,
                   cg_fx_level_db(ep[LISTENER], id[PROVIDER], 660, 5));
    for (guint i = SPECIALIST; i <= PROVIDER; i++) {
        double other = cg_fx_level_db(ep[LISTENER], id[i], 1000, 5);
        g_test_message("1000 Hz (not sent) on %s: %.1f dBFS", id[i], other);
        g_assert_cmpfloat(other, <, -60);
    }
    cg_rtc_peer_reset_audio_peak(peer, id[PROVIDER], 0);
    cg_test_run_for(300);
    double peak = cg_rtc_peer_audio_peak(peer, id[PROVIDER], NULL);
    g_test_message("peak of the full-scale sine: %.3f", peak);
    g_assert_cmpfloat(peak, >=, 0.9);

    /* the specialist's tone off for ~200 ms, then on: one gap, one onset */
    cg_rtc_peer_track_tone(peer, id[SPECIALIST], 440, quiet - 10);
    cg_test_run_for(300);
    gint64 off = g_get_monotonic_time();
    cg_rtc_peer_set_tone(cg_test_endpoint_peer(ep[SPECIALIST]), FALSE);
    cg_test_run_for(200); /* the silence being measured */
    cg_rtc_peer_set_tone(cg_test_endpoint_peer(ep[SPECIALIST]), TRUE);
    double off_ms = (g_get_monotonic_time() - off) / 1000.0; /* more on a busy machine */
    cg_test_run_for(500);
    CgRtcPeerToneTrack t = {0};
    g_assert_true(cg_rtc_peer_tone_track(peer, id[SPECIALIST], 440, &t));
    g_test_message("a %.0f ms silence read as a gap of %u ms", off_ms, t.longest_gap_ms);
    g_assert_cmpfloat(fabs(t.longest_gap_ms - off_ms), <=, 40);

    /* onset: switched on, seen on the relay path within 400 ms */
    cg_rtc_peer_set_tone(cg_test_endpoint_peer(ep[SPECIALIST]), FALSE);
    cg_fx_expect_level(ep[LISTENER], id[SPECIALIST], 440, -1000, -100, 5000);
    cg_rtc_peer_track_tone(peer, id[SPECIALIST], 440, quiet - 6);
    gint64 on = g_get_monotonic_time();
    cg_rtc_peer_set_tone(cg_test_endpoint_peer(ep[SPECIALIST]), TRUE);
    cg_fx_expect_level(ep[LISTENER], id[SPECIALIST], 440, quiet - 1, quiet + 1, 5000);
    g_assert_true(cg_rtc_peer_tone_track(peer, id[SPECIALIST], 440, &t));
    g_test_message("tone on -> onset at the listener: %.1f ms", (t.onset - on) / 1000.0);
    g_assert_cmpint(t.onset, >, on);
    g_assert_cmpint(t.onset - on, <=, 400 * G_TIME_SPAN_MILLISECOND);

    for (guint i = 0; i < N; i++)
        cg_test_endpoint_free(ep[i]);
    cg_fx_daemon_stop_clean(daemon, 6000);
}

int main(int argc, char **argv)
{
    gst_init(&argc, &argv);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/interpretation/meter", test_meter);
    return g_test_run();
}
