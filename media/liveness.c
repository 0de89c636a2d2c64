/* liveness.c — consultd's own consent freshness (webrtcbin 1.22 and libnice
 * 0.1.21 have no RFC 7675).
 *
 * Every connection that reached "connected" gets a probe on its RTP bin's
 * receive sink pads (what arrives there passed SRTP/SRTCP authentication):
 * it bumps the endpoint's atomic gate->rx. A main-context timer (every
 * CG_MEDIA_LIVENESS_CHECK_MS) compares that counter with the last value it
 * saw; an endpoint with a connected connection whose counter has not moved
 * for CG_MEDIA_CONSENT_TIMEOUT_S on the relay's clock is stopped (its gate
 * closes both ways) and failed. The clock is injectable (media-testing.h).
 *
 * An endpoint with no connected connection (still negotiating, or alone and
 * not publishing) is not judged: ICE/DTLS failure covers the first case.
 */
#include "media-limits.h"
#include "media-private.h"
#include "media-testing.h"

#define GST_CAT_DEFAULT cg_media_debug
#define CONSENT_US ((gint64)CG_MEDIA_CONSENT_TIMEOUT_S * G_USEC_PER_SEC)

static GstPadProbeReturn count_rx(GstPad *pad, GstPadProbeInfo *info, gpointer p)
{
    (void)pad;
    (void)info;
    CgEndpointGate *gate = p;
    g_atomic_int_inc(&gate->rx);
    return GST_PAD_PROBE_OK;
}

static void gate_unref(gpointer p)
{
    cg_endpoint_gate_unref(p);
}

void cg_media_liveness_watch(CgConn *conn)
{
    if (!conn->webrtc)
        return;
    g_autoptr(GstElement) rtpbin = gst_bin_get_by_name(GST_BIN(conn->webrtc), "rtpbin");
    if (!rtpbin) {
        GST_WARNING("%s no rtpbin in webrtcbin: liveness not watched", conn->shared->tag);
        return;
    }
    GstIterator *it = gst_element_iterate_sink_pads(rtpbin);
    GValue v = G_VALUE_INIT;
    while (gst_iterator_next(it, &v) == GST_ITERATOR_OK) {
        GstPad *pad = g_value_get_object(&v);
        if (g_str_has_prefix(GST_PAD_NAME(pad), "recv_") &&
            !g_object_get_data(G_OBJECT(pad), "cg-liveness")) {
            g_object_set_data(G_OBJECT(pad), "cg-liveness", GINT_TO_POINTER(1));
            gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                              count_rx, cg_endpoint_gate_ref(conn->ep->gate), gate_unref);
            GST_DEBUG("%s liveness watches %s", conn->shared->tag, GST_PAD_NAME(pad));
        }
        g_value_reset(&v);
    }
    g_value_unset(&v);
    gst_iterator_free(it);
}

static gboolean any_connected(CgEndpoint *ep)
{
    if (ep->pub && g_atomic_int_get(&ep->pub->shared->connected))
        return TRUE;
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, ep->subs);
    while (g_hash_table_iter_next(&it, NULL, &value))
        if (g_atomic_int_get(&((CgConn *)value)->shared->connected))
            return TRUE;
    return FALSE;
}

/* TRUE when @ep has been silent for the limit. */
static gboolean expired(CgEndpoint *ep, gint64 now)
{
    gint rx = g_atomic_int_get(&ep->gate->rx);
    if (ep->last_alive == 0 || rx != ep->last_rx || !any_connected(ep)) {
        ep->last_rx = rx;
        ep->last_alive = now;
        return FALSE;
    }
    return now - ep->last_alive >= CONSENT_US;
}

void cg_media_check_liveness(CgMedia *media)
{
    g_return_if_fail(media != NULL);
    if (media->lean) {
        cg_lean_relay_check_liveness(media->lean);
        return;
    }
    gint64 now = media->now(media->now_user);
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, media->endpoints);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        CgEndpoint *ep = value;
        if (ep->failed || g_atomic_int_get(&ep->gate->stopped) || !expired(ep, now))
            continue;
        g_atomic_int_set(&ep->gate->stopped, 1); /* stop sending to it at once */
        g_autofree char *msg = g_strdup_printf(
            "no media or consent from the endpoint for %u s", CG_MEDIA_CONSENT_TIMEOUT_S);
        cg_media_fail_endpoint(media, ep->id, CG_MEDIA_ERROR_FAILED, msg);
    }
}

static gboolean on_timer(gpointer p)
{
    cg_media_check_liveness(p);
    return G_SOURCE_CONTINUE;
}

static gint64 monotonic_now(gpointer user)
{
    (void)user;
    return g_get_monotonic_time();
}

void cg_media_liveness_start(CgMedia *media)
{
    if (!media->now)
        cg_media_set_clock(media, NULL, NULL);
    media->liveness_timer = g_timeout_source_new(CG_MEDIA_LIVENESS_CHECK_MS);
    g_source_set_callback(media->liveness_timer, on_timer, media, NULL);
    g_source_attach(media->liveness_timer, media->ctx);
}

void cg_media_liveness_stop(CgMedia *media)
{
    if (media->liveness_timer) {
        g_source_destroy(media->liveness_timer);
        g_clear_pointer(&media->liveness_timer, g_source_unref);
    }
}

void cg_media_set_clock(CgMedia *media, gint64 (*now)(gpointer user), gpointer user)
{
    g_return_if_fail(media != NULL);
    if (media->lean) {
        cg_lean_relay_set_clock(media->lean, now, user);
        return;
    }
    media->now = now ? now : monotonic_now;
    media->now_user = now ? user : NULL;
    /* restart every endpoint's silence on the new clock */
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, media->endpoints);
    while (g_hash_table_iter_next(&it, NULL, &value))
        ((CgEndpoint *)value)->last_alive = 0;
}

guint cg_media_keyframe_requests(CgMedia *media, CgEndpointId publisher)
{
    if (media && media->lean)
        return cg_lean_relay_keyframe_requests(media->lean, publisher);
    CgEndpoint *ep = media ? cg_media_lookup(media, publisher) : NULL;
    return ep && ep->pub ? (guint)g_atomic_int_get(&ep->pub->shared->kf.requests) : 0;
}
