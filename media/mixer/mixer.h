/* mixer.h — one audio mix made by consultd (interpretation channels, an
 * interpreter's floor feed): decrypted Opus RTP of several inputs in, one
 * Opus RTP stream out.
 *
 * Engine: a GStreamer pipeline per mix. Per input: a jitter buffer (lost
 * packets concealed by Opus PLC, or rebuilt from in-band FEC), an Opus
 * decoder and a volume; then audiomixer (float, so summing never clips), a
 * limiter (no sample above CG_MIXER_CEILING, a full-scale burst brought down
 * within CG_MIXER_ATTACK_MS: hearing protection for interpreters' headsets),
 * and a fullband Opus encoder (48 kHz, 20 ms frames, CG_MIXER_BITRATE_BPS,
 * in-band FEC) and payloader (CG_MIXER_PAYLOAD_TYPE).
 *
 * Threads: create, push and change on one thread (the relay's main context,
 * thread-default at cg_mixer_new()); the pipeline's own threads never call
 * back into the caller: @output runs on that main context, from a bounded
 * queue (a slow main loop drops the oldest packets, it never grows memory).
 * Nothing here blocks the calling thread for longer than a lock.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CG_MIXER_CEILING 0.7079 /* -3 dBFS */
#define CG_MIXER_ATTACK_MS 1u
#define CG_MIXER_RELEASE_MS 50u
#define CG_MIXER_BITRATE_BPS 36000u
#define CG_MIXER_PAYLOAD_TYPE 111u
#define CG_MIXER_CLOCK_RATE 48000u

typedef struct _CgMixer CgMixer;

/* One RTP packet of the mix (Opus, CG_MIXER_PAYLOAD_TYPE; SSRC, sequence
 * numbers and timestamps of the mixer's own): borrowed for the call. */
typedef void (*CgMixerOutput)(gpointer user, const guint8 *rtp, gsize len);

/* (transfer full) a playing mix with no inputs (it sends silence until it
 * has some), or NULL + @error. @name tags its log lines and pipeline. */
CgMixer *cg_mixer_new(const char *name, CgMixerOutput output, gpointer user, GError **error);
/* Stops the pipeline; no @output call happens after it returns. NULL-safe. */
void cg_mixer_free(CgMixer *mixer);

/* Adds input @id (non-zero, unique in this mix): Opus RTP with payload type
 * @payload_type at 48 kHz, heard at linear @gain (0..1). */
gboolean cg_mixer_add_input(CgMixer *mixer, guint64 id, guint8 payload_type, double gain,
                            GError **error);
/* Removes input @id; no-op if unknown. */
void cg_mixer_remove_input(CgMixer *mixer, guint64 id);
gboolean cg_mixer_has_input(CgMixer *mixer, guint64 id);

typedef struct {
    guint64 id;
    double gain; /* linear, 0..1 */
} CgMixerGain;
/* Sets the gains of several inputs as one change: no output buffer mixes
 * some of the new gains with some of the old ones raised (lowered gains are
 * applied first), so a hand-over never carries both interpreters at once.
 * Unknown ids are ignored. */
void cg_mixer_set_gains(CgMixer *mixer, const CgMixerGain *gains, guint n);

/* One decrypted RTP packet of input @id (copied; never blocks: a full input
 * queue drops the oldest). Unknown ids are ignored; a packet that is not
 * RTP of the input's payload type carrying a well-formed Opus packet is
 * counted (invalid) and dropped. */
void cg_mixer_push(CgMixer *mixer, guint64 id, const guint8 *rtp, gsize len);

/* What the mix did so far (tests, metrics). */
typedef struct {
    guint64 packets_in;
    guint64 packets_out;
    guint64 dropped; /* input or output packets dropped because a queue was full */
    double peak;     /* highest absolute sample after the limiter, 0..1 */
    guint64 invalid; /* input packets refused: not RTP of the input's payload
                      * type, or not a well-formed Opus packet */
} CgMixerCounters;
void cg_mixer_counters(CgMixer *mixer, CgMixerCounters *out);

G_END_DECLS
