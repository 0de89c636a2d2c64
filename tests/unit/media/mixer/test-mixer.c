/* test-mixer.c — the mix engine (media/mixer/mixer.h) with real GStreamer:
 * Opus RTP tones in, the mix decoded and measured. */
#include "mixer.h"
#include "tones.h"

#include <gst/gst.h>
#include <math.h>

/* One input of 440 Hz: the mix carries it near its level. */
static void test_one_input(void)
{
    TonesSink *out = tones_sink_new();
    g_autoptr(GError) error = NULL;
    CgMixer *mixer = cg_mixer_new("one", tones_sink_output, out, &error);
    g_assert_no_error(error);
    g_assert_true(cg_mixer_add_input(mixer, 1, 96, 1.0, &error));
    gsize n;
    g_autofree float *pcm = tones_sine(440, 0.5, 0, 1.5, &n);
    g_autoptr(GPtrArray) packets = tones_encode(pcm, n, 96, 1111);
    TonesFeeder *feeder = tones_feeder_new(mixer);
    tones_feeder_add(feeder, 1, packets, 0);
    tones_run_until((gboolean(*)(gpointer))tones_feeder_done, feeder, 5000);
    tones_run_for(200);
    tones_feeder_free(feeder);
    CgMixerCounters c;
    cg_mixer_counters(mixer, &c);
    cg_mixer_free(mixer);
    g_test_message("in %" G_GUINT64_FORMAT " out %" G_GUINT64_FORMAT " peak %.3f", c.packets_in,
                   c.packets_out, c.peak);
    gsize m;
    g_autofree float *mix = tones_decode(out->packets, &m);
    g_assert_cmpuint(m, >, TONES_RATE);
    /* the middle second */
    double a = tones_goertzel(mix + m / 2 - TONES_RATE / 4, TONES_RATE / 2, 440);
    g_test_message("440 Hz at %.1f dB", tones_db(a));
    g_assert_cmpfloat(fabs(tones_db(a) - tones_db(0.5)), <, 2.0);
    tones_sink_free(out);
}

/* Runs a mix of @n inputs (tones of @freqs at amplitude @amps, fed at
 * gains @gains) for @seconds; returns the decoded mix. */
static float *run_mix(guint n, const double *freqs, const double *amps, const double *gains,
                      double seconds, gsize *len)
{
    TonesSink *out = tones_sink_new();
    g_autoptr(GError) error = NULL;
    CgMixer *mixer = cg_mixer_new("tones", tones_sink_output, out, &error);
    g_assert_no_error(error);
    TonesFeeder *feeder = tones_feeder_new(mixer);
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (guint i = 0; i < n; i++) {
        g_assert_true(cg_mixer_add_input(mixer, i + 1, 96 + i, gains[i], &error));
        gsize samples;
        g_autofree float *pcm = tones_sine(freqs[i], amps[i], 0, seconds, &samples);
        GPtrArray *packets = tones_encode(pcm, samples, 96 + i, 1000 + i);
        g_ptr_array_add(all, packets);
        tones_feeder_add(feeder, i + 1, packets, 0);
    }
    tones_run_until((gboolean(*)(gpointer))tones_feeder_done, feeder, (guint)(seconds * 4000));
    tones_feeder_free(feeder);
    cg_mixer_free(mixer);
    float *mix = tones_decode(out->packets, len);
    tones_sink_free(out);
    return mix;
}

/* 440 Hz at 1.0 and 1000 Hz at -15 dB: the mix keeps the 15 dB apart; a
 * third input at gain 0 is not heard. */
static void test_gains(void)
{
    const double freqs[] = {440, 1000, 1500}, amps[] = {0.3, 0.3, 0.3},
                 gains[] = {1.0, 0.1778, 0.0};
    gsize n;
    g_autofree float *mix = run_mix(3, freqs, amps, gains, 2.0, &n);
    g_assert_cmpuint(n, >, TONES_RATE);
    const float *mid = mix + n / 2 - TONES_RATE / 4;
    double a = tones_db(tones_goertzel(mid, TONES_RATE / 2, 440));
    double b = tones_db(tones_goertzel(mid, TONES_RATE / 2, 1000));
    double c = tones_db(tones_goertzel(mid, TONES_RATE / 2, 1500));
    g_test_message("440 Hz %.1f dB, 1000 Hz %.1f dB (gain -15 dB), 1500 Hz %.1f dB (gain 0)", a, b,
                   c);
    g_assert_cmpfloat(fabs((a - b) - 15.0), <, 2.0);
    g_assert_cmpfloat(c, <, -40.0);
}

int main(int argc, char **argv)
{
    gst_init(&argc, &argv);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mixer/one-input", test_one_input);
    g_test_add_func("/mixer/gains", test_gains);
    return g_test_run();
}
