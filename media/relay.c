/* relay.c — the relay's endpoints, connections and negotiation
 * (relay-private.h). The packet paths are forward.c.
 */
#include "relay-private.h"

#include <string.h>

static guint64 *id_dup(guint64 id)
{
    return g_memdup2(&id, sizeof id);
}

CgEndpoint *cg_relay_lookup(CgMedia *relay, CgEndpointId id)
{
    return g_hash_table_lookup(relay->endpoints, &id);
}

/* ---- the clock ---------------------------------------------------------- */

static gint64 monotonic_now(gpointer user)
{
    (void)user;
    return g_get_monotonic_time();
}

void cg_media_set_clock(CgMedia *relay, gint64 (*now)(gpointer user), gpointer user)
{
    relay->now = now ? now : monotonic_now;
    relay->now_user = now ? user : NULL;
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, relay->endpoints);
    while (g_hash_table_iter_next(&it, NULL, &value))
        ((CgEndpoint *)value)->last_alive = 0; /* silence restarts on the new clock */
}

gint64 cg_relay_now(const CgMedia *relay)
{
    return relay->now(relay->now_user);
}

/* ---- failures (deferred, once per endpoint) ----------------------------- */

typedef struct {
    CgEndpointId ep;
    CgMediaError code;
    char *message;
} CgFailure;

static gboolean deliver_failures(gpointer user)
{
    CgMedia *relay = user;
    g_clear_pointer(&relay->fail_idle, g_source_unref);
    CgFailure *f;
    while ((f = g_queue_pop_head(&relay->pending_failures))) {
        /* the handler may remove the endpoint, or others: look up each time */
        if (cg_relay_lookup(relay, f->ep) && relay->events.endpoint_failed)
            relay->events.endpoint_failed(relay->user, f->ep, f->code, f->message);
        g_free(f->message);
        g_free(f);
    }
    return G_SOURCE_REMOVE;
}

void cg_relay_fail(CgMedia *relay, CgEndpoint *ep, CgMediaError code, const char *message)
{
    if (ep->failed)
        return;
    ep->failed = TRUE;
    g_message("%s media failed: %s", ep->tag, message);
    CgFailure *f = g_new0(CgFailure, 1);
    f->ep = ep->id;
    f->code = code;
    f->message = g_strdup(message);
    g_queue_push_tail(&relay->pending_failures, f);
    if (!relay->fail_idle) {
        relay->fail_idle = g_idle_source_new();
        g_source_set_callback(relay->fail_idle, deliver_failures, relay, NULL);
        g_source_attach(relay->fail_idle, relay->ctx);
    }
}

static void failure_free(gpointer p)
{
    CgFailure *f = p;
    g_free(f->message);
    g_free(f);
}

/* ---- connections -------------------------------------------------------- */

static void pc_emit_candidate(CgPc *pc, const char *candidate)
{
    CgMedia *relay = pc->relay;
    if (relay->events.candidate)
        relay->events.candidate(relay->user, pc->ep->id, pc->name, 0, candidate);
}

static void on_local_candidate(gpointer user, const char *candidate)
{
    CgPc *pc = user;
    if (pc->announced)
        pc_emit_candidate(pc, candidate);
    else /* candidates before our description would be refused by the peer */
        g_ptr_array_add(pc->held_candidates, g_strdup(candidate));
}

/* Sends our description, then the candidates held back for it. From an idle:
 * events never come from inside a cg_media_*() call (media.h), so a caller
 * may route before it has set up what receives the offer. */
static gboolean announce(gpointer user)
{
    CgPc *pc = user;
    CgMedia *relay = pc->relay;
    g_clear_pointer(&pc->announce, g_source_unref);
    pc->announced = TRUE;
    g_autofree char *type = g_steal_pointer(&pc->description_type);
    g_autofree char *sdp = g_steal_pointer(&pc->description);
    /* the events may remove endpoints: keep only what identifies @pc */
    CgEndpointId ep = pc->ep->id;
    g_autofree char *name = g_strdup(pc->name);
    g_autoptr(GPtrArray) held = g_steal_pointer(&pc->held_candidates);
    pc->held_candidates = g_ptr_array_new_with_free_func(g_free);
    if (relay->events.description)
        relay->events.description(relay->user, ep, name, pc->publisher, type, sdp);
    for (guint i = 0; i < held->len && relay->events.candidate; i++)
        if (cg_relay_lookup(relay, ep)) /* still there */
            relay->events.candidate(relay->user, ep, name, 0, g_ptr_array_index(held, i));
    return G_SOURCE_REMOVE;
}

void cg_relay_pc_announce(CgPc *pc, const char *type, const char *sdp)
{
    if (pc->announce) { /* superseded before it went out */
        g_source_destroy(pc->announce);
        g_clear_pointer(&pc->announce, g_source_unref);
        g_clear_pointer(&pc->description_type, g_free);
        g_clear_pointer(&pc->description, g_free);
    }
    pc->announced = FALSE; /* hold the candidates until it is out */
    pc->description_type = g_strdup(type);
    pc->description = g_strdup(sdp);
    pc->announce = g_idle_source_new();
    g_source_set_callback(pc->announce, announce, pc, NULL);
    g_source_attach(pc->announce, pc->relay->ctx);
}

static void on_connected(gpointer user)
{
    CgPc *pc = user;
    pc->up = TRUE;
    if (pc->publisher) {
        CgEndpoint *pub = cg_relay_lookup(pc->relay, pc->publisher);
        if (pub)
            cg_forward_ask_keyframe(pub); /* the newcomer's first picture */
    }
}

static void on_failed(gpointer user, CgMediaError code, const char *message)
{
    CgPc *pc = user;
    pc->up = FALSE;
    if (code == CG_MEDIA_ERROR_FINGERPRINT_MISMATCH)
        pc->ep->bad = TRUE; /* nothing more either way, at once */
    g_autofree char *msg = g_strdup_printf("%s: %s", pc->name, message);
    cg_relay_fail(pc->relay, pc->ep, code, msg);
}

static void ignore_rtp(gpointer user, guint8 *packet, gsize len, gsize capacity)
{
    (void)user;
    (void)packet;
    (void)len;
    (void)capacity; /* a subscriber sends no media on a subscribe connection */
}

static const CgPeerConnCallbacks pub_callbacks = {
    .local_candidate = on_local_candidate,
    .connected = on_connected,
    .failed = on_failed,
    .rtp = cg_forward_pub_rtp,
    .rtcp = cg_forward_pub_rtcp,
};

static const CgPeerConnCallbacks sub_callbacks = {
    .local_candidate = on_local_candidate,
    .connected = on_connected,
    .failed = on_failed,
    .rtp = ignore_rtp,
    .rtcp = cg_forward_sub_rtcp,
};

static const CgPeerConnCallbacks mix_callbacks = {
    .local_candidate = on_local_candidate,
    .connected = on_connected,
    .failed = on_failed,
    .rtp = ignore_rtp,
    .rtcp = cg_mix_route_slot_rtcp,
};

void cg_relay_pc_free(gpointer p)
{
    CgPc *pc = p;
    if (!pc)
        return;
    if (pc->mix_slot && pc->ep->mix_pc == pc)
        pc->ep->mix_pc = NULL;
    if (pc->publisher) {
        CgEndpoint *pub = cg_relay_lookup(pc->relay, pc->publisher);
        if (pub)
            g_ptr_array_remove_fast(pub->fanout, pc);
    }
    if (pc->announce) {
        g_source_destroy(pc->announce);
        g_source_unref(pc->announce);
    }
    g_free(pc->description_type);
    g_free(pc->description);
    g_free(pc->screen_mid);
    cg_peer_conn_free(pc->conn);
    g_ptr_array_unref(pc->held_candidates);
    g_free(pc->name);
    g_free(pc);
}

CgPc *cg_relay_pc_new(CgEndpoint *ep, const char *name, CgEndpointId publisher, GError **error)
{
    CgMedia *relay = ep->relay;
    CgPc *pc = g_new0(CgPc, 1);
    pc->relay = relay;
    pc->ep = ep;
    pc->name = g_strdup(name);
    pc->publisher = publisher;
    pc->held_candidates = g_ptr_array_new_with_free_func(g_free);
    pc->rtcp_ssrc = g_random_int();
    g_autofree char *tag = g_strdup_printf("%s %s", ep->tag, name);
    CgPeerConnConfig config = {
        .ice = &relay->ice,
        .identity = relay->identity,
        .context = relay->ctx,
        .log_tag = tag,
    };
    pc->mix_slot = g_strcmp0(name, CG_MEDIA_MIX_PC) == 0;
    gboolean subscribe = publisher || pc->mix_slot;
    pc->conn = cg_peer_conn_new(&config, subscribe ? CG_PEER_CONN_SUBSCRIBE : CG_PEER_CONN_PUBLISH,
                                pc->mix_slot ? &mix_callbacks
                                : publisher  ? &sub_callbacks
                                             : &pub_callbacks,
                                pc, error);
    if (!pc->conn) {
        cg_relay_pc_free(pc);
        return NULL;
    }
    return pc;
}

/* ---- endpoints ---------------------------------------------------------- */

static void endpoint_free(gpointer p)
{
    CgEndpoint *ep = p;
    g_hash_table_unref(ep->subs);
    cg_relay_pc_free(ep->publish);
    g_hash_table_unref(ep->subscribers);
    g_ptr_array_unref(ep->fanout);
    g_clear_pointer(&ep->feeds, g_ptr_array_unref); /* emptied by cg_mix_route_endpoint_gone */
    cg_sdp_free(ep->mix_source);
    cg_sdp_free(ep->offer);
    g_free(ep->tag);
    g_free(ep);
}

gboolean cg_media_endpoint_add(CgMedia *relay, CgEndpointId id, const char *log_tag, GError **error)
{
    if (id == 0 || cg_relay_lookup(relay, id)) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_UNKNOWN_ENDPOINT,
                    "endpoint %" G_GUINT64_FORMAT " is invalid or exists", id);
        return FALSE;
    }
    CgEndpoint *ep = g_new0(CgEndpoint, 1);
    ep->relay = relay;
    ep->id = id;
    ep->tag = log_tag ? g_strdup(log_tag) : g_strdup_printf("[ep|%" G_GUINT64_FORMAT "]", id);
    ep->subs = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, cg_relay_pc_free);
    ep->subscribers = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    ep->fanout = g_ptr_array_new();
    ep->publish = cg_relay_pc_new(ep, "pub", 0, error);
    if (!ep->publish) {
        endpoint_free(ep);
        return FALSE;
    }
    g_hash_table_insert(relay->endpoints, id_dup(id), ep);
    return TRUE;
}

typedef struct {
    CgEndpointId ep;
    char *pc;
} CgClosed;

void cg_media_endpoint_remove(CgMedia *relay, CgEndpointId id)
{
    CgEndpoint *ep = cg_relay_lookup(relay, id);
    if (!ep)
        return;
    cg_mix_route_endpoint_gone(ep);
    GArray *closed = g_array_new(FALSE, FALSE, sizeof(CgClosed));
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, relay->endpoints);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        CgEndpoint *other = value;
        g_hash_table_remove(other->subscribers, &id);
        CgPc *sub = other == ep ? NULL : g_hash_table_lookup(other->subs, &id);
        if (!sub)
            continue;
        CgClosed c = {other->id, g_strdup(sub->name)};
        g_array_append_val(closed, c);
        g_hash_table_remove(other->subs, &id);
    }
    g_hash_table_remove(relay->endpoints, &id);
    for (guint i = 0; i < closed->len; i++) { /* events last: a handler may re-enter */
        CgClosed *c = &g_array_index(closed, CgClosed, i);
        if (relay->events.pc_closed)
            relay->events.pc_closed(relay->user, c->ep, c->pc);
        g_free(c->pc);
    }
    g_array_unref(closed);
}

CgEndpoint *cg_relay_endpoint_or_error(CgMedia *relay, CgEndpointId id, GError **error)
{
    CgEndpoint *ep = cg_relay_lookup(relay, id);
    if (!ep)
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_UNKNOWN_ENDPOINT,
                    "no endpoint %" G_GUINT64_FORMAT, id);
    return ep;
}

static CgPc *find_pc(CgMedia *relay, CgEndpointId id, const char *name, GError **error)
{
    CgEndpoint *ep = cg_relay_endpoint_or_error(relay, id, error);
    if (!ep)
        return NULL;
    if (g_strcmp0(name, "pub") == 0)
        return ep->publish;
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, ep->subs);
    while (g_hash_table_iter_next(&it, NULL, &value))
        if (g_strcmp0(((CgPc *)value)->name, name) == 0)
            return value;
    g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_UNKNOWN_PC, "no connection named %s",
                name ? name : "(null)");
    return NULL;
}

/* ---- negotiation -------------------------------------------------------- */

/* After an offer of ours on @sub: remember its screen m-line, which later
 * offers must keep. */
static void note_screen_slot(CgPc *sub)
{
    const CgSdp *offer = cg_peer_conn_own_offer(sub->conn);
    if (!offer || sub->screen_slot)
        return;
    guint videos = 0;
    for (guint i = 0; i < offer->n_media; i++)
        if (offer->media[i].kind == CG_SDP_KIND_VIDEO && ++videos == 2) {
            sub->screen_slot = TRUE;
            sub->screen_mid = g_strdup(offer->media[i].mid);
        }
}

/* The publisher's streams from its (new) offer; a stream whose SSRC did not
 * change keeps its statistics and key frame state. */
static void take_streams(CgEndpoint *ep)
{
    for (guint k = 0; k < CG_N_KINDS; k++) {
        const CgSdpMedia *m = k == CG_KIND_AUDIO ? cg_sdp_sending(ep->offer, CG_SDP_KIND_AUDIO, 0)
                                                 : cg_sdp_sending(ep->offer, CG_SDP_KIND_VIDEO,
                                                                  k == CG_KIND_VIDEO ? 0 : 1);
        CgStream *s = &ep->streams[k];
        guint32 ssrc = m ? (m->fid_media ? m->fid_media : m->n_ssrcs ? m->ssrcs[0].ssrc : 0) : 0;
        if (!m || !s->present || !ssrc || ssrc != s->ssrc) {
            memset(s, 0, sizeof *s);
            s->rtx_pt = -1;
        }
        if (!m)
            continue;
        s->present = TRUE;
        s->pt = (guint8)m->codec.pt;
        s->rtx_pt = m->codec.rtx_pt;
        s->clock_rate = m->codec.clock_rate ? m->codec.clock_rate : 90000;
        s->feedback = m->codec.feedback;
        s->audio_level_ext =
            k == CG_KIND_AUDIO ? cg_sdp_media_extmap_id(m, CG_SDP_EXT_AUDIO_LEVEL) : 0;
        s->ssrc = ssrc;
        s->ssrc_signalled = ssrc != 0;
        s->rtx_ssrc = m->fid_media ? m->fid_rtx : 0;
    }
}

static void offer_sub(CgMedia *relay, CgEndpoint *pub, CgEndpoint *sub);

/* A new offer of ours on @sub: its half of an ICE restart, or the
 * publisher's screen share started or stopped. Perfect negotiation on our
 * side: while an offer of ours awaits its answer, the change waits, and the
 * answer brings one fresh offer of the state then (never two offers out). A
 * failure is charged to whoever caused it: the publisher if its media cannot
 * be relayed, the subscriber if its own connection refuses. */
static void reoffer_sub(CgMedia *relay, CgPc *sub, gboolean restart)
{
    CgEndpoint *pub = sub->mix_slot ? NULL : cg_relay_lookup(relay, sub->publisher);
    if (!sub->mix_slot && (!pub || !pub->offer))
        return;
    if (!sub->described) {
        /* a connection that was never answered needs no restart: its answer
         * starts ICE afresh from where the endpoint is now */
        if (restart && !sub->answered)
            return;
        g_info("%s %s: a new offer waits for the answer to the last one", sub->ep->tag, sub->name);
        sub->reoffer_pending = TRUE;
        sub->restart_pending |= restart;
        return;
    }
    sub->reoffer_pending = sub->restart_pending = FALSE;
    g_autoptr(GError) error = NULL;
    CgOfferNames names;
    const CgSdp *source;
    if (sub->mix_slot) { /* what consultd's mixes send: nothing to check */
        source = sub->ep->mix_source;
        cg_offer_mix_names(&names);
    } else {
        if (!cg_offer_relayable(pub, pub->offer, sub, &error)) {
            cg_relay_fail(relay, pub, CG_MEDIA_ERROR_FAILED, error->message);
            return;
        }
        source = pub->offer;
        cg_offer_names(pub, pub->offer, sub, &names);
    }
    g_autofree char *offer =
        restart ? cg_peer_conn_restart_offer(sub->conn, source, &names.relay, &error)
                : cg_peer_conn_renegotiate_offer(sub->conn, source, &names.relay, &error);
    if (!offer) {
        cg_relay_fail(relay, sub->ep, CG_MEDIA_ERROR_FAILED, error->message);
        return;
    }
    note_screen_slot(sub);
    sub->described = FALSE; /* its answer is awaited again */
    cg_relay_pc_announce(sub, "offer", offer);
}

/* A new offer on a negotiated "pub" (checked by cg_offer_check()): new
 * ICE credentials restart every connection of the endpoint (same media); the
 * same credentials with a screen share started or stopped renegotiate the
 * publish connection and every subscribe connection carrying it. */
static gboolean take_publish_reoffer(CgPc *pc, CgSdp *offer, gboolean restart, GError **error)
{
    CgEndpoint *ep = pc->ep;
    gboolean screen_before = cg_sdp_sending(ep->offer, CG_SDP_KIND_VIDEO, 1) != NULL;
    gboolean screen_now = cg_sdp_sending(offer, CG_SDP_KIND_VIDEO, 1) != NULL;
    g_autofree char *answer = restart ? cg_peer_conn_restart_answer(pc->conn, offer, error)
                                      : cg_peer_conn_renegotiate_answer(pc->conn, offer, error);
    if (!answer)
        return FALSE;
    if (restart)
        g_message("%s ICE restart: the endpoint's connections reconnect on the same seat", ep->tag);
    else if (screen_before != screen_now)
        g_info("%s screen share %s", ep->tag, screen_now ? "started" : "stopped");
    cg_sdp_free(ep->offer);
    ep->offer = offer;
    take_streams(ep);
    cg_mix_route_published(ep);
    cg_relay_pc_announce(pc, "answer", answer);
    if (restart) {
        GHashTableIter it;
        gpointer value;
        g_hash_table_iter_init(&it, ep->subs);
        while (g_hash_table_iter_next(&it, NULL, &value))
            reoffer_sub(pc->relay, value, TRUE);
    }
    if (screen_before != screen_now) {
        /* a copy: a failure may remove subscribers while we go */
        g_autoptr(GPtrArray) carrying = g_ptr_array_copy(ep->fanout, NULL, NULL);
        for (guint i = 0; i < carrying->len; i++)
            reoffer_sub(pc->relay, g_ptr_array_index(carrying, i), FALSE);
        if (screen_now)
            cg_forward_ask_keyframe(ep);
    }
    return TRUE;
}

static gboolean take_publish_offer(CgPc *pc, const char *sdp, GError **error)
{
    CgEndpoint *ep = pc->ep;
    g_autoptr(CgSdp) offer = cg_sdp_parse(sdp, strlen(sdp), error);
    gboolean restart = FALSE;
    if (!offer || !cg_offer_check(ep, offer, &restart, error))
        return FALSE; /* nothing changed: the endpoint rolls back */
    if (ep->offer) {
        if (!take_publish_reoffer(pc, offer, restart, error))
            return FALSE;
        offer = NULL; /* taken */
        return TRUE;
    }
    g_autofree char *answer = cg_peer_conn_answer(pc->conn, offer, error);
    if (!answer)
        return FALSE;
    ep->offer = g_steal_pointer(&offer);
    take_streams(ep);
    cg_mix_route_published(ep);
    pc->described = TRUE;
    CgMedia *relay = pc->relay;
    cg_relay_pc_announce(pc, "answer", answer);
    /* offer its media to everyone it is routed to */
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(CgEndpointId));
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, ep->subscribers);
    while (g_hash_table_iter_next(&it, &key, NULL))
        g_array_append_val(ids, *(guint64 *)key);
    for (guint i = 0; i < ids->len; i++) {
        CgEndpoint *sub = cg_relay_lookup(relay, g_array_index(ids, CgEndpointId, i));
        if (sub && cg_relay_lookup(relay, ep->id))
            offer_sub(relay, ep, sub);
    }
    g_array_unref(ids);
    return TRUE;
}

static gboolean take_subscribe_answer(CgPc *pc, const char *sdp, GError **error)
{
    if (pc->described) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                    "%s is already negotiated (no offer of ours awaits an answer)", pc->name);
        return FALSE;
    }
    g_autoptr(CgSdp) answer = cg_sdp_parse(sdp, strlen(sdp), error);
    CgSdpAccepted accepted[CG_MEDIA_MAX_MLINES];
    if (!answer || !cg_peer_conn_accept_answer(pc->conn, answer, accepted, error))
        return FALSE;
    /* our offer's m-lines: the microphone, the camera, then the screen */
    const CgSdp *offer = cg_peer_conn_own_offer(pc->conn);
    guint videos = 0;
    memset(pc->accepts, 0, sizeof pc->accepts);
    memset(pc->accepts_rtx, 0, sizeof pc->accepts_rtx);
    for (guint i = 0; i < offer->n_media; i++) {
        guint k = offer->media[i].kind == CG_SDP_KIND_AUDIO ? CG_KIND_AUDIO
                  : videos++ == 0                           ? CG_KIND_VIDEO
                                                            : CG_KIND_SCREEN;
        pc->accepts[k] = accepted[i].active;
        pc->accepts_rtx[k] = accepted[i].active && accepted[i].rtx_pt >= 0;
    }
    pc->described = pc->answered = TRUE;
    if (pc->reoffer_pending) /* what changed meanwhile, as one fresh offer */
        reoffer_sub(pc->relay, pc, pc->restart_pending);
    return TRUE;
}

gboolean cg_media_remote_description(CgMedia *relay, CgEndpointId id, const char *name,
                                     const char *type, const char *sdp, GError **error)
{
    CgPc *pc = find_pc(relay, id, name, error);
    if (!pc)
        return FALSE;
    gboolean is_pub = pc == pc->ep->publish;
    if (g_strcmp0(type, is_pub ? "offer" : "answer") != 0 || !sdp) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP, "%s takes an %s, not \"%s\"",
                    pc->name, is_pub ? "offer" : "answer", type ? type : "(null)");
        return FALSE;
    }
    return is_pub ? take_publish_offer(pc, sdp, error) : take_subscribe_answer(pc, sdp, error);
}

gboolean cg_media_remote_candidate(CgMedia *relay, CgEndpointId id, const char *name,
                                   guint mline_index, const char *candidate, GError **error)
{
    CgPc *pc = find_pc(relay, id, name, error);
    if (!pc)
        return FALSE;
    if (mline_index >= CG_MEDIA_MAX_MLINES) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_LIMIT, "m-line index %u out of range",
                    mline_index);
        return FALSE;
    }
    return cg_peer_conn_add_remote_candidate(pc->conn, candidate ? candidate : "", error);
}

/* ---- routes ------------------------------------------------------------- */

static void offer_sub(CgMedia *relay, CgEndpoint *pub, CgEndpoint *sub)
{
    if (g_hash_table_contains(sub->subs, &pub->id) || sub->failed || pub->failed)
        return;
    g_autofree char *name = g_strdup_printf("sub-%u", ++sub->next_sub);
    g_autoptr(GError) error = NULL;
    /* what the publisher sends is its own doing: if it cannot be relayed,
     * the publisher fails, never the subscriber */
    if (!cg_offer_relayable(pub, pub->offer, NULL, &error)) {
        g_message("%s cannot be relayed to %s: %s", pub->tag, sub->tag, error->message);
        cg_relay_fail(relay, pub, CG_MEDIA_ERROR_FAILED, error->message);
        return;
    }
    CgPc *pc = cg_relay_pc_new(sub, name, pub->id, &error);
    CgOfferNames names;
    cg_offer_names(pub, pub->offer, NULL, &names);
    g_autofree char *offer =
        pc ? cg_peer_conn_offer(pc->conn, pub->offer, &names.relay, &error) : NULL;
    if (!offer) { /* its own connection: no address, no port */
        g_message("%s cannot subscribe to %s: %s", sub->tag, pub->tag, error->message);
        cg_relay_pc_free(pc);
        cg_relay_fail(relay, sub, CG_MEDIA_ERROR_FAILED, "cannot subscribe");
        return;
    }
    note_screen_slot(pc);
    g_hash_table_insert(sub->subs, id_dup(pub->id), pc);
    g_ptr_array_add(pub->fanout, pc);
    cg_relay_pc_announce(pc, "offer", offer);
}

gboolean cg_media_route(CgMedia *relay, CgEndpointId publisher, CgEndpointId subscriber,
                        GError **error)
{
    CgEndpoint *pub = cg_relay_lookup(relay, publisher);
    CgEndpoint *sub = cg_relay_lookup(relay, subscriber);
    if (!pub || !sub || pub == sub) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_UNKNOWN_ENDPOINT,
                    "cannot route %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT, publisher,
                    subscriber);
        return FALSE;
    }
    if (!g_hash_table_contains(pub->subscribers, &subscriber))
        g_hash_table_add(pub->subscribers, id_dup(subscriber));
    if (pub->offer)
        offer_sub(relay, pub, sub);
    return TRUE;
}

/* Every CG_MEDIA_SPEECH_INTERVAL_MS; reports and liveness on every second
 * tick, statistics on every fourth. */
static gboolean on_tick(gpointer user)
{
    CgMedia *relay = user;
    guint tick = ++relay->ticks;
    cg_forward_speech(relay);
    if (tick % (CG_RELAY_REPORT_MS / CG_MEDIA_SPEECH_INTERVAL_MS) == 0) {
        cg_forward_reports(relay);
        cg_mix_route_reports(relay);
        cg_media_check_liveness(relay);
    }
    if (tick % (CG_MEDIA_STATS_INTERVAL_MS / CG_MEDIA_SPEECH_INTERVAL_MS) == 0)
        cg_forward_stats(relay);
    return G_SOURCE_CONTINUE;
}

/* ---- testing hooks ------------------------------------------------------ */

guint cg_media_connection_count(CgMedia *relay)
{
    guint n = 0;
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, relay->endpoints);
    while (g_hash_table_iter_next(&it, NULL, &value))
        n += 1 + g_hash_table_size(((CgEndpoint *)value)->subs);
    return n;
}

guint cg_media_keyframe_requests(CgMedia *relay, CgEndpointId publisher)
{
    CgEndpoint *ep = cg_relay_lookup(relay, publisher);
    return ep ? ep->keyframe_requests : 0;
}

/* ---- lifecycle ---------------------------------------------------------- */

G_DEFINE_QUARK(cg - media - error - quark, cg_media_error)

static gboolean check_config(const CgMediaConfig *config, GError **error)
{
    if (!config->ice_addresses || !config->ice_addresses[0]) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED, "no ICE address configured");
        return FALSE;
    }
    if (config->rtp_port_min > config->rtp_port_max || config->rtp_port_max > 65535) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED, "bad RTP port range");
        return FALSE;
    }
    return TRUE;
}

CgMedia *cg_media_new(const CgMediaConfig *config, const CgMediaEvents *events, gpointer user,
                      GError **error)
{
    g_return_val_if_fail(config != NULL && events != NULL, NULL);
    if (!check_config(config, error))
        return NULL;
    CgAddressPolicy *policy = cg_address_policy_new(config->allowed_remote_networks, error);
    if (!policy)
        return NULL;
    g_autoptr(GError) local = NULL;
    CgDtlsIdentity *identity = cg_dtls_identity_new(&local);
    if (!identity) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED, "DTLS identity: %s",
                    local->message);
        cg_address_policy_free(policy);
        return NULL;
    }
    CgMedia *relay = g_new0(CgMedia, 1);
    relay->ctx = g_main_context_ref_thread_default();
    relay->events = *events;
    relay->user = user;
    relay->identity = identity;
    relay->address_policy = policy;
    relay->ice_addresses = g_strdupv((char **)config->ice_addresses);
    relay->stun_server = g_strdup(config->stun_server);
    relay->ice.local_addresses = (const char *const *)relay->ice_addresses;
    relay->ice.port_min = config->rtp_port_min;
    relay->ice.port_max = config->rtp_port_max;
    relay->ice.stun_server = relay->stun_server;
    relay->ice.ice_tcp = config->ice_tcp;
    relay->ice.policy = policy;
    relay->endpoints = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, endpoint_free);
    relay->mixes = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    g_queue_init(&relay->pending_failures);
    cg_media_set_clock(relay, NULL, NULL);
    relay->report_timer = g_timeout_source_new(CG_MEDIA_SPEECH_INTERVAL_MS);
    g_source_set_callback(relay->report_timer, on_tick, relay, NULL);
    g_source_attach(relay->report_timer, relay->ctx);
    g_info("media: relay on libnice, DTLS and SRTP on OpenSSL");
    return relay;
}

static void destroy_source(GSource **source)
{
    if (*source) {
        g_source_destroy(*source);
        g_clear_pointer(source, g_source_unref);
    }
}

void cg_media_free(CgMedia *relay)
{
    if (!relay)
        return;
    destroy_source(&relay->report_timer);
    destroy_source(&relay->fail_idle);
    g_queue_clear_full(&relay->pending_failures, failure_free);
    cg_mix_route_free_all(relay); /* before the endpoints its mixers feed */
    g_hash_table_unref(relay->mixes);
    /* subscribe connections first, while every publisher is still there */
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, relay->endpoints);
    while (g_hash_table_iter_next(&it, NULL, &value))
        g_hash_table_remove_all(((CgEndpoint *)value)->subs);
    g_hash_table_unref(relay->endpoints);
    cg_dtls_identity_unref(relay->identity);
    cg_address_policy_free(relay->address_policy);
    g_strfreev(relay->ice_addresses);
    g_free(relay->stun_server);
    g_main_context_unref(relay->ctx);
    g_free(relay);
}
