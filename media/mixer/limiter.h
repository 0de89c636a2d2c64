/* limiter.h — a peak limiter for the mixer's output (hearing protection):
 * plain DSP, no GStreamer, no clock; one instance per stream, used by one
 * thread at a time.
 *
 * A look-ahead of @attack_ms lets the gain come down before a peak leaves
 * the delay line (so a full-scale burst is brought under @ceiling at once,
 * without the click of a hard clip), a one-pole release brings it back up
 * over @release_ms, and a hard ceiling on top guarantees that no output
 * sample ever exceeds @ceiling. Channels share one gain (the image does not
 * move). Latency: @attack_ms.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CgLimiter CgLimiter;

/* (transfer full) a limiter for interleaved float samples, or NULL if an
 * argument is out of range (rate 8000..192000, channels 1..8, ceiling in
 * (0, 1], attack 0..20 ms, release 1..2000 ms). */
CgLimiter *cg_limiter_new(guint rate, guint channels, float ceiling, guint attack_ms,
                          guint release_ms);
void cg_limiter_free(CgLimiter *limiter);

/* Limits @frames frames of @samples in place; returns the highest absolute
 * output sample (<= the ceiling). Non-finite input counts as silence. */
float cg_limiter_process(CgLimiter *limiter, float *samples, gsize frames);

/* Added delay in frames (the look-ahead). */
guint cg_limiter_latency(const CgLimiter *limiter);
/* The gain applied to the last frame out, 0..1 (before the hard ceiling). */
float cg_limiter_gain(const CgLimiter *limiter);
/* How many output samples the hard ceiling had to clamp so far (the gain
 * alone was not low enough yet): 0 when the look-ahead did its job. */
guint64 cg_limiter_clamped(const CgLimiter *limiter);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgLimiter, cg_limiter_free)

G_END_DECLS
