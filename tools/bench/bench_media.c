/* bench_media.c — see bench_media.h.
 *
 * Signals and promise callbacks run on GStreamer threads; they copy what they
 * need into a BenchHop and hand it to the main context, where the hop finds
 * its peer and connection again (or does nothing once the source is freed).
 * The packet probe only touches its own stream record under the
 * connection's lock.
 */
#define GST_USE_UNSTABLE_API
#include "bench_media.h"

#include <agent.h>
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <stdarg.h>
#include <string.h>

typedef struct {
    guint64 received;
    gboolean started;
    guint32 base_ext, max_ext; /* extended RTP sequence numbers */
} BenchStream;

typedef struct {
    char *name;
    guint index; /* the peer's */
    gint publisher;
    GstElement *webrtc;
    GMutex lock; /* guards streams and first */
    GPtrArray *streams; /* BenchStream* */
    gint64 first;
} BenchPc;

/* Shared with hops: outlives the source until the last hop ran. */
typedef struct {
    gatomicrefcount ref;
    gint alive; /* atomic */
    CgBenchSource *src;
} BenchShared;

struct _CgBenchSource {
    GMainContext *ctx;
    GstElement *pipeline;
    GstElement *vtee, *atee;
    GPtrArray *peers; /* CgBenchPeer*, owned */
    BenchShared *shared;
    guint next_pc;
};

struct _CgBenchPeer {
    CgBenchSource *src;
    guint index;
    CgBenchPeerEvents ev;
    gpointer user;
    GHashTable *pcs; /* name -> BenchPc* */
};

/* ---- tracing -------------------------------------------------------------- */

void cg_bench_trace(guint index, const char *pc, const char *fmt, ...)
{
    static gint enabled = -1;
    static gint64 t0;
    if (g_once_init_enter(&t0))
        g_once_init_leave(&t0, g_get_monotonic_time());
    if (enabled < 0)
        g_atomic_int_set(&enabled, g_getenv("CG_BENCH_TRACE") != NULL);
    if (!g_atomic_int_get(&enabled))
        return;
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_printerr("trace %.1f ep=%u pc=%s %s\n", (double)(g_get_monotonic_time() - t0) / 1000.0,
               index, pc, what);
}

/* ---- hops to the main context ------------------------------------------- */

typedef void (*BenchHopFunc)(CgBenchPeer *peer, BenchPc *pc, gpointer data);

typedef struct {
    BenchShared *sh;
    guint peer_index; /* position in src->peers */
    char *pc;
    BenchHopFunc fn;
    gpointer data;
    GDestroyNotify destroy;
} BenchHop;

typedef struct {
    BenchShared *sh;
    guint peer_index;
    char *pc;
} BenchTag; /* signal user data: which connection */

static void shared_unref(BenchShared *sh)
{
    if (g_atomic_ref_count_dec(&sh->ref))
        g_free(sh);
}

static BenchTag *tag_new(CgBenchPeer *peer, const char *pc)
{
    BenchTag *t = g_new0(BenchTag, 1);
    t->sh = peer->src->shared;
    g_atomic_ref_count_inc(&t->sh->ref);
    t->peer_index = peer->index;
    t->pc = g_strdup(pc);
    return t;
}

static void tag_free(gpointer p)
{
    BenchTag *t = p;
    shared_unref(t->sh);
    g_free(t->pc);
    g_free(t);
}

static void tag_closure_free(gpointer p, GClosure *c)
{
    (void)c;
    tag_free(p);
}

static gboolean hop_dispatch(gpointer p)
{
    BenchHop *h = p;
    if (!g_atomic_int_get(&h->sh->alive))
        return G_SOURCE_REMOVE;
    CgBenchSource *src = h->sh->src;
    CgBenchPeer *peer = NULL;
    for (guint i = 0; i < src->peers->len && !peer; i++)
        if (((CgBenchPeer *)src->peers->pdata[i])->index == h->peer_index)
            peer = src->peers->pdata[i];
    BenchPc *pc = peer ? g_hash_table_lookup(peer->pcs, h->pc) : NULL;
    if (pc)
        h->fn(peer, pc, h->data);
    return G_SOURCE_REMOVE;
}

static void hop_free(gpointer p)
{
    BenchHop *h = p;
    if (h->destroy && h->data)
        h->destroy(h->data);
    shared_unref(h->sh);
    g_free(h->pc);
    g_free(h);
}

static void hop(const BenchTag *t, BenchHopFunc fn, gpointer data, GDestroyNotify destroy)
{
    BenchHop *h = g_new0(BenchHop, 1);
    h->sh = t->sh;
    g_atomic_ref_count_inc(&h->sh->ref);
    h->peer_index = t->peer_index;
    h->pc = g_strdup(t->pc);
    h->fn = fn;
    h->data = data;
    h->destroy = destroy;
    GMainContext *ctx = g_atomic_int_get(&t->sh->alive) ? t->sh->src->ctx : NULL;
    if (!ctx) {
        hop_free(h);
        return;
    }
    /* Always through a source: g_main_context_invoke() would run the hop
     * right here, on a streaming thread, whenever the main thread does not
     * hold the context at that instant. */
    GSource *s = g_idle_source_new();
    /* Default priority, not idle: under load, idle sources starved for over
     * a second behind the WebSocket traffic (measured at 16 consults). */
    g_source_set_priority(s, G_PRIORITY_DEFAULT);
    g_source_set_callback(s, hop_dispatch, h, hop_free);
    g_source_attach(s, ctx);
    g_source_unref(s);
}

/* ---- the shared source ---------------------------------------------------- */

CgBenchSource *cg_bench_source_new(guint video_kbps, GError **error)
{
    gst_init(NULL, NULL);
    /* cpu-used=16 + deadline=1: the cheapest real-time VP8 encode. The SMPTE
     * pattern's noise patch keeps the encoder near its target bitrate
     * (~470 kbps measured at 500) at a fraction of the cost of full noise. */
    g_autofree char *desc = g_strdup_printf(
        "videotestsrc is-live=true pattern=smpte ! "
        "video/x-raw,width=640,height=360,framerate=15/1 ! queue ! "
        "vp8enc deadline=1 cpu-used=16 threads=1 end-usage=cbr target-bitrate=%u "
        "keyframe-max-dist=60 error-resilient=default ! rtpvp8pay mtu=1200 ! "
        "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000 ! "
        "tee name=vtee allow-not-linked=true "
        "audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample ! "
        "queue ! opusenc ! rtpopuspay ! "
        "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000 ! "
        "tee name=atee allow-not-linked=true",
        video_kbps * 1000);
    GstElement *pipeline = gst_parse_launch(desc, error);
    if (!pipeline)
        return NULL;
    /* The process's DTLS certificate (RSA 2048, shared by every webrtcbin)
     * is generated by the first DTLS element made: 200-300 ms of CPU here.
     * Pay it now, not inside the first endpoints' join time. */
    GstElement *dtls = gst_element_factory_make("dtlsdec", NULL);
    if (dtls)
        gst_object_unref(gst_object_ref_sink(dtls));
    CgBenchSource *src = g_new0(CgBenchSource, 1);
    src->ctx = g_main_context_ref_thread_default();
    src->pipeline = pipeline;
    src->vtee = gst_bin_get_by_name(GST_BIN(pipeline), "vtee");
    src->atee = gst_bin_get_by_name(GST_BIN(pipeline), "atee");
    src->peers = g_ptr_array_new();
    src->shared = g_new0(BenchShared, 1);
    g_atomic_ref_count_init(&src->shared->ref);
    src->shared->alive = 1;
    src->shared->src = src;
    if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the source pipeline does not start");
        cg_bench_source_free(src);
        return NULL;
    }
    /* Wait for the encoders' first caps: every publisher's offer is made from
     * them (see link_branch). An offer made before them lacks the a=ssrc
     * lines and Opus's "/2", which Janus's VideoRoom rejects. */
    g_autoptr(GstPad) vpad = gst_element_get_static_pad(src->vtee, "sink");
    g_autoptr(GstPad) apad = gst_element_get_static_pad(src->atee, "sink");
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while ((!gst_pad_has_current_caps(vpad) || !gst_pad_has_current_caps(apad)) &&
           g_get_monotonic_time() < deadline)
        g_usleep(10 * 1000);
    if (!gst_pad_has_current_caps(vpad) || !gst_pad_has_current_caps(apad)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "the encoders produce nothing");
        cg_bench_source_free(src);
        return NULL;
    }
    return src;
}

static void pc_free(gpointer p)
{
    BenchPc *pc = p;
    g_ptr_array_unref(pc->streams);
    g_mutex_clear(&pc->lock);
    g_free(pc->name);
    g_free(pc);
}

static void peer_free(CgBenchPeer *peer)
{
    g_hash_table_unref(peer->pcs);
    g_free(peer);
}

void cg_bench_source_free(CgBenchSource *src)
{
    if (!src)
        return;
    g_atomic_int_set(&src->shared->alive, 0);
    gst_element_set_state(src->pipeline, GST_STATE_NULL);
    gst_object_unref(src->vtee);
    gst_object_unref(src->atee);
    gst_object_unref(src->pipeline);
    for (guint i = 0; i < src->peers->len; i++)
        peer_free(src->peers->pdata[i]);
    g_ptr_array_unref(src->peers);
    shared_unref(src->shared);
    g_main_context_unref(src->ctx);
    g_free(src);
}

CgBenchPeer *cg_bench_peer_new(CgBenchSource *src, guint index, const CgBenchPeerEvents *events,
                               gpointer user)
{
    CgBenchPeer *peer = g_new0(CgBenchPeer, 1);
    peer->src = src;
    peer->index = index;
    peer->ev = *events;
    peer->user = user;
    peer->pcs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, pc_free);
    g_ptr_array_add(src->peers, peer);
    return peer;
}

/* ---- ICE: loopback only ---------------------------------------------------- */

static void harden_ice(GstElement *webrtc)
{
    GObject *ice = NULL, *agent = NULL;
    g_object_get(webrtc, "ice-agent", &ice, NULL);
    if (ice && g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "agent"))
        g_object_get(ice, "agent", &agent, NULL);
    if (agent) {
        NiceAddress addr;
        nice_address_init(&addr);
        nice_address_set_from_string(&addr, "127.0.0.1");
        g_object_set(agent, "upnp", FALSE, "ice-tcp", FALSE, NULL);
        g_object_set(ice, "ice-tcp", FALSE, NULL);
        nice_agent_add_local_address(NICE_AGENT(agent), &addr);
        g_object_unref(agent);
    } else {
        g_warning("bench: cannot restrict ICE to 127.0.0.1");
    }
    g_clear_object(&ice);
}

/* ---- counting (streaming threads) ------------------------------------------ */

typedef struct {
    BenchPc *pc;
    BenchStream *st;
} BenchProbe;

static void count_one(BenchPc *pc, BenchStream *st, GstBuffer *buf, gint64 now)
{
    guint8 hdr[4];
    if (gst_buffer_extract(buf, 0, hdr, sizeof hdr) != sizeof hdr)
        return;
    guint16 seq = (guint16)(hdr[2] << 8 | hdr[3]);
    if (!st->started) {
        st->started = TRUE;
        cg_bench_trace(pc->index, pc->name, "first-rtp pt=%u", hdr[1] & 0x7fu);
        st->base_ext = st->max_ext = seq;
        if (!pc->first) {
            pc->first = now;
            cg_bench_trace(pc->index, pc->name, "first-packet");
        }
    } else {
        gint16 delta = (gint16)(guint16)(seq - (guint16)st->max_ext);
        guint32 ext = st->max_ext + (guint32)(gint32)delta;
        if (delta > 0)
            st->max_ext = ext;
    }
    st->received++;
}

static GstPadProbeReturn on_packet(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    (void)pad;
    BenchProbe *p = data;
    gint64 now = g_get_monotonic_time();
    g_mutex_lock(&p->pc->lock);
    if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
        GstBufferList *l = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
        for (guint i = 0; i < gst_buffer_list_length(l); i++)
            count_one(p->pc, p->st, gst_buffer_list_get(l, i), now);
    } else {
        count_one(p->pc, p->st, GST_PAD_PROBE_INFO_BUFFER(info), now);
    }
    g_mutex_unlock(&p->pc->lock);
    return GST_PAD_PROBE_OK;
}

/* pad-added: runs on a streaming thread, but the BenchPc it counts into lives
 * until the source is freed, after the pipeline stopped. */
static void on_pad_added(GstElement *webrtc, GstPad *pad, gpointer data)
{
    BenchPc *pc = data;
    if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC)
        return;
    GstElement *sink = gst_element_factory_make("fakesink", NULL);
    g_object_set(sink, "sync", FALSE, "async", FALSE, "enable-last-sample", FALSE, NULL);
    g_autoptr(GstObject) parent = gst_object_get_parent(GST_OBJECT(webrtc));
    if (!parent || !sink) {
        if (sink)
            gst_object_unref(gst_object_ref_sink(sink));
        return;
    }
    BenchProbe *p = g_new0(BenchProbe, 1);
    p->pc = pc;
    p->st = g_new0(BenchStream, 1);
    g_mutex_lock(&pc->lock);
    g_ptr_array_add(pc->streams, p->st);
    g_mutex_unlock(&pc->lock);
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, on_packet,
                      p, g_free);
    gst_bin_add(GST_BIN(parent), sink);
    gst_element_sync_state_with_parent(sink);
    g_autoptr(GstPad) sinkpad = gst_element_get_static_pad(sink, "sink");
    gst_pad_link(pad, sinkpad);
}

/* ---- negotiation ---------------------------------------------------------- */

typedef struct {
    guint mline;
    char *text;
} BenchText;

static void text_free(gpointer p)
{
    BenchText *t = p;
    g_free(t->text);
    g_free(t);
}

static void main_candidate(CgBenchPeer *peer, BenchPc *pc, gpointer data)
{
    BenchText *t = data;
    if (peer->ev.candidate)
        peer->ev.candidate(peer->user, pc->name, t->mline, t->text);
}

static void on_ice_candidate(GstElement *w, guint mline, const char *cand, gpointer data)
{
    (void)w;
    BenchText *t = g_new0(BenchText, 1);
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
        BenchText *t = g_new0(BenchText, 1);
        t->text = g_strdup("");
        hop(data, main_candidate, t, text_free);
    }
}

static void on_state(GObject *w, GParamSpec *ps, gpointer data)
{
    const BenchTag *t = data;
    gint st = 0;
    g_object_get(w, ps->name, &st, NULL);
    GEnumClass *k = g_type_class_ref(ps->value_type);
    GEnumValue *v = g_enum_get_value(k, st);
    cg_bench_trace(t->peer_index, t->pc, "%s=%s", ps->name, v ? v->value_nick : "?");
    g_type_class_unref(k);
}

/* DTLS role of the answers. webrtcbin as DTLS client (a=setup:active, what
 * browsers answer) sends its ClientHello as soon as the answer is set, before
 * ICE is up; when that first flight is lost, OpenSSL retransmits it after 1 s
 * (measured: half of Janus's subscribe connections at 1 consult, join p95
 * 1.2 s). A browser waits for ICE before its ClientHello. So by default the
 * bench answers a=setup:passive: the server, the DTLS client then, starts its
 * handshake once its own ICE is connected, as it would with a browser; the
 * join time is the server's, not this artefact. $CG_BENCH_ACTIVE=1 answers
 * a=setup:active like a browser (docs/performance.md has both). */
static void answer_passive(GstSDPMessage *sdp)
{
    for (guint i = 0; i < gst_sdp_message_medias_len(sdp); i++) {
        GstSDPMedia *m = (GstSDPMedia *)gst_sdp_message_get_media(sdp, i);
        for (guint a = 0; a < gst_sdp_media_attributes_len(m); a++) {
            const GstSDPAttribute *attr = gst_sdp_media_get_attribute(m, a);
            if (g_strcmp0(attr->key, "setup") == 0) {
                GstSDPAttribute passive;
                gst_sdp_attribute_set(&passive, "setup", "passive");
                gst_sdp_media_replace_attribute(m, a, &passive);
                break;
            }
        }
    }
}

static void main_local(CgBenchPeer *peer, BenchPc *pc, gpointer data)
{
    GstWebRTCSessionDescription *desc = data;
    if (desc->type == GST_WEBRTC_SDP_TYPE_ANSWER && !g_getenv("CG_BENCH_ACTIVE"))
        answer_passive(desc->sdp);
    cg_bench_trace(peer->index, pc->name, "local-%s",
                   desc->type == GST_WEBRTC_SDP_TYPE_OFFER ? "offer" : "answer");
    g_signal_emit_by_name(pc->webrtc, "set-local-description", desc, NULL);
    g_autofree char *sdp = gst_sdp_message_as_text(desc->sdp);
    gboolean offer = desc->type == GST_WEBRTC_SDP_TYPE_OFFER;
    if (peer->ev.description)
        peer->ev.description(peer->user, pc->name, offer ? "offer" : "answer", sdp);
}

static void on_local_created(GstPromise *promise, gpointer data)
{
    GstWebRTCSessionDescription *desc = NULL;
    const GstStructure *reply = gst_promise_get_reply(promise);
    if (reply) {
        gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL);
        if (!desc)
            gst_structure_get(reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL);
    }
    if (desc) {
        cg_bench_trace(((BenchTag *)data)->peer_index, ((BenchTag *)data)->pc, "created");
        hop(data, main_local, desc, (GDestroyNotify)gst_webrtc_session_description_free);
    }
    else
        g_message("bench: %s: no local description", ((BenchTag *)data)->pc);
}

static void create_local(CgBenchPeer *peer, BenchPc *pc, const char *what)
{
    GstPromise *p =
        gst_promise_new_with_change_func(on_local_created, tag_new(peer, pc->name), tag_free);
    g_signal_emit_by_name(pc->webrtc, what, NULL, p);
    gst_promise_unref(p);
}

static void main_offer(CgBenchPeer *peer, BenchPc *pc, gpointer data)
{
    (void)data;
    cg_bench_trace(peer->index, pc->name, "create-offer");
    create_local(peer, pc, "create-offer");
}

static void on_negotiation_needed(GstElement *w, gpointer data)
{
    (void)w;
    const BenchTag *t = data;
    cg_bench_trace(t->peer_index, t->pc, "negotiation-needed");
    hop(data, main_offer, NULL, NULL);
}

static void main_answer(CgBenchPeer *peer, BenchPc *pc, gpointer data)
{
    (void)data;
    create_local(peer, pc, "create-answer");
}

static void on_remote_set(GstPromise *promise, gpointer data)
{
    (void)promise;
    BenchTag *t = data;
    if (strcmp(t->pc, "pub") != 0)
        hop(t, main_answer, NULL, NULL);
}

static void connect_tagged(CgBenchPeer *peer, BenchPc *pc, const char *sig, GCallback cb)
{
    g_signal_connect_data(pc->webrtc, sig, cb, tag_new(peer, pc->name), tag_closure_free, 0);
}

static BenchPc *pc_add(CgBenchPeer *peer, const char *name, gint publisher, GstElement *webrtc)
{
    BenchPc *pc = g_new0(BenchPc, 1);
    pc->name = g_strdup(name);
    pc->index = peer->index;
    pc->publisher = publisher;
    pc->webrtc = webrtc;
    g_mutex_init(&pc->lock);
    pc->streams = g_ptr_array_new_with_free_func(g_free);
    g_object_set(webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
    harden_ice(webrtc);
    connect_tagged(peer, pc, "on-ice-candidate", G_CALLBACK(on_ice_candidate));
    connect_tagged(peer, pc, "notify::ice-gathering-state", G_CALLBACK(on_gathering));
    connect_tagged(peer, pc, "notify::ice-connection-state", G_CALLBACK(on_state));
    connect_tagged(peer, pc, "notify::connection-state", G_CALLBACK(on_state));
    g_hash_table_replace(peer->pcs, g_strdup(name), pc);
    return pc;
}

static gboolean link_branch(CgBenchSource *src, GstElement *tee, GstElement *webrtc)
{
    GstElement *q = gst_element_factory_make("queue", NULL);
    /* leaky: a branch whose DTLS is not up yet drops instead of blocking the tee */
    g_object_set(q, "leaky", 2, "max-size-buffers", 64, "max-size-bytes", 0,
                 "max-size-time", (guint64)0, NULL);
    gst_bin_add(GST_BIN(src->pipeline), q);
    g_autoptr(GstPad) teepad = gst_element_request_pad_simple(tee, "src_%u");
    g_autoptr(GstPad) qsink = gst_element_get_static_pad(q, "sink");
    g_autoptr(GstPad) qsrc = gst_element_get_static_pad(q, "src");
    g_autoptr(GstPad) wsink = gst_element_request_pad_simple(webrtc, "sink_%u");
    if (!teepad || !wsink || gst_pad_link(qsrc, wsink) != GST_PAD_LINK_OK)
        return FALSE;
    gst_element_sync_state_with_parent(q); /* before the tee can push into it */
    if (gst_pad_link(teepad, qsink) != GST_PAD_LINK_OK)
        return FALSE;
    GObject *trans = NULL;
    g_object_get(wsink, "transceiver", &trans, NULL);
    if (trans) {
        /* The offer from the encoder's actual caps (codec, channels, ssrc), not
         * from whatever a caps query upstream answers before data flowed. */
        g_autoptr(GstPad) teesink = gst_element_get_static_pad(tee, "sink");
        g_autoptr(GstCaps) caps = gst_pad_get_current_caps(teesink);
        if (caps) {
            caps = gst_caps_make_writable(caps);
            gst_structure_remove_fields(gst_caps_get_structure(caps, 0), "timestamp-offset",
                                        "seqnum-offset", NULL);
            g_object_set(trans, "codec-preferences", caps, NULL);
        }
        g_object_set(trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, NULL);
    }
    g_clear_object(&trans);
    return TRUE;
}

void cg_bench_peer_publish(CgBenchPeer *peer)
{
    CgBenchSource *src = peer->src;
    g_autofree char *name = g_strdup_printf("pub-%u", peer->index);
    GstElement *webrtc = gst_element_factory_make("webrtcbin", name);
    BenchPc *pc = pc_add(peer, "pub", -1, webrtc);
    cg_bench_trace(peer->index, "pub", "publish");
    connect_tagged(peer, pc, "on-negotiation-needed", G_CALLBACK(on_negotiation_needed));
    gst_bin_add(GST_BIN(src->pipeline), webrtc);
    /* PLAYING before any buffer can reach it: a branch that answers FLUSHING
     * would stop the shared encoders (and every endpoint) for good. */
    gst_element_sync_state_with_parent(webrtc);
    if (!link_branch(src, src->atee, webrtc) || !link_branch(src, src->vtee, webrtc))
        g_warning("bench: endpoint %u cannot link its publisher", peer->index);
}

static void set_remote(CgBenchPeer *peer, BenchPc *pc, GstWebRTCSDPType type, const char *sdp)
{
    GstSDPMessage *msg = NULL;
    if (gst_sdp_message_new_from_text(sdp, &msg) != GST_SDP_OK) {
        g_message("bench: %s: unparsable SDP", pc->name);
        return;
    }
    cg_bench_trace(peer->index, pc->name, "remote-%s from=%d",
                   type == GST_WEBRTC_SDP_TYPE_OFFER ? "offer" : "answer", pc->publisher);
    GstWebRTCSessionDescription *d = gst_webrtc_session_description_new(type, msg);
    GstPromise *p =
        gst_promise_new_with_change_func(on_remote_set, tag_new(peer, pc->name), tag_free);
    g_signal_emit_by_name(pc->webrtc, "set-remote-description", d, p);
    gst_promise_unref(p);
    gst_webrtc_session_description_free(d);
}

void cg_bench_peer_remote_description(CgBenchPeer *peer, const char *pc_name, const char *type,
                                      const char *sdp, gint publisher)
{
    BenchPc *pc = g_hash_table_lookup(peer->pcs, pc_name);
    if (g_strcmp0(type, "answer") == 0) {
        if (pc)
            set_remote(peer, pc, GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
        return;
    }
    if (pc) {
        set_remote(peer, pc, GST_WEBRTC_SDP_TYPE_OFFER, sdp);
        return;
    }
    g_autofree char *ename = g_strdup_printf("sub-%u-%u", peer->index, peer->src->next_pc++);
    GstElement *webrtc = gst_element_factory_make("webrtcbin", ename);
    g_object_set(webrtc, "latency", 0u, NULL);
    pc = pc_add(peer, pc_name, publisher, webrtc);
    g_signal_connect(webrtc, "pad-added", G_CALLBACK(on_pad_added), pc);
    gst_bin_add(GST_BIN(peer->src->pipeline), webrtc);
    gst_element_sync_state_with_parent(webrtc);
    set_remote(peer, pc, GST_WEBRTC_SDP_TYPE_OFFER, sdp);
}

void cg_bench_peer_remote_candidate(CgBenchPeer *peer, const char *pc_name, guint mline_index,
                                    const char *candidate)
{
    BenchPc *pc = g_hash_table_lookup(peer->pcs, pc_name);
    if (pc && candidate && *candidate)
        g_signal_emit_by_name(pc->webrtc, "add-ice-candidate", mline_index, candidate);
}

/* ---- counters ------------------------------------------------------------- */

static void peer_add_counters(CgBenchPeer *peer, CgBenchCounters *acc)
{
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, peer->pcs);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        BenchPc *pc = v;
        g_mutex_lock(&pc->lock);
        for (guint i = 0; i < pc->streams->len; i++) {
            BenchStream *st = pc->streams->pdata[i];
            if (!st->started)
                continue;
            acc->received += st->received;
            acc->expected += (guint64)(st->max_ext - st->base_ext) + 1;
            acc->n_streams++;
        }
        g_mutex_unlock(&pc->lock);
    }
}

void cg_bench_source_counters(CgBenchSource *src, CgBenchCounters *acc)
{
    memset(acc, 0, sizeof *acc);
    for (guint i = 0; i < src->peers->len; i++)
        peer_add_counters(src->peers->pdata[i], acc);
}

void cg_bench_source_foreach_first(CgBenchSource *src,
                                   void (*func)(guint receiver, gint publisher, gint64 first,
                                                gpointer data),
                                   gpointer data)
{
    for (guint i = 0; i < src->peers->len; i++) {
        CgBenchPeer *peer = src->peers->pdata[i];
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, peer->pcs);
        while (g_hash_table_iter_next(&it, &k, &v)) {
            BenchPc *pc = v;
            if (strcmp(k, "pub") == 0)
                continue;
            g_mutex_lock(&pc->lock);
            gint64 first = pc->first;
            g_mutex_unlock(&pc->lock);
            func(peer->index, pc->publisher, first, data);
        }
    }
}
