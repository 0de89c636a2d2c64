/* conn.c — one WebRTC connection (a webrtcbin): negotiation, candidates, the
 * DTLS fingerprint check. See media-private.h for ownership and threads.
 */
#define GST_USE_UNSTABLE_API
#include "dtls_fingerprint.h"
#include "media-limits.h"
#include "media-private.h"

#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <string.h>

#define GST_CAT_DEFAULT cg_media_debug

CgConnShared *cg_conn_shared_ref(CgConnShared *shared)
{
    g_atomic_ref_count_inc(&shared->ref);
    return shared;
}

void cg_conn_shared_unref(gpointer p)
{
    CgConnShared *sh = p;
    if (!sh || !g_atomic_ref_count_dec(&sh->ref))
        return;
    for (guint k = 0; k < CG_N_KINDS; k++)
        g_clear_object(&sh->tee[k]);
    g_mutex_clear(&sh->lock);
    cg_keyframe_clear(&sh->kf);
    g_free(sh->hash_func);
    g_free(sh->expected);
    g_free(sh->tag);
    cg_media_alive_unref(sh->alive);
    cg_endpoint_gate_unref(sh->epgate);
    g_main_context_unref(sh->ctx);
    g_free(sh);
}

CgEndpointGate *cg_endpoint_gate_new(void)
{
    CgEndpointGate *g = g_new0(CgEndpointGate, 1);
    g_atomic_ref_count_init(&g->ref);
    return g;
}

CgEndpointGate *cg_endpoint_gate_ref(CgEndpointGate *gate)
{
    g_atomic_ref_count_inc(&gate->ref);
    return gate;
}

void cg_endpoint_gate_unref(CgEndpointGate *gate)
{
    if (gate && g_atomic_ref_count_dec(&gate->ref))
        g_free(gate);
}

gboolean cg_conn_shared_open(CgConnShared *sh)
{
    CgEndpointGate *g = sh->epgate;
    if (!g_atomic_int_get(&sh->verified) || g_atomic_int_get(&g->bad) ||
        g_atomic_int_get(&g->stopped))
        return FALSE;
    return sh->is_pub || !g_atomic_int_get(&g->pub_offered) ||
           g_atomic_int_get(&g->pub_verified);
}

static void closure_unref(gpointer data, GClosure *closure)
{
    (void)closure;
    cg_conn_shared_unref(data);
}

static void hop(CgConnShared *sh, CgHopFunc fn, gpointer data, GDestroyNotify destroy)
{
    cg_media_hop(sh->ctx, sh->alive, sh->serial, fn, data, destroy);
}

/* ---- events on the main context ---------------------------------------- */

typedef struct {
    guint mline;
    char *text;
} CgText;

static void text_free(gpointer p)
{
    CgText *t = p;
    g_free(t->text);
    g_free(t);
}

static CgText *text_new(guint mline, const char *s)
{
    CgText *t = g_new0(CgText, 1);
    t->mline = mline;
    t->text = g_strdup(s);
    return t;
}

static void main_candidate(CgConn *conn, gpointer data)
{
    CgText *t = data;
    CgMedia *m = conn->media;
    if (m->events.candidate)
        m->events.candidate(m->user, conn->ep->id, conn->name, t->mline, t->text);
}

static void main_fail(CgConn *conn, gpointer data)
{
    CgText *t = data; /* mline carries the CgMediaError */
    cg_media_fail_endpoint(conn->media, conn->ep->id, (CgMediaError)t->mline, t->text);
}

static void watch_transports(CgConn *conn);

static void main_conn_connected(CgConn *conn, gpointer data)
{
    (void)data;
    watch_transports(conn); /* in case a transport appeared after negotiation */
    cg_media_liveness_watch(conn);
}

static void main_conn_failed(CgConn *conn, gpointer data)
{
    (void)data;
    if (conn->publisher == 0) {
        cg_media_fail_endpoint(conn->media, conn->ep->id, CG_MEDIA_ERROR_FAILED,
                               "the publish connection failed (ICE or DTLS)");
    } else {
        g_message("%s %s: connection failed", conn->ep->tag, conn->name);
    }
}

/* ---- signals from GStreamer threads ------------------------------------- */

static void on_ice_candidate(GstElement *webrtc, guint mline, const char *cand, gpointer p)
{
    (void)webrtc;
    hop(p, main_candidate, text_new(mline, cand), text_free);
}

static void on_gathering_state(GObject *webrtc, GParamSpec *ps, gpointer p)
{
    (void)ps;
    GstWebRTCICEGatheringState st;
    g_object_get(webrtc, "ice-gathering-state", &st, NULL);
    if (st == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
        hop(p, main_candidate, text_new(0, ""), text_free);
}

static void on_connection_state(GObject *webrtc, GParamSpec *ps, gpointer p)
{
    (void)ps;
    CgConnShared *sh = p;
    GstWebRTCPeerConnectionState st;
    g_object_get(webrtc, "connection-state", &st, NULL);
    GST_INFO("%s connection-state %d", sh->tag, st);
    if (st == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)
        hop(sh, main_conn_failed, NULL, NULL);
    else if (st == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED) {
        g_atomic_int_set(&sh->connected, 1);
        hop(sh, main_conn_connected, NULL, NULL);
    }
}

static void on_pad_added(GstElement *webrtc, GstPad *pad, gpointer p)
{
    CgConnShared *sh = p;
    if (sh->is_pub && GST_PAD_DIRECTION(pad) == GST_PAD_SRC)
        cg_relay_pub_pad_added(sh, webrtc, pad);
}

static void on_negotiation_needed(GstElement *webrtc, gpointer p)
{
    (void)webrtc;
    /* sub offers are made explicitly (cg_conn_offer); pub is never the offerer */
    GST_DEBUG("%s negotiation-needed (ignored)", ((CgConnShared *)p)->tag);
}

/* ---- DTLS fingerprint check (any thread) -------------------------------- */

typedef struct {
    CgConnShared *sh;
    gint judged; /* atomic, per transport */
} CgDtlsWatch;

static void watch_free(gpointer data, GClosure *closure)
{
    (void)closure;
    CgDtlsWatch *w = data;
    cg_conn_shared_unref(w->sh);
    g_free(w);
}

static void on_dtls_state(GObject *transport, GParamSpec *ps, gpointer data)
{
    (void)ps;
    CgDtlsWatch *w = data;
    CgConnShared *sh = w->sh;
    GstWebRTCDTLSTransportState st;
    g_object_get(transport, "state", &st, NULL);
    if (st != GST_WEBRTC_DTLS_TRANSPORT_STATE_CONNECTED ||
        !g_atomic_int_compare_and_exchange(&w->judged, 0, 1))
        return;
    g_autofree char *pem = NULL;
    g_object_get(transport, "remote-certificate", &pem, NULL);
    g_mutex_lock(&sh->lock);
    g_autofree char *hash = g_strdup(sh->hash_func);
    g_autofree char *expected = g_strdup(sh->expected);
    g_mutex_unlock(&sh->lock);
    if (hash && cg_dtls_fingerprint_matches(hash, expected, pem)) {
        g_atomic_int_set(&sh->verified, 1);
        if (sh->is_pub)
            g_atomic_int_set(&sh->epgate->pub_verified, 1);
        g_info("%s DTLS certificate matches the SDP fingerprint (%s)", sh->tag, hash);
        return;
    }
    g_atomic_int_set(&sh->epgate->bad, 1);
    g_atomic_int_set(&sh->verified, 0);
    g_warning("%s AUDIT dtls_fingerprint_mismatch: the peer's DTLS certificate %s the SDP "
              "a=fingerprint; nothing is relayed to or from this endpoint",
              sh->tag, pem ? "does not match" : "is missing, cannot check");
    hop(sh, main_fail, text_new(CG_MEDIA_ERROR_FINGERPRINT_MISMATCH,
                                "the DTLS certificate does not match the SDP fingerprint"),
        text_free);
}

static void watch_transport(CgConn *conn, GstWebRTCDTLSTransport *transport)
{
    if (!transport || g_object_get_data(G_OBJECT(transport), "cg-watched"))
        return;
    g_object_set_data(G_OBJECT(transport), "cg-watched", GINT_TO_POINTER(1));
    CgDtlsWatch *w = g_new0(CgDtlsWatch, 1);
    w->sh = cg_conn_shared_ref(conn->shared);
    g_signal_connect_data(transport, "notify::state", G_CALLBACK(on_dtls_state), w, watch_free,
                          0);
    on_dtls_state(G_OBJECT(transport), NULL, w); /* it may be connected already */
}

static void watch_transports(CgConn *conn)
{
    GArray *trans = NULL;
    g_signal_emit_by_name(conn->webrtc, "get-transceivers", &trans);
    for (guint i = 0; trans && i < trans->len; i++) {
        GstWebRTCRTPTransceiver *t = g_array_index(trans, GstWebRTCRTPTransceiver *, i);
        g_autoptr(GObject) sender = NULL, receiver = NULL;
        g_object_get(t, "sender", &sender, "receiver", &receiver, NULL);
        for (GObject *o = sender; o; o = (o == sender ? receiver : NULL)) {
            g_autoptr(GstWebRTCDTLSTransport) tr = NULL;
            g_object_get(o, "transport", &tr, NULL);
            watch_transport(conn, tr);
        }
    }
    if (trans)
        g_array_unref(trans);
}

/* ---- negotiation --------------------------------------------------------- */

static char *desc_text(const GstWebRTCSessionDescription *desc)
{
    return gst_sdp_message_as_text(desc->sdp);
}

static GstWebRTCSessionDescription *reply_desc(GstPromise *promise, const char *field)
{
    if (gst_promise_wait(promise) != GST_PROMISE_RESULT_REPLIED)
        return NULL;
    const GstStructure *reply = gst_promise_get_reply(promise);
    GstWebRTCSessionDescription *desc = NULL;
    if (reply)
        gst_structure_get(reply, field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL);
    return desc;
}

static void desc_free(gpointer p)
{
    gst_webrtc_session_description_free(p);
}

static void main_local_description(CgConn *conn, gpointer data)
{
    GstWebRTCSessionDescription *desc = data;
    CgMedia *media = conn->media;
    cg_sdp_enable_opus_resilience(desc->sdp);
    g_signal_emit_by_name(conn->webrtc, "set-local-description", desc, NULL);
    watch_transports(conn);
    g_autofree char *sdp = desc_text(desc);
    gboolean first_answer = conn->publisher == 0 && !conn->answered;
    if (first_answer) {
        cg_sdp_negotiated_codecs(sdp, &conn->codecs[CG_KIND_AUDIO], &conn->codecs[CG_KIND_VIDEO]);
        conn->answered = TRUE;
    }
    CgEndpointId ep_id = conn->ep->id;
    guint64 serial = conn->serial;
    GST_DEBUG("%s %s local %s:\n%s", conn->ep->tag, conn->name,
              desc->type == GST_WEBRTC_SDP_TYPE_OFFER ? "offer" : "answer", sdp);
    if (media->events.description)
        media->events.description(media->user, ep_id, conn->name, conn->publisher,
                                  desc->type == GST_WEBRTC_SDP_TYPE_OFFER ? "offer" : "answer",
                                  sdp);
    /* the handler may have removed the endpoint: look it up again */
    CgEndpoint *ep = cg_media_lookup(media, ep_id);
    if (first_answer && ep && ep->pub && ep->pub->serial == serial)
        cg_media_publisher_ready(media, ep);
}

static void on_local_created(GstPromise *promise, gpointer p)
{
    CgConnShared *sh = p;
    GstWebRTCSessionDescription *desc = reply_desc(promise, sh->is_pub ? "answer" : "offer");
    if (!desc) {
        g_message("%s could not create a local description", sh->tag);
        hop(sh, main_fail, text_new(CG_MEDIA_ERROR_FAILED, "could not negotiate media"),
            text_free);
        return;
    }
    hop(sh, main_local_description, desc, desc_free);
}

static void create_local(CgConn *conn, const char *what)
{
    GstPromise *promise = gst_promise_new_with_change_func(
        on_local_created, cg_conn_shared_ref(conn->shared), cg_conn_shared_unref);
    g_signal_emit_by_name(conn->webrtc, what, NULL, promise);
    gst_promise_unref(promise);
}

void cg_conn_offer(CgConn *conn)
{
    create_local(conn, "create-offer");
}

static void main_remote_set(CgConn *conn, gpointer data)
{
    (void)data;
    watch_transports(conn);
    if (conn->publisher == 0)
        create_local(conn, "create-answer");
}

static void on_remote_set(GstPromise *promise, gpointer p)
{
    CgConnShared *sh = p;
    const GstStructure *reply = NULL;
    if (gst_promise_wait(promise) == GST_PROMISE_RESULT_REPLIED)
        reply = gst_promise_get_reply(promise);
    if (reply && gst_structure_has_field(reply, "error")) {
        g_message("%s webrtcbin refused the remote description", sh->tag);
        hop(sh, main_fail, text_new(CG_MEDIA_ERROR_FAILED, "the description was refused"),
            text_free);
        return;
    }
    hop(sh, main_remote_set, NULL, NULL);
}

/* Remembers the endpoint's fingerprint; a renegotiation may not change it. */
static gboolean store_fingerprint(CgConnShared *sh, CgSdpFingerprint *fp, GError **error)
{
    gboolean ok = TRUE;
    g_mutex_lock(&sh->lock);
    if (sh->hash_func && (g_strcmp0(sh->hash_func, fp->hash_func) != 0 ||
                          g_ascii_strcasecmp(sh->expected, fp->value) != 0)) {
        ok = FALSE;
    } else if (!sh->hash_func) {
        sh->hash_func = g_steal_pointer(&fp->hash_func);
        sh->expected = g_steal_pointer(&fp->value);
    }
    g_mutex_unlock(&sh->lock);
    if (!ok)
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FINGERPRINT_MISMATCH,
                    "the DTLS fingerprint changed in a renegotiation");
    return ok;
}

gboolean cg_conn_remote_description(CgConn *conn, const char *type, const char *sdp,
                                    GError **error)
{
    gboolean is_pub = conn->publisher == 0;
    const char *want = is_pub ? "offer" : "answer";
    if (g_strcmp0(type, want) != 0 || !sdp || (!is_pub && conn->answered)) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                    "%s expects one %s from the endpoint", conn->name, want);
        return FALSE;
    }
    CgSdpFingerprint fp = {0};
    guint refused = 0;
    g_autofree char *allowed_sdp =
        strnlen(sdp, CG_MEDIA_MAX_SDP_BYTES + 1) > CG_MEDIA_MAX_SDP_BYTES
            ? g_strdup(sdp) /* the policy below refuses it by size */
            : cg_address_policy_filter_sdp(conn->media->address_policy, sdp, &refused);
    if (refused)
        g_info("%s ignored %u candidate(s) of the SDP pointing into non-public networks",
               conn->shared->tag, refused);
    g_autofree char *filtered = cg_sdp_policy_apply(
        allowed_sdp, strnlen(allowed_sdp, CG_MEDIA_MAX_SDP_BYTES + 1), &fp, error);
    if (!filtered)
        return FALSE;
    gboolean ok = store_fingerprint(conn->shared, &fp, error);
    cg_sdp_fingerprint_clear(&fp);
    GstSDPMessage *msg = NULL;
    if (!ok || gst_sdp_message_new_from_text(filtered, &msg) != GST_SDP_OK) {
        if (ok)
            g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP, "the SDP does not parse");
        return FALSE;
    }
    if (!is_pub)
        conn->answered = TRUE;
    else
        g_atomic_int_set(&conn->shared->epgate->pub_offered, 1);
    GstWebRTCSessionDescription *desc = gst_webrtc_session_description_new(
        is_pub ? GST_WEBRTC_SDP_TYPE_OFFER : GST_WEBRTC_SDP_TYPE_ANSWER, msg);
    GstPromise *promise = gst_promise_new_with_change_func(
        on_remote_set, cg_conn_shared_ref(conn->shared), cg_conn_shared_unref);
    g_signal_emit_by_name(conn->webrtc, "set-remote-description", desc, promise);
    gst_promise_unref(promise);
    gst_webrtc_session_description_free(desc);
    return TRUE;
}

gboolean cg_conn_remote_candidate(CgConn *conn, guint mline, const char *candidate,
                                  GError **error)
{
    if (!candidate || !*candidate)
        return TRUE; /* end of candidates: nothing to do for webrtcbin 1.22 */
    if (g_str_has_prefix(candidate, "a="))
        candidate += 2;
    if (strnlen(candidate, CG_MEDIA_MAX_CANDIDATE_BYTES + 1) > CG_MEDIA_MAX_CANDIDATE_BYTES ||
        mline >= CG_MEDIA_MAX_MLINES) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_LIMIT,
                    "candidate too long or m-line index out of range");
        return FALSE;
    }
    if (conn->n_remote_candidates >= CG_MEDIA_MAX_REMOTE_CANDIDATES) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_LIMIT,
                    "more than %u candidates on %s", CG_MEDIA_MAX_REMOTE_CANDIDATES, conn->name);
        return FALSE;
    }
    conn->n_remote_candidates++;
    /* Never probe what the policy refuses (internal hosts, metadata services);
     * mDNS names are not resolved either. Not an error: browsers offer such
     * candidates in good faith. */
    g_autofree char *address = cg_candidate_address(candidate);
    const char *refusal = cg_address_policy_refusal(conn->media->address_policy, address);
    if (refusal) {
        g_info("%s ignored a remote candidate: %s address", conn->shared->tag, refusal);
        GST_DEBUG("%s ignored candidate address %s", conn->shared->tag, address);
        return TRUE;
    }
    g_signal_emit_by_name(conn->webrtc, "add-ice-candidate", mline, candidate);
    return TRUE;
}

/* ---- lifecycle ---------------------------------------------------------- */

static void connect_shared(CgConn *conn, const char *signal, GCallback cb)
{
    g_signal_connect_data(conn->webrtc, signal, cb, cg_conn_shared_ref(conn->shared),
                          closure_unref, 0);
}

static CgConnShared *shared_new(CgMedia *media, CgConn *conn)
{
    CgConnShared *sh = g_new0(CgConnShared, 1);
    g_atomic_ref_count_init(&sh->ref);
    g_mutex_init(&sh->lock);
    cg_keyframe_init(&sh->kf);
    sh->serial = conn->serial;
    sh->is_pub = conn->publisher == 0;
    sh->tag = g_strdup_printf("%s %s", conn->ep->tag, conn->name);
    sh->ctx = g_main_context_ref(media->ctx);
    sh->alive = cg_media_alive_ref(media->alive);
    sh->epgate = cg_endpoint_gate_ref(conn->ep->gate);
    return sh;
}

CgConn *cg_conn_new(CgMedia *media, CgEndpoint *ep, const char *name, CgConn *source,
                    GError **error)
{
    CgConn *conn = g_new0(CgConn, 1);
    conn->media = media;
    conn->ep = ep;
    conn->serial = ++media->next_serial;
    conn->name = g_strdup(name);
    conn->publisher = source ? source->ep->id : 0;
    conn->shared = shared_new(media, conn);
    g_autofree char *ename = g_strdup_printf("c%" G_GUINT64_FORMAT "-webrtc", conn->serial);
    conn->webrtc = gst_element_factory_make("webrtcbin", ename);
    if (!conn->webrtc) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED, "webrtcbin is not installed");
        goto fail;
    }
    gst_object_ref_sink(conn->webrtc); /* ours until it is in the pipeline */
    g_object_set(conn->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE,
                 "latency", 0u, NULL);
    if (!cg_media_ice_harden(conn->webrtc, (const char *const *)media->ice_addresses,
                             media->rtp_port_min, media->rtp_port_max, media->stun_server,
                             media->ice_tcp, error))
        goto fail;
    connect_shared(conn, "on-ice-candidate", G_CALLBACK(on_ice_candidate));
    connect_shared(conn, "notify::ice-gathering-state", G_CALLBACK(on_gathering_state));
    connect_shared(conn, "notify::connection-state", G_CALLBACK(on_connection_state));
    connect_shared(conn, "pad-added", G_CALLBACK(on_pad_added));
    connect_shared(conn, "on-negotiation-needed", G_CALLBACK(on_negotiation_needed));
    if (!source && !cg_relay_pub_init(conn, error))
        goto fail;
    gst_bin_add(GST_BIN(media->pipeline), conn->webrtc);
    g_hash_table_insert(media->conns, &conn->serial, conn);
    if (!gst_element_sync_state_with_parent(conn->webrtc)) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED, "webrtcbin did not start");
        cg_conn_free(conn);
        return NULL;
    }
    if (source && !cg_relay_sub_init(conn, source, error)) {
        cg_conn_free(conn);
        return NULL;
    }
    return conn;
fail:
    cg_relay_teardown(conn);
    g_clear_object(&conn->webrtc);
    cg_conn_shared_unref(conn->shared);
    g_free(conn->name);
    g_free(conn);
    return NULL;
}

void cg_conn_free(CgConn *conn)
{
    if (!conn)
        return;
    g_hash_table_remove(conn->media->conns, &conn->serial);
    cg_relay_teardown(conn); /* the pipeline's refs go with the elements */
    g_clear_object(&conn->webrtc);
    cg_conn_shared_unref(conn->shared);
    g_free(conn->name);
    g_free(conn);
}
