/* test-mixer.c — the mix engine (media/mixer/mixer.h) with real GStreamer:
 * Opus RTP tones in, the mix decoded and measured by Goertzel. Levels,
 * hearing protection, bandwidth, inputs coming and going, teardown. */
#include "mixer.h"
#include "tones.h"

#include <gio/gio.h>
#include <gst/gst.h>
#include <math.h>
#include <string.h>

typedef struct {
    double freq, amp, gain;
} Tone;

/* Runs a mix of @n tone inputs for @seconds; returns the decoded mix, or
 * NULL if the run was starved of CPU (it proves nothing). */
static float *run_mix_once(const Tone *tones, guint n, double seconds, gsize *len,
                           CgMixerCounters *counters)
{
    /* encoded first: encoding while feeding would make the feeding late */
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (guint i = 0; i < n; i++) {
        gsize samples;
        g_autofree float *pcm = tones_sine(tones[i].freq, tones[i].amp, 0, seconds, &samples);
        g_ptr_array_add(all, tones_encode(pcm, samples, 96 + i, 1000 + i));
    }
    TonesSink *out = tones_sink_new();
    g_autoptr(GError) error = NULL;
    CgMixer *mixer = cg_mixer_new("tones", tones_sink_output, out, &error);
    g_assert_no_error(error);
    TonesFeeder *feeder = tones_feeder_new(mixer);
    for (guint i = 0; i < n; i++) {
        g_assert_true(cg_mixer_add_input(mixer, i + 1, 96 + i, tones[i].gain, &error));
        g_array_unref(tones_feeder_add(feeder, i + 1, all->pdata[i], 0));
    }
    g_assert_true(
        tones_run_until((gboolean(*)(gpointer))tones_feeder_done, feeder, (guint)(seconds * 4000)));
    gboolean starved = tones_starved(feeder, out);
    tones_feeder_free(feeder);
    if (counters)
        cg_mixer_counters(mixer, counters);
    cg_mixer_free(mixer);
    if (starved) {
        tones_sink_free(out);
        return NULL;
    }
    float *mix = tones_decode(out->packets, len);
    g_assert_cmpuint(*len, ==, out->packets->len * TONES_FRAME);
    tones_sink_free(out);
    return mix;
}

/* run_mix_once() until a run is not starved (4 tries); NULL, the test
 * marked incomplete, if none was. */
static float *run_mix(const Tone *tones, guint n, double seconds, gsize *len,
                      CgMixerCounters *counters)
{
    for (guint i = 0; i < 4; i++) {
        float *mix = run_mix_once(tones, n, seconds, len, counters);
        if (mix)
            return mix;
    }
    g_test_incomplete("starved of CPU in 4 runs: not measured");
    return NULL;
}

/* Level of @freq in the middle half second of the mix, dBFS. */
static double level_mid(const float *mix, gsize n, double freq)
{
    return tones_db(tones_goertzel(mix + n / 2 - TONES_RATE / 4, TONES_RATE / 2, freq));
}

/* A mix with no inputs sends (silent) packets: the output clock runs. */
static void test_silence(void)
{
    TonesSink *out = tones_sink_new();
    g_autoptr(GError) error = NULL;
    CgMixer *mixer = cg_mixer_new("silence", tones_sink_output, out, &error);
    g_assert_no_error(error);
    g_assert_true(tones_run_until((gboolean(*)(gpointer))tones_sink_has_10, out, 3000));
    CgMixerCounters c;
    cg_mixer_counters(mixer, &c);
    cg_mixer_free(mixer);
    g_assert_cmpuint(c.packets_out, >=, 10);
    g_assert_cmpuint(c.packets_in, ==, 0);
    gsize n;
    g_autofree float *mix = tones_decode(out->packets, &n);
    g_assert_cmpfloat(tones_peak(mix, n), <, 0.001);
    /* the mix's own RTP: payload type 111, 20 ms of 48 kHz per packet */
    const guint8 *a = g_bytes_get_data(out->packets->pdata[4], NULL);
    const guint8 *b = g_bytes_get_data(out->packets->pdata[5], NULL);
    g_assert_cmpuint(a[1] & 0x7f, ==, CG_MIXER_PAYLOAD_TYPE);
    guint32 ta = GUINT32_FROM_BE(*(const guint32 *)(a + 4));
    guint32 tb = GUINT32_FROM_BE(*(const guint32 *)(b + 4));
    g_assert_cmpuint(tb - ta, ==, TONES_FRAME);
    tones_sink_free(out);
}

/* 440 Hz at gain 1 and 1000 Hz at -15 dB (0.1778) keep their 15 dB apart;
 * a third input at gain 0 is below -40 dB. */
static void test_gains(void)
{
    const Tone tones[] = {{440, 0.3, 1.0}, {1000, 0.3, 0.1778}, {1500, 0.3, 0.0}};
    gsize n;
    CgMixerCounters c;
    g_autofree float *mix = run_mix(tones, 3, 2.0, &n, &c);
    if (!mix)
        return;
    double a = level_mid(mix, n, 440), b = level_mid(mix, n, 1000), z = level_mid(mix, n, 1500);
    g_test_message("440 Hz %.1f dB (sent at %.1f), 1000 Hz %.1f dB (gain -15 dB), "
                   "1500 Hz %.1f dB (gain 0); in %" G_GUINT64_FORMAT " out %" G_GUINT64_FORMAT,
                   a, tones_db(0.3), b, z, c.packets_in, c.packets_out);
    g_assert_cmpfloat(fabs(a - tones_db(0.3)), <, 1.5);
    g_assert_cmpfloat(fabs((a - b) - 15.0), <, 2.0);
    g_assert_cmpfloat(z, <, -40.0);
    g_assert_cmpuint(c.packets_in, >=, 300); /* all of 2 s of 3 inputs */
}

/* Two full-scale inputs: the decoded mix never goes above -3 dBFS, and
 * it is limited, not silenced. */
static void test_full_scale(void)
{
    const Tone tones[] = {{440, 1.0, 1.0}, {660, 1.0, 1.0}};
    gsize n;
    CgMixerCounters c;
    g_autofree float *mix = run_mix(tones, 2, 2.0, &n, &c);
    if (!mix)
        return;
    float peak = tones_peak(mix, n);
    g_test_message("two 0 dBFS inputs: decoded peak %.4f (%.2f dBFS), limiter peak %.4f", peak,
                   tones_db(peak), c.peak);
    g_assert_cmpfloat(peak, <=, CG_MIXER_CEILING);
    g_assert_cmpfloat(c.peak, <=, CG_MIXER_CEILING);
    g_assert_cmpfloat(level_mid(mix, n, 440), >, -18.0); /* limited, not silenced */
}

/* Fullband: 125 Hz and 12 kHz (the interpreters' 125-15,000 Hz) survive.
 * Opus at 36 kbps codes the band around 12 kHz coarsely: the power stays
 * (measured over 10-14 kHz) while the tone itself spreads a little (its own
 * bin reads 4-7 dB low); a narrowband codec would leave nothing there. */
static void test_bandwidth(void)
{
    const Tone tones[] = {{125, 0.25, 1.0}, {12000, 0.25, 1.0}};
    gsize n;
    g_autofree float *mix = run_mix(tones, 2, 2.0, &n, NULL);
    if (!mix)
        return;
    const float *mid = mix + n / 2 - TONES_RATE / 4;
    double lo = level_mid(mix, n, 125), hi = level_mid(mix, n, 12000);
    double band = tones_db(tones_band(mid, TONES_RATE / 2, 10000, 14000));
    g_test_message("125 Hz %.1f dB; 12 kHz %.1f dB in its bin, %.1f dB over 10-14 kHz "
                   "(sent at %.1f)",
                   lo, hi, band, tones_db(0.25));
    g_assert_cmpfloat(lo, >, tones_db(0.25) - 3);
    g_assert_cmpfloat(band, >, tones_db(0.25) - 3);
    g_assert_cmpfloat(band, <, tones_db(0.25) + 1);
    g_assert_cmpfloat(hi, >, tones_db(0.25) - 10);
}

/* What is not a packet of the input is not pushed: unknown ids, another
 * payload type, runts, giants. */
static void test_bad_input(void)
{
    TonesSink *out = tones_sink_new();
    g_autoptr(GError) error = NULL;
    CgMixer *mixer = cg_mixer_new("bad", tones_sink_output, out, &error);
    g_assert_true(cg_mixer_add_input(mixer, 7, 96, 1.0, &error));
    g_assert_false(cg_mixer_add_input(mixer, 7, 96, 1.0, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS);
    g_clear_error(&error);
    g_assert_true(cg_mixer_has_input(mixer, 7));
    g_assert_false(cg_mixer_has_input(mixer, 8));
    guint8 pkt[2000] = {0x80, 97};
    cg_mixer_push(mixer, 7, pkt, 100); /* payload type 97 */
    cg_mixer_push(mixer, 8, pkt, 100); /* unknown input */
    pkt[1] = 96;
    cg_mixer_push(mixer, 7, pkt, 11);   /* runt */
    cg_mixer_push(mixer, 7, pkt, 2000); /* giant */
    pkt[0] = 0x40;
    cg_mixer_push(mixer, 7, pkt, 100); /* RTP version 1 */
    cg_mixer_remove_input(mixer, 8);   /* unknown: no-op */
    CgMixerGain g = {8, 1.0};
    cg_mixer_set_gains(mixer, &g, 1);
    pkt[0] = 0x80;
    pkt[12] = 0x03; /* Opus code 3 ... */
    pkt[13] = 0;    /* ... with no frames */
    cg_mixer_push(mixer, 7, pkt, 100);
    CgMixerCounters c;
    cg_mixer_counters(mixer, &c);
    g_assert_cmpuint(c.packets_in, ==, 0);
    g_assert_cmpuint(c.invalid, ==, 5); /* all but the unknown input's */
    /* a bounded number of inputs */
    guint added = 1;
    while (cg_mixer_add_input(mixer, 100 + added, 96, 0.5, &error))
        added++;
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
    g_test_message("inputs per mix: %u", added);
    g_assert_cmpuint(added, >=, 16);
    cg_mixer_free(mixer);
    tones_sink_free(out);
}

/* Heard near its level (-10.5 dB sent), or not at all. */
static void assert_heard(double db, gboolean heard)
{
    if (heard)
        g_assert_cmpfloat(db, >, -13.0);
    else
        g_assert_cmpfloat(db, <, -40.0);
}

/* One input sends garbage for a second (its RTP headers fine, its Opus
 * payloads random), then sound: the other input is heard all along, and
 * the garbled one as soon as it sends sound (opusdec alone would have
 * stamped its sound with the garbage's old timestamps: never heard). */
static gboolean try_garbage_input(void)
{
    gsize n;
    g_autofree float *a = tones_sine(440, 0.3, 0, 2.5, &n);
    g_autofree float *b = tones_sine(1000, 0.3, 0, 2.5, &n);
    g_autoptr(GPtrArray) pa = tones_encode(a, n, 96, 1);
    g_autoptr(GPtrArray) pb = tones_encode(b, n, 97, 2);
    g_autoptr(GRand) rand = g_rand_new_with_seed(11);
    for (guint i = 0; i < 50; i++) {
        gsize len;
        const guint8 *rtp = g_bytes_get_data(pb->pdata[i], &len);
        guint8 bad[400];
        memcpy(bad, rtp, 12);
        len = 12 + g_rand_int_range(rand, 0, 388);
        for (gsize j = 12; j < len; j++)
            bad[j] = (guint8)g_rand_int(rand);
        g_bytes_unref(pb->pdata[i]);
        pb->pdata[i] = g_bytes_new(bad, len);
    }
    TonesSink *out = tones_sink_new();
    CgMixer *mixer = cg_mixer_new("garbage", tones_sink_output, out, NULL);
    g_assert_true(cg_mixer_add_input(mixer, 1, 96, 1.0, NULL));
    g_assert_true(cg_mixer_add_input(mixer, 2, 97, 1.0, NULL));
    TonesFeeder *feeder = tones_feeder_new(mixer);
    g_array_unref(tones_feeder_add(feeder, 1, pa, 0));
    g_array_unref(tones_feeder_add(feeder, 2, pb, 0));
    g_assert_true(tones_run_until((gboolean(*)(gpointer))tones_feeder_done, feeder, 10000));
    gboolean starved = tones_starved(feeder, out);
    tones_feeder_free(feeder);
    cg_mixer_free(mixer);
    if (starved) {
        tones_sink_free(out);
        return FALSE;
    }
    gsize m;
    g_autofree float *mix = tones_decode(out->packets, &m);
    const float *garbled = mix + TONES_RATE / 2, *clean = mix + m - TONES_RATE * 3 / 4;
    double a1 = tones_db(tones_goertzel(garbled, TONES_RATE / 4, 440));
    double a2 = tones_db(tones_goertzel(clean, TONES_RATE / 4, 440));
    double b2 = tones_db(tones_goertzel(clean, TONES_RATE / 4, 1000));
    g_test_message("while the other input sends garbage: 440 Hz %.1f dB; after: 440 Hz %.1f dB, "
                   "1000 Hz %.1f dB",
                   a1, a2, b2);
    /* the garbage that is well-formed Opus decodes to loud noise, which the
     * limiter makes room for: the other input is heard, a little lower */
    g_assert_cmpfloat(a1, >, -20.0);
    assert_heard(a2, TRUE);
    assert_heard(b2, TRUE);
    tones_sink_free(out);
    return TRUE;
}

static void test_garbage_input(void)
{
    for (guint i = 0; i < 4; i++)
        if (try_garbage_input())
            return;
    g_test_incomplete("starved of CPU in 4 runs: not measured");
}

static gboolean has_packets(gpointer data)
{
    TonesSink *sink = data;
    return sink->packets->len >= 25;
}

/* Inputs come and go while the mix plays: each is heard exactly while it
 * is in. */
static gboolean try_add_remove_playing(void)
{
    TonesSink *out = tones_sink_new();
    g_autoptr(GError) error = NULL;
    CgMixer *mixer = cg_mixer_new("dyn", tones_sink_output, out, &error);
    gsize n;
    g_autofree float *a = tones_sine(440, 0.3, 0, 3.0, &n);
    g_autofree float *b = tones_sine(1000, 0.3, 0, 3.0, &n);
    g_autoptr(GPtrArray) pa = tones_encode(a, n, 96, 1);
    g_autoptr(GPtrArray) pb = tones_encode(b, n, 97, 2);
    TonesFeeder *feeder = tones_feeder_new(mixer);
    /* 0.5 s of silence, then A; 1 s later B too; 1 s later A leaves */
    g_assert_true(tones_run_until(has_packets, out, 3000));
    guint mark0 = out->packets->len;
    g_assert_true(cg_mixer_add_input(mixer, 1, 96, 1.0, &error));
    g_array_unref(tones_feeder_add(feeder, 1, pa, 0));
    tones_run_for(1000);
    guint mark1 = out->packets->len;
    g_assert_true(cg_mixer_add_input(mixer, 2, 97, 1.0, &error));
    g_array_unref(tones_feeder_add(feeder, 2, pb, 0));
    tones_run_for(1000);
    guint mark2 = out->packets->len;
    cg_mixer_remove_input(mixer, 1);
    g_assert_false(cg_mixer_has_input(mixer, 1));
    tones_run_for(800);
    guint mark3 = out->packets->len;
    gboolean starved = tones_starved(feeder, out);
    tones_feeder_free(feeder);
    cg_mixer_free(mixer);
    if (starved) {
        tones_sink_free(out);
        return FALSE;
    }
    gsize m;
    g_autofree float *mix = tones_decode(out->packets, &m);
    /* a quarter second inside each stretch, clear of the transitions */
    struct {
        guint from, to;
        gboolean a, b;
    } parts[] = {{0, mark0, FALSE, FALSE},
                 {mark0, mark1, TRUE, FALSE},
                 {mark1, mark2, TRUE, TRUE},
                 {mark2, mark3, FALSE, TRUE}};
    for (guint i = 0; i < G_N_ELEMENTS(parts); i++) {
        gsize mid = (parts[i].from + parts[i].to) / 2 * TONES_FRAME;
        const float *w = mix + mid - TONES_RATE / 8;
        double la = tones_db(tones_goertzel(w, TONES_RATE / 4, 440));
        double lb = tones_db(tones_goertzel(w, TONES_RATE / 4, 1000));
        g_test_message("stretch %u (packets %u..%u): 440 Hz %.1f dB, 1000 Hz %.1f dB", i,
                       parts[i].from, parts[i].to, la, lb);
        assert_heard(la, parts[i].a);
        assert_heard(lb, parts[i].b);
    }
    tones_sink_free(out);
    return TRUE;
}

static void test_add_remove_playing(void)
{
    for (guint i = 0; i < 4; i++)
        if (try_add_remove_playing())
            return;
    g_test_incomplete("starved of CPU in 4 runs: not measured");
}

/* Freed with packets in every queue: no output call after free returns. */
static void test_free_in_flight(void)
{
    gsize n;
    g_autofree float *a = tones_sine(440, 0.3, 0, 1.0, &n);
    g_autoptr(GPtrArray) pa = tones_encode(a, n, 96, 1);
    for (guint round = 0; round < 3; round++) {
        TonesSink *out = tones_sink_new();
        CgMixer *mixer = cg_mixer_new("inflight", tones_sink_output, out, NULL);
        g_assert_true(cg_mixer_add_input(mixer, 1, 96, 1.0, NULL));
        g_assert_true(cg_mixer_add_input(mixer, 2, 96, 1.0, NULL));
        g_assert_true(tones_run_until(has_packets, out, 3000));
        /* a burst beyond the input queue (it drops the oldest, or the
         * jitter buffer takes them first) */
        for (guint i = 0; i < pa->len; i++) {
            gsize len;
            const guint8 *rtp = g_bytes_get_data(pa->pdata[i], &len);
            cg_mixer_push(mixer, 1, rtp, len);
            cg_mixer_push(mixer, 2, rtp, len);
        }
        CgMixerCounters c;
        cg_mixer_counters(mixer, &c);
        g_assert_cmpuint(c.packets_in, ==, 2 * pa->len);
        /* the output may be queued toward the main loop right now */
        if (round == 1)
            tones_run_for(30);
        cg_mixer_free(mixer);
        guint before = out->packets->len;
        tones_run_for(100);
        g_assert_cmpuint(out->packets->len, ==, before);
        tones_sink_free(out);
    }
}

typedef struct {
    CgMixer *mixer;
    TonesSink *sink;
} FreeFromOutput;

static void free_from_output(gpointer user, const guint8 *rtp, gsize len)
{
    FreeFromOutput *f = user;
    tones_sink_output(f->sink, rtp, len);
    g_assert_nonnull(f->mixer);
    cg_mixer_free(f->mixer);
    f->mixer = NULL;
}

/* The output callback may free the mix (the relay drops a channel when its
 * last listener leaves): nothing more is delivered. */
static void test_free_from_output(void)
{
    FreeFromOutput f = {NULL, tones_sink_new()};
    f.mixer = cg_mixer_new("self", free_from_output, &f, NULL);
    g_assert_true(tones_run_until((gboolean(*)(gpointer))tones_sink_has_1, f.sink, 3000));
    tones_run_for(100);
    g_assert_null(f.mixer);
    g_assert_cmpuint(f.sink->packets->len, ==, 1);
    tones_sink_free(f.sink);
}

/* Many mixes made and dropped (ASan checks nothing leaks). */
static void test_cycles(void)
{
    gsize n;
    g_autofree float *a = tones_sine(440, 0.3, 0, 0.2, &n);
    g_autoptr(GPtrArray) pa = tones_encode(a, n, 96, 1);
    for (guint round = 0; round < 20; round++) {
        TonesSink *out = tones_sink_new();
        CgMixer *mixer = cg_mixer_new("cycle", tones_sink_output, out, NULL);
        g_assert_nonnull(mixer);
        for (guint64 id = 1; id <= 3; id++)
            g_assert_true(cg_mixer_add_input(mixer, id, 96, 0.5, NULL));
        for (guint i = 0; i < pa->len; i++) {
            gsize len;
            const guint8 *rtp = g_bytes_get_data(pa->pdata[i], &len);
            cg_mixer_push(mixer, 1 + i % 3, rtp, len);
        }
        if (round % 2)
            cg_mixer_remove_input(mixer, 2);
        tones_run_for(round % 4 == 0 ? 50 : 0);
        cg_mixer_free(mixer);
        tones_sink_free(out);
    }
    cg_mixer_free(NULL);
}

int main(int argc, char **argv)
{
    gst_init(&argc, &argv);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mixer/silence", test_silence);
    g_test_add_func("/mixer/gains", test_gains);
    g_test_add_func("/mixer/full-scale", test_full_scale);
    g_test_add_func("/mixer/bandwidth", test_bandwidth);
    g_test_add_func("/mixer/bad-input", test_bad_input);
    g_test_add_func("/mixer/garbage-input", test_garbage_input);
    g_test_add_func("/mixer/add-remove-playing", test_add_remove_playing);
    g_test_add_func("/mixer/free-in-flight", test_free_in_flight);
    g_test_add_func("/mixer/free-from-output", test_free_from_output);
    g_test_add_func("/mixer/cycles", test_cycles);
    return g_test_run();
}
