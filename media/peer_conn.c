/* peer_conn.c — ICE + DTLS + SRTP for one WebRTC connection (peer_conn.h). */
#include "peer_conn.h"

#include "rtp_packet.h"
#include "srtp.h"

#include <string.h>

struct _CgLeanConn {
    CgPeerConnKind kind;
    char *tag;
    GMainContext *ctx;
    CgPeerConnCallbacks cb;
    gpointer user;
    CgIceAgent *ice;
    CgDtlsIdentity *identity;
    CgDtlsTransport *dtls;
    CgDtlsRole role;
    CgSdpFingerprint remote_fp; /* what the DTLS handshake was checked against */
    GSource *dtls_timer;
    CgSrtp *srtp_out;
    CgSrtp *srtp_in;
    CgSdp *own_offer;            /* subscribe: our offer, parsed back */
    gboolean described;          /* the remote description is in */
    GPtrArray *early_candidates; /* trickled before it */
    gboolean early_end;
    gboolean dead; /* failed was reported */
    gint64 last_auth_us;
    CgPeerConnCounters counters;
    guint8 buf[CG_PEER_CONN_MAX_PACKET + CG_PEER_CONN_SEND_OVERHEAD];
};

/* The SRTP profiles we offer, cheapest first (as DTLS server our order wins). */
static const CgDtlsSrtpProfile srtp_profiles[] = {
    CG_DTLS_SRTP_AEAD_AES_128_GCM,
    CG_DTLS_SRTP_AES128_CM_SHA1_80,
    CG_DTLS_SRTP_AES128_CM_SHA1_32,
};

static void conn_fail(CgPeerConn *conn, CgMediaError code, const char *message)
{
    if (conn->dead)
        return;
    conn->dead = TRUE;
    g_message("%s connection failed: %s", conn->tag, message);
    conn->cb.failed(conn->user, code, message);
}

/* ---- DTLS --------------------------------------------------------------- */

static void dtls_rearm(CgPeerConn *conn);

static gboolean dtls_timer_fired(gpointer user)
{
    CgPeerConn *conn = user;
    g_clear_pointer(&conn->dtls_timer, g_source_unref);
    cg_dtls_transport_handle_timeout(conn->dtls);
    dtls_rearm(conn);
    return G_SOURCE_REMOVE;
}

/* After every call into the transport: its retransmission timer may have
 * started, moved or stopped. */
static void dtls_rearm(CgPeerConn *conn)
{
    if (conn->dtls_timer) {
        g_source_destroy(conn->dtls_timer);
        g_clear_pointer(&conn->dtls_timer, g_source_unref);
    }
    if (!conn->dtls)
        return;
    gint64 us = cg_dtls_transport_timeout_us(conn->dtls);
    if (us < 0)
        return;
    conn->dtls_timer = g_timeout_source_new((guint)MAX(1, (us + 999) / 1000));
    g_source_set_callback(conn->dtls_timer, dtls_timer_fired, conn, NULL);
    g_source_attach(conn->dtls_timer, conn->ctx);
}

static void on_dtls_send(gpointer user, const guint8 *datagram, gsize len)
{
    CgPeerConn *conn = user;
    cg_ice_agent_send(conn->ice, datagram, len);
}

static void on_dtls_connected(gpointer user)
{
    CgPeerConn *conn = user;
    CgDtlsSrtpKeys keys;
    g_autoptr(GError) error = NULL;
    if (!cg_dtls_transport_srtp_keys(conn->dtls, &keys)) {
        conn_fail(conn, CG_MEDIA_ERROR_FAILED, "DTLS exported no SRTP keys");
        return;
    }
    CgSrtpProfile profile = (CgSrtpProfile)keys.profile;
    conn->srtp_out = cg_srtp_new(profile, CG_SRTP_DIRECTION_OUTBOUND, keys.local_key, keys.key_len,
                                 keys.local_salt, keys.salt_len, &error);
    if (conn->srtp_out)
        conn->srtp_in = cg_srtp_new(profile, CG_SRTP_DIRECTION_INBOUND, keys.remote_key,
                                    keys.key_len, keys.remote_salt, keys.salt_len, &error);
    cg_dtls_srtp_keys_clear(&keys);
    if (!conn->srtp_in) {
        g_clear_pointer(&conn->srtp_out, cg_srtp_free);
        conn_fail(conn, CG_MEDIA_ERROR_FAILED, error->message);
        return;
    }
    g_autofree char *pair = cg_ice_agent_selected_pair(conn->ice);
    g_info("%s up: DTLS %s, fingerprint verified, SRTP profile 0x%04x, %s", conn->tag,
           conn->role == CG_DTLS_ROLE_SERVER ? "server" : "client", (guint)profile,
           pair ? pair : "no pair");
    if (conn->cb.connected)
        conn->cb.connected(conn->user);
}

static void on_dtls_failed(gpointer user, const GError *error)
{
    CgPeerConn *conn = user;
    conn_fail(conn,
              g_error_matches(error, CG_DTLS_ERROR, CG_DTLS_ERROR_FINGERPRINT_MISMATCH)
                  ? CG_MEDIA_ERROR_FINGERPRINT_MISMATCH
                  : CG_MEDIA_ERROR_FAILED,
              error->message);
}

static void on_dtls_closed(gpointer user)
{
    conn_fail(user, CG_MEDIA_ERROR_FAILED, "the peer closed DTLS");
}

static const CgDtlsTransportCallbacks dtls_callbacks = {
    .send = on_dtls_send,
    .connected = on_dtls_connected,
    .failed = on_dtls_failed,
    .closed = on_dtls_closed,
};

static gboolean dtls_setup(CgPeerConn *conn, const CgSdpFingerprint *fp, CgDtlsRole role,
                           GError **error)
{
    g_autoptr(GError) local = NULL;
    conn->role = role;
    conn->remote_fp.hash_func = g_strdup(fp->hash_func);
    conn->remote_fp.value = g_strdup(fp->value);
    conn->dtls = cg_dtls_transport_new(conn->identity, role, fp->hash_func, fp->value,
                                       &dtls_callbacks, conn, &local);
    if (conn->dtls && !cg_dtls_transport_set_srtp_profiles(conn->dtls, srtp_profiles,
                                                           G_N_ELEMENTS(srtp_profiles), &local))
        g_clear_pointer(&conn->dtls, cg_dtls_transport_free);
    if (!conn->dtls) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_DTLS_REQUIRED, "%s", local->message);
        return FALSE;
    }
    g_autofree char *dtls_tag = g_strconcat(conn->tag, " dtls", NULL);
    cg_dtls_transport_set_log_tag(conn->dtls, dtls_tag);
    /* A server waits for the ClientHello; a client sends it once ICE works. */
    if (role == CG_DTLS_ROLE_SERVER ||
        cg_ice_agent_get_state(conn->ice) == CG_ICE_STATE_CONNECTED) {
        cg_dtls_transport_start(conn->dtls);
        dtls_rearm(conn);
    }
    return TRUE;
}

/* ---- ICE ---------------------------------------------------------------- */

static void on_local_candidate(gpointer user, const char *candidate)
{
    CgPeerConn *conn = user;
    conn->cb.local_candidate(conn->user, candidate);
}

static void on_local_candidates_done(gpointer user)
{
    CgPeerConn *conn = user;
    conn->cb.local_candidate(conn->user, "");
}

static void on_ice_state(gpointer user, CgIceState state)
{
    CgPeerConn *conn = user;
    g_debug("%s ICE %s", conn->tag, cg_ice_state_name(state));
    if (state == CG_ICE_STATE_FAILED) {
        conn_fail(conn, CG_MEDIA_ERROR_FAILED, "ICE failed: no candidate pair works");
        return;
    }
    if (state == CG_ICE_STATE_CONNECTED && conn->dtls &&
        cg_dtls_transport_get_state(conn->dtls) == CG_DTLS_STATE_NEW) {
        cg_dtls_transport_start(conn->dtls);
        dtls_rearm(conn);
    }
}

static void receive_srtp(CgPeerConn *conn, const guint8 *datagram, gsize len, gboolean rtcp)
{
    gsize n = 0;
    if (!conn->srtp_in || len > CG_PEER_CONN_MAX_PACKET) {
        conn->counters.dropped_in++;
        return;
    }
    memcpy(conn->buf, datagram, len);
    gboolean ok = rtcp ? cg_srtcp_unprotect(conn->srtp_in, conn->buf, len, &n, NULL)
                       : cg_srtp_unprotect(conn->srtp_in, conn->buf, len, &n, NULL);
    if (!ok) {
        conn->counters.dropped_in++;
        return;
    }
    conn->last_auth_us = g_get_monotonic_time();
    conn->counters.bytes_in += len;
    if (rtcp) {
        conn->counters.rtcp_in++;
        if (conn->cb.rtcp)
            conn->cb.rtcp(conn->user, conn->buf, n, sizeof conn->buf);
    } else {
        conn->counters.rtp_in++;
        if (conn->cb.rtp)
            conn->cb.rtp(conn->user, conn->buf, n, sizeof conn->buf);
    }
}

static void on_ice_receive(gpointer user, const guint8 *datagram, gsize len)
{
    CgPeerConn *conn = user;
    switch (cg_packet_classify(datagram, len)) {
    case CG_PACKET_DTLS:
        if (conn->dtls) {
            cg_dtls_transport_receive(conn->dtls, datagram, len);
            dtls_rearm(conn);
        }
        break;
    case CG_PACKET_RTP:
        receive_srtp(conn, datagram, len, FALSE);
        break;
    case CG_PACKET_RTCP:
        receive_srtp(conn, datagram, len, TRUE);
        break;
    default:
        conn->counters.dropped_in++;
        break;
    }
}

static const CgIceAgentCallbacks ice_callbacks = {
    .local_candidate = on_local_candidate,
    .local_candidates_done = on_local_candidates_done,
    .state_changed = on_ice_state,
    .receive = on_ice_receive,
};

/* Adds one remote candidate: what the address policy refuses, or libnice
 * cannot parse, is ignored (browsers offer mDNS and private addresses in good
 * faith); only a limit is an error. */
static gboolean add_candidate(CgPeerConn *conn, const char *candidate, GError **error)
{
    g_autoptr(GError) local = NULL;
    if (cg_ice_agent_add_remote_candidate(conn->ice, candidate, &local))
        return TRUE;
    if (g_error_matches(local, CG_ICE_ERROR, CG_ICE_ERROR_LIMIT)) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_LIMIT, "%s", local->message);
        return FALSE;
    }
    g_info("%s ignored a remote candidate: %s", conn->tag, local->message);
    return TRUE;
}

/* The remote description is in: its credentials and candidates, then any
 * that were trickled before it. */
static gboolean take_remote_transport(CgPeerConn *conn, const CgSdpMedia *m, GError **error)
{
    g_autoptr(GError) local = NULL;
    if (!cg_ice_agent_set_remote_credentials(conn->ice, m->ice_ufrag, m->ice_pwd, &local)) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP, "%s", local->message);
        return FALSE;
    }
    conn->described = TRUE;
    for (guint i = 0; m->candidates[i]; i++)
        if (!add_candidate(conn, m->candidates[i], error))
            return FALSE;
    for (guint i = 0; i < conn->early_candidates->len; i++)
        if (!add_candidate(conn, g_ptr_array_index(conn->early_candidates, i), error))
            return FALSE;
    g_ptr_array_set_size(conn->early_candidates, 0);
    if (m->end_of_candidates || conn->early_end)
        cg_ice_agent_remote_end_of_candidates(conn->ice);
    return TRUE;
}

static const CgSdpMedia *first_usable(const CgSdp *sdp)
{
    for (guint i = 0; i < sdp->n_media; i++)
        if (cg_sdp_media_usable(&sdp->media[i]))
            return &sdp->media[i];
    return NULL;
}

static void local_description(CgPeerConn *conn, CgSdpLocal *local, CgSdpFingerprint *fp)
{
    fp->hash_func = (char *)"sha-256";
    fp->value = (char *)cg_dtls_identity_fingerprint(conn->identity);
    memset(local, 0, sizeof *local);
    cg_ice_agent_local_credentials(conn->ice, &local->ice_ufrag, &local->ice_pwd);
    local->fingerprint = fp;
    local->session_id = g_random_int() | ((guint64)g_random_int() << 31);
    local->session_version = 1;
}

char *cg_peer_conn_answer(CgPeerConn *conn, const CgSdp *offer, GError **error)
{
    g_return_val_if_fail(conn && offer && conn->kind == CG_PEER_CONN_PUBLISH, NULL);
    if (conn->described) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP, "the offer was already taken");
        return NULL;
    }
    const CgSdpMedia *m = first_usable(offer);
    if (!m) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP, "nothing usable in the offer");
        return NULL;
    }
    CgSdpLocal local;
    CgSdpFingerprint fp;
    local_description(conn, &local, &fp);
    char *answer = cg_sdp_build_answer(offer, &local, error);
    if (!answer)
        return NULL;
    /* cg_sdp_build_answer chose passive unless the offer said passive. */
    CgDtlsRole role = m->setup == CG_SDP_SETUP_PASSIVE ? CG_DTLS_ROLE_CLIENT : CG_DTLS_ROLE_SERVER;
    if (!take_remote_transport(conn, m, error) ||
        !dtls_setup(conn, &offer->fingerprint, role, error)) {
        g_free(answer);
        return NULL;
    }
    return answer;
}

/* The DTLS association outlives an ICE restart: the peer must show the
 * same certificate as before. */
static gboolean same_fingerprint(CgPeerConn *conn, const CgSdpFingerprint *fp, GError **error)
{
    if (conn->remote_fp.value && g_strcmp0(fp->hash_func, conn->remote_fp.hash_func) == 0 &&
        g_ascii_strcasecmp(fp->value ? fp->value : "", conn->remote_fp.value) == 0)
        return TRUE;
    g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                "the a=fingerprint changed: a new DTLS association needs a new connection");
    return FALSE;
}

static gboolean restart_ice(CgPeerConn *conn, GError **error)
{
    g_autoptr(GError) local = NULL;
    if (!conn->dtls || !cg_ice_agent_restart(conn->ice, &local)) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED, "ICE restart refused: %s",
                    local ? local->message : "the connection was never negotiated");
        return FALSE;
    }
    conn->described = FALSE; /* remote credentials and candidates: anew */
    conn->early_end = FALSE;
    g_ptr_array_set_size(conn->early_candidates, 0);
    g_info("%s ICE restart", conn->tag);
    return TRUE;
}

/* A later answer of ours: the offer's transport, our DTLS role as it was. */
static char *answer_again(CgPeerConn *conn, const CgSdp *offer, gboolean restart, GError **error)
{
    g_return_val_if_fail(conn && offer && conn->kind == CG_PEER_CONN_PUBLISH, NULL);
    const CgSdpMedia *m = first_usable(offer);
    if (!m) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP, "nothing usable in the offer");
        return NULL;
    }
    if (!same_fingerprint(conn, &offer->fingerprint, error) ||
        (restart && !restart_ice(conn, error)))
        return NULL;
    if (!restart)
        conn->described = FALSE; /* the same credentials, set again */
    CgSdpLocal local;
    CgSdpFingerprint fp;
    local_description(conn, &local, &fp);
    /* the DTLS role stays what it was */
    local.setup = conn->role == CG_DTLS_ROLE_SERVER ? CG_SDP_SETUP_PASSIVE : CG_SDP_SETUP_ACTIVE;
    char *answer = cg_sdp_build_answer(offer, &local, error);
    if (answer && !take_remote_transport(conn, m, error))
        g_clear_pointer(&answer, g_free);
    return answer;
}

char *cg_peer_conn_restart_answer(CgPeerConn *conn, const CgSdp *offer, GError **error)
{
    return answer_again(conn, offer, TRUE, error);
}

char *cg_peer_conn_renegotiate_answer(CgPeerConn *conn, const CgSdp *offer, GError **error)
{
    return answer_again(conn, offer, FALSE, error);
}

static char *offer_again(CgPeerConn *conn, const CgSdp *publisher, const CgSdpRelay *relay,
                         gboolean restart, GError **error)
{
    g_return_val_if_fail(conn && publisher && relay && conn->kind == CG_PEER_CONN_SUBSCRIBE, NULL);
    if (!conn->dtls) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED,
                    "the connection was never negotiated");
        return NULL;
    }
    if (restart && !restart_ice(conn, error))
        return NULL;
    if (!restart)
        conn->described = FALSE; /* the answer sets the same credentials again */
    g_clear_pointer(&conn->own_offer, cg_sdp_free);
    return cg_peer_conn_offer(conn, publisher, relay, error);
}

char *cg_peer_conn_restart_offer(CgPeerConn *conn, const CgSdp *publisher, const CgSdpRelay *relay,
                                 GError **error)
{
    return offer_again(conn, publisher, relay, TRUE, error);
}

char *cg_peer_conn_renegotiate_offer(CgPeerConn *conn, const CgSdp *publisher,
                                     const CgSdpRelay *relay, GError **error)
{
    return offer_again(conn, publisher, relay, FALSE, error);
}

char *cg_peer_conn_offer(CgPeerConn *conn, const CgSdp *publisher, const CgSdpRelay *relay,
                         GError **error)
{
    g_return_val_if_fail(conn && publisher && relay && conn->kind == CG_PEER_CONN_SUBSCRIBE, NULL);
    g_return_val_if_fail(conn->own_offer == NULL, NULL);
    CgSdpLocal local;
    CgSdpFingerprint fp;
    local_description(conn, &local, &fp);
    char *offer = cg_sdp_build_sub_offer(publisher, &local, relay, error);
    if (!offer)
        return NULL;
    conn->own_offer = cg_sdp_parse(offer, strlen(offer), error);
    if (!conn->own_offer)
        g_clear_pointer(&offer, g_free);
    return offer;
}

gboolean cg_peer_conn_accept_answer(CgPeerConn *conn, const CgSdp *answer, CgSdpAccepted *accepted,
                                    GError **error)
{
    g_return_val_if_fail(conn && answer && conn->kind == CG_PEER_CONN_SUBSCRIBE, FALSE);
    if (!conn->own_offer || conn->described) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                    "no offer of ours is waiting for an answer");
        return FALSE;
    }
    if (!cg_sdp_check_answer(conn->own_offer, answer, accepted, error))
        return FALSE;
    const CgSdpMedia *m = first_usable(answer);
    if (!m) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP, "nothing usable in the answer");
        return FALSE;
    }
    if (conn->dtls) /* the answer to an ICE restart offer */
        return same_fingerprint(conn, &answer->fingerprint, error) &&
               take_remote_transport(conn, m, error);
    /* check_answer made sure the role completes our actpass. */
    CgDtlsRole role = m->setup == CG_SDP_SETUP_ACTIVE ? CG_DTLS_ROLE_SERVER : CG_DTLS_ROLE_CLIENT;
    return take_remote_transport(conn, m, error) &&
           dtls_setup(conn, &answer->fingerprint, role, error);
}

gboolean cg_peer_conn_add_remote_candidate(CgPeerConn *conn, const char *candidate, GError **error)
{
    g_return_val_if_fail(conn != NULL, FALSE);
    if (!candidate || !*candidate) {
        if (conn->described)
            cg_ice_agent_remote_end_of_candidates(conn->ice);
        else
            conn->early_end = TRUE;
        return TRUE;
    }
    if (conn->described)
        return add_candidate(conn, candidate, error);
    if (conn->early_candidates->len >= CG_MEDIA_MAX_REMOTE_CANDIDATES ||
        strnlen(candidate, CG_MEDIA_MAX_CANDIDATE_BYTES + 1) > CG_MEDIA_MAX_CANDIDATE_BYTES) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_LIMIT,
                    "more than %u candidates, or one over %u bytes", CG_MEDIA_MAX_REMOTE_CANDIDATES,
                    CG_MEDIA_MAX_CANDIDATE_BYTES);
        return FALSE;
    }
    g_ptr_array_add(conn->early_candidates, g_strdup(candidate));
    return TRUE;
}

/* ---- sending ------------------------------------------------------------ */

static gboolean send_protected(CgPeerConn *conn, guint8 *packet, gsize len, gsize capacity,
                               gboolean rtcp)
{
    gsize n = 0;
    if (!conn->srtp_out || conn->dead || len + CG_PEER_CONN_SEND_OVERHEAD > capacity)
        return FALSE;
    gboolean ok = rtcp ? cg_srtcp_protect(conn->srtp_out, packet, len, capacity, &n, NULL)
                       : cg_srtp_protect(conn->srtp_out, packet, len, capacity, &n, NULL);
    if (!ok || !cg_ice_agent_send(conn->ice, packet, n))
        return FALSE;
    conn->counters.bytes_out += n;
    if (rtcp)
        conn->counters.rtcp_out++;
    else
        conn->counters.rtp_out++;
    return TRUE;
}

gboolean cg_peer_conn_send_rtp(CgPeerConn *conn, guint8 *packet, gsize len, gsize capacity)
{
    return send_protected(conn, packet, len, capacity, FALSE);
}

gboolean cg_peer_conn_send_rtcp(CgPeerConn *conn, guint8 *packet, gsize len, gsize capacity)
{
    return send_protected(conn, packet, len, capacity, TRUE);
}

/* ---- state -------------------------------------------------------------- */

const CgSdp *cg_peer_conn_own_offer(const CgPeerConn *conn)
{
    return conn ? conn->own_offer : NULL;
}

gboolean cg_peer_conn_is_up(const CgPeerConn *conn)
{
    return conn && conn->srtp_out && !conn->dead &&
           cg_ice_agent_get_state(conn->ice) == CG_ICE_STATE_CONNECTED;
}

gint64 cg_peer_conn_last_authenticated_us(const CgPeerConn *conn)
{
    return conn ? conn->last_auth_us : 0;
}

void cg_peer_conn_counters(const CgPeerConn *conn, CgPeerConnCounters *out)
{
    g_return_if_fail(conn && out);
    *out = conn->counters;
}

/* ---- lifecycle ---------------------------------------------------------- */

CgPeerConn *cg_peer_conn_new(const CgPeerConnConfig *config, CgPeerConnKind kind,
                             const CgPeerConnCallbacks *cb, gpointer user, GError **error)
{
    g_return_val_if_fail(config && config->ice && config->identity, NULL);
    g_return_val_if_fail(cb && cb->local_candidate && cb->failed, NULL);
    CgPeerConn *conn = g_new0(CgPeerConn, 1);
    conn->kind = kind;
    conn->tag = g_strdup(config->log_tag ? config->log_tag : "[conn]");
    conn->ctx = config->context ? config->context : g_main_context_default();
    g_main_context_ref(conn->ctx);
    conn->cb = *cb;
    conn->user = user;
    conn->identity = cg_dtls_identity_ref(config->identity);
    conn->early_candidates = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) local = NULL;
    /* RFC 8445: the offerer controls; consultd offers subscribe connections. */
    conn->ice = cg_ice_agent_new(config->ice, kind == CG_PEER_CONN_SUBSCRIBE, conn->ctx,
                                 &ice_callbacks, conn, &local);
    if (conn->ice) {
        g_autofree char *ice_tag = g_strconcat(conn->tag, " ice", NULL);
        cg_ice_agent_set_log_tag(conn->ice, ice_tag);
    }
    if (!conn->ice || !cg_ice_agent_gather(conn->ice, &local)) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED, "%s", local->message);
        cg_peer_conn_free(conn);
        return NULL;
    }
    return conn;
}

void cg_peer_conn_free(CgPeerConn *conn)
{
    if (!conn)
        return;
    if (conn->dtls_timer) {
        g_source_destroy(conn->dtls_timer);
        g_source_unref(conn->dtls_timer);
    }
    if (conn->dtls && !conn->dead)
        cg_dtls_transport_close(conn->dtls); /* close_notify goes out on ICE */
    cg_dtls_transport_free(conn->dtls);
    cg_ice_agent_free(conn->ice);
    cg_srtp_free(conn->srtp_out);
    cg_srtp_free(conn->srtp_in);
    cg_sdp_free(conn->own_offer);
    cg_sdp_fingerprint_clear(&conn->remote_fp);
    g_ptr_array_unref(conn->early_candidates);
    cg_dtls_identity_unref(conn->identity);
    g_main_context_unref(conn->ctx);
    g_free(conn->tag);
    g_free(conn);
}
