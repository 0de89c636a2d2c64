/* test-limiter.c — the mixer's limiter DSP alone (media/mixer/limiter.h). */
#include "limiter.h"

#include <math.h>
#include <string.h>

#define RATE 48000
#define CEILING 0.7079f

static CgLimiter *limiter(void)
{
    CgLimiter *l = cg_limiter_new(RATE, 1, CEILING, 1, 50);
    g_assert_nonnull(l);
    return l;
}

static void fill_sine(float *x, gsize n, double freq, double amp, gsize phase)
{
    for (gsize i = 0; i < n; i++)
        x[i] = (float)(amp * sin(2 * G_PI * freq * (double)(i + phase) / RATE));
}

static float peak(const float *x, gsize n)
{
    float p = 0;
    for (gsize i = 0; i < n; i++)
        p = MAX(p, fabsf(x[i]));
    return p;
}

/* Full scale (and beyond: a float mix can sum over 1) never comes out above
 * the ceiling, whatever the block size. */
static void test_ceiling(void)
{
    g_autoptr(CgLimiter) l = limiter();
    const gsize blocks[] = {1, 7, 480, 960, 4096};
    gsize phase = 0;
    for (guint b = 0; b < G_N_ELEMENTS(blocks); b++) {
        for (guint k = 0; k < 20; k++) {
            g_autofree float *x = g_new(float, blocks[b]);
            fill_sine(x, blocks[b], 997, 1.0 + k * 0.5, phase);
            phase += blocks[b];
            float p = cg_limiter_process(l, x, blocks[b]);
            g_assert_cmpfloat(p, <=, CEILING);
            g_assert_cmpfloat(peak(x, blocks[b]), <=, CEILING);
        }
    }
    /* square wave at full scale, and non-finite samples */
    float sq[960];
    for (guint i = 0; i < 960; i++)
        sq[i] = (i / 24) % 2 ? 1.0f : -1.0f;
    sq[100] = NAN;
    sq[200] = INFINITY;
    g_assert_cmpfloat(cg_limiter_process(l, sq, 960), <=, CEILING);
    g_assert_cmpfloat(peak(sq, 960), <=, CEILING);
}

/* A signal under the ceiling passes unchanged (delayed by the look-ahead). */
static void test_transparent(void)
{
    g_autoptr(CgLimiter) l = limiter();
    guint delay = cg_limiter_latency(l);
    g_assert_cmpuint(delay, ==, RATE / 1000);
    const gsize n = RATE;
    g_autofree float *in = g_new(float, n);
    g_autofree float *x = g_new(float, n);
    fill_sine(in, n, 440, 0.7, 0);
    memcpy(x, in, n * sizeof(float));
    cg_limiter_process(l, x, n);
    for (gsize i = delay; i < n; i++)
        g_assert_cmpfloat(fabsf(x[i] - in[i - delay]), <, 1e-6f);
    g_assert_cmpfloat(fabsf(cg_limiter_gain(l) - 1.0f), <, 1e-6f);
    g_assert_cmpuint(cg_limiter_clamped(l), ==, 0);
}

/* Quiet, then a full-scale burst: under the ceiling from its first sample
 * (the look-ahead brought the gain down before it came out, the hard
 * ceiling as a backstop); the gain comes back after it (release). */
static void test_burst_and_release(void)
{
    g_autoptr(CgLimiter) l = limiter();
    guint delay = cg_limiter_latency(l);
    const gsize quiet = RATE / 2, burst = RATE / 2, after = RATE / 2;
    const gsize n = quiet + burst + after;
    g_autofree float *x = g_new(float, n);
    fill_sine(x, quiet, 1000, 0.05, 0);
    fill_sine(x + quiet, burst, 1000, 1.0, quiet);
    fill_sine(x + quiet + burst, after, 1000, 0.05, quiet + burst);
    /* in 10 ms blocks, as the mixer does */
    for (gsize off = 0; off < n; off += 480)
        cg_limiter_process(l, x + off, MIN(480, n - off));
    guint64 clamped = cg_limiter_clamped(l);
    /* The burst comes out at quiet + delay. */
    gsize onset = quiet + delay;
    g_assert_cmpfloat(peak(x, n), <=, CEILING);
    double first_ms = peak(x + onset, RATE / 1000);
    double settled = peak(x + onset + RATE / 200, RATE / 100);
    g_test_message("0 dBFS burst after -26 dBFS: peak in its first ms %.4f, 5..15 ms %.4f "
                   "(ceiling %.4f); samples the hard ceiling clamped: %" G_GUINT64_FORMAT,
                   first_ms, settled, CEILING, clamped);
    g_assert_cmpfloat(first_ms, <=, CEILING);
    g_assert_cmpfloat(settled, <=, CEILING);
    g_assert_cmpfloat(settled, >, CEILING * 0.97); /* limited, not muted */
    /* Release, 50 ms time constant: 300 ms after the burst the quiet signal
     * is back to unity gain; 10..20 ms after, still on its way up. */
    double back = peak(x + quiet + burst + delay + RATE * 3 / 10, RATE / 10);
    double early = peak(x + quiet + burst + delay + RATE / 100, RATE / 100);
    g_test_message("after the burst: peak %.4f at 10..20 ms, %.4f at 300..400 ms (input 0.05)",
                   early, back);
    g_assert_cmpfloat(back, >, 0.049);
    g_assert_cmpfloat(back, <=, 0.0501);
    g_assert_cmpfloat(early, <, 0.045);
}

static void test_bad_arguments(void)
{
    g_assert_null(cg_limiter_new(100, 1, CEILING, 1, 50));
    g_assert_null(cg_limiter_new(RATE, 0, CEILING, 1, 50));
    g_assert_null(cg_limiter_new(RATE, 1, 0.0f, 1, 50));
    g_assert_null(cg_limiter_new(RATE, 1, 1.5f, 1, 50));
    g_assert_null(cg_limiter_new(RATE, 1, CEILING, 1, 0));
    /* no look-ahead, two channels: the hard ceiling alone still holds */
    g_autoptr(CgLimiter) l = cg_limiter_new(RATE, 2, CEILING, 0, 50);
    float x[8] = {1, -1, 0.9f, 0.1f, -2, 0, 0.5f, 0.5f};
    g_assert_cmpfloat(cg_limiter_process(l, x, 4), <=, CEILING);
    g_assert_cmpfloat(peak(x, 8), <=, CEILING);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/limiter/ceiling", test_ceiling);
    g_test_add_func("/limiter/transparent", test_transparent);
    g_test_add_func("/limiter/burst-and-release", test_burst_and_release);
    g_test_add_func("/limiter/bad-arguments", test_bad_arguments);
    return g_test_run();
}
