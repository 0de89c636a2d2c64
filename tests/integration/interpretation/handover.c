/* integration-interpretation-handover: one interpreter per channel is live,
 * and the channel follows the hand-over without ever carrying both booth
 * partners; when the live one drops, the floor comes back up at once.
 *
 * es interpreter A (1000 Hz) joins first and is live; its partner B
 * (1200 Hz) is refused go_live (channel_taken), takes over, hands back with
 * hand_over; a hand_over by the one not live is refused (not_live). The
 * patient on es measures the mix in 20 ms windows hopped by 10 ms: no window
 * has both 1000 and 1200 Hz within 3 dB of their full level. Then A's socket
 * drops (resume_grace_s 0: the seat goes at once) and its media stops: the
 * channel has nobody live, B is offered it, and the patient hears the floor
 * (440 Hz) at full level again. */
#include <gst/gst.h>
#include <math.h>

#include "interp_fixture.h"

#define VOLUME 0.3
#define TOL_DB 2.0
#define SETTLE_MS 15000
#define SWITCH_MS 500

enum { SPECIALIST, A, B, PATIENT, OBSERVER, N };

static const CgFxParty parties[] = {{"specialist", NULL, NULL},  {"interpreter", "es", NULL},
                                    {"interpreter", "es", NULL}, {"patient", "es", NULL},
                                    {"observer", NULL, NULL},    {NULL, NULL, NULL}};
static const double tones[N] = {CG_FX_HZ_SPECIALIST, CG_FX_HZ_ES, CG_FX_HZ_ES_PARTNER, 0, 0};

static double sent_db(void)
{
    return 20.0 * log10(VOLUME);
}

/* The patient's mix moves from @from_hz to @to_hz after @act: within 500
 * ms, with no window carrying both near full level. */
static void expect_switch(CgTestEndpoint *patient, double from_hz, double to_hz, gint64 acted)
{
    CgRtcPeer *peer = cg_test_endpoint_peer(patient);
    CgRtcPeerToneTrack to = {0}, from = {0};
    for (gint64 end = acted + 5 * G_USEC_PER_SEC; g_get_monotonic_time() < end;) {
        cg_rtc_peer_tone_track(peer, CG_FX_MIX, to_hz, &to);
        cg_rtc_peer_tone_track(peer, CG_FX_MIX, from_hz, &from);
        if (to.onset && !from.above_now)
            break;
        cg_test_run_for(10);
    }
    g_autofree char *all = cg_fx_describe_levels(patient, CG_FX_MIX);
    if (!to.onset || from.above_now)
        g_error("the mix did not move from %.0f to %.0f Hz within 5 s (%s)", from_hz, to_hz, all);
    /* a few more windows, in case both come back together */
    cg_test_run_for(300);
    guint together = cg_rtc_peer_tones_together(peer, CG_FX_MIX);
    double ms = (to.onset - acted) / 1000.0;
    g_test_message("hand-over %.0f -> %.0f Hz heard after %.0f ms; windows with both: %u", from_hz,
                   to_hz, ms, together);
    if (together)
        g_error("%u windows of 20 ms carried both %.0f and %.0f Hz near full level (%s)", together,
                from_hz, to_hz, all);
    g_assert_cmpfloat(ms, <=, SWITCH_MS);
}

/* Tracks both interpreters' tones on the patient's mix from now on, each
 * "near full" when within 3 dB of what was sent. */
static void track_both(CgTestEndpoint *patient)
{
    CgRtcPeer *peer = cg_test_endpoint_peer(patient);
    cg_rtc_peer_track_tone(peer, CG_FX_MIX, CG_FX_HZ_ES, sent_db() - 3.0);
    cg_rtc_peer_track_tone(peer, CG_FX_MIX, CG_FX_HZ_ES_PARTNER, sent_db() - 3.0);
}

static gboolean offered(gpointer data)
{
    json_t *you = json_object_get(cg_fx_last(data, "interpretation"), "you");
    return json_is_true(json_object_get(you, "offered"));
}

static void test_handover(void)
{
    CgTestDaemonOptions o = {.consults_extra = "resume_grace_s = 0;"};
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(&o);
    static const char *const languages[] = {"es", NULL};
    g_autoptr(CgTestConsult) c =
        cg_fx_interp_consult_new(daemon, "simultaneous", languages, NULL, parties);
    const char *const *id = (const char *const *)c->ids;
    CgTestEndpoint *ep[N];
    /* A first: the first interpreter of a free channel goes live */
    ep[SPECIALIST] = cg_fx_join_tone(daemon, c->tokens[SPECIALIST], tones[SPECIALIST], VOLUME, 0);
    ep[A] = cg_fx_join_tone(daemon, c->tokens[A], tones[A], VOLUME, 0);
    cg_fx_expect_live(ep[A], "es", id[A]);
    for (guint i = B; i < N; i++)
        ep[i] = cg_fx_join_tone(daemon, c->tokens[i], tones[i], VOLUME, 0);
    cg_fx_expect_live(ep[B], "es", id[A]);
    cg_fx_expect_mix_audio(ep[PATIENT]);
    cg_fx_expect_level(ep[PATIENT], CG_FX_MIX, CG_FX_HZ_ES, sent_db() - TOL_DB, sent_db() + TOL_DB,
                       SETTLE_MS);
    double floor_ref = cg_fx_level_db(ep[OBSERVER], id[SPECIALIST], CG_FX_HZ_SPECIALIST, 5);
    g_assert_cmpfloat(fabs(floor_ref - sent_db()), <=, TOL_DB);

    /* B may not go live over A without a hand-over; A stays live */
    cg_fx_send(ep[B], "go_live", NULL);
    cg_fx_expect_error(ep[B], "channel_taken");
    cg_fx_expect_live(ep[PATIENT], "es", id[A]);

    /* B takes over: everyone sees it, the channel moves from 1000 to 1200 Hz */
    track_both(ep[PATIENT]);
    gint64 t = g_get_monotonic_time();
    cg_fx_send(ep[B], "take_over", NULL);
    cg_fx_expect_live(ep[A], "es", id[B]);
    cg_fx_expect_live(ep[PATIENT], "es", id[B]);
    expect_switch(ep[PATIENT], CG_FX_HZ_ES, CG_FX_HZ_ES_PARTNER, t);

    /* A is not live: its hand_over is refused; B hands back to A */
    cg_fx_send_hand_over(ep[A], id[B]);
    cg_fx_expect_error(ep[A], "not_live");
    track_both(ep[PATIENT]);
    t = g_get_monotonic_time();
    cg_fx_send_hand_over(ep[B], id[A]);
    cg_fx_expect_live(ep[PATIENT], "es", id[A]);
    expect_switch(ep[PATIENT], CG_FX_HZ_ES_PARTNER, CG_FX_HZ_ES, t);

    /* A drops (socket gone, media stopped): nobody is live, B is offered
     * the channel, the patient hears the floor at full level again */
    CgRtcPeer *patient = cg_test_endpoint_peer(ep[PATIENT]);
    cg_rtc_peer_track_tone(patient, CG_FX_MIX, CG_FX_HZ_SPECIALIST, floor_ref - 3.0);
    cg_rtc_peer_freeze(cg_test_endpoint_peer(ep[A]));
    cg_test_endpoint_drop(ep[A]);
    g_assert_true(cg_test_endpoint_wait_left(ep[PATIENT], id[A], CG_FX_REPLY_TIMEOUT_MS));
    gint64 left = g_get_monotonic_time();
    cg_fx_expect_live(ep[PATIENT], "es", NULL);
    if (!cg_test_wait_until(offered, ep[B], CG_FX_REPLY_TIMEOUT_MS))
        g_error("B was not offered the channel after A dropped");
    cg_fx_expect_level(ep[PATIENT], CG_FX_MIX, CG_FX_HZ_SPECIALIST, floor_ref - TOL_DB,
                       floor_ref + TOL_DB, SETTLE_MS);
    CgRtcPeerToneTrack up = {0};
    cg_rtc_peer_tone_track(patient, CG_FX_MIX, CG_FX_HZ_SPECIALIST, &up);
    g_test_message("floor back at full %.0f ms after participant_left of the live interpreter",
                   (up.onset - left) / 1000.0);
    g_assert_cmpint(up.onset, >, 0);
    g_assert_cmpfloat((up.onset - left) / 1000.0, <=, SWITCH_MS);

    for (guint i = 0; i < N; i++)
        cg_test_endpoint_free(ep[i]);
    cg_fx_daemon_stop_clean(daemon, 6000);
}

int main(int argc, char **argv)
{
    gst_init(&argc, &argv);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/interpretation/handover", test_handover);
    return g_test_run();
}
