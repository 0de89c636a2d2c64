/* integration-interpretation-protection: hearing protection and loss.
 *
 * /interpretation/limiter: two floor speakers start full-scale sines (440 and
 * 660 Hz, amplitude 1.0 each: the sum peaks at 2.0) at the same instant, a
 * sudden burst. The patient on ar (no ar interpreter: the floor at full) and
 * the es interpreter (its floor feed) each decode their mix: no sample above
 * -3 dBFS (the limiter's ceiling; 0.5 dB is allowed for the Opus round trip,
 * whose decoder may overshoot a band-limited peak), and the burst is brought
 * down at once (samples above that, if any, last less than 5 ms in all).
 *
 * /interpretation/loss: the es interpreter's uplink loses 5 % of its audio
 * packets (at random, its encoder adding in-band FEC as browsers do): the es
 * channel carries 1000 Hz with no gap longer than one 20 ms frame over 10 s,
 * thanks to the mixer's jitter buffer, FEC and PLC; except where packets were
 * lost back to back (about once per 10 s at 5 %): FEC rebuilds only one of
 * them, and each other lost frame of the run is concealed by Opus PLC, so a
 * run of k may leave k - 1 frames + one frame of gap. For comparison (printed,
 * not asserted), the same lossy uplink heard in the same window on the relay
 * path of a consecutive consult by a receiver that conceals loss itself.
 *
 * The interpreter's microphone is open and silent for WARMUP_MS before it
 * "speaks", as in a booth. libopus codes FEC (and conceals as voice) only
 * in frames its voice activity detector calls speech, and that detector
 * learns a steady tone as background noise within a second of the
 * encoder's start (measured: every lost frame then concealed 13 dB or more
 * under the tone, FEC or not, on any receiver); after seconds of silence it
 * keeps calling the tone speech for well over the 12 s it plays here. */
#include <gst/gst.h>
#include <math.h>

#include "interp_fixture.h"

#define CEILING 0.7079                    /* -3 dBFS */
#define CODEC_MARGIN_DB 0.5               /* what Opus may add to a peak */
#define ATTACK_SAMPLES (5 * 48000 / 1000) /* 5 ms */
#define SETTLE_MS 15000
#define WARMUP_MS 6000 /* the lossy interpreter's silence before its tone */

/* FALSE (after saying why) when @ep's mix went above the ceiling since the
 * last reset. */
static gboolean expect_limited(CgTestEndpoint *ep, const char *what)
{
    CgRtcPeer *peer = cg_test_endpoint_peer(ep);
    guint64 over = 0;
    double peak = cg_rtc_peer_audio_peak(peer, CG_FX_MIX, &over);
    double allowed = CEILING * pow(10.0, CODEC_MARGIN_DB / 20.0);
    CgRtcPeerReceiveRepair r = {0};
    cg_rtc_peer_receive_repair(peer, CG_FX_MIX, FALSE, &r);
    g_test_message("%s: peak %.4f (%.2f dBFS), %" G_GUINT64_FORMAT " samples above %.4f; the "
                   "listener's jitter buffer lost %" G_GUINT64_FORMAT " mix packets so far",
                   what, peak, 20.0 * log10(MAX(peak, 1e-9)), over, allowed, r.lost);
    if (peak <= allowed && over <= ATTACK_SAMPLES)
        return TRUE;
    g_test_message("%s: NOT limited to -3 dBFS", what);
    return FALSE;
}

static void test_limiter(void)
{
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(NULL);
    enum { SPECIALIST, PROVIDER, ES, PATIENT, N };
    static const CgFxParty parties[] = {{"specialist", NULL, NULL},
                                        {"provider", NULL, NULL},
                                        {"interpreter", "es", NULL},
                                        {"patient", "ar", NULL},
                                        {NULL, NULL, NULL}};
    static const char *const languages[] = {"es", "ar", NULL};
    g_autoptr(CgTestConsult) c =
        cg_fx_interp_consult_new(daemon, "simultaneous", languages, NULL, parties);
    CgTestEndpoint *ep[N];
    /* the speakers join silent (tone_off) at full scale; the interpreter
     * and the patient publish silence */
    for (guint i = 0; i < N; i++) {
        CgTestEndpointOptions o = {.media = {.tone_hz = i == PROVIDER ? 660 : 440,
                                             .tone_volume = 1.0,
                                             .tone_off = TRUE,
                                             .no_video = TRUE,
                                             .repair_loss = TRUE,
                                             .jitter_latency_ms = CG_FX_JITTER_MS},
                                   .admit_waiting = TRUE};
        ep[i] = cg_fx_join(daemon, c->tokens[i], &o, CG_FX_JOIN_TIMEOUT_MS);
    }
    cg_fx_expect_channel(ep[PATIENT], "ar");
    cg_fx_expect_mix_audio(ep[PATIENT]);
    cg_fx_expect_mix_audio(ep[ES]);
    for (guint i = ES; i <= PATIENT; i++)
        cg_rtc_peer_reset_audio_peak(cg_test_endpoint_peer(ep[i]), CG_FX_MIX,
                                     CEILING * pow(10.0, CODEC_MARGIN_DB / 20.0));
    cg_rtc_peer_set_tone(cg_test_endpoint_peer(ep[SPECIALIST]), TRUE);
    cg_rtc_peer_set_tone(cg_test_endpoint_peer(ep[PROVIDER]), TRUE);
    /* both tones arrive (limited, so each below its own full level); the
     * first second after the switch is the burst */
    for (guint i = ES; i <= PATIENT; i++) {
        cg_fx_expect_level(ep[i], CG_FX_MIX, 440, -20, 0, SETTLE_MS);
        cg_fx_expect_level(ep[i], CG_FX_MIX, 660, -20, 0, SETTLE_MS);
    }
    cg_test_run_for(500);
    gboolean burst_ok = expect_limited(ep[PATIENT], "burst, ar listener (floor at full)") &
                        expect_limited(ep[ES], "burst, es interpreter (floor feed)");
    for (guint i = ES; i <= PATIENT; i++)
        cg_rtc_peer_reset_audio_peak(cg_test_endpoint_peer(ep[i]), CG_FX_MIX,
                                     CEILING * pow(10.0, CODEC_MARGIN_DB / 20.0));
    cg_test_run_for(3000); /* a measurement window of steady full-scale input */
    gboolean steady_ok = expect_limited(ep[PATIENT], "steady, ar listener (floor at full)") &
                         expect_limited(ep[ES], "steady, es interpreter (floor feed)");
    if (!burst_ok || !steady_ok)
        g_error("a mix went above -3 dBFS (+%.1f dB for Opus) at a listener: see the messages",
                CODEC_MARGIN_DB);

    for (guint i = 0; i < N; i++)
        cg_test_endpoint_free(ep[i]);
    cg_fx_daemon_stop_clean(daemon, 6000);
}

/* Joins @c's specialist (silent), es interpreter (1000 Hz, not yet on; 5 %
 * uplink loss) and patient (silent) into @ep. */
static void join_lossy(CgTestDaemon *daemon, CgTestConsult *c, CgTestEndpoint **ep)
{
    ep[0] = cg_fx_join_tone(daemon, c->tokens[0], 0, 0.3, 0);
    CgTestEndpointOptions o = {.media = {.tone_hz = CG_FX_HZ_ES,
                                         .tone_volume = 0.3,
                                         .tone_off = TRUE,
                                         .no_video = TRUE,
                                         .repair_loss = TRUE,
                                         .jitter_latency_ms = CG_FX_JITTER_MS,
                                         .send_audio_loss_pct = 5},
                               .admit_waiting = TRUE};
    ep[1] = cg_fx_join(daemon, c->tokens[1], &o, CG_FX_JOIN_TIMEOUT_MS);
    ep[2] = cg_fx_join_tone(daemon, c->tokens[2], 0, 0.3, 0);
}

static void test_loss(void)
{
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(NULL);
    enum { SPECIALIST, ES, PATIENT, N };
    static const CgFxParty parties[] = {{"specialist", NULL, NULL},
                                        {"interpreter", "es", NULL},
                                        {"patient", "es", NULL},
                                        {NULL, NULL, NULL}};
    static const char *const languages[] = {"es", NULL};
    g_autoptr(CgTestConsult) c =
        cg_fx_interp_consult_new(daemon, "simultaneous", languages, NULL, parties);
    /* the baseline, measured in the same window: the same lossy uplink in a
     * consecutive consult, heard on the relay path by a receiver that
     * conceals loss itself (Opus PLC/FEC, as a browser) */
    g_autoptr(CgTestConsult) base =
        cg_fx_interp_consult_new(daemon, "consecutive", languages, NULL, parties);
    CgTestEndpoint *ep[N], *bep[N];
    join_lossy(daemon, c, ep);
    cg_fx_expect_live(ep[PATIENT], "es", c->ids[ES]);
    join_lossy(daemon, base, bep);
    cg_test_run_for(WARMUP_MS); /* the booth's silence: a duration, not an event */
    cg_rtc_peer_set_tone(cg_test_endpoint_peer(ep[ES]), TRUE);
    cg_rtc_peer_set_tone(cg_test_endpoint_peer(bep[ES]), TRUE);
    double full = 20.0 * log10(0.3);
    cg_fx_expect_level(ep[PATIENT], CG_FX_MIX, CG_FX_HZ_ES, full - 3.0, full + 2.0, SETTLE_MS);
    cg_fx_expect_level(bep[PATIENT], base->ids[ES], CG_FX_HZ_ES, full - 3.0, full + 2.0, SETTLE_MS);

    CgRtcPeer *peer = cg_test_endpoint_peer(ep[PATIENT]);
    CgRtcPeer *bpeer = cg_test_endpoint_peer(bep[PATIENT]);
    /* a gap: 20 ms windows where the tone is 10 dB or more under its level */
    cg_rtc_peer_track_tone(peer, CG_FX_MIX, CG_FX_HZ_ES, full - 10.0);
    cg_rtc_peer_track_tone(bpeer, base->ids[ES], CG_FX_HZ_ES, full - 10.0);
    guint64 samples0 = cg_rtc_peer_audio_samples(peer, CG_FX_MIX);
    cg_rtc_peer_audio_drops(cg_test_endpoint_peer(ep[ES]), NULL, TRUE);
    cg_test_run_for(10000); /* the measurement window */
    CgRtcPeerToneTrack t = {0}, b = {0};
    g_assert_true(cg_rtc_peer_tone_track(peer, CG_FX_MIX, CG_FX_HZ_ES, &t));
    g_assert_true(cg_rtc_peer_tone_track(bpeer, base->ids[ES], CG_FX_HZ_ES, &b));
    guint64 samples = cg_rtc_peer_audio_samples(peer, CG_FX_MIX) - samples0;
    guint run = 0;
    guint64 dropped = cg_rtc_peer_audio_drops(cg_test_endpoint_peer(ep[ES]), &run, FALSE);
    g_test_message("5 %% uplink loss, es channel (mix): %u windows, %u with the tone, longest "
                   "gap %u ms, loudest %.1f dBFS (sent %.1f); %.1f s of audio decoded in 10 s",
                   t.windows, t.windows_above, t.longest_gap_ms, t.max_dbfs, full,
                   samples / 48000.0);
    g_test_message("the interpreter's uplink dropped %" G_GUINT64_FORMAT " packets meanwhile, at "
                   "most %u back to back",
                   dropped, run);
    g_test_message("baseline, relay path with the receiver's own PLC/FEC: %u windows, %u with the "
                   "tone, longest gap %u ms, loudest %.1f dBFS",
                   b.windows, b.windows_above, b.longest_gap_ms, b.max_dbfs);
    /* the channel kept flowing: at least 9 of the 10 s arrived */
    g_assert_cmpuint(samples, >=, 9 * 48000);
    g_assert_cmpint(t.onset, >, 0);
    /* A lost packet is rebuilt from the next one's in-band FEC: isolated
     * losses leave no gap longer than one frame. FEC carries one packet only:
     * of k lost back to back, k - 1 are concealed (Opus PLC, which fades a
     * steady tone), so each such frame may read as a gap of its own. */
    g_assert_cmpuint(dropped, >, 0);
    guint allowed = 20 * MAX(1u, run);
    if (t.longest_gap_ms > allowed)
        g_error("the channel lost 1000 Hz for %u ms (allowed %u ms: at most %u packets were lost "
                "back to back) with 5 %% loss on the interpreter's uplink (relay path with the "
                "receiver's PLC: %u ms)",
                t.longest_gap_ms, allowed, run, b.longest_gap_ms);

    for (guint i = 0; i < N; i++) {
        cg_test_endpoint_free(ep[i]);
        cg_test_endpoint_free(bep[i]);
    }
    cg_fx_daemon_stop_clean(daemon, 6000);
}

int main(int argc, char **argv)
{
    gst_init(&argc, &argv);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/interpretation/limiter", test_limiter);
    g_test_add_func("/interpretation/loss", test_loss);
    return g_test_run();
}
