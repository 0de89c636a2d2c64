/* interp-bench — issue 11's measurements of simultaneous interpretation in
 * consultd, with the test client (decoding webrtcbin endpoints, real WSS and
 * DTLS-SRTP over loopback):
 *
 *   interp-bench latency [--onsets 30] [--json FILE]
 *     Added mouth-to-ear latency of a language channel over the plain relay
 *     path, in one run: the specialist switches a 440 Hz tone on; a floor
 *     listener (relay path) and an es listener (the es channel's mix: no
 *     interpreter joined, so the floor at full level) each note the onset
 *     (tone within 6 dB of its level, 20 ms windows hopped by 10 ms, on
 *     decoded audio; receivers without jitter delay). Per onset: es - floor.
 *     Median and p95 over --onsets onsets, and each path from the switch.
 *
 *   interp-bench cpu [--window 10] [--json FILE]
 *     consultd's CPU (utime+stime of /proc/PID/stat over --window s, % of
 *     one core) for: a plain consult (specialist and provider speaking, four
 *     silent listeners); the same as a simultaneous consult in es, ar, fr,
 *     de with every listener on the floor; then 1, 2 and 4 channels listened
 *     to (a listener switched to each: one mix per channel).
 *
 * Needs CG_CONSULTD (and CG_WEB_ROOT), as the integration tests: run it as
 *   CG_CONSULTD=build/daemon/consultd CG_WEB_ROOT=web build/tools/bench/interp-bench latency
 * Exit status 0 when the run completed; a failed step aborts with a message.
 */
#include <gst/gst.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp_fixture.h"

#define VOLUME 0.3

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The @p-th percentile (0..100) of the sorted @v, nearest rank. */
static double percentile(const double *v, guint n, double p)
{
    guint rank = (guint)ceil(p / 100.0 * n);
    return v[MIN(MAX(rank, 1u), n) - 1];
}

static void write_json(const char *path, json_t *out)
{
    if (path && json_dump_file(out, path, JSON_INDENT(2)) != 0)
        g_error("cannot write %s", path);
    char *text = json_dumps(out, JSON_INDENT(2));
    printf("%s\n", text);
    free(text);
}

/* ---- latency ---------------------------------------------------------------- */

typedef struct {
    CgRtcPeer *floor, *es;
    const char *speaker;
} OnsetWait;

static gboolean both_onsets(gpointer data)
{
    OnsetWait *w = data;
    CgRtcPeerToneTrack a = {0}, b = {0};
    cg_rtc_peer_tone_track(w->floor, w->speaker, CG_FX_HZ_SPECIALIST, &a);
    cg_rtc_peer_tone_track(w->es, CG_FX_MIX, CG_FX_HZ_SPECIALIST, &b);
    return a.onset && b.onset;
}

static void run_latency(guint onsets, const char *json_path)
{
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(NULL);
    static const CgFxParty parties[] = {{"specialist", NULL, NULL},
                                        {"observer", NULL, NULL},
                                        {"observer", "es", NULL},
                                        {NULL, NULL, NULL}};
    static const char *const languages[] = {"es", NULL};
    g_autoptr(CgTestConsult) c =
        cg_fx_interp_consult_new(daemon, "simultaneous", languages, NULL, parties);
    CgTestEndpoint *speaker = cg_fx_join_tone(daemon, c->tokens[0], CG_FX_HZ_SPECIALIST, VOLUME, 0);
    CgTestEndpoint *floor_ep = cg_fx_join_tone(daemon, c->tokens[1], 0, VOLUME, 0);
    CgTestEndpoint *es_ep = cg_fx_join_tone(daemon, c->tokens[2], 0, VOLUME, 0);
    cg_fx_expect_channel(es_ep, "es");
    double full = 20.0 * log10(VOLUME);
    cg_fx_expect_level(floor_ep, c->ids[0], CG_FX_HZ_SPECIALIST, full - 2, full + 2, 15000);
    cg_fx_expect_level(es_ep, CG_FX_MIX, CG_FX_HZ_SPECIALIST, full - 2, full + 2, 15000);

    CgRtcPeer *tone = cg_test_endpoint_peer(speaker);
    OnsetWait w = {cg_test_endpoint_peer(floor_ep), cg_test_endpoint_peer(es_ep), c->ids[0]};
    g_autofree double *added = g_new(double, onsets);
    g_autofree double *floor_ms = g_new(double, onsets);
    g_autofree double *es_ms = g_new(double, onsets);
    for (guint i = 0; i < onsets; i++) {
        cg_rtc_peer_set_tone(tone, FALSE);
        cg_fx_expect_level(floor_ep, c->ids[0], CG_FX_HZ_SPECIALIST, -1000, -60, 5000);
        cg_fx_expect_level(es_ep, CG_FX_MIX, CG_FX_HZ_SPECIALIST, -1000, -60, 5000);
        cg_rtc_peer_track_tone(w.floor, c->ids[0], CG_FX_HZ_SPECIALIST, full - 6);
        cg_rtc_peer_track_tone(w.es, CG_FX_MIX, CG_FX_HZ_SPECIALIST, full - 6);
        gint64 on = g_get_monotonic_time();
        cg_rtc_peer_set_tone(tone, TRUE);
        if (!cg_test_wait_until(both_onsets, &w, 5000))
            g_error("onset %u not seen by both listeners within 5 s", i);
        CgRtcPeerToneTrack a = {0}, b = {0};
        cg_rtc_peer_tone_track(w.floor, c->ids[0], CG_FX_HZ_SPECIALIST, &a);
        cg_rtc_peer_tone_track(w.es, CG_FX_MIX, CG_FX_HZ_SPECIALIST, &b);
        floor_ms[i] = (a.onset - on) / 1000.0;
        es_ms[i] = (b.onset - on) / 1000.0;
        added[i] = es_ms[i] - floor_ms[i];
        fprintf(stderr, "onset %u: floor %.1f ms, es %.1f ms, added %.1f ms\n", i, floor_ms[i],
                es_ms[i], added[i]);
    }
    qsort(added, onsets, sizeof *added, cmp_double);
    qsort(floor_ms, onsets, sizeof *floor_ms, cmp_double);
    qsort(es_ms, onsets, sizeof *es_ms, cmp_double);
    json_t *out =
        json_pack("{s:s, s:i, s:{s:f, s:f, s:f, s:f}, s:{s:f, s:f}, s:{s:f, s:f}}", "measure",
                  "added latency of the es channel (mix) over the relay path", "onsets",
                  (int)onsets, "added_ms", "median", percentile(added, onsets, 50), "p95",
                  percentile(added, onsets, 95), "min", added[0], "max", added[onsets - 1],
                  "floor_from_switch_ms", "median", percentile(floor_ms, onsets, 50), "p95",
                  percentile(floor_ms, onsets, 95), "es_from_switch_ms", "median",
                  percentile(es_ms, onsets, 50), "p95", percentile(es_ms, onsets, 95));
    write_json(json_path, out);
    json_decref(out);
    cg_test_endpoint_free(speaker);
    cg_test_endpoint_free(floor_ep);
    cg_test_endpoint_free(es_ep);
    cg_fx_daemon_stop_clean(daemon, 6000);
}

/* ---- cpu -------------------------------------------------------------------------- */

#define CPU_LISTENERS 4

/* consultd's CPU over @window_s s, as % of one core. */
static double cpu_pct(CgTestDaemon *daemon, guint window_s)
{
    GPid pid = cg_test_daemon_pid(daemon);
    double c0 = cg_fx_proc_cpu_s(pid);
    gint64 t0 = g_get_monotonic_time();
    cg_test_run_for(window_s * 1000); /* the measurement window */
    double c1 = cg_fx_proc_cpu_s(pid);
    return 100.0 * (c1 - c0) / ((g_get_monotonic_time() - t0) / 1e6);
}

/* Joins a specialist (440 Hz), a provider (660 Hz) and CPU_LISTENERS silent
 * observers into @c; @ep gets them in that order. */
static void join_all(CgTestDaemon *daemon, CgTestConsult *c, CgTestEndpoint **ep)
{
    ep[0] = cg_fx_join_tone(daemon, c->tokens[0], CG_FX_HZ_SPECIALIST, VOLUME, 0);
    ep[1] = cg_fx_join_tone(daemon, c->tokens[1], CG_FX_HZ_PROVIDER, VOLUME, 0);
    for (guint i = 0; i < CPU_LISTENERS; i++)
        ep[2 + i] = cg_fx_join_tone(daemon, c->tokens[2 + i], 0, VOLUME, 0);
    /* media up: the last listener hears both speakers */
    for (guint s = 0; s < 2; s++)
        cg_fx_expect_level(ep[2 + CPU_LISTENERS - 1], c->ids[s],
                           s ? CG_FX_HZ_PROVIDER : CG_FX_HZ_SPECIALIST, -14, -8, 15000);
}

static void run_cpu(guint window_s, const char *json_path)
{
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(NULL);
    static const CgFxParty parties[] = {{"specialist", NULL, NULL}, {"provider", NULL, NULL},
                                        {"observer", NULL, NULL},   {"observer", NULL, NULL},
                                        {"observer", NULL, NULL},   {"observer", NULL, NULL},
                                        {NULL, NULL, NULL}};
    static const char *const languages[] = {"es", "ar", "fr", "de", NULL};
    enum { N = 2 + CPU_LISTENERS };
    json_t *out = json_pack("{s:s, s:i, s:i}", "measure", "consultd CPU, % of one core", "window_s",
                            (int)window_s, "participants", N);
    CgTestEndpoint *ep[N];

    g_autoptr(CgTestConsult) plain = cg_fx_interp_consult_new(daemon, NULL, NULL, NULL, parties);
    join_all(daemon, plain, ep);
    double pct = cpu_pct(daemon, window_s);
    fprintf(stderr, "plain consult: %.1f %%\n", pct);
    json_object_set_new(out, "plain", json_real(pct));
    for (guint i = 0; i < N; i++)
        cg_test_endpoint_free(ep[i]);

    g_autoptr(CgTestConsult) simul =
        cg_fx_interp_consult_new(daemon, "simultaneous", languages, "en", parties);
    join_all(daemon, simul, ep);
    json_t *per = json_object();
    guint active = 0;
    for (guint step = 0; step < 4; step++) {
        guint want = step == 0 ? 0 : step == 3 ? 4 : step; /* 0, 1, 2, 4 channels */
        for (; active < want; active++) {
            CgTestEndpoint *l = ep[2 + active];
            cg_fx_send_channel(l, languages[active], FALSE);
            cg_fx_expect_channel(l, languages[active]);
            cg_fx_expect_mix_audio(l);
            cg_fx_expect_level(l, CG_FX_MIX, CG_FX_HZ_SPECIALIST, -14, -8, 15000);
        }
        pct = cpu_pct(daemon, window_s);
        fprintf(stderr, "simultaneous, %u channel(s) listened to: %.1f %%\n", active, pct);
        g_autofree char *key = g_strdup_printf("%u", active);
        json_object_set_new(per, key, json_real(pct));
    }
    json_object_set_new(out, "simultaneous_by_channels", per);
    for (guint i = 0; i < N; i++)
        cg_test_endpoint_free(ep[i]);
    write_json(json_path, out);
    json_decref(out);
    cg_fx_daemon_stop_clean(daemon, 6000);
}

int main(int argc, char **argv)
{
    gint onsets = 30, window = 10;
    g_autofree char *json = NULL;
    GOptionEntry entries[] = {
        {"onsets", 0, 0, G_OPTION_ARG_INT, &onsets, "latency: tone onsets measured", "N"},
        {"window", 0, 0, G_OPTION_ARG_INT, &window, "cpu: seconds per measurement", "S"},
        {"json", 0, 0, G_OPTION_ARG_FILENAME, &json, "also write the result here", "FILE"},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    g_autoptr(GOptionContext) ctx = g_option_context_new("latency|cpu");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_add_group(ctx, gst_init_get_option_group());
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc != 2 || onsets < 1 ||
        window < 1) {
        fprintf(stderr,
                "usage: interp-bench latency|cpu [--onsets N] [--window S] [--json F]%s%s\n",
                error ? ": " : "", error ? error->message : "");
        return 2;
    }
    if (strcmp(argv[1], "latency") == 0)
        run_latency((guint)onsets, json);
    else if (strcmp(argv[1], "cpu") == 0)
        run_cpu((guint)window, json);
    else {
        fprintf(stderr, "unknown mode %s (latency or cpu)\n", argv[1]);
        return 2;
    }
    return 0;
}
