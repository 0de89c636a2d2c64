/* rtc_peer.c — see rtc_peer.h.
 *
 * One pipeline per peer. "pub": test sources -> encoders -> webrtcbin
 * (sendonly, max-bundle). Each "sub-N": a webrtcbin answering the server's
 * offer; every src pad it adds is decoded into an appsink whose callbacks
 * (streaming threads) update the per-label statistics under stats->lock.
 * Signals and promise callbacks hop to the peer's main context by an idle
 * source; the hop finds its connection by name and serial, or does nothing.
 */
#define GST_USE_UNSTABLE_API
#include "rtc_peer.h"
#include "rtc-peer-faults.h"

#include <agent.h>
#include <gst/app/app.h>
#include <gst/rtp/rtp.h>
#include <gst/video/video.h>
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <math.h>
#include <string.h>

#define PEER_AUDIO_RATE 48000
#define PEER_TONE_WINDOW (PEER_AUDIO_RATE / 10) /* 100 ms */

typedef struct {
    guint frames;
    guint video_ssrc, audio_ssrc; /* from the decoded pads' caps */
    guint64 audio_samples;        /* decoded, concealment included */
    guint64 audio_packets;        /* RTP packets of this label's audio, before decoding */
    guint64 video_packets;        /* and of its video */
    gboolean have_color;
    guint32 rgb;
    gint64 first_frame;
    gint64 last_frame, max_gap; /* since the last reset */
    gint64 connected;           /* sub connection carrying this label */
    float ring[PEER_TONE_WINDOW];
    guint ring_pos, ring_fill;
} PeerStats;

/* Shared with streaming threads. */
typedef struct {
    gatomicrefcount ref;
    GMutex lock;
    GHashTable *by_label; /* label -> PeerStats */
    guint64 packets;      /* under lock */
    gint kf_requests;     /* atomic */
    gboolean repair_loss; /* options.repair_loss; set before any thread starts */
    gint rembs;           /* atomic: REMB received on "pub" */
    gint remb_max_bps;    /* atomic: the highest bitrate one of them asked for */
    gint remb_min_bps;    /* atomic: the lowest (0: none yet) */
    gint remb_watching;   /* atomic: the pub RTP session's feedback is watched */
    gboolean alive;       /* under lock: FALSE once the peer is freed */
    CgRtcPeer *peer;      /* under lock, main context use only via hops */
    GMainContext *ctx;
} PeerShared;

typedef struct {
    PeerShared *ps;
    char *pc;
    char *label;
    guint64 serial;
} PcShared;

typedef struct {
    char *name;
    guint64 serial;
    GstElement *webrtc;
    PcShared *sh;
    gboolean offered;
    gboolean restarting;       /* the next local offer gets new ICE credentials */
    char *ice_ufrag, *ice_pwd; /* the restart's, for every later offer too */
    guint local_descriptions;  /* set so far: more than one is a renegotiation */
    GPtrArray *candidates;     /* "candidate:..." lines sent (m-line 0), for restarts */
} PeerPc;

struct _CgRtcPeer {
    GMainContext *ctx;
    CgRtcPeerOptions opt;
    CgRtcPeerEvents ev;
    gpointer user;
    GstElement *pipeline;
    GHashTable *pcs; /* name -> PeerPc */
    guint64 next_serial;
    PeerShared *ps;
    gboolean frozen;
    CgRtcPeerFaults *faults; /* rtc_peer_faults.c */
};

/* ---- shared state ------------------------------------------------------- */

static PeerShared *ps_ref(PeerShared *ps)
{
    g_atomic_ref_count_inc(&ps->ref);
    return ps;
}

static void ps_unref(PeerShared *ps)
{
    if (!ps || !g_atomic_ref_count_dec(&ps->ref))
        return;
    g_hash_table_unref(ps->by_label);
    g_mutex_clear(&ps->lock);
    g_main_context_unref(ps->ctx);
    g_free(ps);
}

static void ps_closure_unref(gpointer data, GClosure *c)
{
    (void)c;
    ps_unref(data);
}

static PcShared *pcs_new(PeerShared *ps, const char *pc, const char *label, guint64 serial)
{
    PcShared *sh = g_new0(PcShared, 1);
    sh->ps = ps_ref(ps);
    sh->pc = g_strdup(pc);
    sh->label = g_strdup(label ? label : "");
    sh->serial = serial;
    return sh;
}

static void pcs_free(PcShared *sh)
{
    ps_unref(sh->ps);
    g_free(sh->pc);
    g_free(sh->label);
    g_free(sh);
}

/* Per-signal-connection copy, freed by the closure. */
static PcShared *pcs_copy(const PcShared *sh)
{
    return pcs_new(sh->ps, sh->pc, sh->label, sh->serial);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PcShared, pcs_free)

static void pcs_closure_free(gpointer data, GClosure *c)
{
    (void)c;
    pcs_free(data);
}

static PeerStats *stats_for(PeerShared *ps, const char *label)
{
    PeerStats *s = g_hash_table_lookup(ps->by_label, label);
    if (!s) {
        s = g_new0(PeerStats, 1);
        g_hash_table_insert(ps->by_label, g_strdup(label), s);
    }
    return s;
}

/* ---- hops ---------------------------------------------------------------- */

typedef void (*PeerHopFunc)(CgRtcPeer *peer, PeerPc *pc, gpointer data);

typedef struct {
    PcShared *sh;
    PeerHopFunc fn;
    gpointer data;
    GDestroyNotify destroy;
} PeerHop;

static gboolean hop_dispatch(gpointer p)
{
    PeerHop *h = p;
    g_mutex_lock(&h->sh->ps->lock);
    CgRtcPeer *peer = h->sh->ps->alive ? h->sh->ps->peer : NULL;
    g_mutex_unlock(&h->sh->ps->lock);
    PeerPc *pc = peer ? g_hash_table_lookup(peer->pcs, h->sh->pc) : NULL;
    if (pc && pc->serial == h->sh->serial)
        h->fn(peer, pc, h->data);
    return G_SOURCE_REMOVE;
}

static void hop_free(gpointer p)
{
    PeerHop *h = p;
    if (h->destroy && h->data)
        h->destroy(h->data);
    pcs_free(h->sh);
    g_free(h);
}

static void hop(const PcShared *sh, PeerHopFunc fn, gpointer data, GDestroyNotify destroy)
{
    PeerHop *h = g_new0(PeerHop, 1);
    h->sh = pcs_copy(sh);
    h->fn = fn;
    h->data = data;
    h->destroy = destroy;
    GSource *src = g_idle_source_new();
    g_source_set_callback(src, hop_dispatch, h, hop_free);
    g_source_attach(src, sh->ps->ctx);
    g_source_unref(src);
}

/* ---- ICE: same hardening as the server ----------------------------------- */

static void harden_ice(GstElement *webrtc, const CgRtcPeerOptions *opt)
{
    gboolean tcp_only = opt->tcp_only;
    if (opt->turn_server)
        g_object_set(webrtc, "turn-server", opt->turn_server, NULL);
    if (opt->relay_only)
        g_object_set(webrtc, "ice-transport-policy", GST_WEBRTC_ICE_TRANSPORT_POLICY_RELAY, NULL);
    GObject *ice = NULL, *agent = NULL;
    g_object_get(webrtc, "ice-agent", &ice, NULL);
    if (ice && g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "agent"))
        g_object_get(ice, "agent", &agent, NULL);
    if (agent) {
        NiceAddress addr;
        nice_address_init(&addr);
        nice_address_set_from_string(&addr, "127.0.0.1");
        g_object_set(agent, "upnp", FALSE, "ice-tcp", tcp_only, "ice-udp", !tcp_only, NULL);
        g_object_set(ice, "ice-tcp", tcp_only, "ice-udp", !tcp_only, NULL);
        nice_agent_add_local_address(NICE_AGENT(agent), &addr);
        g_object_unref(agent);
    } else {
        g_warning("rtc_peer: cannot restrict ICE to 127.0.0.1");
    }
    g_clear_object(&ice);
}

/* ---- decoding (streaming threads) ---------------------------------------- */

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
    PeerStats *s = stats_for(sh->ps, sh->label);
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
    PeerStats *s = stats_for(sh->ps, sh->label);
    s->audio_samples += count;
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

static GstPadProbeReturn count_packets(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    (void)pad;
    PeerShared *ps = data;
    guint n = 1;
    if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
        n = gst_buffer_list_length(GST_PAD_PROBE_INFO_BUFFER_LIST(info));
    /* no 64-bit atomic add in GLib 2.74: the lock is cheap enough here */
    g_mutex_lock(&ps->lock);
    ps->packets += n;
    g_mutex_unlock(&ps->lock);
    return GST_PAD_PROBE_OK;
}

/* RTP per label and kind, counted before the decoder so that concealment
 * output cannot be mistaken for packets that arrived, and so that a failure
 * can tell "nothing arrived" from "nothing decoded". */
static void count_kind(GstPadProbeInfo *info, PcShared *sh, gboolean video)
{
    guint n = 1;
    if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
        n = gst_buffer_list_length(GST_PAD_PROBE_INFO_BUFFER_LIST(info));
    g_mutex_lock(&sh->ps->lock);
    PeerStats *s = stats_for(sh->ps, sh->label);
    if (video)
        s->video_packets += n;
    else
        s->audio_packets += n;
    g_mutex_unlock(&sh->ps->lock);
}

static GstPadProbeReturn count_audio(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    (void)pad;
    count_kind(info, data, FALSE);
    return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn count_video(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    (void)pad;
    count_kind(info, data, TRUE);
    return GST_PAD_PROBE_OK;
}

static void on_pc_state(GObject *w, GParamSpec *pspec, gpointer data)
{
    (void)pspec;
    PcShared *sh = data;
    GstWebRTCPeerConnectionState st;
    g_object_get(w, "connection-state", &st, NULL);
    if (st != GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
        return;
    g_mutex_lock(&sh->ps->lock);
    PeerStats *s = stats_for(sh->ps, sh->label);
    if (!s->connected)
        s->connected = g_get_monotonic_time();
    g_mutex_unlock(&sh->ps->lock);
}

/* Upstream force-key-unit events reaching the encoder: what the publisher's
 * RTP session made of the PLI/FIR it received. */
static GstPadProbeReturn count_key_requests(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    (void)pad;
    PeerShared *ps = data;
    if (gst_video_event_is_force_key_unit(GST_PAD_PROBE_INFO_EVENT(info)))
        g_atomic_int_inc(&ps->kf_requests);
    return GST_PAD_PROBE_OK;
}

/* ---- finding webrtcbin's elements ----------------------------------------- */

/* Does @el's sink pad carry @ssrc (its caps say so)? 0: any. */
static gboolean element_ssrc_is(GstElement *el, guint ssrc)
{
    if (!ssrc)
        return TRUE;
    g_autoptr(GstPad) pad = gst_element_get_static_pad(el, "sink");
    g_autoptr(GstCaps) caps = pad ? gst_pad_get_current_caps(pad) : NULL;
    const GstStructure *s = caps ? gst_caps_get_structure(caps, 0) : NULL;
    guint have = 0;
    return s && gst_structure_get_uint(s, "ssrc", &have) && have == ssrc;
}

/* (transfer full) every element made by @factory inside @bin (recursively)
 * whose sink pad carries @ssrc (0: any). */
static GList *find_elements(GstBin *bin, const char *factory, guint ssrc)
{
    GList *found = NULL;
    GstIterator *els = gst_bin_iterate_recurse(bin);
    GValue v = G_VALUE_INIT;
    while (gst_iterator_next(els, &v) == GST_ITERATOR_OK) {
        GstElement *el = g_value_get_object(&v);
        GstElementFactory *f = gst_element_get_factory(el);
        if (f && g_str_equal(GST_OBJECT_NAME(f), factory) && element_ssrc_is(el, ssrc))
            found = g_list_prepend(found, gst_object_ref(el));
        g_value_reset(&v);
    }
    g_value_unset(&v);
    gst_iterator_free(els);
    return found;
}

/* repair_loss: webrtcbin 1.22 gives every jitter buffer of a bundle the
 * retransmission setting of any of its transceivers, so audio would be
 * NACKed too (and no RTX answers it); browsers leave audio to FEC and PLC. */
static void audio_without_nack(GstElement *webrtc, guint ssrc)
{
    GList *jb = find_elements(GST_BIN(webrtc), "rtpjitterbuffer", ssrc);
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
        return pcs_copy(sh);
    g_autofree char *label = g_strdup_printf("%s/screen", sh->label);
    return pcs_new(sh->ps, sh->pc, label, sh->serial);
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
static void watch_pub_feedback(GstElement *rtpbin, guint session_id, guint ssrc, gpointer data)
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
    g_signal_connect_data(session, "on-feedback-rtcp", G_CALLBACK(on_pub_feedback), ps_ref(ps),
                          ps_closure_unref, 0);
    g_object_unref(session);
}

static void decode_pad(GstElement *webrtc, GstPad *pad, gpointer data)
{
    if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC)
        return;
    g_autoptr(PcShared) sh = decode_target(pad, data);
    g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);
    const GstStructure *s = caps ? gst_caps_get_structure(caps, 0) : NULL;
    const char *enc = s ? gst_structure_get_string(s, "encoding-name") : NULL;
    gboolean video = g_strcmp0(enc, "VP8") == 0;
    guint ssrc = 0;
    if (s && gst_structure_get_uint(s, "ssrc", &ssrc) && (video || g_strcmp0(enc, "OPUS") == 0)) {
        g_mutex_lock(&sh->ps->lock);
        PeerStats *st = stats_for(sh->ps, sh->label);
        *(video ? &st->video_ssrc : &st->audio_ssrc) = ssrc;
        g_mutex_unlock(&sh->ps->lock);
        if (!video && sh->ps->repair_loss)
            audio_without_nack(webrtc, ssrc);
    }
    /* async=false: a sink added to a playing pipeline otherwise waits in
     * PAUSED for a preroll that the pipeline may never complete; the branch
     * then blocks and its queue fills (seen: 1 s of audio and video pushed,
     * then nothing, under load in the 8-party test). With repair_loss, a
     * broken frame stops the picture until a key frame (requested upstream,
     * which the RTP session sends as a PLI), and Opus conceals or uses FEC. */
    gboolean repair = sh->ps->repair_loss;
    g_autofree char *desc =
        video ? g_strdup_printf("queue ! rtpvp8depay wait-for-keyframe=%d request-keyframe=%d ! "
                                "vp8dec ! videoconvert ! video/x-raw,format=RGB ! appsink "
                                "name=sink sync=false async=false max-buffers=2 drop=true",
                                repair, repair)
        : g_strcmp0(enc, "OPUS") == 0
            ? g_strdup_printf("queue ! rtpopusdepay ! opusdec plc=%d use-inband-fec=%d ! "
                              "audioconvert ! audioresample ! "
                              "audio/x-raw,format=F32LE,channels=1,rate=48000 ! "
                              "appsink name=sink sync=false async=false max-buffers=20 drop=true",
                              repair, repair)
            : g_strdup("fakesink sync=false async=false");
    g_autoptr(GError) err = NULL;
    GstElement *bin = gst_parse_bin_from_description(desc, TRUE, &err);
    if (!bin) {
        g_message("rtc_peer: cannot decode %s: %s", enc ? enc : "?", err->message);
        return;
    }
    static gint n_dec = 0;
    g_autofree char *name = g_strdup_printf("%s-dec-%d", sh->pc, g_atomic_int_add(&n_dec, 1));
    gst_object_set_name(GST_OBJECT(bin), name);
    GstElement *sink = gst_bin_get_by_name(GST_BIN(bin), "sink");
    if (sink) {
        GstAppSinkCallbacks cb = {0};
        cb.new_sample = video ? on_video_sample : on_audio_sample;
        gst_app_sink_set_callbacks(GST_APP_SINK(sink), &cb, pcs_copy(sh), (GDestroyNotify)pcs_free);
        gst_object_unref(sink);
    }
    g_autoptr(GstObject) parent = gst_object_get_parent(GST_OBJECT(webrtc));
    if (!parent) {
        gst_object_unref(gst_object_ref_sink(bin));
        return;
    }
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                      count_packets, ps_ref(sh->ps), (GDestroyNotify)ps_unref);
    if (video || g_strcmp0(enc, "OPUS") == 0)
        gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                          video ? count_video : count_audio, pcs_copy(sh),
                          (GDestroyNotify)pcs_free);
    gst_bin_add(GST_BIN(parent), bin);
    gst_element_sync_state_with_parent(bin);
    g_autoptr(GstPad) bsink = gst_element_get_static_pad(bin, "sink");
    gst_pad_link(pad, bsink);
}

/* ---- negotiation ---------------------------------------------------------- */

typedef struct {
    guint mline;
    char *text;
} PeerText;

static void text_free(gpointer p)
{
    PeerText *t = p;
    g_free(t->text);
    g_free(t);
}

static void main_candidate(CgRtcPeer *peer, PeerPc *pc, gpointer data)
{
    PeerText *t = data;
    if (*t->text && t->mline == 0)
        g_ptr_array_add(pc->candidates, g_strdup(t->text));
    if (peer->ev.candidate)
        peer->ev.candidate(peer->user, pc->name, t->mline, t->text);
}

static void on_ice_candidate(GstElement *w, guint mline, const char *cand, gpointer data)
{
    (void)w;
    PeerText *t = g_new0(PeerText, 1);
    t->mline = mline;
    t->text = g_strdup(cand);
    hop(data, main_candidate, t, text_free);
}

static void on_gathering(GObject *w, GParamSpec *ps, gpointer data)
{
    (void)ps;
    GstWebRTCICEGatheringState st;
    g_object_get(w, "ice-gathering-state", &st, NULL);
    if (st == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) {
        PeerText *t = g_new0(PeerText, 1);
        t->text = g_strdup("");
        hop(data, main_candidate, t, text_free);
    }
}

/* Changes the first hex digit of every a=fingerprint value (the same way, so
 * the SDP stays self-consistent and only the certificate check can catch it). */
static char *corrupt_fingerprint(const char *sdp)
{
    char *out = g_strdup(sdp);
    for (char *fp = strstr(out, "a=fingerprint:"); fp; fp = strstr(fp + 1, "a=fingerprint:")) {
        char *sp = strchr(fp, ' ');
        if (sp && g_ascii_isxdigit(sp[1]))
            sp[1] = sp[1] == '0' ? '1' : '0';
    }
    return out;
}

/* webrtcbin 1.22 ignores create-offer's "ice-restart": new random
 * credentials go into the offer before set-local-description, which hands
 * them to its ICE agent, and the agent itself is restarted (restart_agent):
 * it checks the server's new candidates again and nominates a pair, as a
 * restarted browser does. Without that restart it kept its old pair, answered
 * the server's checks but never nominated, and the server's side of the
 * restart failed ~5 s later. */
static void restart_agent(GstElement *webrtc)
{
    g_autoptr(GObject) ice = NULL;
    g_object_get(webrtc, "ice-agent", &ice, NULL);
    NiceAgent *agent = NULL;
    if (ice && g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "agent"))
        g_object_get(ice, "agent", &agent, NULL);
    if (!agent) {
        g_warning("rtc_peer: no libnice agent in webrtcbin: the ICE restart is only signalled");
        return;
    }
    /* It forgets the remote credentials; the server's answer sets them again. */
    nice_agent_restart(agent);
    g_object_unref(agent);
}

static void set_ice_credentials(GstSDPMessage *sdp, const char *ufrag, const char *pwd)
{
    for (guint i = 0; i < gst_sdp_message_medias_len(sdp); i++) {
        GstSDPMedia *m = (GstSDPMedia *)gst_sdp_message_get_media(sdp, i);
        for (guint a = 0; a < gst_sdp_media_attributes_len(m); a++) {
            const GstSDPAttribute *attr = gst_sdp_media_get_attribute(m, a);
            const char *value = g_strcmp0(attr->key, "ice-ufrag") == 0 ? ufrag
                                : g_strcmp0(attr->key, "ice-pwd") == 0 ? pwd
                                                                       : NULL;
            if (value) {
                GstSDPAttribute replacement;
                gst_sdp_attribute_set(&replacement, attr->key, value);
                gst_sdp_media_replace_attribute(m, a, &replacement);
            }
        }
    }
}

static void main_local(CgRtcPeer *peer, PeerPc *pc, gpointer data)
{
    GstWebRTCSessionDescription *desc = data;
    if (pc->restarting && desc->type == GST_WEBRTC_SDP_TYPE_OFFER) {
        pc->restarting = FALSE;
        restart_agent(pc->webrtc);
        g_free(pc->ice_ufrag);
        g_free(pc->ice_pwd);
        pc->ice_ufrag = g_strdup_printf("r%08x", g_random_int());
        pc->ice_pwd =
            g_strdup_printf("%08x%08x%08x", g_random_int(), g_random_int(), g_random_int());
    }
    /* webrtcbin would put its first credentials back into a later offer (a
     * screen share after a restart): that would be a second restart. */
    if (pc->ice_ufrag && desc->type == GST_WEBRTC_SDP_TYPE_OFFER)
        set_ice_credentials(desc->sdp, pc->ice_ufrag, pc->ice_pwd);
    g_signal_emit_by_name(pc->webrtc, "set-local-description", desc, NULL);
    g_autofree char *sdp = gst_sdp_message_as_text(desc->sdp);
    gboolean offer = desc->type == GST_WEBRTC_SDP_TYPE_OFFER;
    if (offer && peer->opt.corrupt_fingerprint) {
        char *bad = corrupt_fingerprint(sdp);
        g_free(sdp);
        sdp = bad;
    }
    if (!offer && cg_rtc_peer_faults_hold_answer(peer->faults, pc->name, sdp))
        return; /* a slow answerer: sent on cg_rtc_peer_hold_answers(FALSE) */
    if (peer->ev.description)
        peer->ev.description(peer->user, pc->name, offer ? "offer" : "answer", sdp);
    if (offer)
        cg_rtc_peer_faults_note_sent_offer(peer->faults);
    /* After a renegotiation (an ICE restart on either side) the server's
     * agent has forgotten our candidates and webrtcbin gathers no new ones:
     * say them again, as a browser's restarted gathering would. */
    if (++pc->local_descriptions > 1 && peer->ev.candidate) {
        for (guint i = 0; i < pc->candidates->len; i++)
            peer->ev.candidate(peer->user, pc->name, 0, g_ptr_array_index(pc->candidates, i));
        peer->ev.candidate(peer->user, pc->name, 0, "");
    }
}

static void on_local_created(GstPromise *promise, gpointer data)
{
    PcShared *sh = data;
    GstWebRTCSessionDescription *desc = NULL;
    const GstStructure *reply = gst_promise_get_reply(promise);
    if (reply) {
        gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL);
        if (!desc)
            gst_structure_get(reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL);
    }
    if (desc)
        hop(sh, main_local, desc, (GDestroyNotify)gst_webrtc_session_description_free);
    else
        g_message("rtc_peer %s: no local description", sh->pc);
}

static void create_local(PeerPc *pc, const char *what)
{
    GstPromise *p = gst_promise_new_with_change_func(on_local_created, pcs_copy(pc->sh),
                                                     (GDestroyNotify)pcs_free);
    g_signal_emit_by_name(pc->webrtc, what, NULL, p);
    gst_promise_unref(p);
}

static void main_negotiate(CgRtcPeer *peer, PeerPc *pc, gpointer data)
{
    (void)peer;
    (void)data;
    if (!pc->offered) {
        pc->offered = TRUE;
        create_local(pc, "create-offer");
    }
}

static void on_negotiation_needed(GstElement *w, gpointer data)
{
    (void)w;
    hop(data, main_negotiate, NULL, NULL);
}

/* repair_loss: NACK (and RTX, when offered) on video transceivers. webrtcbin
 * 1.22 makes a sub connection's transceivers while it creates the answer
 * (not at set-remote-description), and emits this from there, on its own
 * thread, before it writes the answer and before any jitter buffer, which
 * takes its do-retransmission from the transceiver, exists. Audio is left to
 * FEC and PLC, as browsers do. */
static void on_new_transceiver(GstElement *w, GstWebRTCRTPTransceiver *t, gpointer data)
{
    (void)w;
    (void)data;
    GstWebRTCKind kind = GST_WEBRTC_KIND_UNKNOWN;
    g_object_get(t, "kind", &kind, NULL);
    if (kind == GST_WEBRTC_KIND_VIDEO)
        g_object_set(t, "do-nack", TRUE, NULL);
}

/* repair_loss: webrtcbin's RTP session sizes its RTCP interval from the
 * session bandwidth, which a receive-only connection estimates near zero:
 * its RTCP then goes every ~0.7 s, and so may a NACK or PLI that missed its
 * one early packet per interval. A browser sends feedback at once; a bandwidth
 * worth of the media brings the interval down to ~0.1 s. Emitted on a
 * streaming thread, without the session's lock. */
#define PEER_RECEIVER_SESSION_BANDWIDTH 1000000.0
static void on_new_ssrc(GstElement *rtpbin, guint session, guint ssrc, gpointer data)
{
    (void)ssrc;
    (void)data;
    GObject *internal = NULL;
    g_signal_emit_by_name(rtpbin, "get-internal-session", session, &internal);
    if (internal)
        g_object_set(internal, "bandwidth", PEER_RECEIVER_SESSION_BANDWIDTH, NULL);
    g_clear_object(&internal);
}

static void main_answer(CgRtcPeer *peer, PeerPc *pc, gpointer data)
{
    (void)peer;
    (void)data;
    create_local(pc, "create-answer");
}

static void on_remote_set(GstPromise *promise, gpointer data)
{
    (void)promise;
    PcShared *sh = data;
    if (g_str_has_prefix(sh->pc, "sub"))
        hop(sh, main_answer, NULL, NULL);
}

static void connect_pc(PeerPc *pc, const char *sig, GCallback cb)
{
    g_signal_connect_data(pc->webrtc, sig, cb, pcs_copy(pc->sh), pcs_closure_free, 0);
}

static void pc_free(gpointer p)
{
    PeerPc *pc = p;
    g_free(pc->name);
    g_free(pc->ice_ufrag);
    g_free(pc->ice_pwd);
    g_ptr_array_unref(pc->candidates);
    pcs_free(pc->sh);
    g_free(pc);
}

/* Adds @webrtc (already in the pipeline or in a bin inside it) as @name. */
static PeerPc *pc_add(CgRtcPeer *peer, const char *name, const char *label, GstElement *webrtc)
{
    PeerPc *pc = g_new0(PeerPc, 1);
    pc->name = g_strdup(name);
    pc->serial = ++peer->next_serial;
    pc->webrtc = webrtc;
    pc->candidates = g_ptr_array_new_with_free_func(g_free);
    pc->sh = pcs_new(peer->ps, name, label, pc->serial);
    g_object_set(webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
    harden_ice(webrtc, &peer->opt);
    connect_pc(pc, "on-ice-candidate", G_CALLBACK(on_ice_candidate));
    connect_pc(pc, "notify::ice-gathering-state", G_CALLBACK(on_gathering));
    if (label) {
        connect_pc(pc, "pad-added", G_CALLBACK(decode_pad));
        connect_pc(pc, "notify::connection-state", G_CALLBACK(on_pc_state));
    } else
        connect_pc(pc, "on-negotiation-needed", G_CALLBACK(on_negotiation_needed));
    g_hash_table_replace(peer->pcs, g_strdup(name), pc);
    return pc;
}

/* ---- public API --------------------------------------------------------- */

CgRtcPeer *cg_rtc_peer_new(const CgRtcPeerOptions *options, const CgRtcPeerEvents *events,
                           gpointer user)
{
    gst_init(NULL, NULL);
    CgRtcPeer *peer = g_new0(CgRtcPeer, 1);
    peer->ctx = g_main_context_ref_thread_default();
    peer->opt = *options;
    peer->ev = *events;
    peer->user = user;
    peer->pcs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, pc_free);
    peer->ps = g_new0(PeerShared, 1);
    g_atomic_ref_count_init(&peer->ps->ref);
    g_mutex_init(&peer->ps->lock);
    peer->ps->by_label = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    peer->ps->alive = TRUE;
    peer->ps->repair_loss = options->repair_loss;
    peer->ps->peer = peer;
    peer->ps->ctx = g_main_context_ref(peer->ctx);
    peer->pipeline = gst_pipeline_new(NULL);
    gst_element_set_state(peer->pipeline, GST_STATE_PLAYING);
    peer->faults = cg_rtc_peer_faults_new(&peer->ev, user);
    cg_rtc_peer_faults_set_hold(peer->faults, options->hold_answers);
    return peer;
}

static void remove_prefixed(CgRtcPeer *peer, const char *prefix)
{
    GList *found = NULL;
    GstBin *bin = GST_BIN(peer->pipeline);
    GST_OBJECT_LOCK(bin);
    for (GList *l = bin->children; l; l = l->next)
        if (g_str_has_prefix(GST_ELEMENT_NAME(l->data), prefix))
            found = g_list_prepend(found, gst_object_ref(l->data));
    GST_OBJECT_UNLOCK(bin);
    for (GList *l = found; l; l = l->next) {
        gst_element_set_state(l->data, GST_STATE_NULL);
        gst_bin_remove(bin, l->data);
    }
    g_list_free_full(found, gst_object_unref);
}

void cg_rtc_peer_free(CgRtcPeer *peer)
{
    if (!peer)
        return;
    g_mutex_lock(&peer->ps->lock);
    peer->ps->alive = FALSE;
    peer->ps->peer = NULL;
    g_mutex_unlock(&peer->ps->lock);
    gst_element_set_state(peer->pipeline, GST_STATE_NULL);
    gst_object_unref(peer->pipeline);
    g_hash_table_unref(peer->pcs);
    ps_unref(peer->ps);
    cg_rtc_peer_faults_free(peer->faults);
    g_main_context_unref(peer->ctx);
    g_free(peer);
}

/* Is what is linked to webrtcbin's sink @pad video (its caps filter says so)? */
static gboolean pad_is_video(GstPad *pad)
{
    g_autoptr(GstCaps) caps = gst_pad_peer_query_caps(pad, NULL);
    const GstStructure *s =
        caps && !gst_caps_is_empty(caps) ? gst_caps_get_structure(caps, 0) : NULL;
    return s && g_strcmp0(gst_structure_get_string(s, "media"), "video") == 0;
}

void cg_rtc_peer_publish(CgRtcPeer *peer)
{
    g_autofree char *desc = NULL;
    g_autofree char *video = NULL;
    const CgRtcPeerOptions *o = &peer->opt;
    if (!o->no_video)
        video = g_strdup_printf(
            "videotestsrc is-live=true pattern=solid-color foreground-color=0x%08x ! "
            "video/x-raw,width=%u,height=%u,framerate=%u/1 ! videoconvert ! queue ! "
            "vp8enc name=venc deadline=1 keyframe-max-dist=%u target-bitrate=150000 ! "
            "rtpvp8pay ! application/x-rtp,media=video,encoding-name=VP8,payload=96 ! w. ",
            0xff000000u | (o->color_rgb & 0xffffffu), o->width ? o->width : 320,
            o->height ? o->height : 240, o->fps ? o->fps : 15,
            o->keyframe_max_dist ? o->keyframe_max_dist : 30);
    /* FEC: libopus adds it only when told to expect loss */
    desc = g_strdup_printf(
        "webrtcbin name=w %s audiotestsrc is-live=true wave=sine freq=%u ! audioconvert ! "
        "audioresample ! level audio-level-meta=true ! queue ! opusenc %s ! rtpopuspay name=apay ! "
        "application/x-rtp,media=audio,encoding-name=OPUS,payload=111 ! w.",
        video ? video : "", peer->opt.tone_hz,
        o->repair_loss ? "inband-fec=true packet-loss-percentage=10" : "");
    g_autoptr(GError) err = NULL;
    GstElement *bin = gst_parse_bin_from_description(desc, FALSE, &err);
    if (!bin) {
        g_message("rtc_peer: cannot build the publisher: %s", err->message);
        return;
    }
    gst_object_set_name(GST_OBJECT(bin), "pub-bin");
    GstElement *webrtc = gst_bin_get_by_name(GST_BIN(bin), "w");
    /* RFC 6464 audio levels in every audio packet, as browsers send them */
    g_autoptr(GstElement) apay = gst_bin_get_by_name(GST_BIN(bin), "apay");
    GstRTPHeaderExtension *level =
        gst_rtp_header_extension_create_from_uri("urn:ietf:params:rtp-hdrext:ssrc-audio-level");
    if (apay && level) {
        gst_rtp_header_extension_set_id(level, 1);
        g_signal_emit_by_name(apay, "add-extension", level);
    }
    g_clear_object(&level);
    g_autoptr(GstElement) venc = gst_bin_get_by_name(GST_BIN(bin), "venc");
    if (venc) {
        g_autoptr(GstPad) vsrc = gst_element_get_static_pad(venc, "src");
        gst_pad_add_probe(vsrc, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, count_key_requests,
                          ps_ref(peer->ps), (GDestroyNotify)ps_unref);
    }
    g_autoptr(GstElement) rtpbin = gst_bin_get_by_name(GST_BIN(webrtc), "rtpbin");
    if (rtpbin)
        g_signal_connect_data(rtpbin, "on-new-sender-ssrc", G_CALLBACK(watch_pub_feedback),
                              ps_ref(peer->ps), ps_closure_unref, 0);
    else
        g_warning("rtc_peer: no rtpbin in webrtcbin: REMB will not be counted");
    GstIterator *it = gst_element_iterate_sink_pads(webrtc);
    GValue v = G_VALUE_INIT;
    while (gst_iterator_next(it, &v) == GST_ITERATOR_OK) {
        GObject *trans = NULL;
        GstPad *sinkpad = g_value_get_object(&v);
        g_object_get(sinkpad, "transceiver", &trans, NULL);
        if (trans)
            g_object_set(trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, NULL);
        if (trans && o->repair_loss && pad_is_video(sinkpad))
            g_object_set(trans, "do-nack", TRUE, NULL); /* offers RTX, answers NACKs */
        g_clear_object(&trans);
        g_value_reset(&v);
    }
    g_value_unset(&v);
    gst_iterator_free(it);
    pc_add(peer, "pub", NULL, webrtc);
    gst_object_unref(webrtc); /* the bin keeps it */
    gst_bin_add(GST_BIN(peer->pipeline), bin);
    gst_element_sync_state_with_parent(bin);
}

static void set_remote(PeerPc *pc, GstWebRTCSDPType type, const char *sdp)
{
    GstSDPMessage *msg = NULL;
    if (gst_sdp_message_new_from_text(sdp, &msg) != GST_SDP_OK) {
        g_message("rtc_peer %s: unparsable SDP", pc->name);
        return;
    }
    GstWebRTCSessionDescription *d = gst_webrtc_session_description_new(type, msg);
    GstPromise *p =
        gst_promise_new_with_change_func(on_remote_set, pcs_copy(pc->sh), (GDestroyNotify)pcs_free);
    g_signal_emit_by_name(pc->webrtc, "set-remote-description", d, p);
    gst_promise_unref(p);
    gst_webrtc_session_description_free(d);
}

void cg_rtc_peer_remote_description(CgRtcPeer *peer, const char *pc_name, const char *type,
                                    const char *sdp, const char *label)
{
    PeerPc *pc = g_hash_table_lookup(peer->pcs, pc_name);
    if (peer->frozen)
        return;
    if (g_strcmp0(type, "answer") == 0) {
        if (pc)
            set_remote(pc, GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
        return;
    }
    cg_rtc_peer_faults_note_offer(peer->faults, pc ? pc->sh->label : label, sdp);
    if (pc) {
        set_remote(pc, GST_WEBRTC_SDP_TYPE_OFFER, sdp); /* renegotiation */
        return;
    }
    g_autofree char *ename = g_strdup_printf("%s-webrtc", pc_name);
    GstElement *webrtc = gst_element_factory_make("webrtcbin", ename);
    if (peer->opt.jitter_latency_ms)
        g_object_set(webrtc, "latency", peer->opt.jitter_latency_ms, NULL);
    if (peer->opt.repair_loss)
        g_signal_connect(webrtc, "on-new-transceiver", G_CALLBACK(on_new_transceiver), NULL);
    g_autoptr(GstElement) rtpbin =
        peer->opt.repair_loss ? gst_bin_get_by_name(GST_BIN(webrtc), "rtpbin") : NULL;
    if (rtpbin)
        g_signal_connect(rtpbin, "on-new-ssrc", G_CALLBACK(on_new_ssrc), NULL);
    else if (peer->opt.repair_loss)
        g_warning("rtc_peer: no rtpbin in webrtcbin: RTCP keeps its default interval");
    if (peer->opt.lie_remb_bps)
        cg_rtc_peer_faults_lie_remb(webrtc, peer->opt.lie_remb_bps);
    pc = pc_add(peer, pc_name, label ? label : pc_name, webrtc);
    gst_bin_add(GST_BIN(peer->pipeline), webrtc);
    gst_element_sync_state_with_parent(webrtc);
    set_remote(pc, GST_WEBRTC_SDP_TYPE_OFFER, sdp);
}

/* The screen share: a second VP8 stream (payload type 98, the colour given)
 * on a new sendonly transceiver of "pub", then a new offer. */
void cg_rtc_peer_start_screen(CgRtcPeer *peer, guint32 color_rgb)
{
    PeerPc *pc = g_hash_table_lookup(peer->pcs, "pub");
    g_autoptr(GstElement) pubbin = gst_bin_get_by_name(GST_BIN(peer->pipeline), "pub-bin");
    if (!pc || !pubbin || peer->frozen)
        return;
    /* its SSRC goes into the offer (a=ssrc): webrtcbin 1.22 receivers put a
     * BUNDLEd stream whose SSRC nobody signalled on the wrong transceiver */
    guint32 ssrc = g_random_int();
    g_autofree char *desc = g_strdup_printf(
        "videotestsrc is-live=true pattern=solid-color foreground-color=0x%08x ! "
        "video/x-raw,width=320,height=240,framerate=10/1 ! videoconvert ! queue ! "
        "vp8enc deadline=1 keyframe-max-dist=30 target-bitrate=100000 ! rtpvp8pay pt=98 ssrc=%u",
        0xff000000u | (color_rgb & 0xffffffu), ssrc);
    g_autoptr(GError) err = NULL;
    GstElement *bin = gst_parse_bin_from_description(desc, TRUE, &err);
    if (!bin) {
        g_message("rtc_peer: cannot build the screen share: %s", err->message);
        return;
    }
    gst_object_set_name(GST_OBJECT(bin), "screen-bin");
    gst_bin_add(GST_BIN(pubbin), bin);
    GstPad *sink = gst_element_request_pad_simple(pc->webrtc, "sink_%u");
    g_autoptr(GstPad) src = gst_element_get_static_pad(bin, "src");
    gst_pad_link(src, sink);
    GObject *trans = NULL;
    g_object_get(sink, "transceiver", &trans, NULL);
    /* codec preferences: the offer is made before the first buffer sets caps */
    g_autofree char *caps_text = g_strdup_printf(
        "application/x-rtp,media=video,encoding-name=VP8,payload=98,clock-rate=90000,ssrc=(uint)%u",
        ssrc);
    g_autoptr(GstCaps) caps = gst_caps_from_string(caps_text);
    if (trans)
        g_object_set(trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                     "codec-preferences", caps, NULL);
    g_clear_object(&trans);
    gst_object_unref(sink);
    gst_element_sync_state_with_parent(bin);
    create_local(pc, "create-offer");
}

/* Stops the screen share: its transceiver becomes inactive, then a new offer. */
void cg_rtc_peer_stop_screen(CgRtcPeer *peer)
{
    PeerPc *pc = g_hash_table_lookup(peer->pcs, "pub");
    if (!pc || peer->frozen)
        return;
    GArray *transceivers = NULL;
    g_signal_emit_by_name(pc->webrtc, "get-transceivers", &transceivers);
    for (guint i = 0; transceivers && i < transceivers->len; i++) {
        GstWebRTCRTPTransceiver *t = g_array_index(transceivers, GstWebRTCRTPTransceiver *, i);
        guint mline = 0;
        g_object_get(t, "mlineindex", &mline, NULL);
        if (mline == 2)
            g_object_set(t, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_INACTIVE, NULL);
    }
    if (transceivers)
        g_array_unref(transceivers);
    create_local(pc, "create-offer");
}

void cg_rtc_peer_restart_ice(CgRtcPeer *peer)
{
    PeerPc *pc = g_hash_table_lookup(peer->pcs, "pub");
    if (!pc || peer->frozen)
        return;
    pc->restarting = TRUE;
    create_local(pc, "create-offer");
}

void cg_rtc_peer_remote_candidate(CgRtcPeer *peer, const char *pc_name, guint mline_index,
                                  const char *candidate)
{
    PeerPc *pc = g_hash_table_lookup(peer->pcs, pc_name);
    if (pc && candidate && *candidate && !peer->frozen)
        g_signal_emit_by_name(pc->webrtc, "add-ice-candidate", mline_index, candidate);
}

void cg_rtc_peer_close_pc(CgRtcPeer *peer, const char *pc_name)
{
    if (!g_hash_table_contains(peer->pcs, pc_name) || g_strcmp0(pc_name, "pub") == 0)
        return;
    g_autofree char *prefix = g_strdup_printf("%s-", pc_name);
    remove_prefixed(peer, prefix);
    g_hash_table_remove(peer->pcs, pc_name);
}

static guint64 kind_packets(CgRtcPeer *peer, const char *label, gboolean video)
{
    g_mutex_lock(&peer->ps->lock);
    PeerStats *s = g_hash_table_lookup(peer->ps->by_label, label);
    guint64 n = s ? (video ? s->video_packets : s->audio_packets) : 0;
    g_mutex_unlock(&peer->ps->lock);
    return n;
}

guint64 cg_rtc_peer_audio_packets(CgRtcPeer *peer, const char *label)
{
    return kind_packets(peer, label, FALSE);
}

guint64 cg_rtc_peer_video_packets(CgRtcPeer *peer, const char *label)
{
    return kind_packets(peer, label, TRUE);
}

guint cg_rtc_peer_video_frames(CgRtcPeer *peer, const char *label)
{
    g_mutex_lock(&peer->ps->lock);
    PeerStats *s = g_hash_table_lookup(peer->ps->by_label, label);
    guint n = s ? s->frames : 0;
    g_mutex_unlock(&peer->ps->lock);
    return n;
}

gboolean cg_rtc_peer_video_color(CgRtcPeer *peer, const char *label, guint32 *rgb)
{
    g_mutex_lock(&peer->ps->lock);
    PeerStats *s = g_hash_table_lookup(peer->ps->by_label, label);
    gboolean ok = s && s->have_color;
    if (ok && rgb)
        *rgb = s->rgb;
    g_mutex_unlock(&peer->ps->lock);
    return ok;
}

/* Goertzel power of @f Hz over @n samples. */
static double goertzel(const float *x, guint n, double f)
{
    double w = 2.0 * G_PI * f / PEER_AUDIO_RATE, c = 2.0 * cos(w), s1 = 0, s2 = 0;
    for (guint i = 0; i < n; i++) {
        double s0 = x[i] + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    return s1 * s1 + s2 * s2 - c * s1 * s2;
}

double cg_rtc_peer_tone_hz(CgRtcPeer *peer, const char *label)
{
    static float win[PEER_TONE_WINDOW];
    G_LOCK_DEFINE_STATIC(win);
    G_LOCK(win);
    g_mutex_lock(&peer->ps->lock);
    PeerStats *s = g_hash_table_lookup(peer->ps->by_label, label);
    guint n = s ? s->ring_fill : 0;
    for (guint i = 0; i < n; i++)
        win[i] = s->ring[(s->ring_pos + PEER_TONE_WINDOW - n + i) % PEER_TONE_WINDOW];
    g_mutex_unlock(&peer->ps->lock);
    double best = 0, best_f = 0, total = 0;
    for (guint i = 0; i < n; i++)
        total += (double)win[i] * win[i];
    if (n == PEER_TONE_WINDOW && total > 1e-3) {
        for (double f = 100; f <= 4000; f += 10) {
            double p = goertzel(win, n, f);
            if (p > best) {
                best = p;
                best_f = f;
            }
        }
    }
    G_UNLOCK(win);
    return best_f;
}

gint64 cg_rtc_peer_first_frame_time(CgRtcPeer *peer, const char *label)
{
    g_mutex_lock(&peer->ps->lock);
    PeerStats *s = g_hash_table_lookup(peer->ps->by_label, label);
    gint64 t = s ? s->first_frame : 0;
    g_mutex_unlock(&peer->ps->lock);
    return t;
}

guint64 cg_rtc_peer_packets_received(CgRtcPeer *peer)
{
    g_mutex_lock(&peer->ps->lock);
    guint64 n = peer->ps->packets;
    g_mutex_unlock(&peer->ps->lock);
    return n;
}

guint64 cg_rtc_peer_audio_samples(CgRtcPeer *peer, const char *label)
{
    g_mutex_lock(&peer->ps->lock);
    PeerStats *s = g_hash_table_lookup(peer->ps->by_label, label);
    guint64 n = s ? s->audio_samples : 0;
    g_mutex_unlock(&peer->ps->lock);
    return n;
}

/* The connection carrying @label, or NULL. */
static PeerPc *pc_for_label(CgRtcPeer *peer, const char *label)
{
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, peer->pcs);
    while (g_hash_table_iter_next(&it, NULL, &value))
        if (g_strcmp0(((PeerPc *)value)->sh->label, label) == 0)
            return value;
    return NULL;
}

static guint64 structure_u64(const GstStructure *s, const char *field)
{
    guint64 u64 = 0;
    guint u = 0;
    if (gst_structure_get_uint64(s, field, &u64))
        return u64;
    return gst_structure_get_uint(s, field, &u) ? u : 0;
}

/* Sum of @field of the "stats" structure of @elements. */
static guint64 sum_stats(GList *elements, const char *field)
{
    guint64 sum = 0;
    for (GList *l = elements; l; l = l->next) {
        GstStructure *stats = NULL;
        g_object_get(l->data, "stats", &stats, NULL);
        if (stats) {
            sum += structure_u64(stats, field);
            gst_structure_free(stats);
        }
    }
    return sum;
}

static guint64 sum_uint_property(GList *elements, const char *prop)
{
    guint64 sum = 0;
    for (GList *l = elements; l; l = l->next) {
        guint n = 0;
        g_object_get(l->data, prop, &n, NULL);
        sum += n;
    }
    return sum;
}

guint64 cg_rtc_peer_audio_concealed(CgRtcPeer *peer, const char *label)
{
    PeerPc *pc = pc_for_label(peer, label);
    if (!pc)
        return 0;
    /* the decoders live in "<pc>-dec-N" bins beside the connection's webrtcbin */
    g_autofree char *prefix = g_strdup_printf("%s-dec-", pc->name);
    GList *decoders = find_elements(GST_BIN(peer->pipeline), "opusdec", 0), *mine = NULL;
    for (GList *l = decoders; l; l = l->next) {
        g_autoptr(GstObject) parent = gst_object_get_parent(l->data);
        if (parent && g_str_has_prefix(GST_OBJECT_NAME(parent), prefix))
            mine = g_list_prepend(mine, gst_object_ref(l->data));
    }
    guint64 n = sum_stats(mine, "plc-num-samples");
    g_list_free_full(decoders, gst_object_unref);
    g_list_free_full(mine, gst_object_unref);
    return n;
}

gboolean cg_rtc_peer_receive_repair(CgRtcPeer *peer, const char *label, gboolean video,
                                    CgRtcPeerReceiveRepair *out)
{
    memset(out, 0, sizeof *out);
    PeerPc *pc = pc_for_label(peer, label);
    if (!pc)
        return FALSE;
    g_mutex_lock(&peer->ps->lock);
    PeerStats *s = g_hash_table_lookup(peer->ps->by_label, label);
    guint ssrc = s ? (video ? s->video_ssrc : s->audio_ssrc) : 0;
    g_mutex_unlock(&peer->ps->lock);
    if (!ssrc)
        return FALSE;
    GList *jb = find_elements(GST_BIN(pc->webrtc), "rtpjitterbuffer", ssrc);
    out->lost = sum_stats(jb, "num-lost");
    out->rtx_requests = sum_stats(jb, "rtx-count");
    out->rtx_repaired = sum_stats(jb, "rtx-success-count");
    gboolean found = jb != NULL;
    g_list_free_full(jb, gst_object_unref);
    return found;
}

void cg_rtc_peer_send_repair(CgRtcPeer *peer, CgRtcPeerSendRepair *out)
{
    memset(out, 0, sizeof *out);
    PeerPc *pc = g_hash_table_lookup(peer->pcs, "pub");
    if (!pc)
        return;
    GList *sessions = find_elements(GST_BIN(pc->webrtc), "rtpsession", 0);
    GList *rtx = find_elements(GST_BIN(pc->webrtc), "rtprtxsend", 0);
    out->nacks = sum_stats(sessions, "recv-nack-count");
    out->rtx_requests = sum_uint_property(rtx, "num-rtx-requests");
    out->rtx_sent = sum_uint_property(rtx, "num-rtx-packets");
    g_list_free_full(sessions, gst_object_unref);
    g_list_free_full(rtx, gst_object_unref);
}

guint cg_rtc_peer_keyframe_requests(CgRtcPeer *peer)
{
    return (guint)g_atomic_int_get(&peer->ps->kf_requests);
}

guint cg_rtc_peer_remb_min(CgRtcPeer *peer)
{
    return (guint)g_atomic_int_get(&peer->ps->remb_min_bps);
}

void cg_rtc_peer_hold_answers(CgRtcPeer *peer, gboolean hold)
{
    cg_rtc_peer_faults_set_hold(peer->faults, hold);
}

guint cg_rtc_peer_held_answers(CgRtcPeer *peer)
{
    return cg_rtc_peer_faults_n_held(peer->faults);
}

guint cg_rtc_peer_offers_sent(CgRtcPeer *peer)
{
    return cg_rtc_peer_faults_sent_offers(peer->faults);
}

guint cg_rtc_peer_screen_offers(CgRtcPeer *peer, const char *label)
{
    return cg_rtc_peer_faults_screen_offers(peer->faults, label);
}

guint cg_rtc_peer_rembs(CgRtcPeer *peer, guint *max_bps)
{
    if (max_bps)
        *max_bps = (guint)g_atomic_int_get(&peer->ps->remb_max_bps);
    return (guint)g_atomic_int_get(&peer->ps->rembs);
}

void cg_rtc_peer_reset_rembs(CgRtcPeer *peer)
{
    g_atomic_int_set(&peer->ps->rembs, 0);
    g_atomic_int_set(&peer->ps->remb_max_bps, 0);
    g_atomic_int_set(&peer->ps->remb_min_bps, 0);
}

gint64 cg_rtc_peer_connected_time(CgRtcPeer *peer, const char *label)
{
    g_mutex_lock(&peer->ps->lock);
    PeerStats *s = g_hash_table_lookup(peer->ps->by_label, label);
    gint64 t = s ? s->connected : 0;
    g_mutex_unlock(&peer->ps->lock);
    return t;
}

gint64 cg_rtc_peer_last_frame_time(CgRtcPeer *peer, const char *label)
{
    g_mutex_lock(&peer->ps->lock);
    PeerStats *s = g_hash_table_lookup(peer->ps->by_label, label);
    gint64 t = s ? s->last_frame : 0;
    g_mutex_unlock(&peer->ps->lock);
    return t;
}

gint64 cg_rtc_peer_max_frame_gap_us(CgRtcPeer *peer, const char *label)
{
    g_mutex_lock(&peer->ps->lock);
    PeerStats *s = g_hash_table_lookup(peer->ps->by_label, label);
    gint64 gap = s ? s->max_gap : 0;
    g_mutex_unlock(&peer->ps->lock);
    return gap;
}

void cg_rtc_peer_reset_frame_gaps(CgRtcPeer *peer)
{
    g_mutex_lock(&peer->ps->lock);
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, peer->ps->by_label);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        PeerStats *s = value;
        s->max_gap = 0;
        s->last_frame = 0;
    }
    g_mutex_unlock(&peer->ps->lock);
}

void cg_rtc_peer_freeze(CgRtcPeer *peer)
{
    peer->frozen = TRUE;
    gst_element_set_state(peer->pipeline, GST_STATE_NULL);
}

static gboolean stats_field(GQuark field, const GValue *value, gpointer user)
{
    GString *out = user;
    if (!GST_VALUE_HOLDS_STRUCTURE(value))
        return TRUE;
    const GstStructure *s = gst_value_get_structure(value);
    GstWebRTCStatsType type = 0;
    if (!gst_structure_get(s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, NULL) ||
        type != GST_WEBRTC_STATS_INBOUND_RTP)
        return TRUE;
    guint64 packets = 0;
    guint ssrc = 0;
    gst_structure_get_uint64(s, "packets-received", &packets);
    gst_structure_get_uint(s, "ssrc", &ssrc);
    g_string_append_printf(out, " %s ssrc %u: %" G_GUINT64_FORMAT " packets;",
                           g_quark_to_string(field), ssrc, packets);
    return TRUE;
}

/* Each src pad of @webrtc: linked, and the last flow return of its pushes. */
static void describe_pads(GstElement *webrtc, GString *out)
{
    GstIterator *pads = gst_element_iterate_src_pads(webrtc);
    GValue v = G_VALUE_INIT;
    while (gst_iterator_next(pads, &v) == GST_ITERATOR_OK) {
        GstPad *p = g_value_get_object(&v);
        g_string_append_printf(out, " pad %s linked %d last flow %s;", GST_PAD_NAME(p),
                               gst_pad_is_linked(p),
                               gst_flow_get_name(gst_pad_get_last_flow_return(p)));
        g_value_reset(&v);
    }
    g_value_unset(&v);
    gst_iterator_free(pads);
}

/* The counters of every rtpjitterbuffer inside @webrtc. */
static void describe_jitterbuffers(GstElement *webrtc, GString *out)
{
    GstIterator *els = gst_bin_iterate_recurse(GST_BIN(webrtc));
    GValue v = G_VALUE_INIT;
    while (gst_iterator_next(els, &v) == GST_ITERATOR_OK) {
        GstElement *el = g_value_get_object(&v);
        GstElementFactory *f = gst_element_get_factory(el);
        if (f && g_str_equal(GST_OBJECT_NAME(f), "rtpjitterbuffer")) {
            GstStructure *stats = NULL;
            g_object_get(el, "stats", &stats, NULL);
            g_autofree char *txt = stats ? gst_structure_to_string(stats) : NULL;
            g_string_append_printf(out, " %s: %s;", GST_OBJECT_NAME(el), txt);
            if (stats)
                gst_structure_free(stats);
        }
        g_value_reset(&v);
    }
    g_value_unset(&v);
    gst_iterator_free(els);
}

char *cg_rtc_peer_describe_label(CgRtcPeer *peer, const char *label)
{
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, peer->pcs);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        PeerPc *pc = value;
        if (g_strcmp0(pc->sh->label, label) != 0)
            continue;
        GstWebRTCPeerConnectionState st = 0;
        g_object_get(pc->webrtc, "connection-state", &st, NULL);
        GString *out = g_string_new(NULL);
        g_string_append_printf(out, "%s (connection-state %d):", pc->name, (int)st);
        GstPromise *promise = gst_promise_new();
        g_signal_emit_by_name(pc->webrtc, "get-stats", NULL, promise);
        if (gst_promise_wait(promise) == GST_PROMISE_RESULT_REPLIED)
            gst_structure_foreach(gst_promise_get_reply(promise), stats_field, out);
        gst_promise_unref(promise);
        describe_pads(pc->webrtc, out);
        describe_jitterbuffers(pc->webrtc, out);
        return g_string_free(out, FALSE);
    }
    return g_strdup("no connection");
}
