/* rtc_peer_receive.c — what rtc_peer receives, as it arrives (streaming
 * threads): each src pad of a sub connection is counted (packets, per label
 * and kind, per stream by extended sequence number) and then decoded into
 * an appsink whose callbacks record frames, colours and samples; and what
 * the "pub" connection's RTP session is asked (REMB, key frames). Everything
 * shared is under ps->lock or atomic. */
#include "rtc_peer-private.h"

#include <gst/app/app.h>
#include <gst/rtp/rtp.h>
#include <gst/video/video.h>
#include <string.h>

/* ---- decoded media ------------------------------------------------------- */

static GstFlowReturn on_video_sample(GstAppSink *sink, gpointer data)
{
    PcShared *sh = data;
    g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
    if (!sample)
        return GST_FLOW_OK;
    GstBuffer *buf = gst_sample_get_buffer(sample);
    GstMapInfo map;
    if (!buf || !gst_buffer_map(buf, &map, GST_MAP_READ))
        return GST_FLOW_OK;
    GstVideoInfo vi;
    guint64 sum[3] = {0, 0, 0}, n = 0;
    if (gst_video_info_from_caps(&vi, gst_sample_get_caps(sample))) {
        for (int y = 0; y < GST_VIDEO_INFO_HEIGHT(&vi); y += 4) {
            const guint8 *row = map.data + (gsize)y * GST_VIDEO_INFO_PLANE_STRIDE(&vi, 0);
            for (int x = 0; x < GST_VIDEO_INFO_WIDTH(&vi); x += 4, n++)
                for (int c = 0; c < 3; c++)
                    sum[c] += row[x * 3 + c];
        }
    }
    gst_buffer_unmap(buf, &map);
    if (n == 0)
        return GST_FLOW_OK;
    guint32 rgb = (guint32)((sum[0] / n) << 16 | (sum[1] / n) << 8 | (sum[2] / n));
    g_mutex_lock(&sh->ps->lock);
    PeerStats *s = cg_rtc_peer_stats_for(sh->ps, sh->label);
    gint64 now = g_get_monotonic_time();
    if (s->frames++ == 0)
        s->first_frame = now;
    if (s->last_frame && now - s->last_frame > s->max_gap)
        s->max_gap = now - s->last_frame;
    s->last_frame = now;
    s->rgb = rgb;
    s->have_color = TRUE;
    g_mutex_unlock(&sh->ps->lock);
    return GST_FLOW_OK;
}

static GstFlowReturn on_audio_sample(GstAppSink *sink, gpointer data)
{
    PcShared *sh = data;
    g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
    GstBuffer *buf = sample ? gst_sample_get_buffer(sample) : NULL;
    GstMapInfo map;
    if (!buf || !gst_buffer_map(buf, &map, GST_MAP_READ))
        return GST_FLOW_OK;
    const float *f = (const float *)map.data;
    gsize count = map.size / sizeof(float);
    g_mutex_lock(&sh->ps->lock);
    PeerStats *s = cg_rtc_peer_stats_for(sh->ps, sh->label);
    s->audio_samples += count;
    cg_rtc_peer_audio_feed(s, f, count, g_get_monotonic_time());
    for (gsize i = 0; i < count; i++) {
        s->ring[s->ring_pos] = f[i];
        s->ring_pos = (s->ring_pos + 1) % PEER_TONE_WINDOW;
        if (s->ring_fill < PEER_TONE_WINDOW)
            s->ring_fill++;
    }
    g_mutex_unlock(&sh->ps->lock);
    gst_buffer_unmap(buf, &map);
    return GST_FLOW_OK;
}

/* ---- RTP, before the decoder ------------------------------------------------ */

typedef enum { PEER_KIND_OTHER, PEER_KIND_AUDIO, PEER_KIND_VIDEO } PeerKind;

/* What one src pad's probe counts into; freed with the probe. */
typedef struct {
    PcShared *sh;
    PeerKind kind;
    PeerStream *stream; /* owned by sh->ps->streams */
} PeerCounter;

static void counter_free(gpointer p)
{
    PeerCounter *c = p;
    cg_rtc_peer_pcs_free(c->sh);
    g_free(c);
}

/* Under ps->lock: one RTP packet of @c's stream. */
static void count_one(PeerCounter *c, PeerStats *s, GstBuffer *buf, gint64 now)
{
    guint8 hdr[4];
    if (gst_buffer_extract(buf, 0, hdr, sizeof hdr) != sizeof hdr)
        return;
    PeerStream *st = c->stream;
    guint16 seq = (guint16)(hdr[2] << 8 | hdr[3]);
    if (!st->started) {
        st->started = TRUE;
        st->base_ext = st->max_ext = seq;
        cg_rtc_peer_trace(c->sh->ps, c->sh->pc, "first-rtp pt=%u", hdr[1] & 0x7fu);
        if (!s->first_packet) {
            s->first_packet = now;
            cg_rtc_peer_trace(c->sh->ps, c->sh->pc, "first-packet");
        }
    } else {
        gint16 delta = (gint16)(guint16)(seq - (guint16)st->max_ext);
        if (delta > 0)
            st->max_ext += (guint32)delta;
    }
    st->received++;
}

/* RTP counted before the decoder, so that concealment output cannot be
 * mistaken for packets that arrived, and so that a failure can tell "nothing
 * arrived" from "nothing decoded". */
static GstPadProbeReturn count_packets(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    (void)pad;
    PeerCounter *c = data;
    PeerShared *ps = c->sh->ps;
    gint64 now = g_get_monotonic_time();
    GstBufferList *list =
        info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST ? GST_PAD_PROBE_INFO_BUFFER_LIST(info) : NULL;
    guint n = list ? gst_buffer_list_length(list) : 1;
    /* no 64-bit atomic add in GLib 2.74: the lock is cheap enough here */
    g_mutex_lock(&ps->lock);
    ps->packets += n;
    PeerStats *s = cg_rtc_peer_stats_for(ps, c->sh->label);
    if (c->kind == PEER_KIND_VIDEO)
        s->video_packets += n;
    else if (c->kind == PEER_KIND_AUDIO)
        s->audio_packets += n;
    for (guint i = 0; i < n; i++)
        count_one(c, s, list ? gst_buffer_list_get(list, i) : GST_PAD_PROBE_INFO_BUFFER(info), now);
    g_mutex_unlock(&ps->lock);
    return GST_PAD_PROBE_OK;
}

static void add_counter(GstPad *pad, const PcShared *sh, PeerKind kind)
{
    PeerCounter *c = g_new0(PeerCounter, 1);
    c->sh = cg_rtc_peer_pcs_copy(sh);
    c->kind = kind;
    c->stream = g_new0(PeerStream, 1);
    g_mutex_lock(&sh->ps->lock);
    g_ptr_array_add(sh->ps->streams, c->stream);
    g_mutex_unlock(&sh->ps->lock);
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                      count_packets, c, counter_free);
}

void cg_rtc_peer_receive_state(GObject *w, GParamSpec *pspec, gpointer data)
{
    (void)pspec;
    PcShared *sh = data;
    GstWebRTCPeerConnectionState st;
    g_object_get(w, "connection-state", &st, NULL);
    if (st != GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
        return;
    g_mutex_lock(&sh->ps->lock);
    PeerStats *s = cg_rtc_peer_stats_for(sh->ps, sh->label);
    if (!s->connected)
        s->connected = g_get_monotonic_time();
    g_mutex_unlock(&sh->ps->lock);
}

/* ---- new pads ------------------------------------------------------------------ */

/* repair_loss: webrtcbin 1.22 gives every jitter buffer of a bundle the
 * retransmission setting of any of its transceivers, so audio would be
 * NACKed too (and no RTX answers it); browsers leave audio to FEC and PLC. */
static void audio_without_nack(GstElement *webrtc, guint ssrc)
{
    GList *jb = cg_rtc_peer_find_elements(GST_BIN(webrtc), "rtpjitterbuffer", ssrc);
    for (GList *l = jb; l; l = l->next)
        g_object_set(l->data, "do-retransmission", FALSE, NULL);
    g_list_free_full(jb, gst_object_unref);
}

/* A subscribe connection's third m-line is its publisher's screen share
 * (consultd's offers: microphone, camera, screen): recorded under
 * "LABEL/screen". (transfer full) */
static PcShared *decode_target(GstPad *pad, const PcShared *sh)
{
    GObject *trans = NULL;
    guint mline = 0;
    g_object_get(pad, "transceiver", &trans, NULL);
    if (trans)
        g_object_get(trans, "mlineindex", &mline, NULL);
    g_clear_object(&trans);
    if (mline < 2)
        return cg_rtc_peer_pcs_copy(sh);
    g_autofree char *label = g_strdup_printf("%s/screen", sh->label);
    return cg_rtc_peer_pcs_new(sh->ps, sh->pc, label, sh->serial);
}

/* (transfer floating) what decodes a pad of @kind, or counts only. */
static GstElement *decoder_for(PeerKind kind, gboolean repair, gboolean no_decode)
{
    /* async=false: a sink added to a playing pipeline otherwise waits in
     * PAUSED for a preroll that the pipeline may never complete; the branch
     * then blocks and its queue fills (seen: 1 s of audio and video pushed,
     * then nothing, under load in the 8-party test). With repair_loss, a
     * broken frame stops the picture until a key frame (requested upstream,
     * which the RTP session sends as a PLI), and Opus conceals or uses FEC. */
    g_autofree char *desc =
        no_decode ? g_strdup("fakesink sync=false async=false enable-last-sample=false")
        : kind == PEER_KIND_VIDEO
            ? g_strdup_printf("queue ! rtpvp8depay wait-for-keyframe=%d request-keyframe=%d ! "
                              "vp8dec ! videoconvert ! video/x-raw,format=RGB ! appsink "
                              "name=sink sync=false async=false max-buffers=2 drop=true",
                              repair, repair)
        : kind == PEER_KIND_AUDIO
            ? g_strdup_printf("queue ! rtpopusdepay ! opusdec plc=%d use-inband-fec=%d ! "
                              "audioconvert ! audioresample ! "
                              "audio/x-raw,format=F32LE,channels=1,rate=48000 ! "
                              "appsink name=sink sync=false async=false max-buffers=20 drop=true",
                              repair, repair)
            : g_strdup("fakesink sync=false async=false");
    g_autoptr(GError) err = NULL;
    GstElement *bin = gst_parse_bin_from_description(desc, TRUE, &err);
    if (!bin)
        g_message("rtc_peer: cannot decode: %s", err->message);
    return bin;
}

void cg_rtc_peer_receive_pad(GstElement *webrtc, GstPad *pad, gpointer data)
{
    if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC)
        return;
    g_autoptr(PcShared) sh = decode_target(pad, data);
    g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);
    const GstStructure *s = caps ? gst_caps_get_structure(caps, 0) : NULL;
    const char *enc = s ? gst_structure_get_string(s, "encoding-name") : NULL;
    PeerKind kind = g_strcmp0(enc, "VP8") == 0    ? PEER_KIND_VIDEO
                    : g_strcmp0(enc, "OPUS") == 0 ? PEER_KIND_AUDIO
                                                  : PEER_KIND_OTHER;
    guint ssrc = 0;
    if (s && gst_structure_get_uint(s, "ssrc", &ssrc) && kind != PEER_KIND_OTHER) {
        g_mutex_lock(&sh->ps->lock);
        PeerStats *st = cg_rtc_peer_stats_for(sh->ps, sh->label);
        *(kind == PEER_KIND_VIDEO ? &st->video_ssrc : &st->audio_ssrc) = ssrc;
        g_mutex_unlock(&sh->ps->lock);
        if (kind == PEER_KIND_AUDIO && sh->ps->repair_loss)
            audio_without_nack(webrtc, ssrc);
    }
    GstElement *bin = decoder_for(kind, sh->ps->repair_loss, sh->ps->no_decode);
    if (!bin)
        return;
    static gint n_dec = 0;
    g_autofree char *name = g_strdup_printf("%s-dec-%d", sh->pc, g_atomic_int_add(&n_dec, 1));
    gst_object_set_name(GST_OBJECT(bin), name);
    GstElement *sink = GST_IS_BIN(bin) ? gst_bin_get_by_name(GST_BIN(bin), "sink") : NULL;
    if (sink && GST_IS_APP_SINK(sink)) {
        GstAppSinkCallbacks cb = {0};
        cb.new_sample = kind == PEER_KIND_VIDEO ? on_video_sample : on_audio_sample;
        gst_app_sink_set_callbacks(GST_APP_SINK(sink), &cb, cg_rtc_peer_pcs_copy(sh),
                                   (GDestroyNotify)cg_rtc_peer_pcs_free);
    }
    g_clear_object(&sink);
    g_autoptr(GstObject) parent = gst_object_get_parent(GST_OBJECT(webrtc));
    if (!parent) {
        gst_object_unref(gst_object_ref_sink(bin));
        return;
    }
    add_counter(pad, sh, kind);
    gst_bin_add(GST_BIN(parent), bin);
    gst_element_sync_state_with_parent(bin);
    g_autoptr(GstPad) bsink = gst_element_get_static_pad(bin, "sink");
    gst_pad_link(pad, bsink);
}

/* ---- what "pub" is asked ------------------------------------------------------- */

/* Upstream force-key-unit events reaching the encoder: what the publisher's
 * RTP session made of the PLI/FIR it received. */
GstPadProbeReturn cg_rtc_peer_count_key_requests(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    (void)pad;
    PeerShared *ps = data;
    if (gst_video_event_is_force_key_unit(GST_PAD_PROBE_INFO_EVENT(info)))
        g_atomic_int_inc(&ps->kf_requests);
    return GST_PAD_PROBE_OK;
}

/* The bitrate (bits/s) of a REMB's FCI ("REMB", count, exp:6 mantissa:18),
 * or -1 when it is not one. Clamped to G_MAXINT. */
static gint remb_bitrate(GstBuffer *fci)
{
    GstMapInfo map;
    if (!fci || !gst_buffer_map(fci, &map, GST_MAP_READ))
        return -1;
    gint bps = -1;
    if (map.size >= 8 && memcmp(map.data, "REMB", 4) == 0) {
        guint exp = map.data[5] >> 2;
        guint64 mantissa =
            ((guint64)(map.data[5] & 3) << 16) | (guint64)map.data[6] << 8 | map.data[7];
        bps = exp > 30 || (mantissa << exp) > G_MAXINT ? G_MAXINT : (gint)(mantissa << exp);
    }
    gst_buffer_unmap(fci, &map);
    return bps;
}

/* RTPSession "on-feedback-rtcp" of the pub connection (an RTCP receiving
 * thread): counts REMB and keeps the highest bitrate asked for. */
static void on_pub_feedback(GObject *session, guint type, guint fbtype, guint sender_ssrc,
                            guint media_ssrc, GstBuffer *fci, gpointer data)
{
    (void)session;
    (void)sender_ssrc;
    (void)media_ssrc;
    PeerShared *ps = data;
    gint bps =
        type == GST_RTCP_TYPE_PSFB && fbtype == GST_RTCP_PSFB_TYPE_AFB ? remb_bitrate(fci) : -1;
    if (bps < 0)
        return;
    g_atomic_int_inc(&ps->rembs);
    gint old;
    do
        old = g_atomic_int_get(&ps->remb_max_bps);
    while (bps > old && !g_atomic_int_compare_and_exchange(&ps->remb_max_bps, old, bps));
    do
        old = g_atomic_int_get(&ps->remb_min_bps);
    while ((old == 0 || bps < old) &&
           !g_atomic_int_compare_and_exchange(&ps->remb_min_bps, old, bps));
}

/* rtpbin "on-new-sender-ssrc" of the pub webrtcbin (a streaming thread): the
 * first time we send, the (bundled) session exists; watch its feedback. */
void cg_rtc_peer_watch_feedback(GstElement *rtpbin, guint session_id, guint ssrc, gpointer data)
{
    (void)ssrc;
    PeerShared *ps = data;
    if (!g_atomic_int_compare_and_exchange(&ps->remb_watching, 0, 1))
        return;
    GObject *session = NULL;
    g_signal_emit_by_name(rtpbin, "get-internal-session", session_id, &session);
    if (!session) {
        g_atomic_int_set(&ps->remb_watching, 0);
        return;
    }
    g_signal_connect_data(session, "on-feedback-rtcp", G_CALLBACK(on_pub_feedback),
                          cg_rtc_peer_ps_ref(ps), cg_rtc_peer_ps_closure_unref, 0);
    g_object_unref(session);
}
