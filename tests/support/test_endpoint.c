/* test_endpoint.c — protocol glue between CgWssClient and CgRtcPeer. */
#include "test_endpoint.h"

#include <string.h>

#include "daemon_harness.h"

struct _CgTestEndpoint {
    CgTestEndpointOptions options;
    char *token;
    char *resume;      /* sent with join when set */
    char *turn_server; /* from joined.ice_servers, backs options.media.turn_server */
    CgWssClient *wss;
    CgRtcPeer *peer;
    gint64 join_time;
    json_t *joined;          /* the "joined" message */
    GPtrArray *errors;       /* char* codes */
    GHashTable *left;        /* participant id -> reason */
    GHashTable *seen_joined; /* participant ids from participant_joined */
    guint n_pc_closed;
    char *bye_reason;
    json_t *last_stats; /* the last "stats" message */
    guint n_stats;
    char *active_speaker; /* from the last "active_speaker" */
    GPtrArray *messages;  /* json_t*, every message on the current socket */
};

/* ---- media -> server -------------------------------------------------- */

static void on_local_description(gpointer user, const char *pc, const char *type, const char *sdp)
{
    CgTestEndpoint *ep = user;
    if (!ep->wss) /* dropped: a broken network loses it */
        return;
    json_t *m = json_pack("{s:s, s:s, s:s}", "type", type, "pc", pc, "sdp", sdp);
    cg_wss_client_send_json(ep->wss, m);
    json_decref(m);
}

static void on_local_candidate(gpointer user, const char *pc, guint mline, const char *cand)
{
    CgTestEndpoint *ep = user;
    if (!ep->wss)
        return;
    json_t *m = json_pack("{s:s, s:s, s:i, s:s}", "type", "candidate", "pc", pc, "sdpMLineIndex",
                          (json_int_t)mline, "candidate", cand);
    cg_wss_client_send_json(ep->wss, m);
    json_decref(m);
}

/* ---- server -> media -------------------------------------------------- */

static const char *str(json_t *msg, const char *key)
{
    return json_string_value(json_object_get(msg, key));
}

/* joined.ice_servers' first TURN entry as webrtcbin's "turn://USER:PASS@HOST:PORT". */
static char *turn_uri_from(json_t *joined)
{
    json_t *servers = json_object_get(joined, "ice_servers");
    for (gsize i = 0; i < json_array_size(servers); i++) {
        json_t *s = json_array_get(servers, i);
        const char *url = json_string_value(json_array_get(json_object_get(s, "urls"), 0));
        const char *user = str(s, "username"), *pass = str(s, "credential");
        if (!url || !user || !pass || !g_str_has_prefix(url, "turn:"))
            continue;
        g_autofree char *hostport = g_strndup(url + 5, strcspn(url + 5, "?"));
        g_autofree char *u = g_uri_escape_string(user, NULL, FALSE);
        g_autofree char *p = g_uri_escape_string(pass, NULL, FALSE);
        return g_strdup_printf("turn://%s:%s@%s", u, p, hostport);
    }
    return NULL;
}

static void on_joined(CgTestEndpoint *ep, json_t *msg)
{
    if (ep->joined)
        return;
    ep->joined = json_incref(msg);
    if (ep->options.no_publish)
        return;
    if (ep->options.use_turn_from_joined)
        ep->options.media.turn_server = ep->turn_server = turn_uri_from(msg);
    static const CgRtcPeerEvents events = {on_local_description, on_local_candidate};
    ep->peer = cg_rtc_peer_new(&ep->options.media, &events, ep);
    cg_rtc_peer_publish(ep->peer);
}

static void on_description(CgTestEndpoint *ep, json_t *msg, const char *type)
{
    const char *pc = str(msg, "pc"), *sdp = str(msg, "sdp");
    if (!ep->peer || !pc || !sdp)
        return;
    cg_rtc_peer_remote_description(ep->peer, pc, type, sdp, str(msg, "participant"));
}

static void on_candidate(CgTestEndpoint *ep, json_t *msg)
{
    const char *pc = str(msg, "pc"), *cand = str(msg, "candidate");
    json_t *idx = json_object_get(msg, "sdpMLineIndex");
    if (!ep->peer || !pc || !cand || !json_is_integer(idx) || json_integer_value(idx) < 0)
        return;
    cg_rtc_peer_remote_candidate(ep->peer, pc, (guint)json_integer_value(idx), cand);
}

static void on_participant_left(CgTestEndpoint *ep, json_t *msg)
{
    const char *id = str(msg, "participant"), *reason = str(msg, "reason");
    if (id)
        g_hash_table_replace(ep->left, g_strdup(id), g_strdup(reason ? reason : ""));
}

static void admit_everyone(CgTestEndpoint *ep, json_t *msg)
{
    json_t *waiting = json_object_get(msg, "waiting");
    for (gsize i = 0; ep->options.admit_waiting && i < json_array_size(waiting); i++) {
        const char *id = str(json_array_get(waiting, i), "id");
        if (!id)
            continue;
        json_t *admit = json_pack("{s:s, s:s}", "type", "admit", "participant", id);
        cg_wss_client_send_json(ep->wss, admit);
        json_decref(admit);
    }
}

static void on_message(CgWssClient *wss, json_t *msg, gpointer user)
{
    (void)wss;
    CgTestEndpoint *ep = user;
    const char *type = str(msg, "type");
    g_ptr_array_add(ep->messages, json_incref(msg));
    if (!type)
        return;
    if (strcmp(type, "joined") == 0) {
        on_joined(ep, msg);
    } else if (strcmp(type, "offer") == 0 || strcmp(type, "answer") == 0) {
        on_description(ep, msg, type);
    } else if (strcmp(type, "candidate") == 0) {
        on_candidate(ep, msg);
    } else if (strcmp(type, "participant_joined") == 0) {
        const char *id = str(json_object_get(msg, "participant"), "id");
        if (id)
            g_hash_table_add(ep->seen_joined, g_strdup(id));
    } else if (strcmp(type, "participant_left") == 0) {
        on_participant_left(ep, msg);
    } else if (strcmp(type, "pc_closed") == 0) {
        ep->n_pc_closed++;
        if (ep->peer && str(msg, "pc"))
            cg_rtc_peer_close_pc(ep->peer, str(msg, "pc"));
    } else if (strcmp(type, "error") == 0) {
        g_ptr_array_add(ep->errors, g_strdup(str(msg, "code") ? str(msg, "code") : "?"));
    } else if (strcmp(type, "waiting_list") == 0) {
        admit_everyone(ep, msg);
    } else if (strcmp(type, "stats") == 0) {
        if (ep->last_stats)
            json_decref(ep->last_stats);
        ep->last_stats = json_incref(msg);
        ep->n_stats++;
    } else if (strcmp(type, "active_speaker") == 0) {
        g_free(ep->active_speaker);
        ep->active_speaker = g_strdup(str(msg, "participant"));
    } else if (strcmp(type, "bye") == 0) {
        g_free(ep->bye_reason);
        ep->bye_reason = g_strdup(str(msg, "reason") ? str(msg, "reason") : "");
    }
    /* Keep the queue short: everything that matters is recorded above. */
    json_decref(cg_wss_client_pop(ep->wss));
}

static void on_open(CgWssClient *wss, gboolean opened, gpointer user)
{
    CgTestEndpoint *ep = user;
    if (!opened)
        return;
    json_t *join = json_pack("{s:s, s:s}", "type", "join", "token", ep->token);
    if (ep->resume)
        json_object_set_new(join, "resume", json_string(ep->resume));
    ep->join_time = g_get_monotonic_time();
    cg_wss_client_send_json(wss, join);
    json_decref(join);
}

/* ---- lifecycle -------------------------------------------------------- */

CgTestEndpoint *cg_test_endpoint_new(guint16 port, GTlsCertificate *cert, const char *token,
                                     const CgTestEndpointOptions *options)
{
    CgTestEndpoint *ep = g_new0(CgTestEndpoint, 1);
    if (options)
        ep->options = *options;
    ep->token = g_strdup(token);
    ep->resume = g_strdup(ep->options.resume);
    ep->options.resume = NULL; /* the caller's string: ep->resume is ours */
    ep->messages = g_ptr_array_new_with_free_func((GDestroyNotify)json_decref);
    ep->errors = g_ptr_array_new_with_free_func(g_free);
    ep->left = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    ep->seen_joined = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    ep->wss = cg_wss_client_new(port, "/ws", cert);
    cg_wss_client_set_handler(ep->wss, on_message, ep);
    cg_wss_client_set_open_handler(ep->wss, on_open, ep);
    return ep;
}

json_t *cg_test_endpoint_last_stats(const CgTestEndpoint *ep, guint *n_stats)
{
    if (n_stats)
        *n_stats = ep->n_stats;
    return ep->last_stats;
}

const char *cg_test_endpoint_active_speaker(const CgTestEndpoint *ep)
{
    return ep->active_speaker;
}

void cg_test_endpoint_free(CgTestEndpoint *ep)
{
    if (!ep)
        return;
    /* Media first: its events write to the socket. */
    g_clear_pointer(&ep->peer, cg_rtc_peer_free);
    g_clear_pointer(&ep->wss, cg_wss_client_free);
    if (ep->joined)
        json_decref(ep->joined);
    g_ptr_array_unref(ep->errors);
    g_hash_table_unref(ep->left);
    g_hash_table_unref(ep->seen_joined);
    g_free(ep->bye_reason);
    if (ep->last_stats)
        json_decref(ep->last_stats);
    g_free(ep->active_speaker);
    g_ptr_array_unref(ep->messages);
    g_free(ep->token);
    g_free(ep->resume);
    g_free(ep->turn_server);
    g_free(ep);
}

/* ---- queries and waits ------------------------------------------------ */

static gboolean joined_or_closed(gpointer data)
{
    CgTestEndpoint *ep = data;
    return ep->joined || cg_wss_client_is_closed(ep->wss);
}

gboolean cg_test_endpoint_wait_joined(CgTestEndpoint *ep, guint timeout_ms, GError **error)
{
    cg_test_wait_until(joined_or_closed, ep, timeout_ms);
    if (ep->joined)
        return TRUE;
    const char *last = ep->errors->len ? ep->errors->pdata[ep->errors->len - 1] : "none";
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                "not joined within %u ms (last error %s, close %u \"%s\")", timeout_ms, last,
                cg_wss_client_close_status(ep->wss), cg_wss_client_close_reason(ep->wss));
    return FALSE;
}

gboolean cg_test_endpoint_joined(const CgTestEndpoint *ep)
{
    return ep->joined != NULL;
}

gint64 cg_test_endpoint_join_time(const CgTestEndpoint *ep)
{
    return ep->join_time;
}

const char *cg_test_endpoint_id(const CgTestEndpoint *ep)
{
    return ep->joined ? str(json_object_get(ep->joined, "you"), "id") : NULL;
}

json_t *cg_test_endpoint_joined_message(const CgTestEndpoint *ep)
{
    return ep->joined;
}

CgRtcPeer *cg_test_endpoint_peer(const CgTestEndpoint *ep)
{
    return ep->peer;
}

CgWssClient *cg_test_endpoint_wss(const CgTestEndpoint *ep)
{
    return ep->wss;
}

guint cg_test_endpoint_frames_from(const CgTestEndpoint *ep, const char *id)
{
    return ep->peer ? cg_rtc_peer_video_frames(ep->peer, id) : 0;
}

typedef struct {
    CgTestEndpoint *ep;
    const char *key;
    guint n;
} EpWait;

static gboolean enough_frames(gpointer data)
{
    EpWait *w = data;
    return cg_test_endpoint_frames_from(w->ep, w->key) >= w->n;
}

gboolean cg_test_endpoint_wait_frames(CgTestEndpoint *ep, const char *id, guint n, guint timeout_ms)
{
    EpWait w = {ep, id, n};
    return cg_test_wait_until(enough_frames, &w, timeout_ms);
}

gboolean cg_test_endpoint_got_error(const CgTestEndpoint *ep, const char *code)
{
    for (guint i = 0; i < ep->errors->len; i++)
        if (strcmp(ep->errors->pdata[i], code) == 0)
            return TRUE;
    return FALSE;
}

static gboolean has_error(gpointer data)
{
    EpWait *w = data;
    return cg_test_endpoint_got_error(w->ep, w->key);
}

gboolean cg_test_endpoint_wait_error(CgTestEndpoint *ep, const char *code, guint timeout_ms)
{
    EpWait w = {ep, code, 0};
    return cg_test_wait_until(has_error, &w, timeout_ms);
}

const char *cg_test_endpoint_left_reason(const CgTestEndpoint *ep, const char *id)
{
    return g_hash_table_lookup(ep->left, id);
}

static gboolean has_left(gpointer data)
{
    EpWait *w = data;
    return cg_test_endpoint_left_reason(w->ep, w->key) != NULL;
}

gboolean cg_test_endpoint_wait_left(CgTestEndpoint *ep, const char *id, guint timeout_ms)
{
    EpWait w = {ep, id, 0};
    return cg_test_wait_until(has_left, &w, timeout_ms);
}

gboolean cg_test_endpoint_saw_joined(const CgTestEndpoint *ep, const char *id)
{
    return g_hash_table_contains(ep->seen_joined, id);
}

guint cg_test_endpoint_n_pc_closed(const CgTestEndpoint *ep)
{
    return ep->n_pc_closed;
}

const char *cg_test_endpoint_bye_reason(const CgTestEndpoint *ep)
{
    return ep->bye_reason;
}

void cg_test_endpoint_send(CgTestEndpoint *ep, json_t *msg)
{
    if (ep->wss)
        cg_wss_client_send_json(ep->wss, msg);
    json_decref(msg);
}

void cg_test_endpoint_leave(CgTestEndpoint *ep)
{
    cg_wss_client_send_text(ep->wss, "{\"type\":\"leave\"}", -1);
}

guint cg_test_endpoint_n_messages(const CgTestEndpoint *ep)
{
    return ep->messages->len;
}

json_t *cg_test_endpoint_message(const CgTestEndpoint *ep, guint i)
{
    return i < ep->messages->len ? ep->messages->pdata[i] : NULL;
}

/* ---- a broken network, and resuming ----------------------------------- */

void cg_test_endpoint_drop(CgTestEndpoint *ep)
{
    /* Freeing the client cancels its reads and writes and unrefs the TLS
     * connection, which closes the TCP socket: no close frame, no leave. */
    g_clear_pointer(&ep->wss, cg_wss_client_free);
    cg_test_run_for(50);
}

void cg_test_endpoint_reconnect(CgTestEndpoint *ep, guint16 port, GTlsCertificate *cert,
                                const char *resume)
{
    g_clear_pointer(&ep->wss, cg_wss_client_free);
    g_free(ep->resume);
    ep->resume = g_strdup(resume);
    g_ptr_array_set_size(ep->messages, 0);
    ep->wss = cg_wss_client_new(port, "/ws", cert);
    cg_wss_client_set_handler(ep->wss, on_message, ep);
    cg_wss_client_set_open_handler(ep->wss, on_open, ep);
}
