/* rtc_peer_stats.c — rtc_peer's getters: what arrived per label (counted
 * and decoded by rtc_peer_receive.c), what the jitter buffers and RTP
 * sessions repaired, what "pub" was asked, and a description of a
 * connection for failure messages. Any getter may be called anytime from the
 * main context; the counters are read under ps->lock. */
#include "rtc_peer-private.h"

#include <math.h>
#include <string.h>

/* The gint64 or guint64 field at @offset of @label's PeerStats, read under
 * the lock; 0 when nothing is known of @label. */
static gint64 stat_i64(CgRtcPeer *peer, const char *label, gsize offset)
{
    g_mutex_lock(&peer->ps->lock);
    const PeerStats *s = g_hash_table_lookup(peer->ps->by_label, label);
    gint64 v = s ? G_STRUCT_MEMBER(gint64, s, offset) : 0;
    g_mutex_unlock(&peer->ps->lock);
    return v;
}

static guint64 stat_u64(CgRtcPeer *peer, const char *label, gsize offset)
{
    g_mutex_lock(&peer->ps->lock);
    const PeerStats *s = g_hash_table_lookup(peer->ps->by_label, label);
    guint64 v = s ? G_STRUCT_MEMBER(guint64, s, offset) : 0;
    g_mutex_unlock(&peer->ps->lock);
    return v;
}

guint64 cg_rtc_peer_audio_packets(CgRtcPeer *peer, const char *label)
{
    return stat_u64(peer, label, G_STRUCT_OFFSET(PeerStats, audio_packets));
}

guint64 cg_rtc_peer_video_packets(CgRtcPeer *peer, const char *label)
{
    return stat_u64(peer, label, G_STRUCT_OFFSET(PeerStats, video_packets));
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
    return stat_i64(peer, label, G_STRUCT_OFFSET(PeerStats, first_frame));
}

guint64 cg_rtc_peer_packets_received(CgRtcPeer *peer)
{
    g_mutex_lock(&peer->ps->lock);
    guint64 n = peer->ps->packets;
    g_mutex_unlock(&peer->ps->lock);
    return n;
}

gint64 cg_rtc_peer_first_packet_time(CgRtcPeer *peer, const char *label)
{
    return stat_i64(peer, label, G_STRUCT_OFFSET(PeerStats, first_packet));
}

char **cg_rtc_peer_labels(CgRtcPeer *peer)
{
    GPtrArray *labels = g_ptr_array_new();
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, peer->pcs);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        const PeerPc *pc = value;
        if (g_strcmp0(pc->name, "pub") != 0)
            g_ptr_array_add(labels, g_strdup(pc->sh->label));
    }
    g_ptr_array_add(labels, NULL);
    return (char **)g_ptr_array_free(labels, FALSE);
}

void cg_rtc_peer_received(CgRtcPeer *peer, CgRtcPeerReceived *out)
{
    memset(out, 0, sizeof *out);
    g_mutex_lock(&peer->ps->lock);
    for (guint i = 0; i < peer->ps->streams->len; i++) {
        const PeerStream *st = g_ptr_array_index(peer->ps->streams, i);
        if (!st->started)
            continue;
        out->received += st->received;
        out->expected += (guint64)(st->max_ext - st->base_ext) + 1;
        out->n_streams++;
    }
    g_mutex_unlock(&peer->ps->lock);
}

guint64 cg_rtc_peer_audio_samples(CgRtcPeer *peer, const char *label)
{
    return stat_u64(peer, label, G_STRUCT_OFFSET(PeerStats, audio_samples));
}

/* The connection carrying @label, or NULL. */
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
    PeerPc *pc = cg_rtc_peer_pc_for_label(peer, label);
    if (!pc)
        return 0;
    /* the decoders live in "<pc>-dec-N" bins beside the connection's webrtcbin */
    g_autofree char *prefix = g_strdup_printf("%s-dec-", pc->name);
    GList *decoders = cg_rtc_peer_find_elements(GST_BIN(peer->bin), "opusdec", 0), *mine = NULL;
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
    PeerPc *pc = cg_rtc_peer_pc_for_label(peer, label);
    if (!pc)
        return FALSE;
    g_mutex_lock(&peer->ps->lock);
    PeerStats *s = g_hash_table_lookup(peer->ps->by_label, label);
    guint ssrc = s ? (video ? s->video_ssrc : s->audio_ssrc) : 0;
    g_mutex_unlock(&peer->ps->lock);
    if (!ssrc)
        return FALSE;
    GList *jb = cg_rtc_peer_find_elements(GST_BIN(pc->webrtc), "rtpjitterbuffer", ssrc);
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
    GList *sessions = cg_rtc_peer_find_elements(GST_BIN(pc->webrtc), "rtpsession", 0);
    GList *rtx = cg_rtc_peer_find_elements(GST_BIN(pc->webrtc), "rtprtxsend", 0);
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
    return stat_i64(peer, label, G_STRUCT_OFFSET(PeerStats, connected));
}

gint64 cg_rtc_peer_last_frame_time(CgRtcPeer *peer, const char *label)
{
    return stat_i64(peer, label, G_STRUCT_OFFSET(PeerStats, last_frame));
}

gint64 cg_rtc_peer_max_frame_gap_us(CgRtcPeer *peer, const char *label)
{
    return stat_i64(peer, label, G_STRUCT_OFFSET(PeerStats, max_gap));
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
    GList *jbs = cg_rtc_peer_find_elements(GST_BIN(webrtc), "rtpjitterbuffer", 0);
    for (GList *l = jbs; l; l = l->next) {
        GstStructure *stats = NULL;
        g_object_get(l->data, "stats", &stats, NULL);
        g_autofree char *txt = stats ? gst_structure_to_string(stats) : NULL;
        g_string_append_printf(out, " %s: %s;", GST_OBJECT_NAME(l->data), txt);
        if (stats)
            gst_structure_free(stats);
    }
    g_list_free_full(jbs, gst_object_unref);
}

char *cg_rtc_peer_describe_label(CgRtcPeer *peer, const char *label)
{
    PeerPc *pc = cg_rtc_peer_pc_for_label(peer, label);
    if (!pc)
        return g_strdup("no connection");
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
