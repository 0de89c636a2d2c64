/* media.c — CgMedia: endpoints, routes, the public API (see media.h and
 * media-private.h). Main context only, except cg_media_hop's callers.
 */
#include "media-private.h"
#include "media-testing.h"

#include <string.h>

GST_DEBUG_CATEGORY(cg_media_debug);
#define GST_CAT_DEFAULT cg_media_debug

G_DEFINE_QUARK(cg-media-error-quark, cg_media_error)

/* ---- alive token and hops ----------------------------------------------- */

CgMediaAlive *cg_media_alive_ref(CgMediaAlive *alive)
{
    g_atomic_ref_count_inc(&alive->ref);
    return alive;
}

void cg_media_alive_unref(CgMediaAlive *alive)
{
    if (alive && g_atomic_ref_count_dec(&alive->ref))
        g_free(alive);
}

typedef struct {
    CgMediaAlive *alive;
    guint64 serial;
    CgHopFunc fn;
    gpointer data;
    GDestroyNotify destroy;
} CgHop;

static gboolean hop_dispatch(gpointer p)
{
    CgHop *h = p;
    CgMedia *media = h->alive->media;
    CgConn *conn = media ? g_hash_table_lookup(media->conns, &h->serial) : NULL;
    if (conn)
        h->fn(conn, h->data);
    return G_SOURCE_REMOVE;
}

static void hop_free(gpointer p)
{
    CgHop *h = p;
    if (h->destroy && h->data)
        h->destroy(h->data);
    cg_media_alive_unref(h->alive);
    g_free(h);
}

void cg_media_hop(GMainContext *ctx, CgMediaAlive *alive, guint64 serial, CgHopFunc fn,
                  gpointer data, GDestroyNotify destroy)
{
    CgHop *h = g_new0(CgHop, 1);
    h->alive = cg_media_alive_ref(alive);
    h->serial = serial;
    h->fn = fn;
    h->data = data;
    h->destroy = destroy;
    GSource *src = g_idle_source_new();
    g_source_set_priority(src, G_PRIORITY_DEFAULT);
    g_source_set_callback(src, hop_dispatch, h, hop_free);
    g_source_attach(src, ctx);
    g_source_unref(src);
}

/* ---- endpoint failure (deferred, at most once) -------------------------- */

typedef struct {
    CgMediaAlive *alive;
    CgEndpointId ep;
    CgMediaError code;
    char *message;
} CgFail;

static gboolean fail_dispatch(gpointer p)
{
    CgFail *f = p;
    CgMedia *media = f->alive->media;
    CgEndpoint *ep = media ? cg_media_lookup(media, f->ep) : NULL;
    if (ep && !ep->failed) {
        ep->failed = TRUE;
        g_message("%s media failed: %s", ep->tag, f->message);
        if (media->events.endpoint_failed)
            media->events.endpoint_failed(media->user, f->ep, f->code, f->message);
    }
    return G_SOURCE_REMOVE;
}

static void fail_free(gpointer p)
{
    CgFail *f = p;
    cg_media_alive_unref(f->alive);
    g_free(f->message);
    g_free(f);
}

void cg_media_fail_endpoint(CgMedia *media, CgEndpointId ep, CgMediaError code,
                            const char *message)
{
    CgFail *f = g_new0(CgFail, 1);
    f->alive = cg_media_alive_ref(media->alive);
    f->ep = ep;
    f->code = code;
    f->message = g_strdup(message);
    GSource *src = g_idle_source_new();
    g_source_set_callback(src, fail_dispatch, f, fail_free);
    g_source_attach(src, media->ctx);
    g_source_unref(src);
}

/* ---- bus ---------------------------------------------------------------- */

/* Any thread. Errors and warnings are logged here; bus_drain discards every
 * message on the main context (an element failing inside a webrtcbin also moves its connection-state
 * to failed, which is what fails the endpoint). */
static GstBusSyncReply bus_sync(GstBus *bus, GstMessage *msg, gpointer user)
{
    (void)bus;
    (void)user;
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR ||
        GST_MESSAGE_TYPE(msg) == GST_MESSAGE_WARNING) {
        g_autoptr(GError) err = NULL;
        g_autofree char *dbg = NULL;
        if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR)
            gst_message_parse_error(msg, &err, &dbg);
        else
            gst_message_parse_warning(msg, &err, &dbg);
        g_message("pipeline %s from %s: %s", GST_MESSAGE_TYPE_NAME(msg),
                  GST_MESSAGE_SRC_NAME(msg), err ? err->message : "?");
        GST_DEBUG("%s", dbg ? dbg : "");
    }
    /* Passed on to bus_drain, not dropped here: with GST_BUS_DROP, webrtcbin
     * 1.22 in a pipeline is never finalized (measured: its ICE thread, socket
     * and eventfds stayed behind after every call). */
    return GST_BUS_PASS;
}

/* Main context: empties the bus (the watch unrefs each message). */
static gboolean bus_drain(GstBus *bus, GstMessage *msg, gpointer user)
{
    (void)bus;
    (void)msg;
    (void)user;
    return G_SOURCE_CONTINUE;
}

/* ---- endpoints ---------------------------------------------------------- */

CgEndpoint *cg_media_lookup(CgMedia *media, CgEndpointId id)
{
    return g_hash_table_lookup(media->endpoints, &id);
}

static void endpoint_free(gpointer p)
{
    CgEndpoint *ep = p;
    g_hash_table_unref(ep->subs); /* frees the sub conns */
    cg_conn_free(ep->pub);
    g_hash_table_unref(ep->subscribers);
    cg_endpoint_gate_unref(ep->gate);
    g_free(ep->tag);
    g_free(ep);
}

static guint64 *id_dup(guint64 id)
{
    return g_memdup2(&id, sizeof id);
}

gboolean cg_media_endpoint_add(CgMedia *media, CgEndpointId id, const char *log_tag,
                               GError **error)
{
    g_return_val_if_fail(media != NULL, FALSE);
    if (media->lean)
        return cg_lean_relay_endpoint_add(media->lean, id, log_tag, error);
    if (id == 0 || cg_media_lookup(media, id)) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_UNKNOWN_ENDPOINT,
                    "endpoint %" G_GUINT64_FORMAT " is invalid or exists", id);
        return FALSE;
    }
    CgEndpoint *ep = g_new0(CgEndpoint, 1);
    ep->media = media;
    ep->id = id;
    ep->tag = log_tag ? g_strdup(log_tag) : g_strdup_printf("[ep|%" G_GUINT64_FORMAT "]", id);
    ep->subs = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
                                     (GDestroyNotify)cg_conn_free);
    ep->subscribers = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    ep->gate = cg_endpoint_gate_new();
    ep->pub = cg_conn_new(media, ep, "pub", NULL, error);
    if (!ep->pub) {
        endpoint_free(ep);
        return FALSE;
    }
    g_hash_table_insert(media->endpoints, id_dup(id), ep);
    return TRUE;
}

typedef struct {
    CgEndpointId ep;
    char *pc;
} CgClosed;

void cg_media_endpoint_remove(CgMedia *media, CgEndpointId id)
{
    g_return_if_fail(media != NULL);
    if (media->lean) {
        cg_lean_relay_endpoint_remove(media->lean, id);
        return;
    }
    CgEndpoint *ep = cg_media_lookup(media, id);
    if (!ep)
        return;
    /* 1. every other endpoint's sub conn carrying @ep, and routes to @ep */
    GArray *closed = g_array_new(FALSE, FALSE, sizeof(CgClosed));
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, media->endpoints);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        CgEndpoint *other = value;
        g_hash_table_remove(other->subscribers, &id);
        CgConn *sub = g_hash_table_lookup(other->subs, &id);
        if (other == ep || !sub)
            continue;
        CgClosed c = {other->id, g_strdup(sub->name)};
        g_array_append_val(closed, c);
        g_hash_table_remove(other->subs, &id);
    }
    /* 2-3. its own sub conns, then its pub conn (endpoint_free's order) */
    g_hash_table_remove(media->endpoints, &id);
    /* events last: a handler may re-enter */
    for (guint i = 0; i < closed->len; i++) {
        CgClosed *c = &g_array_index(closed, CgClosed, i);
        if (media->events.pc_closed)
            media->events.pc_closed(media->user, c->ep, c->pc);
        g_free(c->pc);
    }
    g_array_unref(closed);
}

static CgConn *find_conn(CgMedia *media, CgEndpointId id, const char *pc, GError **error)
{
    CgEndpoint *ep = cg_media_lookup(media, id);
    if (!ep) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_UNKNOWN_ENDPOINT,
                    "no endpoint %" G_GUINT64_FORMAT, id);
        return NULL;
    }
    if (g_strcmp0(pc, "pub") == 0)
        return ep->pub;
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, ep->subs);
    while (g_hash_table_iter_next(&it, &key, &value))
        if (g_strcmp0(((CgConn *)value)->name, pc) == 0)
            return value;
    g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_UNKNOWN_PC, "no connection named %s",
                pc ? pc : "(null)");
    return NULL;
}

gboolean cg_media_remote_description(CgMedia *media, CgEndpointId ep, const char *pc,
                                     const char *type, const char *sdp, GError **error)
{
    g_return_val_if_fail(media != NULL, FALSE);
    if (media->lean)
        return cg_lean_relay_remote_description(media->lean, ep, pc, type, sdp, error);
    CgConn *conn = find_conn(media, ep, pc, error);
    return conn && cg_conn_remote_description(conn, type, sdp, error);
}

gboolean cg_media_remote_candidate(CgMedia *media, CgEndpointId ep, const char *pc,
                                   guint mline_index, const char *candidate, GError **error)
{
    g_return_val_if_fail(media != NULL, FALSE);
    if (media->lean)
        return cg_lean_relay_remote_candidate(media->lean, ep, pc, mline_index, candidate, error);
    CgConn *conn = find_conn(media, ep, pc, error);
    return conn && cg_conn_remote_candidate(conn, mline_index, candidate, error);
}

/* ---- routes ------------------------------------------------------------- */

static void offer_sub(CgMedia *media, CgEndpoint *pub, CgEndpoint *sub)
{
    if (g_hash_table_contains(sub->subs, &pub->id) || sub->failed || pub->failed)
        return;
    g_autofree char *name = g_strdup_printf("sub-%u", ++sub->next_sub);
    g_autoptr(GError) error = NULL;
    CgConn *conn = cg_conn_new(media, sub, name, pub->pub, &error);
    if (!conn) {
        g_message("%s cannot subscribe to %s: %s", sub->tag, pub->tag, error->message);
        cg_media_fail_endpoint(media, sub->id, CG_MEDIA_ERROR_FAILED, "cannot subscribe");
        return;
    }
    g_hash_table_insert(sub->subs, id_dup(pub->id), conn);
    cg_conn_offer(conn);
}

void cg_media_publisher_ready(CgMedia *media, CgEndpoint *pub)
{
    GHashTableIter it;
    gpointer key, value;
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(CgEndpointId));
    g_hash_table_iter_init(&it, pub->subscribers);
    while (g_hash_table_iter_next(&it, &key, &value))
        g_array_append_val(ids, *(guint64 *)key);
    for (guint i = 0; i < ids->len; i++) {
        CgEndpoint *sub = cg_media_lookup(media, g_array_index(ids, CgEndpointId, i));
        if (sub)
            offer_sub(media, pub, sub);
    }
    g_array_unref(ids);
}

static CgEndpoint *endpoint_or_error(CgMedia *media, CgEndpointId id, GError **error)
{
    CgEndpoint *ep = cg_media_lookup(media, id);
    if (!ep)
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_UNKNOWN_ENDPOINT,
                    "no endpoint %" G_GUINT64_FORMAT, id);
    return ep;
}

gboolean cg_media_endpoint_set_audio_muted(CgMedia *media, CgEndpointId id, gboolean muted,
                                           GError **error)
{
    g_return_val_if_fail(media != NULL, FALSE);
    if (media->lean)
        return cg_lean_relay_set_audio_muted(media->lean, id, muted, error);
    CgEndpoint *ep = endpoint_or_error(media, id, error);
    if (!ep)
        return FALSE;
    /* The publisher's audio gate reads this on every packet. */
    g_atomic_int_set(&ep->gate->audio_muted, muted ? 1 : 0);
    g_info("%s audio %s", ep->tag, muted ? "muted: relayed to nobody" : "relayed again");
    return TRUE;
}

gboolean cg_media_endpoint_set_receive_video(CgMedia *media, CgEndpointId id, gboolean receive,
                                             GError **error)
{
    g_return_val_if_fail(media != NULL, FALSE);
    if (media->lean)
        return cg_lean_relay_set_receive_video(media->lean, id, receive, error);
    CgEndpoint *ep = endpoint_or_error(media, id, error);
    if (!ep)
        return FALSE;
    g_atomic_int_set(&ep->gate->video_paused, receive ? 0 : 1);
    g_info("%s %s", ep->tag, receive ? "receives video again" : "audio only: receives no video");
    return TRUE;
}

gboolean cg_media_endpoint_set_screen_share_allowed(CgMedia *media, CgEndpointId id,
                                                    gboolean allowed, GError **error)
{
    g_return_val_if_fail(media != NULL, FALSE);
    if (media->lean)
        return cg_lean_relay_set_screen_share_allowed(media->lean, id, allowed, error);
    return endpoint_or_error(media, id, error) != NULL; /* not on this relay */
}

gboolean cg_media_endpoint_set_video_bitrate_cap(CgMedia *media, CgEndpointId id, guint kbps,
                                                 GError **error)
{
    g_return_val_if_fail(media != NULL, FALSE);
    if (media->lean)
        return cg_lean_relay_set_video_bitrate_cap(media->lean, id, kbps, error);
    return endpoint_or_error(media, id, error) != NULL; /* not on this relay */
}

gboolean cg_media_route(CgMedia *media, CgEndpointId publisher, CgEndpointId subscriber,
                        GError **error)
{
    g_return_val_if_fail(media != NULL, FALSE);
    if (media->lean)
        return cg_lean_relay_route(media->lean, publisher, subscriber, error);
    CgEndpoint *pub = cg_media_lookup(media, publisher);
    CgEndpoint *sub = cg_media_lookup(media, subscriber);
    if (!pub || !sub || pub == sub) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_UNKNOWN_ENDPOINT,
                    "cannot route %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT, publisher,
                    subscriber);
        return FALSE;
    }
    if (!g_hash_table_contains(pub->subscribers, &subscriber))
        g_hash_table_add(pub->subscribers, id_dup(subscriber));
    if (pub->pub->answered)
        offer_sub(media, pub, sub);
    return TRUE;
}

/* ---- lifecycle ---------------------------------------------------------- */

/* GStreamer makes its DTLS key and certificate the first time a DTLS element
 * is created (~270 ms here) and loads webrtcbin's plugins on first use
 * (~60 ms). Done on a worker thread at start, so the first endpoint to join
 * does not wait for them (issue 3's join-time breakdown). */
static gpointer warm_up(gpointer data)
{
    (void)data;
    static const char *const factories[] = {"dtlsdec", "webrtcbin"};
    for (gsize i = 0; i < G_N_ELEMENTS(factories); i++) {
        GstElement *e = gst_element_factory_make(factories[i], NULL);
        if (e)
            gst_object_unref(gst_object_ref_sink(e));
    }
    return NULL;
}

CgMedia *cg_media_new(const CgMediaConfig *config, const CgMediaEvents *events, gpointer user,
                      GError **error)
{
    g_return_val_if_fail(config != NULL && events != NULL, NULL);
    if (!gst_init_check(NULL, NULL, error))
        return NULL;
    GST_DEBUG_CATEGORY_INIT(cg_media_debug, "cg-media", 0, "consultd media relay");
    if (!config->ice_addresses || !config->ice_addresses[0]) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED, "no ICE address configured");
        return NULL;
    }
    if (config->rtp_port_min > config->rtp_port_max || config->rtp_port_max > 65535) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED, "bad RTP port range");
        return NULL;
    }
    CgAddressPolicy *policy = cg_address_policy_new(config->allowed_remote_networks, error);
    if (!policy)
        return NULL;
    CgMedia *media = g_new0(CgMedia, 1);
    media->address_policy = policy;
    if (config->relay != CG_MEDIA_RELAY_WEBRTCBIN) {
        media->lean = cg_lean_relay_new(config, events, user, policy, error);
        if (!media->lean) {
            cg_media_free(media);
            return NULL;
        }
        return media;
    }
    media->warmup = g_thread_new("cg-media-warmup", warm_up, NULL);
    media->ctx = g_main_context_ref_thread_default();
    media->events = *events;
    media->user = user;
    media->ice_addresses = g_strdupv((char **)config->ice_addresses);
    media->rtp_port_min = config->rtp_port_min;
    media->rtp_port_max = config->rtp_port_max;
    media->stun_server = g_strdup(config->stun_server);
    media->ice_tcp = config->ice_tcp;
    media->alive = g_new0(CgMediaAlive, 1);
    g_atomic_ref_count_init(&media->alive->ref);
    media->alive->media = media;
    media->endpoints = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, endpoint_free);
    media->conns = g_hash_table_new(g_int64_hash, g_int64_equal);
    media->pipeline = gst_pipeline_new("cg-media-relay");
    g_autoptr(GstBus) bus = gst_element_get_bus(media->pipeline);
    gst_bus_set_sync_handler(bus, bus_sync, NULL, NULL);
    media->bus_watch = gst_bus_create_watch(bus);
    g_source_set_callback(media->bus_watch, (GSourceFunc)(void (*)(void))bus_drain, NULL, NULL);
    g_source_attach(media->bus_watch, media->ctx);
    if (gst_element_set_state(media->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED, "the relay did not start");
        cg_media_free(media);
        return NULL;
    }
    cg_media_liveness_start(media);
    return media;
}

void cg_media_free(CgMedia *media)
{
    if (!media)
        return;
    if (!media->pipeline) { /* the lean relay, or a failed start */
        cg_lean_relay_free(media->lean);
        cg_address_policy_free(media->address_policy);
        g_free(media);
        return;
    }
    g_clear_pointer(&media->warmup, g_thread_join);
    cg_media_liveness_stop(media);
    /* sub conns first everywhere, so no tee of a pub still feeds a branch */
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, media->endpoints);
    while (g_hash_table_iter_next(&it, &key, &value))
        g_hash_table_remove_all(((CgEndpoint *)value)->subs);
    g_hash_table_unref(media->endpoints);
    g_hash_table_unref(media->conns);
    gst_element_set_state(media->pipeline, GST_STATE_NULL);
    if (media->bus_watch) {
        g_source_destroy(media->bus_watch);
        g_clear_pointer(&media->bus_watch, g_source_unref);
    }
    gst_object_unref(media->pipeline);
    media->alive->media = NULL;
    cg_media_alive_unref(media->alive);
    g_strfreev(media->ice_addresses);
    g_free(media->stun_server);
    cg_address_policy_free(media->address_policy);
    g_main_context_unref(media->ctx);
    g_free(media);
}

guint cg_media_element_count(CgMedia *media)
{
    if (media && media->lean)
        return cg_lean_relay_connection_count(media->lean);
    return media ? (guint)GST_BIN(media->pipeline)->numchildren : 0;
}
