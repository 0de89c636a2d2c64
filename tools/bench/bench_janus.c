/* bench_janus.c — the Janus target: the VideoRoom plugin driven over the
 * Janus WebSocket API (sub-protocol "janus-protocol", libsoup 3).
 *
 * One Janus session per bench process; one admin handle creates a room per
 * consult. Each endpoint attaches a publisher handle, joins the room as a
 * publisher and, once joined, publishes with "configure" + its jsep offer.
 * Every publisher list it hears about (in "joined" and later events) makes it
 * attach one subscriber handle per remote feed ("join" as subscriber with
 * streams [{feed}]), answer the jsep offer of "attached" and send "start".
 * Local candidates are trickled; Janus's own are in its SDP (or trickled,
 * which is handled too). Replies to session-level requests are matched by
 * transaction; plugin events are routed by their "sender" handle.
 */
#include <jansson.h>
#include <libsoup/soup.h>
#include <stdlib.h>
#include <string.h>

#include "bench_target.h"

#define JANUS_ROOM_BASE 4000
#define JANUS_SYNC_TIMEOUT_US (10 * G_USEC_PER_SEC)

typedef struct _BenchJanus BenchJanus;

typedef struct {
    BenchJanus *owner;
    guint index;
    guint64 room;
    guint64 pub_handle;
    CgRtcPeer *peer;        /* owned by the fleet */
    GHashTable *subscribed; /* feed ids (guint64 as key) */
    CgBenchFleet *fleet;
} JPart;

typedef enum { JH_PUB, JH_SUB } JHandleKind;

typedef struct {
    JHandleKind kind;
    JPart *part;
    guint64 feed;
} JHandle;

typedef void (*JReplyFunc)(BenchJanus *j, json_t *reply, gpointer data);

typedef struct {
    JReplyFunc fn;
    gpointer data;
} JPending;

struct _BenchJanus {
    SoupSession *session;
    SoupWebsocketConnection *ws;
    GError *connect_error;
    guint64 session_id;
    guint64 admin_handle;
    guint64 next_tx;
    GHashTable *pending; /* transaction -> JPending */
    GHashTable *handles; /* handle id (string) -> JHandle */
    GPtrArray *parts;    /* JPart*, owned */
    gint64 *join_times;
    guint n_rooms;
};

/* ---- sending ---------------------------------------------------------------- */

/* Sends @msg (transfer full) with a new transaction; @fn gets the reply
 * that is not an "ack" (success/error, or the event of an async request). */
static void jsend(BenchJanus *j, json_t *msg, guint64 handle, JReplyFunc fn, gpointer data)
{
    g_autofree char *tx = g_strdup_printf("t%" G_GUINT64_FORMAT, ++j->next_tx);
    json_object_set_new(msg, "transaction", json_string(tx));
    if (j->session_id)
        json_object_set_new(msg, "session_id", json_integer((json_int_t)j->session_id));
    if (handle)
        json_object_set_new(msg, "handle_id", json_integer((json_int_t)handle));
    if (fn) {
        JPending *p = g_new0(JPending, 1);
        p->fn = fn;
        p->data = data;
        g_hash_table_insert(j->pending, g_strdup(tx), p);
    }
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (text && j->ws && soup_websocket_connection_get_state(j->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_send_text(j->ws, text);
    free(text);
}

static void jmessage(BenchJanus *j, guint64 handle, json_t *body, json_t *jsep)
{
    json_t *m = json_pack("{s:s, s:o}", "janus", "message", "body", body);
    if (jsep)
        json_object_set_new(m, "jsep", jsep);
    jsend(j, m, handle, NULL, NULL);
}

static guint64 jid(json_t *v)
{
    return json_is_integer(v) ? (guint64)json_integer_value(v) : 0;
}

static char *hkey(guint64 id)
{
    return g_strdup_printf("%" G_GUINT64_FORMAT, id);
}

/* ---- media events -> Janus ---------------------------------------------------- */

static guint64 handle_of_pc(JPart *part, const char *pc)
{
    if (strcmp(pc, "pub") == 0)
        return part->pub_handle;
    return g_ascii_strtoull(pc + strlen("sub-"), NULL, 10);
}

static void on_description(gpointer user, const char *pc, const char *type, const char *sdp)
{
    JPart *part = user;
    guint64 handle = handle_of_pc(part, pc);
    json_t *jsep = json_pack("{s:s, s:s}", "type", type, "sdp", sdp);
    if (strcmp(type, "offer") == 0)
        jmessage(part->owner, handle,
                 json_pack("{s:s, s:b, s:b}", "request", "configure", "audio", 1, "video", 1),
                 jsep);
    else
        jmessage(part->owner, handle, json_pack("{s:s}", "request", "start"), jsep);
}

static void on_candidate(gpointer user, const char *pc, guint mline, const char *cand)
{
    JPart *part = user;
    json_t *c = *cand
                    ? json_pack("{s:s, s:i}", "candidate", cand, "sdpMLineIndex", (json_int_t)mline)
                    : json_pack("{s:b}", "completed", 1);
    jsend(part->owner, json_pack("{s:s, s:o}", "janus", "trickle", "candidate", c),
          handle_of_pc(part, pc), NULL, NULL);
}

/* ---- subscribing ------------------------------------------------------------- */

static void on_sub_attached(BenchJanus *j, json_t *reply, gpointer data)
{
    JHandle *h = data;
    guint64 handle = jid(json_object_get(json_object_get(reply, "data"), "id"));
    if (!handle) {
        g_message("bench: janus: subscriber attach failed");
        g_free(h);
        return;
    }
    g_hash_table_insert(j->handles, hkey(handle), h);
    json_t *streams = json_pack("[{s:I}]", "feed", (json_int_t)h->feed);
    jmessage(j, handle,
             json_pack("{s:s, s:s, s:I, s:o}", "request", "join", "ptype", "subscriber", "room",
                       (json_int_t)h->part->room, "streams", streams),
             NULL);
}

static void subscribe_publishers(JPart *part, json_t *publishers)
{
    size_t i;
    json_t *p;
    json_array_foreach(publishers, i, p)
    {
        guint64 feed = jid(json_object_get(p, "id"));
        if (!feed || feed == part->index + 1 ||
            g_hash_table_contains(part->subscribed, GSIZE_TO_POINTER(feed)))
            continue;
        g_hash_table_add(part->subscribed, GSIZE_TO_POINTER(feed));
        JHandle *h = g_new0(JHandle, 1);
        h->kind = JH_SUB;
        h->part = part;
        h->feed = feed;
        jsend(part->owner,
              json_pack("{s:s, s:s}", "janus", "attach", "plugin", "janus.plugin.videoroom"), 0,
              on_sub_attached, h);
    }
}

/* ---- events from Janus -------------------------------------------------------- */

static void on_plugin_event(JHandle *h, guint64 handle, json_t *msg)
{
    json_t *data = json_object_get(json_object_get(msg, "plugindata"), "data");
    json_t *jsep = json_object_get(msg, "jsep");
    const char *what = json_string_value(json_object_get(data, "videoroom"));
    const char *sdp = json_string_value(json_object_get(jsep, "sdp"));
    const char *type = json_string_value(json_object_get(jsep, "type"));
    JPart *part = h->part;
    if (json_object_get(data, "error"))
        g_message("bench: janus: %s", json_string_value(json_object_get(data, "error")));
    if (what)
        cg_bench_trace(part->index, h->kind == JH_PUB ? "pub" : "sub", "recv %s%s", what,
                       jsep ? " +jsep" : "");
    if (h->kind == JH_PUB) {
        if (g_strcmp0(what, "joined") == 0 && !part->peer) {
            static const CgRtcPeerEvents events = {on_description, on_candidate};
            part->peer = cg_bench_fleet_add(part->fleet, part->index, &events, part);
            cg_rtc_peer_publish(part->peer);
        }
        if (sdp && g_strcmp0(type, "answer") == 0 && part->peer)
            cg_rtc_peer_remote_description(part->peer, "pub", "answer", sdp, NULL);
        subscribe_publishers(part, json_object_get(data, "publishers"));
    } else if (sdp && g_strcmp0(type, "offer") == 0 && part->peer) {
        g_autofree char *pc = g_strdup_printf("sub-%" G_GUINT64_FORMAT, handle);
        g_autofree char *label = cg_bench_label((gint)h->feed - 1);
        cg_rtc_peer_remote_description(part->peer, pc, "offer", sdp, label);
    }
}

static void on_trickle(JHandle *h, guint64 handle, json_t *msg)
{
    json_t *c = json_object_get(msg, "candidate");
    const char *cand = json_string_value(json_object_get(c, "candidate"));
    json_t *idx = json_object_get(c, "sdpMLineIndex");
    if (!h->part->peer || !cand || !json_is_integer(idx))
        return;
    g_autofree char *pc =
        h->kind == JH_PUB ? g_strdup("pub") : g_strdup_printf("sub-%" G_GUINT64_FORMAT, handle);
    cg_rtc_peer_remote_candidate(h->part->peer, pc, (guint)json_integer_value(idx), cand);
}

static void dispatch(BenchJanus *j, json_t *msg)
{
    const char *kind = json_string_value(json_object_get(msg, "janus"));
    const char *tx = json_string_value(json_object_get(msg, "transaction"));
    if (!kind || g_strcmp0(kind, "ack") == 0)
        return;
    JPending *p = tx ? g_hash_table_lookup(j->pending, tx) : NULL;
    if (p && (g_strcmp0(kind, "success") == 0 || g_strcmp0(kind, "error") == 0)) {
        JPending copy = *p;
        g_hash_table_remove(j->pending, tx);
        copy.fn(j, msg, copy.data);
        return;
    }
    guint64 sender = jid(json_object_get(msg, "sender"));
    g_autofree char *key = hkey(sender);
    JHandle *h = g_hash_table_lookup(j->handles, key);
    if (!h)
        return;
    if (g_strcmp0(kind, "event") == 0)
        on_plugin_event(h, sender, msg);
    else if (g_strcmp0(kind, "trickle") == 0)
        on_trickle(h, sender, msg);
}

static void on_ws_message(SoupWebsocketConnection *ws, gint type, GBytes *bytes, gpointer user)
{
    (void)ws;
    if (type != SOUP_WEBSOCKET_DATA_TEXT)
        return;
    gsize len = 0;
    const char *data = g_bytes_get_data(bytes, &len);
    json_t *msg = json_loadb(data, len, 0, NULL);
    if (msg) {
        dispatch(user, msg);
        json_decref(msg);
    }
}

static void on_ws_connected(GObject *source, GAsyncResult *res, gpointer user)
{
    BenchJanus *j = user;
    j->ws = soup_session_websocket_connect_finish(SOUP_SESSION(source), res, &j->connect_error);
    if (j->ws) {
        soup_websocket_connection_set_max_incoming_payload_size(j->ws, 1 << 20);
        g_signal_connect(j->ws, "message", G_CALLBACK(on_ws_message), j);
    }
}

/* ---- synchronous set-up requests ------------------------------------------- */

typedef struct {
    gboolean done;
    json_t *reply;
} JSync;

static void on_sync_reply(BenchJanus *j, json_t *reply, gpointer data)
{
    (void)j;
    JSync *s = data;
    s->done = TRUE;
    s->reply = json_incref(reply);
}

/* (transfer full) the reply to @msg, or NULL + @error. */
static json_t *jsync(BenchJanus *j, json_t *msg, guint64 handle, GError **error)
{
    JSync s = {FALSE, NULL};
    jsend(j, msg, handle, on_sync_reply, &s);
    gint64 deadline = g_get_monotonic_time() + JANUS_SYNC_TIMEOUT_US;
    while (!s.done && g_get_monotonic_time() < deadline)
        g_main_context_iteration(NULL, TRUE);
    if (!s.done) {
        GHashTableIter it;
        gpointer v;
        g_hash_table_iter_init(&it, j->pending);
        while (g_hash_table_iter_next(&it, NULL, &v))
            if (((JPending *)v)->data == &s)
                g_hash_table_iter_remove(&it); /* a late reply must not reach &s */
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "janus did not answer");
        return NULL;
    }
    if (g_strcmp0(json_string_value(json_object_get(s.reply, "janus")), "success") != 0) {
        const char *reason =
            json_string_value(json_object_get(json_object_get(s.reply, "error"), "reason"));
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "janus: %s", reason ? reason : "error");
        json_decref(s.reply);
        return NULL;
    }
    return s.reply;
}

static guint64 jsync_id(BenchJanus *j, json_t *msg, guint64 handle, GError **error)
{
    json_t *r = jsync(j, msg, handle, error);
    guint64 id = r ? jid(json_object_get(json_object_get(r, "data"), "id")) : 0;
    if (r)
        json_decref(r);
    if (r && !id)
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "janus: no id in the reply");
    return id;
}

/* ---- the target --------------------------------------------------------------- */

static void on_pub_attached(BenchJanus *j, json_t *reply, gpointer data)
{
    JPart *part = data;
    part->pub_handle = jid(json_object_get(json_object_get(reply, "data"), "id"));
    if (!part->pub_handle) {
        g_message("bench: janus: publisher attach failed");
        return;
    }
    JHandle *h = g_new0(JHandle, 1);
    h->kind = JH_PUB;
    h->part = part;
    g_hash_table_insert(j->handles, hkey(part->pub_handle), h);
    g_autofree char *display = g_strdup_printf("bench-%u", part->index);
    jmessage(j, part->pub_handle,
             json_pack("{s:s, s:s, s:I, s:I, s:s}", "request", "join", "ptype", "publisher", "room",
                       (json_int_t)part->room, "id", (json_int_t)part->index + 1, "display",
                       display),
             NULL);
}

static gboolean add_consult(gpointer impl, CgBenchFleet *fleet, guint first, guint participants,
                            gint64 *join_times, GError **error)
{
    BenchJanus *j = impl;
    guint64 room = JANUS_ROOM_BASE + j->n_rooms++;
    json_t *body = json_pack("{s:s, s:I, s:i, s:i, s:s, s:s, s:b}", "request", "create", "room",
                             (json_int_t)room, "publishers", (int)participants, "bitrate", 2000000,
                             "audiocodec", "opus", "videocodec", "vp8", "notify_joining", 0);
    json_t *r =
        jsync(j, json_pack("{s:s, s:o}", "janus", "message", "body", body), j->admin_handle, error);
    if (!r)
        return FALSE;
    json_t *data = json_object_get(json_object_get(r, "plugindata"), "data");
    gboolean ok = g_strcmp0(json_string_value(json_object_get(data, "videoroom")), "created") == 0;
    if (!ok)
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "janus: room %" G_GUINT64_FORMAT " not created", room);
    json_decref(r);
    if (!ok)
        return FALSE;
    for (guint i = 0; i < participants; i++) {
        JPart *part = g_new0(JPart, 1);
        part->owner = j;
        part->index = first + i;
        part->room = room;
        part->fleet = fleet;
        part->subscribed = g_hash_table_new(NULL, NULL);
        g_ptr_array_add(j->parts, part);
        join_times[part->index] = g_get_monotonic_time();
        cg_bench_trace(part->index, "-", "send attach");
        jsend(j, json_pack("{s:s, s:s}", "janus", "attach", "plugin", "janus.plugin.videoroom"), 0,
              on_pub_attached, part);
    }
    return TRUE;
}

static void part_free(gpointer p)
{
    JPart *part = p;
    g_hash_table_unref(part->subscribed);
    g_free(part);
}

static void janus_free(gpointer impl)
{
    BenchJanus *j = impl;
    if (j->ws) {
        if (j->session_id)
            jsend(j, json_pack("{s:s}", "janus", "destroy"), 0, NULL, NULL);
        soup_websocket_connection_close(j->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
        g_object_unref(j->ws);
    }
    g_clear_error(&j->connect_error);
    g_clear_object(&j->session);
    g_hash_table_unref(j->pending);
    g_hash_table_unref(j->handles);
    g_ptr_array_unref(j->parts);
    g_free(j);
}

gboolean cg_bench_target_janus(CgBenchTarget *target, guint16 port, GPid pid, GError **error)
{
    BenchJanus *j = g_new0(BenchJanus, 1);
    j->session = soup_session_new();
    j->pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    j->handles = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    j->parts = g_ptr_array_new_with_free_func(part_free);
    g_autofree char *url = g_strdup_printf("ws://127.0.0.1:%u/", port);
    SoupMessage *msg = soup_message_new("GET", url);
    char *protocols[] = {"janus-protocol", NULL};
    soup_session_websocket_connect_async(j->session, msg, NULL, protocols, G_PRIORITY_DEFAULT, NULL,
                                         on_ws_connected, j);
    g_object_unref(msg);
    gint64 deadline = g_get_monotonic_time() + JANUS_SYNC_TIMEOUT_US;
    while (!j->ws && !j->connect_error && g_get_monotonic_time() < deadline)
        g_main_context_iteration(NULL, TRUE);
    if (!j->ws) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot reach janus at %s: %s", url,
                    j->connect_error ? j->connect_error->message : "timeout");
        janus_free(j);
        return FALSE;
    }
    j->session_id = jsync_id(j, json_pack("{s:s}", "janus", "create"), 0, error);
    if (j->session_id)
        j->admin_handle = jsync_id(
            j, json_pack("{s:s, s:s}", "janus", "attach", "plugin", "janus.plugin.videoroom"), 0,
            error);
    if (!j->admin_handle) {
        janus_free(j);
        return FALSE;
    }
    target->name = "janus";
    target->pid = pid;
    target->impl = j;
    target->add_consult = add_consult;
    target->free = janus_free;
    return TRUE;
}
