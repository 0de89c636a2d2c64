/* tones.h — test helpers for the mixer: Opus RTP made from generated PCM,
 * decoded back, measured by Goertzel, and fed to a mix in real time. */
#pragma once

#include "mixer.h"

#include <glib.h>

#define TONES_RATE 48000
#define TONES_FRAME 960 /* 20 ms */

/* PCM: @seconds of a sine at @freq, amplitude @amp, starting after @lead_s
 * of silence. (transfer full), *@n samples. */
float *tones_sine(double freq, double amp, double lead_s, double seconds, gsize *n);
/* Adds @b into @a (same length). */
void tones_add(float *a, const float *b, gsize n);

/* (transfer full) GBytes RTP packets (20 ms Opus, payload type @pt, SSRC
 * @ssrc) of @pcm. */
GPtrArray *tones_encode(const float *pcm, gsize n, guint8 pt, guint32 ssrc);
/* (transfer full) the decoded mono 48 kHz samples of @packets (GBytes RTP,
 * in order), *@n samples; each packet decodes to TONES_FRAME samples. */
float *tones_decode(GPtrArray *packets, gsize *n);

/* Amplitude of @freq in @x (a sine of amplitude a gives ~a). */
double tones_goertzel(const float *x, gsize n, double freq);
/* Amplitude of everything between @lo and @hi Hz in @x, as that of one
 * sine carrying the same power. */
double tones_band(const float *x, gsize n, double lo, double hi);
double tones_db(double amplitude);
float tones_peak(const float *x, gsize n);

/* Feeds inputs of a mix in real time: packet i of an input goes out at
 * start + i * 20 ms (a 5 ms timer on the thread-default context). */
typedef struct _TonesFeeder TonesFeeder;
TonesFeeder *tones_feeder_new(CgMixer *mixer);
/* @packets (borrowed, must outlive the feeder) into input @id; @loss_percent
 * of them (seeded) are dropped. (transfer full) the push times, filled in
 * as they go (gint64 µs, 0 if dropped). */
GArray *tones_feeder_add(TonesFeeder *feeder, guint64 id, GPtrArray *packets, double loss_percent);
gboolean tones_feeder_done(TonesFeeder *feeder);
/* The latest a packet was pushed after it was due, µs. */
gint64 tones_feeder_max_slip(TonesFeeder *feeder);
void tones_feeder_free(TonesFeeder *feeder);

/* The mix's output, with each packet's arrival time (µs). */
typedef struct {
    GPtrArray *packets; /* GBytes */
    GArray *times;      /* gint64 */
} TonesSink;
TonesSink *tones_sink_new(void);
void tones_sink_free(TonesSink *sink);
void tones_sink_output(gpointer user, const guint8 *rtp, gsize len);
/* for tones_run_until: at least 1 / 10 packets came out */
gboolean tones_sink_has_1(TonesSink *sink);
gboolean tones_sink_has_10(TonesSink *sink);

/* Whether the process did not get the CPU it needs to run in real time
 * (this box is shared): a push more than 15 ms late, or 60 ms without a
 * packet out while feeding (after the first 10). Says so in a test
 * message. */
gboolean tones_starved(TonesFeeder *feeder, TonesSink *sink);

/* Iterates the thread-default context until @done(@data) or @timeout_ms
 * (times $CG_TEST_TIMEOUT_SCALE, which make check-asan sets); returns
 * @done's last answer. */
gboolean tones_run_until(gboolean (*done)(gpointer), gpointer data, guint timeout_ms);
/* Iterates it for @ms (the mix runs in real time: waiting is the test). */
void tones_run_for(guint ms);
