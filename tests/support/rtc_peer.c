/* rtc_peer.c — see rtc_peer.h; the object itself: its shared state, the hops
 * to the main context, its connections and its teardown. The other jobs are
 * in the files listed in rtc_peer-private.h. */
#include "rtc_peer-private.h"

#include <stdarg.h>

/* ---- shared state ------------------------------------------------------- */

PeerShared *cg_rtc_peer_ps_ref(PeerShared *ps)
{
    g_atomic_ref_count_inc(&ps->ref);
    return ps;
}

void cg_rtc_peer_ps_unref(PeerShared *ps)
{
    if (!ps || !g_atomic_ref_count_dec(&ps->ref))
        return;
    g_hash_table_unref(ps->by_label);
    g_ptr_array_unref(ps->streams);
    g_mutex_clear(&ps->lock);
    g_main_context_unref(ps->ctx);
    g_free(ps);
}

void cg_rtc_peer_ps_closure_unref(gpointer data, GClosure *c)
{
    (void)c;
    cg_rtc_peer_ps_unref(data);
}

PcShared *cg_rtc_peer_pcs_new(PeerShared *ps, const char *pc, const char *label, guint64 serial)
{
    PcShared *sh = g_new0(PcShared, 1);
    sh->ps = cg_rtc_peer_ps_ref(ps);
    sh->pc = g_strdup(pc);
    sh->label = g_strdup(label ? label : "");
    sh->serial = serial;
    return sh;
}

void cg_rtc_peer_pcs_free(PcShared *sh)
{
    cg_rtc_peer_ps_unref(sh->ps);
    g_free(sh->pc);
    g_free(sh->label);
    g_free(sh);
}

PcShared *cg_rtc_peer_pcs_copy(const PcShared *sh)
{
    return cg_rtc_peer_pcs_new(sh->ps, sh->pc, sh->label, sh->serial);
}

static void pcs_closure_free(gpointer data, GClosure *c)
{
    (void)c;
    cg_rtc_peer_pcs_free(data);
}

PeerStats *cg_rtc_peer_stats_for(PeerShared *ps, const char *label)
{
    PeerStats *s = g_hash_table_lookup(ps->by_label, label);
    if (!s) {
        s = g_new0(PeerStats, 1);
        g_hash_table_insert(ps->by_label, g_strdup(label), s);
    }
    return s;
}

void cg_rtc_peer_trace(PeerShared *ps, const char *pc, const char *fmt, ...)
{
    if (!ps->trace)
        return;
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    ps->trace(ps->user, pc, what);
}

/* ---- hops ---------------------------------------------------------------- */

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
    cg_rtc_peer_pcs_free(h->sh);
    g_free(h);
}

void cg_rtc_peer_hop(const PcShared *sh, PeerHopFunc fn, gpointer data, GDestroyNotify destroy)
{
    PeerHop *h = g_new0(PeerHop, 1);
    h->sh = cg_rtc_peer_pcs_copy(sh);
    h->fn = fn;
    h->data = data;
    h->destroy = destroy;
    GSource *src = g_idle_source_new();
    g_source_set_priority(src, sh->ps->hop_priority);
    g_source_set_callback(src, hop_dispatch, h, hop_free);
    g_source_attach(src, sh->ps->ctx);
    g_source_unref(src);
}

/* ---- connections ------------------------------------------------------------ */

void cg_rtc_peer_connect_pc(PeerPc *pc, const char *sig, GCallback cb)
{
    g_signal_connect_data(pc->webrtc, sig, cb, cg_rtc_peer_pcs_copy(pc->sh), pcs_closure_free, 0);
}

static void pc_free(gpointer p)
{
    PeerPc *pc = p;
    g_free(pc->name);
    g_free(pc->ice_ufrag);
    g_free(pc->ice_pwd);
    g_ptr_array_unref(pc->candidates);
    cg_rtc_peer_pcs_free(pc->sh);
    g_free(pc);
}

PeerPc *cg_rtc_peer_pc_add(CgRtcPeer *peer, const char *name, const char *label, GstElement *webrtc)
{
    PeerPc *pc = g_new0(PeerPc, 1);
    pc->name = g_strdup(name);
    pc->serial = ++peer->next_serial;
    pc->webrtc = webrtc;
    pc->candidates = g_ptr_array_new_with_free_func(g_free);
    pc->sh = cg_rtc_peer_pcs_new(peer->ps, name, label, pc->serial);
    g_object_set(webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
    cg_rtc_peer_negotiation_attach(peer, pc, label != NULL);
    if (label) {
        cg_rtc_peer_connect_pc(pc, "pad-added", G_CALLBACK(cg_rtc_peer_receive_pad));
        cg_rtc_peer_connect_pc(pc, "notify::connection-state",
                               G_CALLBACK(cg_rtc_peer_receive_state));
    }
    g_hash_table_replace(peer->pcs, g_strdup(name), pc);
    return pc;
}

PeerPc *cg_rtc_peer_pc_for_label(CgRtcPeer *peer, const char *label)
{
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, peer->pcs);
    while (g_hash_table_iter_next(&it, NULL, &value))
        if (g_strcmp0(((PeerPc *)value)->sh->label, label) == 0)
            return value;
    return NULL;
}

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

GList *cg_rtc_peer_find_elements(GstBin *bin, const char *factory, guint ssrc)
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

/* ---- life ------------------------------------------------------------------ */

static PeerShared *shared_new(CgRtcPeer *peer)
{
    PeerShared *ps = g_new0(PeerShared, 1);
    g_atomic_ref_count_init(&ps->ref);
    g_mutex_init(&ps->lock);
    ps->by_label = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    ps->streams = g_ptr_array_new_with_free_func(g_free);
    ps->alive = TRUE;
    ps->repair_loss = peer->opt.repair_loss;
    ps->no_decode = peer->opt.no_decode;
    ps->peer = peer;
    ps->ctx = g_main_context_ref(peer->ctx);
    /* Many endpoints on one context (a source's): under load, idle sources
     * starved for over a second behind the WebSocket traffic (measured at 16
     * consults by tools/bench). */
    ps->hop_priority = peer->opt.source ? G_PRIORITY_DEFAULT : G_PRIORITY_DEFAULT_IDLE;
    ps->trace = peer->opt.trace;
    ps->user = peer->user;
    return ps;
}

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
    peer->ps = shared_new(peer);
    peer->tee_pads = g_ptr_array_new_with_free_func(gst_object_unref);
    if (options->source) {
        /* a bin of its own: element names ("pub", "sub-1-webrtc") are per peer */
        peer->pipeline = gst_object_ref(cg_rtc_source_pipeline(options->source));
        peer->bin = gst_bin_new(NULL);
        gst_bin_add(GST_BIN(peer->pipeline), peer->bin);
        gst_element_sync_state_with_parent(peer->bin);
    } else {
        peer->pipeline = gst_pipeline_new(NULL);
        peer->bin = peer->pipeline;
        gst_element_set_state(peer->pipeline, GST_STATE_PLAYING);
    }
    peer->faults = cg_rtc_peer_faults_new(&peer->ev, user);
    cg_rtc_peer_faults_set_hold(peer->faults, options->hold_answers);
    return peer;
}

/* Stops every element of this peer: the whole pipeline, or only its bin (the
 * source and the other peers go on). */
static void stop_media(CgRtcPeer *peer)
{
    if (peer->bin == peer->pipeline) {
        gst_element_set_state(peer->pipeline, GST_STATE_NULL);
        return;
    }
    cg_rtc_peer_detach_source(peer);
    gst_element_set_state(peer->bin, GST_STATE_NULL);
}

void cg_rtc_peer_free(CgRtcPeer *peer)
{
    if (!peer)
        return;
    g_mutex_lock(&peer->ps->lock);
    peer->ps->alive = FALSE;
    peer->ps->peer = NULL;
    g_mutex_unlock(&peer->ps->lock);
    stop_media(peer);
    if (peer->bin != peer->pipeline)
        gst_bin_remove(GST_BIN(peer->pipeline), peer->bin);
    gst_object_unref(peer->pipeline);
    g_hash_table_unref(peer->pcs);
    g_ptr_array_unref(peer->tee_pads);
    cg_rtc_peer_ps_unref(peer->ps);
    cg_rtc_peer_faults_free(peer->faults);
    g_main_context_unref(peer->ctx);
    g_free(peer);
}

static void remove_prefixed(CgRtcPeer *peer, const char *prefix)
{
    GList *found = NULL;
    GstBin *bin = GST_BIN(peer->bin);
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

void cg_rtc_peer_close_pc(CgRtcPeer *peer, const char *pc_name)
{
    if (!g_hash_table_contains(peer->pcs, pc_name) || g_strcmp0(pc_name, "pub") == 0)
        return;
    g_autofree char *prefix = g_strdup_printf("%s-", pc_name);
    remove_prefixed(peer, prefix);
    g_hash_table_remove(peer->pcs, pc_name);
}

void cg_rtc_peer_freeze(CgRtcPeer *peer)
{
    peer->frozen = TRUE;
    stop_media(peer);
}
