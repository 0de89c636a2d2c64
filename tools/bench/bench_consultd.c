/* bench_consultd.c — the consultd target: the real daemon started by the
 * integration-test harness, consults created through the admin API (case
 * conferences: one specialist, the others providers), endpoints joined
 * through the WSS protocol, each glued to a fleet endpoint (CgRtcPeer). */
#include <string.h>

#include "bench_target.h"
#include "daemon_harness.h"
#include "wss_client.h"

typedef struct {
    CgTestDaemon *daemon;
    GHashTable *index_of; /* participant id -> endpoint index + 1 */
    GPtrArray *endpoints; /* BenchEp*, owned */
    GPtrArray *prepared;  /* CgTestConsult*, owned, not joined yet */
    guint next_prepared;
} BenchConsultd;

typedef struct {
    BenchConsultd *owner;
    CgBenchFleet *fleet;
    guint index;
    char *token;
    CgWssClient *wss;
    CgRtcPeer *peer; /* owned by the fleet */
    gint64 *join_time;
} BenchEp;

static void on_description(gpointer user, const char *pc, const char *type, const char *sdp)
{
    BenchEp *ep = user;
    json_t *m = json_pack("{s:s, s:s, s:s}", "type", type, "pc", pc, "sdp", sdp);
    cg_wss_client_send_json(ep->wss, m);
    json_decref(m);
}

static void on_candidate(gpointer user, const char *pc, guint mline, const char *cand)
{
    BenchEp *ep = user;
    json_t *m = json_pack("{s:s, s:s, s:i, s:s}", "type", "candidate", "pc", pc, "sdpMLineIndex",
                          (json_int_t)mline, "candidate", cand);
    cg_wss_client_send_json(ep->wss, m);
    json_decref(m);
}

static const char *str(json_t *msg, const char *key)
{
    return json_string_value(json_object_get(msg, key));
}

static void on_message(CgWssClient *wss, json_t *msg, gpointer user)
{
    BenchEp *ep = user;
    const char *type = str(msg, "type"), *pc = str(msg, "pc");
    if (type && g_strcmp0(type, "candidate") != 0)
        cg_bench_trace(ep->index, pc ? pc : "-", "recv %s", type);
    if (g_strcmp0(type, "joined") == 0 && !ep->peer) {
        static const CgRtcPeerEvents events = {on_description, on_candidate};
        ep->peer = cg_bench_fleet_add(ep->fleet, ep->index, &events, ep);
        cg_rtc_peer_publish(ep->peer);
    } else if ((g_strcmp0(type, "offer") == 0 || g_strcmp0(type, "answer") == 0) && ep->peer &&
               pc && str(msg, "sdp")) {
        const char *who = str(msg, "participant");
        guint idx = who ? GPOINTER_TO_UINT(g_hash_table_lookup(ep->owner->index_of, who)) : 0;
        g_autofree char *label = cg_bench_label((gint)idx - 1);
        cg_rtc_peer_remote_description(ep->peer, pc, type, str(msg, "sdp"), label);
    } else if (g_strcmp0(type, "candidate") == 0 && ep->peer && pc && str(msg, "candidate")) {
        json_t *idx = json_object_get(msg, "sdpMLineIndex");
        if (json_is_integer(idx) && json_integer_value(idx) >= 0)
            cg_rtc_peer_remote_candidate(ep->peer, pc, (guint)json_integer_value(idx),
                                         str(msg, "candidate"));
    } else if (g_strcmp0(type, "error") == 0) {
        g_message("bench: endpoint %u: server error %s", ep->index,
                  str(msg, "code") ? str(msg, "code") : "?");
    }
    json_decref(cg_wss_client_pop(wss)); /* everything needed was taken above */
}

static void on_open(CgWssClient *wss, gboolean opened, gpointer user)
{
    BenchEp *ep = user;
    if (!opened) {
        g_message("bench: endpoint %u: WebSocket did not open", ep->index);
        return;
    }
    json_t *join = json_pack("{s:s, s:s}", "type", "join", "token", ep->token);
    *ep->join_time = g_get_monotonic_time();
    cg_bench_trace(ep->index, "-", "send join");
    cg_wss_client_send_json(wss, join);
    json_decref(join);
}

static CgTestConsult *create_consult(BenchConsultd *c, guint first, guint participants,
                                     GError **error)
{
    g_autoptr(GPtrArray) roles = g_ptr_array_new();
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < participants; i++) {
        g_ptr_array_add(roles, i == 0 ? "specialist" : "provider");
        g_ptr_array_add(names, g_strdup_printf("Bench %u", first + i));
    }
    g_ptr_array_add(roles, NULL);
    g_ptr_array_add(names, NULL);
    return cg_test_create_consult(c->daemon, 0, "case_conference",
                                  (const char *const *)roles->pdata,
                                  (const char *const *)names->pdata, error);
}

static gboolean prepare(gpointer impl, guint consults, guint participants, GError **error)
{
    BenchConsultd *c = impl;
    for (guint i = 0; i < consults; i++) {
        CgTestConsult *consult = create_consult(c, i * participants, participants, error);
        if (!consult)
            return FALSE;
        g_ptr_array_add(c->prepared, consult);
    }
    return TRUE;
}

static gboolean add_consult(gpointer impl, CgBenchFleet *fleet, guint first, guint participants,
                            gint64 *join_times, GError **error)
{
    BenchConsultd *c = impl;
    CgTestConsult *consult =
        c->next_prepared < c->prepared->len ? c->prepared->pdata[c->next_prepared++] : NULL;
    g_autoptr(CgTestConsult) own = NULL;
    if (!consult) {
        consult = own = create_consult(c, first, participants, error);
        if (!consult)
            return FALSE;
    }
    for (guint i = 0; i < participants; i++) {
        g_hash_table_insert(c->index_of, g_strdup(consult->ids[i]),
                            GUINT_TO_POINTER(first + i + 1));
        BenchEp *ep = g_new0(BenchEp, 1);
        ep->owner = c;
        ep->fleet = fleet;
        ep->index = first + i;
        ep->token = g_strdup(consult->tokens[i]);
        ep->join_time = &join_times[first + i];
        ep->wss = cg_wss_client_new(cg_test_daemon_port(c->daemon), "/ws",
                                    cg_test_daemon_certificate(c->daemon));
        cg_wss_client_set_handler(ep->wss, on_message, ep);
        cg_wss_client_set_open_handler(ep->wss, on_open, ep);
        g_ptr_array_add(c->endpoints, ep);
    }
    return TRUE;
}

static void ep_free(gpointer p)
{
    BenchEp *ep = p;
    cg_wss_client_free(ep->wss);
    g_free(ep->token);
    g_free(ep);
}

static void consultd_free(gpointer impl)
{
    BenchConsultd *c = impl;
    g_ptr_array_unref(c->endpoints);
    g_ptr_array_unref(c->prepared);
    g_hash_table_unref(c->index_of);
    g_autoptr(GError) error = NULL;
    int status = 0;
    if (!cg_test_daemon_stop(c->daemon, 5000, &status, &error))
        g_message("bench: consultd did not stop: %s", error->message);
    cg_test_daemon_free(c->daemon);
    g_free(c);
}

gboolean cg_bench_target_consultd(CgBenchTarget *target, guint participants, GError **error)
{
    CgTestDaemonOptions options = {0};
    options.max_participants = participants;
    /* keep consultd's log off our stderr, unless $CG_BENCH_SERVER_LOG asks for it */
    if (!g_getenv("CG_BENCH_SERVER_LOG"))
        g_setenv("CG_TEST_QUIET", "1", FALSE);
    CgTestDaemon *daemon = cg_test_daemon_start(&options, error);
    if (!daemon)
        return FALSE;
    BenchConsultd *c = g_new0(BenchConsultd, 1);
    c->daemon = daemon;
    c->index_of = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    c->endpoints = g_ptr_array_new_with_free_func(ep_free);
    c->prepared = g_ptr_array_new_with_free_func((GDestroyNotify)cg_test_consult_free);
    target->name = "consultd";
    target->pid = cg_test_daemon_pid(daemon);
    target->impl = c;
    target->add_consult = add_consult;
    target->prepare = prepare;
    target->free = consultd_free;
    return TRUE;
}
