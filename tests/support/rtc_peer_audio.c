/* rtc_peer_audio.c — decoded audio measured per label: the level of a
 * frequency (Goertzel, Hann-windowed), the peak sample, and tracked tones
 * (onset, gaps, two tones at once) over 20 ms windows hopped by 2.5 ms (the
 * windows counted and two tones at once: every 10 ms).
 *
 * Levels are amplitudes in dBFS: a sine of amplitude 1.0 (full scale) reads
 * 0 dB. The tone frequencies the tests use are multiples of 10 Hz, so over
 * 100 ms they are orthogonal; the Hann window keeps whatever lies between
 * (codec noise, a drifting clock) from leaking into a neighbour by more than
 * ~-31 dB at the first side lobe, and far less beyond.
 *
 * cg_rtc_peer_audio_feed() runs on streaming threads under ps->lock; the
 * getters take the lock. */
#include "rtc_peer-private.h"

#include <math.h>
#include <string.h>

#define SILENCE_DB (-200.0)
/* A label whose audio stopped (its stream ended, or the mix slot went quiet)
 * reads as silence, not as its last 100 ms: decoded buffers come every 20 ms. */
#define FRESH_US (200 * G_TIME_SPAN_MILLISECOND)

static double amp_db(double amp)
{
    return amp > 1e-10 ? 20.0 * log10(amp) : SILENCE_DB;
}

/* Hann windows of the two lengths used, made once. */
static const double *hann(guint n)
{
    static double *tables[2];
    static gsize once = 0;
    if (g_once_init_enter(&once)) {
        const guint sizes[2] = {PEER_TRACK_WINDOW, PEER_TONE_WINDOW};
        for (guint t = 0; t < 2; t++) {
            tables[t] = g_new(double, sizes[t]);
            for (guint i = 0; i < sizes[t]; i++)
                tables[t][i] = 0.5 - 0.5 * cos(2.0 * G_PI * i / (sizes[t] - 1));
        }
        g_once_init_leave(&once, 1);
    }
    g_assert(n == PEER_TRACK_WINDOW || n == PEER_TONE_WINDOW);
    return tables[n == PEER_TRACK_WINDOW ? 0 : 1];
}

/* Amplitude of @hz in @n samples @x, Hann-windowed: the DFT of A cos at its
 * own frequency is A/2 times the window's sum (N/2 for Hann), so A = 4|X|/N. */
static double tone_amplitude(const float *x, guint n, double hz)
{
    const double *win = hann(n);
    double w = 2.0 * G_PI * hz / PEER_AUDIO_RATE, c = 2.0 * cos(w), s1 = 0, s2 = 0;
    for (guint i = 0; i < n; i++) {
        double s0 = x[i] * win[i] + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    double power = s1 * s1 + s2 * s2 - c * s1 * s2;
    return power > 0 ? 4.0 * sqrt(power) / n : 0;
}

/* One full tracking window of @a, whose last sample arrived at @at. */
static void analyse_window(PeerAudio *a, gint64 at)
{
    gboolean coarse = a->hops++ % PEER_COARSE_HOPS == 0;
    guint n_above = 0;
    for (guint i = 0; i < a->n_tracks; i++) {
        PeerTrack *t = &a->tracks[i];
        double amp = tone_amplitude(a->win, PEER_TRACK_WINDOW, t->hz);
        t->max_amp = MAX(t->max_amp, amp);
        t->above = amp >= t->threshold;
        if (coarse) {
            t->windows++;
            t->windows_above += t->above;
        }
        if (t->above) {
            n_above++;
            if (!t->onset)
                t->onset = at;
            t->run_below = 0;
        } else if (t->onset) {
            t->run_below++;
            t->longest_run = MAX(t->longest_run, t->run_below);
        }
    }
    if (coarse && n_above >= 2)
        a->together++;
}

void cg_rtc_peer_audio_feed(PeerStats *s, const float *f, gsize count, gint64 now)
{
    PeerAudio *a = &s->audio;
    a->last_audio = now;
    for (gsize i = 0; i < count; i++) {
        double v = fabs(f[i]);
        if (v > a->peak)
            a->peak = v;
        if (a->ceiling > 0 && v > a->ceiling)
            a->n_over++;
        if (!a->n_tracks)
            continue;
        a->win[a->win_fill++] = f[i];
        if (a->win_fill < PEER_TRACK_WINDOW)
            continue;
        /* the buffer is the last (count / rate) s of audio up to @now: sample i
         * was heard that much before the buffer's end */
        analyse_window(a, now - (gint64)(count - 1 - i) * G_USEC_PER_SEC / PEER_AUDIO_RATE);
        memmove(a->win, a->win + PEER_HOP, (PEER_TRACK_WINDOW - PEER_HOP) * sizeof(float));
        a->win_fill = PEER_TRACK_WINDOW - PEER_HOP;
    }
}

/* The silence that @n windows below in a row stand for, rounded up. A window
 * reads below (-10 dB, the threshold the gap tests use) once ~8 ms of its
 * middle are silent, so a silence of S ms makes (S - 5) / 2.5 or one more
 * windows below (simulated for silences of 10 to 45 ms at every offset): n
 * x 2.5 + 5 is S or up to 2.5 ms more, never less. A shallower dip (the
 * tone 14 or 20 dB down) reads 2.5 to 5 ms shorter. Hops of 10 ms could only
 * tell a 20 ms silence from a 30 ms one by where it fell. */
static guint gap_ms(guint n)
{
    return n ? (n * PEER_HOP * 1000 + PEER_AUDIO_RATE - 1) / PEER_AUDIO_RATE + 5 : 0;
}

/* ---- getters (main context) ------------------------------------------------ */

double cg_rtc_peer_tone_level_db(CgRtcPeer *peer, const char *label, double hz)
{
    float *win = g_new(float, PEER_TONE_WINDOW);
    guint n = 0;
    g_mutex_lock(&peer->ps->lock);
    PeerStats *s = g_hash_table_lookup(peer->ps->by_label, label);
    if (s && s->ring_fill == PEER_TONE_WINDOW &&
        g_get_monotonic_time() - s->audio.last_audio <= FRESH_US) {
        n = PEER_TONE_WINDOW;
        for (guint i = 0; i < n; i++)
            win[i] = s->ring[(s->ring_pos + i) % PEER_TONE_WINDOW];
    }
    g_mutex_unlock(&peer->ps->lock);
    double db = n ? amp_db(tone_amplitude(win, n, hz)) : SILENCE_DB;
    g_free(win);
    return db;
}

void cg_rtc_peer_reset_audio_peak(CgRtcPeer *peer, const char *label, double ceiling)
{
    g_mutex_lock(&peer->ps->lock);
    PeerStats *s = cg_rtc_peer_stats_for(peer->ps, label);
    s->audio.peak = 0;
    s->audio.n_over = 0;
    s->audio.ceiling = ceiling;
    g_mutex_unlock(&peer->ps->lock);
}

gint64 cg_rtc_peer_audio_time(CgRtcPeer *peer, const char *label)
{
    g_mutex_lock(&peer->ps->lock);
    const PeerStats *s = g_hash_table_lookup(peer->ps->by_label, label);
    gint64 t = s ? s->audio.last_audio : 0;
    g_mutex_unlock(&peer->ps->lock);
    return t;
}

double cg_rtc_peer_audio_peak(CgRtcPeer *peer, const char *label, guint64 *n_over)
{
    g_mutex_lock(&peer->ps->lock);
    const PeerStats *s = g_hash_table_lookup(peer->ps->by_label, label);
    double peak = s ? s->audio.peak : 0;
    if (n_over)
        *n_over = s ? s->audio.n_over : 0;
    g_mutex_unlock(&peer->ps->lock);
    return peak;
}

void cg_rtc_peer_track_tone(CgRtcPeer *peer, const char *label, double hz, double threshold_dbfs)
{
    g_mutex_lock(&peer->ps->lock);
    PeerAudio *a = &cg_rtc_peer_stats_for(peer->ps, label)->audio;
    guint i = 0;
    while (i < a->n_tracks && a->tracks[i].hz != hz)
        i++;
    if (i == PEER_MAX_TRACKS) {
        g_mutex_unlock(&peer->ps->lock);
        g_error("rtc_peer: more than %d tones tracked on %s", PEER_MAX_TRACKS, label);
    }
    if (i == a->n_tracks)
        a->n_tracks++;
    a->tracks[i] = (PeerTrack){.hz = hz, .threshold = pow(10.0, threshold_dbfs / 20.0)};
    a->together = 0;
    a->hops = 0;
    g_mutex_unlock(&peer->ps->lock);
}

gboolean cg_rtc_peer_tone_track(CgRtcPeer *peer, const char *label, double hz,
                                CgRtcPeerToneTrack *out)
{
    memset(out, 0, sizeof *out);
    out->max_dbfs = SILENCE_DB;
    gboolean found = FALSE;
    g_mutex_lock(&peer->ps->lock);
    const PeerStats *s = g_hash_table_lookup(peer->ps->by_label, label);
    for (guint i = 0; s && i < s->audio.n_tracks && !found; i++) {
        const PeerTrack *t = &s->audio.tracks[i];
        if (t->hz != hz)
            continue;
        found = TRUE;
        out->onset = t->onset;
        out->windows = t->windows;
        out->windows_above = t->windows_above;
        out->longest_gap_ms = gap_ms(t->longest_run);
        out->max_dbfs = amp_db(t->max_amp);
        out->above_now = t->above;
    }
    g_mutex_unlock(&peer->ps->lock);
    return found;
}

guint cg_rtc_peer_tones_together(CgRtcPeer *peer, const char *label)
{
    g_mutex_lock(&peer->ps->lock);
    const PeerStats *s = g_hash_table_lookup(peer->ps->by_label, label);
    guint n = s ? s->audio.together : 0;
    g_mutex_unlock(&peer->ps->lock);
    return n;
}
