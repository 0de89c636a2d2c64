/* rtc_peer.h — a WebRTC endpoint for tests, built on GStreamer webrtcbin.
 *
 * It speaks consultd's media model (docs/protocol.md) but no transport: the
 * test wires its descriptions and candidates to whatever carries them (the WSS
 * protocol client, or CgMedia directly in-process).
 *
 * It publishes a solid-colour videotestsrc (VP8) and a sine tone (Opus) on its
 * "pub" connection, answers every subscribe offer, decodes what it receives and
 * records, per label (the publisher's participant id), the number of decoded
 * video frames, the mean colour of the last frame and the dominant audio
 * frequency. ICE: UPnP off, gathering on 127.0.0.1 only.
 *
 * Threads: call everything on the thread-default main context current at
 * cg_rtc_peer_new(); events are delivered there. Getters may be called anytime.
 */
#pragma once

#include <glib.h>

#include "rtc_source.h"

G_BEGIN_DECLS

typedef struct _CgRtcPeer CgRtcPeer;

typedef struct {
    guint tone_hz; /* frequency of the published sine, e.g. 440 */
    /* Its amplitude, linear: 1.0 is full scale (0 dBFS); 0 = 0.8 (audiotestsrc's
     * default). With tone_off it starts silent (cg_rtc_peer_set_tone). */
    double tone_volume;
    gboolean tone_off;
    /* Drops this share (0..100) of the published audio RTP packets at random,
     * as a lossy uplink would (video untouched); the Opus encoder then adds
     * in-band FEC, as browsers do. Which packets went is counted:
     * cg_rtc_peer_audio_drops(). */
    guint send_audio_loss_pct;
    guint32 color_rgb;            /* 0xRRGGBB of the published video */
    gboolean no_video;            /* publish audio only */
    gboolean corrupt_fingerprint; /* publish an SDP whose a=fingerprint does not match */
    /* Published video: 0 = the defaults (320x240 at 15 fps, a key frame every
     * 30 frames). A long keyframe_max_dist (e.g. 300) means only key frame
     * requests (PLI/FIR) explain a fast first frame at a new receiver. */
    guint width, height, fps;
    guint keyframe_max_dist;
    gboolean tcp_only; /* ICE over TCP only, as behind a firewall that drops UDP */
    /* "turn://USER:PASSWORD@HOST:PORT" (URI-escaped), or NULL; borrowed: it
     * must outlive the peer. With relay_only, every path goes through it. */
    const char *turn_server;
    gboolean relay_only;
    /* On a lossy network, repair loss as a browser does. Publishing: the video
     * transceiver offers RTX and retransmits what is NACKed; Opus carries
     * in-band FEC. Receiving: answers accept NACK and RTX for video, the video
     * jitter buffer asks for retransmissions (audio's does not) and waits
     * jitter_latency_ms for them (0 = webrtcbin's 200 ms); a video packet
     * still missing then stops the picture until the next key frame, which
     * the depayloader asks for (a PLI from the RTP session); Opus conceals
     * lost packets (PLC) or rebuilds them from FEC; the RTP session's RTCP
     * interval is cut to ~0.1 s so that feedback goes out at once. Without
     * it, lost packets are only skipped. */
    gboolean repair_loss;
    guint jitter_latency_ms;
    /* A lying receiver: every sub connection puts a REMB of this many bits/s
     * in each RTCP packet it sends (0: none, as webrtcbin sends none). */
    guint lie_remb_bps;
    gboolean hold_answers; /* start holding answers (cg_rtc_peer_hold_answers) */
    /* A load generator's endpoint (tools/bench): "pub" sends the shared
     * encoders of @source (borrowed: it must outlive the peer; tone, colour,
     * size and screen share do not apply) and the peer's elements live in
     * its pipeline. With no_decode, received media is only counted, not
     * decoded (no frames, colours or tones). answer_passive answers
     * a=setup:passive (the server then starts DTLS once its ICE is up, as
     * with a browser); no_jitter_delay receives with latency 0, so that the
     * jitter buffer adds nothing to the first packet's time. */
    CgRtcSource *source;
    gboolean no_decode;
    gboolean answer_passive;
    gboolean no_jitter_delay;
    /* Optional: one step of connection @pc ("local-offer", "first-packet",
     * "connection-state=connected", ...) for join-time breakdowns, with the
     * user data of cg_rtc_peer_new(). Called on any thread. */
    void (*trace)(gpointer user, const char *pc, const char *what);
} CgRtcPeerOptions;

typedef struct {
    /* type is "offer" (pub) or "answer" (sub-N) */
    void (*description)(gpointer user, const char *pc, const char *type, const char *sdp);
    /* "" = end of candidates */
    void (*candidate)(gpointer user, const char *pc, guint mline_index, const char *candidate);
} CgRtcPeerEvents;

CgRtcPeer *cg_rtc_peer_new(const CgRtcPeerOptions *options, const CgRtcPeerEvents *events,
                           gpointer user);
void cg_rtc_peer_free(CgRtcPeer *peer);

/* Starts the "pub" connection; its offer arrives through events->description. */
void cg_rtc_peer_publish(CgRtcPeer *peer);
/* An "answer" for "pub", or an "offer" for a new "sub-N" whose media is
 * recorded under @label (the publisher's participant id). */
void cg_rtc_peer_remote_description(CgRtcPeer *peer, const char *pc, const char *type,
                                    const char *sdp, const char *label);
void cg_rtc_peer_remote_candidate(CgRtcPeer *peer, const char *pc, guint mline_index,
                                  const char *candidate);
/* ICE restart: a new "pub" offer with new ICE credentials, through
 * events->description. (webrtcbin 1.22 has no ICE restart of its own: its
 * agent takes the new credentials and keeps its pair, so this proves the
 * server's side of a restart.) */
void cg_rtc_peer_restart_ice(CgRtcPeer *peer);
/* Screen share: starts publishing a second video (solid @color_rgb) on
 * "pub" with a new offer; receivers record it under "LABEL/screen".
 * cg_rtc_peer_stop_screen() makes it inactive, with a new offer. */
void cg_rtc_peer_start_screen(CgRtcPeer *peer, guint32 color_rgb);
void cg_rtc_peer_stop_screen(CgRtcPeer *peer);
/* The server closed @pc (pc_closed). */
void cg_rtc_peer_close_pc(CgRtcPeer *peer, const char *pc);

/* What arrived from @label so far. */
guint cg_rtc_peer_video_frames(CgRtcPeer *peer, const char *label);
/* Audio RTP packets from @label that reached the decoder. */
guint64 cg_rtc_peer_audio_packets(CgRtcPeer *peer, const char *label);
/* Video RTP packets from @label that reached the decoder. */
guint64 cg_rtc_peer_video_packets(CgRtcPeer *peer, const char *label);
/* (transfer full) The state of the connection carrying @label and what its
 * RTP session received per inbound stream, for failure messages. */
char *cg_rtc_peer_describe_label(CgRtcPeer *peer, const char *label);
/* Mean colour of the last decoded frame as 0xRRGGBB; FALSE if none yet. */
gboolean cg_rtc_peer_video_color(CgRtcPeer *peer, const char *label, guint32 *rgb);
/* Dominant frequency of the last ~100 ms of decoded audio; 0 if none yet. */
double cg_rtc_peer_tone_hz(CgRtcPeer *peer, const char *label);
/* Decoded audio measured (rtc_peer_audio.c), for tone tests. Levels are in
 * dBFS of a sine's amplitude (a full-scale sine reads 0); -200 means silence
 * or no audio from @label in the last 200 ms. The labels are the
 * publishers' ids, and "mix" for the interpretation mix slot (the server's
 * offer on pc "mix"). */
/* Level of @hz over the last ~100 ms of @label's decoded audio (Goertzel,
 * Hann-windowed). */
double cg_rtc_peer_tone_level_db(CgRtcPeer *peer, const char *label, double hz);
/* Monotonic time the last decoded audio of @label arrived; 0 if none. */
gint64 cg_rtc_peer_audio_time(CgRtcPeer *peer, const char *label);
/* Highest absolute decoded sample of @label since the last reset (0..1, or
 * above when the decoder overshoots), and in @n_over (nullable) how many
 * samples were above the reset's @ceiling (linear; 0: none counted). */
double cg_rtc_peer_audio_peak(CgRtcPeer *peer, const char *label, guint64 *n_over);
void cg_rtc_peer_reset_audio_peak(CgRtcPeer *peer, const char *label, double ceiling);
/* Tracks @hz in @label's decoded audio from now on (again: its counters
 * start from zero), in 20 ms windows hopped by 2.5 ms, each compared with
 * @threshold_dbfs. At most 6 per label. */
void cg_rtc_peer_track_tone(CgRtcPeer *peer, const char *label, double hz, double threshold_dbfs);
typedef struct {
    /* Monotonic time of the first window at or above the threshold (the time
     * its last sample was decoded, less what of its buffer came after it);
     * 0: none yet. */
    gint64 onset;
    guint windows, windows_above; /* analysed since the (re)start, every 10 ms */
    /* After the onset: the longest run of windows below, as the silence it
     * means (n windows below in a row: n x 2.5 + 5 ms, see rtc_peer_audio.c;
     * calibrated for a threshold 10 dB under the tone); 0: none. */
    guint longest_gap_ms;
    double max_dbfs;    /* loudest window */
    gboolean above_now; /* the last window was at or above */
} CgRtcPeerToneTrack;
/* FALSE (and zeros) if @hz is not tracked on @label. */
gboolean cg_rtc_peer_tone_track(CgRtcPeer *peer, const char *label, double hz,
                                CgRtcPeerToneTrack *out);
/* Windows of @label (every 10 ms) in which two or more tracked tones were at or above
 * their thresholds at once, since any of its tracks last (re)started. */
guint cg_rtc_peer_tones_together(CgRtcPeer *peer, const char *label);
/* Turns the published tone on or off (tone_off); heard from the next 10 ms
 * buffer of the source on. */
void cg_rtc_peer_set_tone(CgRtcPeer *peer, gboolean on);

/* Monotonic time (g_get_monotonic_time) of the first decoded frame; 0 if none. */
gint64 cg_rtc_peer_first_frame_time(CgRtcPeer *peer, const char *label);
/* Number of media packets (RTP, audio+video) that reached any sub connection. */
guint64 cg_rtc_peer_packets_received(CgRtcPeer *peer);
/* Monotonic time of the first RTP packet from @label; 0 if none yet. */
gint64 cg_rtc_peer_first_packet_time(CgRtcPeer *peer, const char *label);
/* (transfer full) the labels of the sub connections, NULL-terminated. */
char **cg_rtc_peer_labels(CgRtcPeer *peer);
/* Every received RTP stream (one per src pad of every sub connection). */
typedef struct {
    guint64 received; /* packets counted */
    guint64 expected; /* from the extended RTP sequence numbers, per stream */
    guint n_streams;  /* streams with at least one packet */
} CgRtcPeerReceived;
void cg_rtc_peer_received(CgRtcPeer *peer, CgRtcPeerReceived *out);

/* Decoded audio from @label (48 kHz mono samples out of the decoder, including
 * concealment), and how many of them the decoder made up for lost packets. */
guint64 cg_rtc_peer_audio_samples(CgRtcPeer *peer, const char *label);
guint64 cg_rtc_peer_audio_concealed(CgRtcPeer *peer, const char *label);

/* What the jitter buffer of @label's video (@video) or audio saw so far. */
typedef struct {
    guint64 lost;         /* packets given up on (num-lost) */
    guint64 rtx_requests; /* retransmissions asked for (rtx-count) */
    guint64 rtx_repaired; /* of which arrived in time (rtx-success-count) */
} CgRtcPeerReceiveRepair;
gboolean cg_rtc_peer_receive_repair(CgRtcPeer *peer, const char *label, gboolean video,
                                    CgRtcPeerReceiveRepair *out);
/* What the "pub" connection was asked to repair so far: NACK feedback its RTP
 * session received (recv-nack-count), the packets those asked for that
 * reached the retransmitter, and the retransmissions it sent. */
typedef struct {
    guint64 nacks;
    guint64 rtx_requests;
    guint64 rtx_sent;
} CgRtcPeerSendRepair;
void cg_rtc_peer_send_repair(CgRtcPeer *peer, CgRtcPeerSendRepair *out);

/* Key frame requests (PLI/FIR turned into force-key-unit events by the pub
 * connection's RTP session) that reached the video encoder so far. */
guint cg_rtc_peer_keyframe_requests(CgRtcPeer *peer);
/* REMB (receiver estimated maximum bitrate) messages the "pub" connection
 * received since the start or the last cg_rtc_peer_reset_rembs(), and in
 * @max_bps (nullable) the highest bitrate in bits/s any of them asked for. */
guint cg_rtc_peer_rembs(CgRtcPeer *peer, guint *max_bps);
void cg_rtc_peer_reset_rembs(CgRtcPeer *peer);
/* The lowest bitrate (bits/s) those REMB asked for; 0 if none. */
guint cg_rtc_peer_remb_min(CgRtcPeer *peer);
/* A slow answerer: while held, answers on sub-N connections are kept instead
 * of sent (the connection is left in stable state locally); releasing
 * (@hold FALSE) sends them, in order. The number kept now. */
void cg_rtc_peer_hold_answers(CgRtcPeer *peer, gboolean hold);
guint cg_rtc_peer_held_answers(CgRtcPeer *peer);
/* Offers received for the connection carrying @label that had a screen
 * share m-line (a=content:slides). */
guint cg_rtc_peer_screen_offers(CgRtcPeer *peer, const char *label);
/* Offers this peer sent on "pub" so far (the first, restarts, shares). */
guint cg_rtc_peer_offers_sent(CgRtcPeer *peer);
/* Monotonic time the sub connection carrying @label reached "connected"; 0 if
 * not (yet). */
gint64 cg_rtc_peer_connected_time(CgRtcPeer *peer, const char *label);
/* Monotonic time of the last decoded frame from @label since the last
 * cg_rtc_peer_reset_frame_gaps(); 0 if none since. */
gint64 cg_rtc_peer_last_frame_time(CgRtcPeer *peer, const char *label);
/* Longest interval between two decoded video frames from @label since the
 * last cg_rtc_peer_reset_frame_gaps() (0 if fewer than two frames since). */
gint64 cg_rtc_peer_max_frame_gap_us(CgRtcPeer *peer, const char *label);
void cg_rtc_peer_reset_frame_gaps(CgRtcPeer *peer);
/* Stops all media at once, as a frozen or unplugged machine would: the
 * pipeline goes to NULL (sockets closed, nothing sent, no ICE, no RTCP). The
 * object stays usable for the getters; signaling is untouched. */
void cg_rtc_peer_freeze(CgRtcPeer *peer);

/* With send_audio_loss_pct: the audio packets dropped since the last reset
 * (@reset TRUE starts a new count) and, in @longest_run, the most dropped
 * back to back (Opus in-band FEC rebuilds one lost packet from the next; a
 * run of k leaves k - 1 frames to concealment). */
guint64 cg_rtc_peer_audio_drops(CgRtcPeer *peer, guint *longest_run, gboolean reset);

G_END_DECLS
