/* relay.c — the data path: publisher webrtcbin src pad -> tee -> one queue per
 * subscriber -> subscriber webrtcbin sink pad. No decoding.
 *
 * Gates: a probe on each tee's sink pad drops buffers until the publisher's
 * DTLS certificate is verified; a probe on each branch queue's src pad drops
 * them until the subscriber's is. Events pass, so caps and segments are in
 * place when the first buffer is let through. The first buffer through a
 * video gate asks the publisher for a key frame (PLI/FIR via rtpsession;
 * coalesced and repeated by keyframe.c).
 */
#define GST_USE_UNSTABLE_API
#include "media-limits.h"
#include "media-private.h"

#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>

#define GST_CAT_DEFAULT cg_media_debug

static const char *const kind_names[CG_N_KINDS] = {"audio", "video"};

static GstElement *make_element(CgConn *conn, const char *factory, const char *what)
{
    g_autofree char *name = g_strdup_printf("c%" G_GUINT64_FORMAT "-%s", conn->serial, what);
    return gst_element_factory_make(factory, name);
}

static GstPadProbeReturn pub_gate(GstPad *pad, GstPadProbeInfo *info, gpointer p)
{
    CgConnShared *sh = p;
    if (!cg_conn_shared_open(sh))
        return GST_PAD_PROBE_DROP;
    if (g_atomic_int_get(&sh->epgate->audio_muted) && sh->tee[CG_KIND_AUDIO] &&
        (GstObject *)GST_PAD_PARENT(pad) == GST_OBJECT(sh->tee[CG_KIND_AUDIO]))
        return GST_PAD_PROBE_DROP;
    if (!sh->tee[CG_KIND_VIDEO] ||
        (GstObject *)GST_PAD_PARENT(pad) != GST_OBJECT(sh->tee[CG_KIND_VIDEO]))
        return GST_PAD_PROBE_OK;
    /* the first video through: receivers may be waiting already */
    if (g_atomic_int_compare_and_exchange(&sh->keyframe_asked[CG_KIND_VIDEO], 0, 1))
        g_atomic_int_set(&sh->kf.pending, 1);
    if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
        cg_keyframe_on_buffer(sh, pad, GST_PAD_PROBE_INFO_BUFFER(info));
    } else {
        GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
        for (guint i = 0; i < gst_buffer_list_length(list); i++)
            cg_keyframe_on_buffer(sh, pad, gst_buffer_list_get(list, i));
    }
    return GST_PAD_PROBE_OK;
}

gboolean cg_relay_pub_init(CgConn *conn, GError **error)
{
    CgConnShared *sh = conn->shared;
    for (guint k = 0; k < CG_N_KINDS; k++) {
        g_autofree char *what = g_strdup_printf("%s-tee", kind_names[k]);
        GstElement *tee = make_element(conn, "tee", what);
        if (!tee) {
            g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED, "no tee element");
            return FALSE;
        }
        g_object_set(tee, "allow-not-linked", TRUE, NULL);
        sh->tee[k] = gst_object_ref(tee);
        gst_bin_add(GST_BIN(conn->media->pipeline), tee);
        gst_element_sync_state_with_parent(tee);
        g_autoptr(GstPad) sink = gst_element_get_static_pad(tee, "sink");
        gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                          pub_gate, cg_conn_shared_ref(sh), cg_conn_shared_unref);
        if (k == CG_KIND_VIDEO)
            gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, cg_keyframe_upstream_probe,
                              cg_conn_shared_ref(sh), cg_conn_shared_unref);
    }
    return TRUE;
}

static int pad_kind(GstPad *pad)
{
    g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);
    if (!caps)
        caps = gst_pad_query_caps(pad, NULL);
    if (!caps || gst_caps_get_size(caps) == 0)
        return -1;
    const char *media = gst_structure_get_string(gst_caps_get_structure(caps, 0), "media");
    for (int k = 0; k < CG_N_KINDS; k++)
        if (g_strcmp0(media, kind_names[k]) == 0)
            return k;
    return -1;
}

/* Any thread (webrtcbin's pad-added). An unexpected extra stream goes to a
 * fakesink named after the connection, so teardown finds it. */
void cg_relay_pub_pad_added(CgConnShared *sh, GstElement *webrtc, GstPad *pad)
{
    int k = pad_kind(pad);
    if (k >= 0) {
        g_autoptr(GstPad) sink = gst_element_get_static_pad(sh->tee[k], "sink");
        if (!gst_pad_is_linked(sink) && gst_pad_link(pad, sink) == GST_PAD_LINK_OK) {
            GST_INFO("%s relaying %s", sh->tag, kind_names[k]);
            return;
        }
    }
    static gint extra = 0;
    g_autofree char *name = g_strdup_printf("c%" G_GUINT64_FORMAT "-extra-%d", sh->serial,
                                            g_atomic_int_add(&extra, 1));
    GstElement *sink = gst_element_factory_make("fakesink", name);
    g_autoptr(GstObject) bin = gst_object_get_parent(GST_OBJECT(webrtc));
    if (!sink || !bin)
        return;
    g_object_set(sink, "sync", FALSE, "async", FALSE, NULL);
    gst_bin_add(GST_BIN(bin), sink);
    gst_element_sync_state_with_parent(sink);
    g_autoptr(GstPad) fsink = gst_element_get_static_pad(sink, "sink");
    gst_pad_link(pad, fsink);
    GST_INFO("%s dropping an extra stream %s", sh->tag, GST_PAD_NAME(pad));
}

/* Keeps only what describes the codec: header extensions (extmap-*), a-* SDP
 * attributes and the like are not passed on to the subscriber. */
static gboolean keep_field(GQuark field, GValue *value, gpointer user)
{
    (void)value;
    (void)user;
    const char *f = g_quark_to_string(field);
    return g_str_equal(f, "media") || g_str_equal(f, "payload") ||
           g_str_equal(f, "clock-rate") || g_str_equal(f, "encoding-name") ||
           g_str_equal(f, "encoding-params") || g_str_equal(f, "ssrc") ||
           g_str_has_prefix(f, "rtcp-fb-");
}

/* Runs for every packet towards a subscriber: keep it to atomics. @video is
 * fixed when the probe is installed (see sub_gate_audio/sub_gate_video). */
static GstPadProbeReturn sub_gate(GstPad *pad, GstPadProbeInfo *info, CgConnShared *sh,
                                  gboolean video)
{
    if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
        GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
        if (GST_EVENT_TYPE(ev) != GST_EVENT_CAPS)
            return GST_PAD_PROBE_OK;
        GstCaps *caps = NULL;
        gst_event_parse_caps(ev, &caps);
        GstCaps *clean = gst_caps_copy(caps);
        for (guint i = 0; i < gst_caps_get_size(clean); i++)
            gst_structure_filter_and_map_in_place(gst_caps_get_structure(clean, i), keep_field,
                                                  NULL);
        info->data = gst_event_new_caps(clean);
        gst_caps_unref(clean);
        gst_event_unref(ev);
        return GST_PAD_PROBE_OK;
    }
    if (!cg_conn_shared_open(sh))
        return GST_PAD_PROBE_DROP;
    if (video && g_atomic_int_get(&sh->epgate->video_paused)) {
        /* audio-only: when video resumes, its decoder needs a key frame */
        g_atomic_int_set(&sh->keyframe_asked[CG_KIND_VIDEO], 0);
        return GST_PAD_PROBE_DROP;
    }
    if (video && g_atomic_int_compare_and_exchange(&sh->keyframe_asked[CG_KIND_VIDEO], 0, 1)) {
        g_autoptr(GstElement) queue = gst_pad_get_parent_element(pad); /* rare: once per ask */
        g_autoptr(GstPad) qsink = queue ? gst_element_get_static_pad(queue, "sink") : NULL;
        if (qsink)
            cg_keyframe_ask(qsink);
    }
    return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn sub_gate_audio(GstPad *pad, GstPadProbeInfo *info, gpointer p)
{
    return sub_gate(pad, info, p, FALSE);
}

static GstPadProbeReturn sub_gate_video(GstPad *pad, GstPadProbeInfo *info, gpointer p)
{
    return sub_gate(pad, info, p, TRUE);
}

static GstCaps *codec_caps(const CgSdpCodec *c, const char *kind)
{
    GstCaps *caps = gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, kind,
                                        "payload", G_TYPE_INT, (int)c->payload, "clock-rate",
                                        G_TYPE_INT, (int)c->clock_rate, "encoding-name",
                                        G_TYPE_STRING, c->encoding, NULL);
    GstStructure *s = gst_caps_get_structure(caps, 0);
    if (c->channels) {
        g_autofree char *ch = g_strdup_printf("%u", c->channels);
        gst_structure_set(s, "encoding-params", G_TYPE_STRING, ch, NULL);
    }
    if (c->fb_nack)
        gst_structure_set(s, "rtcp-fb-nack", G_TYPE_BOOLEAN, TRUE, NULL);
    if (c->fb_pli)
        gst_structure_set(s, "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE, NULL);
    if (c->fb_fir)
        gst_structure_set(s, "rtcp-fb-ccm-fir", G_TYPE_BOOLEAN, TRUE, NULL);
    return caps;
}

static gboolean sub_branch(CgConn *conn, CgConn *pub, guint k, GError **error)
{
    const CgSdpCodec *c = &pub->codecs[k];
    g_autoptr(GstCaps) caps = codec_caps(c, kind_names[k]);
    GstPadTemplate *templ =
        gst_element_class_get_pad_template(GST_ELEMENT_GET_CLASS(conn->webrtc), "sink_%u");
    g_autoptr(GstPad) wsink = gst_element_request_pad(conn->webrtc, templ, NULL, caps);
    g_autofree char *what = g_strdup_printf("%s-queue", kind_names[k]);
    GstElement *queue = make_element(conn, "queue", what);
    if (!wsink || !queue) {
        if (queue)
            gst_object_unref(gst_object_ref_sink(queue));
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED,
                    "could not add a %s sender", kind_names[k]);
        return FALSE;
    }
    g_autoptr(GObject) trans = NULL;
    g_object_get(wsink, "transceiver", &trans, NULL);
    if (trans)
        g_object_set(trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                     "codec-preferences", caps, NULL);
    g_object_set(queue, "max-size-buffers", CG_MEDIA_BRANCH_QUEUE_BUFFERS, "max-size-bytes", 0u,
                 "max-size-time", (guint64)0, "leaky", 2 /* downstream */, NULL);
    gst_bin_add(GST_BIN(conn->media->pipeline), queue);
    g_autoptr(GstPad) qsrc = gst_element_get_static_pad(queue, "src");
    g_autoptr(GstPad) qsink = gst_element_get_static_pad(queue, "sink");
    gst_pad_add_probe(qsrc,
                      GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST |
                          GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                      k == CG_KIND_VIDEO ? sub_gate_video : sub_gate_audio,
                      cg_conn_shared_ref(conn->shared), cg_conn_shared_unref);
    conn->queue[k] = queue;
    conn->codecs[k] = *c;
    /* downstream first, so the tee never pushes into a stopped element */
    if (gst_pad_link(qsrc, wsink) != GST_PAD_LINK_OK || !gst_element_sync_state_with_parent(queue))
        goto fail;
    conn->tee_src[k] = gst_element_request_pad_simple(pub->shared->tee[k], "src_%u");
    if (!conn->tee_src[k] || gst_pad_link(conn->tee_src[k], qsink) != GST_PAD_LINK_OK)
        goto fail;
    return TRUE;
fail:
    g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED, "could not link the %s branch",
                kind_names[k]);
    return FALSE;
}

gboolean cg_relay_sub_init(CgConn *conn, CgConn *pub, GError **error)
{
    for (guint k = 0; k < CG_N_KINDS; k++)
        if (pub->codecs[k].present && !sub_branch(conn, pub, k, error))
            return FALSE;
    return TRUE;
}

static void stop_and_remove(GstBin *bin, GstElement *el)
{
    gst_element_set_state(el, GST_STATE_NULL);
    gst_bin_remove(bin, el);
}

void cg_relay_teardown(CgConn *conn)
{
    GstBin *bin = GST_BIN(conn->media->pipeline);
    for (guint k = 0; k < CG_N_KINDS; k++) {
        if (conn->tee_src[k]) {
            g_autoptr(GstElement) tee = gst_pad_get_parent_element(conn->tee_src[k]);
            if (tee)
                gst_element_release_request_pad(tee, conn->tee_src[k]);
            g_clear_object(&conn->tee_src[k]);
        }
    }
    g_autofree char *prefix = g_strdup_printf("c%" G_GUINT64_FORMAT "-", conn->serial);
    GPtrArray *mine = g_ptr_array_new_with_free_func(gst_object_unref);
    GstIterator *it = gst_bin_iterate_elements(bin);
    GValue v = G_VALUE_INIT;
    gboolean done = FALSE;
    while (!done) {
        switch (gst_iterator_next(it, &v)) {
        case GST_ITERATOR_OK: {
            GstElement *el = g_value_get_object(&v);
            if (g_str_has_prefix(GST_ELEMENT_NAME(el), prefix) && el != conn->webrtc)
                g_ptr_array_add(mine, gst_object_ref(el));
            g_value_reset(&v);
            break;
        }
        case GST_ITERATOR_RESYNC:
            g_ptr_array_set_size(mine, 0);
            gst_iterator_resync(it);
            break;
        default:
            done = TRUE;
        }
    }
    g_value_unset(&v);
    gst_iterator_free(it);
    gboolean in_bin = conn->webrtc && GST_OBJECT_PARENT(conn->webrtc) == GST_OBJECT(bin);
    /* stop whatever pushes first: a sub's queues feed its webrtcbin; a pub's
     * webrtcbin feeds its tees */
    if (conn->publisher != 0)
        for (guint i = 0; i < mine->len; i++)
            stop_and_remove(bin, mine->pdata[i]);
    if (in_bin)
        stop_and_remove(bin, conn->webrtc);
    else if (conn->webrtc)
        gst_element_set_state(conn->webrtc, GST_STATE_NULL);
    if (conn->publisher == 0)
        for (guint i = 0; i < mine->len; i++)
            stop_and_remove(bin, mine->pdata[i]);
    g_ptr_array_unref(mine);
    for (guint k = 0; k < CG_N_KINDS; k++)
        conn->queue[k] = NULL;
    /* everything is stopped: break the cycle tee -> probe -> shared -> tee */
    for (guint k = 0; k < CG_N_KINDS; k++)
        g_clear_object(&conn->shared->tee[k]);
}
