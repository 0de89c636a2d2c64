/* integration-peers-flood: what one socket may cost (issue 9, finding 1).
 *
 * junk: a socket that never logs in streams one-byte junk frames and never
 * reads. The daemon's memory stays bounded, the socket is closed with 1008
 * too_many_errors after the error budget (not answered once per frame), the
 * log holds a bounded number of refusal lines, and meanwhile a legitimate
 * endpoint joins in time.
 *
 * not-reading: a joined endpoint stops reading while another one makes the
 * server send it message after message; it is closed (its outbox is capped)
 * and the others are told it left, instead of the daemon queueing forever. */
#include <string.h>

#include "peers_common.h"

#define JUNK_FRAMES 300000
/* Far above what the bounded daemon grows by (a few MB of allocator and TLS
 * noise), far below the unbounded one (~100 bytes per junk frame queued). */
#define RSS_GROWTH_MAX_KB (16 * 1024)
/* CG_PEER_ERROR_BUDGET answers, then too_many_errors. */
#define MAX_ERRORS_ANSWERED 21
/* CG_REFUSAL_LOG_LINES per address and window. */
#define MAX_REFUSAL_LINES 10

typedef struct {
    CgTestDaemon *daemon;
    PtRaw *raw;
    guint sent;
    gint done;
} Flood;

static gpointer flood_thread(gpointer data)
{
    Flood *f = data;
    for (f->sent = 0; f->sent < JUNK_FRAMES; f->sent++)
        if (!pt_ws_send(f->raw, CG_WS_OPCODE_TEXT, TRUE, "x", 1, NULL))
            break; /* the daemon closed it: expected once it gave up on us */
    g_atomic_int_set(&f->done, 1);
    return NULL;
}

static gboolean flood_done(gpointer data)
{
    return g_atomic_int_get(&((Flood *)data)->done);
}

typedef struct {
    CgTestDaemon *daemon;
    guint64 base_kb;
} RssProbe;

static gboolean rss_over(gpointer data)
{
    RssProbe *p = data;
    return pt_daemon_rss_kb(p->daemon) > p->base_kb + RSS_GROWTH_MAX_KB;
}

static CgTestConsult *make_consult(CgTestDaemon *daemon)
{
    static const char *const roles[] = {"specialist", "patient", NULL};
    static const char *const names[] = {"Dr. Flood", "Pat Flood", NULL};
    g_autoptr(GError) error = NULL;
    CgTestConsult *c = cg_test_create_consult(daemon, 0, "virtual_consult", roles, names, &error);
    g_assert_no_error(error);
    return c;
}

static CgWssClient *join(CgTestDaemon *daemon, const char *token)
{
    CgWssClient *wss =
        cg_wss_client_new(cg_test_daemon_port(daemon), "/ws", cg_test_daemon_certificate(daemon));
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_wss_client_wait_open(wss, 5000, &error));
    g_autofree char *text = pt_join_text(token);
    cg_wss_client_send_text(wss, text, -1);
    json_t *joined = cg_wss_client_wait_type(wss, "joined", 5000);
    if (!joined)
        g_error("a legitimate join got no answer (closed %u \"%s\")",
                cg_wss_client_close_status(wss), cg_wss_client_close_reason(wss));
    json_decref(joined);
    return wss;
}

static void test_junk(void)
{
    g_autoptr(GError) error = NULL;
    CgTestDaemonOptions o = {0};
    g_autoptr(CgTestDaemon) daemon = cg_test_daemon_start(&o, &error);
    g_assert_no_error(error);
    g_autoptr(CgTestConsult) consult = make_consult(daemon);
    RssProbe probe = {daemon, pt_daemon_rss_kb(daemon)};

    Flood f = {daemon, pt_raw_connect(daemon), 0, 0};
    pt_ws_upgrade(f.raw);
    GThread *thread = g_thread_new("flood", flood_thread, &f);
    /* Meanwhile a legitimate endpoint joins. */
    g_autoptr(CgWssClient) legit = join(daemon, consult->tokens[0]);
    /* The daemon's log is read on this thread's main context: keep it
     * running, or a chatty daemon would block on its stderr. */
    g_assert_true(cg_test_wait_until(flood_done, &f, 120000));
    g_thread_join(thread);
    g_test_message("junk frames written before the daemon closed: %u", f.sent);

    /* Memory: the daemon holds no queue of answers for a socket that does
     * not read (asserting that something does NOT happen: a deadline). */
    g_assert_false(cg_test_wait_until(rss_over, &probe, 3000));
    g_test_message("daemon RSS %" G_GUINT64_FORMAT " kB -> %" G_GUINT64_FORMAT " kB", probe.base_kb,
                   pt_daemon_rss_kb(daemon));

    /* The flooding socket was dropped (its writes failed or it reads the
     * end): the daemon does not keep it. */
    guint status = 0, n_errors = 0;
    g_autofree char *reason = NULL;
    if (f.sent == JUNK_FRAMES && pt_ws_read_until_close(f.raw, &status, &reason, &n_errors))
        g_assert_cmpuint(n_errors, <=, MAX_ERRORS_ANSWERED);
    pt_raw_free(f.raw);

    /* What such a socket hears, read once it stops sending: a bounded
     * number of answers, then 1008 too_many_errors. */
    g_autoptr(PtRaw) raw = pt_raw_connect(daemon);
    pt_ws_upgrade(raw);
    for (guint i = 0; i < 2 * MAX_ERRORS_ANSWERED; i++)
        g_assert_true(pt_ws_send(raw, CG_WS_OPCODE_TEXT, TRUE, "x", 1, NULL));
    g_clear_pointer(&reason, g_free);
    g_assert_true(pt_ws_read_until_close(raw, &status, &reason, &n_errors));
    g_assert_cmpuint(status, ==, 1008);
    g_assert_cmpstr(reason, ==, "too_many_errors");
    g_assert_cmpuint(n_errors, ==, MAX_ERRORS_ANSWERED);

    /* The log: a bounded number of refusal lines for that address. */
    cg_test_run_for(500);
    guint lines = cg_test_daemon_log_count(daemon, "refused (");
    g_test_message("refusal log lines: %u", lines);
    g_assert_cmpuint(lines, <=, MAX_REFUSAL_LINES);
    g_assert_true(cg_test_daemon_log_contains(daemon, "refused (malformed_message)"));
    g_assert_false(cg_wss_client_is_closed(legit));
}

typedef struct {
    const char *left_id;
    gboolean left;     /* the specialist heard participant_left for left_id */
    guint states_seen; /* participant_media_state the observer received */
} Watch;

static void on_specialist(CgWssClient *wss, json_t *m, gpointer data)
{
    Watch *w = data;
    (void)wss;
    if (g_strcmp0(json_string_value(json_object_get(m, "type")), "participant_left") == 0 &&
        g_strcmp0(json_string_value(json_object_get(m, "participant")), w->left_id) == 0)
        w->left = TRUE;
}

static void on_observer(CgWssClient *wss, json_t *m, gpointer data)
{
    Watch *w = data;
    (void)wss;
    if (g_strcmp0(json_string_value(json_object_get(m, "type")), "participant_media_state") == 0)
        w->states_seen++;
}

typedef struct {
    Watch *w;
    guint sent;
} Pace;

/* The daemon has caught up with all but a few hundred of the toggles sent
 * (the observer, which reads, saw them), or the deaf endpoint was dropped. */
static gboolean caught_up(gpointer data)
{
    Pace *p = data;
    return p->w->left || p->w->states_seen + 200 >= p->sent;
}

static void test_not_reading(void)
{
    g_autoptr(GError) error = NULL;
    CgTestDaemonOptions o = {0};
    g_autoptr(CgTestDaemon) daemon = cg_test_daemon_start(&o, &error);
    g_assert_no_error(error);
    static const char *const roles[] = {"specialist", "patient", "provider", NULL};
    static const char *const names[] = {"Dr. Flood", "Pat Flood", "Dr. Watch", NULL};
    g_autoptr(CgTestConsult) consult =
        cg_test_create_consult(daemon, 0, "virtual_consult", roles, names, &error);
    g_assert_no_error(error);
    Watch w = {consult->ids[1], FALSE, 0};

    g_autoptr(CgWssClient) specialist = join(daemon, consult->tokens[0]);
    g_autoptr(CgWssClient) observer = join(daemon, consult->tokens[2]);
    /* The patient joins on a raw socket with a small receive buffer (the
     * specialist admits it from the waiting room) and never reads again. */
    g_autoptr(PtRaw) deaf = pt_raw_connect_rcvbuf(daemon, 4096);
    pt_ws_upgrade(deaf);
    g_autofree char *join_deaf = pt_join_text(consult->tokens[1]);
    g_assert_true(pt_ws_send(deaf, CG_WS_OPCODE_TEXT, TRUE, join_deaf, strlen(join_deaf), NULL));
    g_assert_true(cg_test_daemon_wait_log(daemon, "(waiting room)", 5000));
    json_t *admit = json_pack("{s:s, s:s}", "type", "admit", "participant", consult->ids[1]);
    cg_wss_client_send_json(specialist, admit);
    json_decref(admit);
    json_t *joined = cg_wss_client_wait_type(observer, "participant_joined", 5000);
    g_assert_nonnull(joined);
    json_decref(joined);
    cg_wss_client_set_handler(specialist, on_specialist, &w);
    cg_wss_client_set_handler(observer, on_observer, &w);

    /* The specialist toggles its microphone: each toggle is one message to
     * the patient (and to the observer, which paces the test). Go on until
     * the patient is dropped, or give up. */
    Pace pace = {&w, 0};
    gint64 deadline = g_get_monotonic_time() + 90 * G_USEC_PER_SEC;
    while (!w.left && g_get_monotonic_time() < deadline) {
        for (guint i = 0; i < 500; i++, pace.sent++) {
            json_t *m = json_pack("{s:s, s:b, s:b}", "type", "media_state", "audio", pace.sent % 2,
                                  "video", TRUE);
            cg_wss_client_send_json(specialist, m);
            json_decref(m);
        }
        cg_test_wait_until(caught_up, &pace, 10000);
    }
    g_test_message("toggles sent until the deaf endpoint was dropped: %u (observer saw %u)",
                   pace.sent, w.states_seen);
    g_assert_true(w.left);
    g_assert_true(cg_test_daemon_wait_log(daemon, "(it does not read)", 5000));
    g_assert_false(cg_wss_client_is_closed(specialist));
    g_assert_false(cg_wss_client_is_closed(observer));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/peers/flood/junk", test_junk);
    g_test_add_func("/peers/flood/not-reading", test_not_reading);
    return g_test_run();
}
