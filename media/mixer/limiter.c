/* limiter.c — look-ahead peak limiter (limiter.h). */
#include "limiter.h"

#include <math.h>

struct _CgLimiter {
    guint channels;
    float ceiling;
    guint lookahead; /* frames */
    float attack;    /* one-pole coefficient toward a lower target */
    float release;   /* one-pole coefficient toward a higher target */
    float gain;
    float *delay;  /* lookahead * channels samples, a ring */
    float *needed; /* lookahead + 1 gains each frame in the window needs */
    guint pos;     /* ring index of the oldest frame */
    guint needed_pos;
    guint64 clamped;
};

CgLimiter *cg_limiter_new(guint rate, guint channels, float ceiling, guint attack_ms,
                          guint release_ms)
{
    if (rate < 8000 || rate > 192000 || channels < 1 || channels > 8 || !(ceiling > 0.0f) ||
        ceiling > 1.0f || attack_ms > 20 || release_ms < 1 || release_ms > 2000)
        return NULL;
    CgLimiter *l = g_new0(CgLimiter, 1);
    l->channels = channels;
    l->ceiling = ceiling;
    l->lookahead = rate * attack_ms / 1000;
    /* Within the look-ahead the gain covers all but e^-5 (0.7 %) of the way
     * down; the hard ceiling takes the rest. */
    l->attack = l->lookahead ? 1.0f - expf(-5.0f / (float)l->lookahead) : 1.0f;
    l->release = expf(-1.0f / ((float)rate * (float)release_ms / 1000.0f));
    l->gain = 1.0f;
    l->delay = g_new0(float, (gsize)MAX(l->lookahead, 1) * channels);
    l->needed = g_new(float, l->lookahead + 1);
    for (guint i = 0; i <= l->lookahead; i++)
        l->needed[i] = 1.0f;
    return l;
}

void cg_limiter_free(CgLimiter *limiter)
{
    if (!limiter)
        return;
    g_free(limiter->delay);
    g_free(limiter->needed);
    g_free(limiter);
}

static float frame_needed_gain(const CgLimiter *l, const float *frame)
{
    float peak = 0.0f;
    for (guint c = 0; c < l->channels; c++) {
        float a = fabsf(frame[c]);
        if (a > peak)
            peak = a;
    }
    return peak > l->ceiling ? l->ceiling / peak : 1.0f;
}

static float window_min(const CgLimiter *l)
{
    float m = 1.0f;
    for (guint i = 0; i <= l->lookahead; i++)
        if (l->needed[i] < m)
            m = l->needed[i];
    return m;
}

float cg_limiter_process(CgLimiter *l, float *samples, gsize frames)
{
    float out_peak = 0.0f;
    for (gsize f = 0; f < frames; f++) {
        float *frame = samples + f * l->channels;
        for (guint c = 0; c < l->channels; c++)
            if (!isfinite(frame[c]))
                frame[c] = 0.0f;
        l->needed[l->needed_pos] = frame_needed_gain(l, frame);
        l->needed_pos = (l->needed_pos + 1) % (l->lookahead + 1);
        float target = window_min(l);
        if (target < l->gain) {
            l->gain += (target - l->gain) * l->attack;
            if (l->gain - target < target * 1e-4f)
                l->gain = target; /* the one-pole never quite arrives */
        } else
            l->gain = target + (l->gain - target) * l->release;

        float *slot = l->delay + (gsize)l->pos * l->channels;
        for (guint c = 0; c < l->channels; c++) {
            float in = frame[c];
            float out = (l->lookahead ? slot[c] : in) * l->gain;
            if (l->lookahead)
                slot[c] = in;
            if (out > l->ceiling || out < -l->ceiling) {
                /* rounding is not worth counting, a gain that lagged is */
                if (fabsf(out) > l->ceiling * 1.0001f)
                    l->clamped++;
                out = out > 0 ? l->ceiling : -l->ceiling;
            }
            frame[c] = out;
            if (fabsf(out) > out_peak)
                out_peak = fabsf(out);
        }
        if (l->lookahead)
            l->pos = (l->pos + 1) % l->lookahead;
    }
    return out_peak;
}

guint cg_limiter_latency(const CgLimiter *limiter)
{
    return limiter->lookahead;
}

float cg_limiter_gain(const CgLimiter *limiter)
{
    return limiter->gain;
}

guint64 cg_limiter_clamped(const CgLimiter *limiter)
{
    return limiter->clamped;
}
