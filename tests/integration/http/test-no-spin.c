/* integration-http-no-spin: no HTTP status path keeps consultd's main thread
 * busy (issue 9, finding 0). A 404 used to leave the transaction open and
 * the main thread spinning until the client gave up. Each request below is
 * made on a connection the client then leaves open; consultd's CPU time over
 * the next 2 s must stay low, keep-alive connections must answer a second
 * request, and SIGTERM must still exit within shutdown_timeout_s. */
#include <string.h>

#include "http_common.h"

typedef struct {
    const char *name;
    const char *request;
    gboolean head;
    guint status;
} Case;

static const Case cases[] = {
    {"missing-file", "GET /no-such-page HTTP/1.1\r\nHost: x\r\n\r\n", FALSE, 404},
    {"missing-static", "GET /nope.js HTTP/1.1\r\nHost: x\r\n\r\n", FALSE, 404},
    {"head-missing", "HEAD /no-such-page HTTP/1.1\r\nHost: x\r\n\r\n", TRUE, 404},
    {"head-index", "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", TRUE, 200},
    {"method", "DELETE /index.html HTTP/1.1\r\nHost: x\r\n\r\n", FALSE, 405},
    {"post-static", "POST /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", FALSE,
     405},
    {"api-no-key", "GET /api/v1/consults HTTP/1.1\r\nHost: x\r\n\r\n", FALSE, 401},
    {"healthz", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", FALSE, 200},
};

static void test_statuses(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CgTestDaemon) d = cg_test_daemon_start(NULL, &error);
    g_assert_no_error(error);
    GPtrArray *open = g_ptr_array_new_with_free_func((GDestroyNotify)cg_http_conn_free);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        const Case *c = &cases[i];
        CgHttpConn *conn = cg_http_connect(d, NULL, 5, &error);
        g_assert_no_error(error);
        g_ptr_array_add(open, conn);
        const char *request = c->request;
        CgHttpReply r;
        if (!cg_http_exchange(conn, request, c->head, &r, &error))
            g_error("%s: no answer: %s", c->name, error->message);
        g_assert_cmpuint(r.status, ==, c->status);
        cg_http_reply_clear(&r);
        /* Keep-alive: the same connection answers the next request. */
        const char *again = cases[G_N_ELEMENTS(cases) - 1].request;
        if (!cg_http_exchange(conn, again, FALSE, &r, &error))
            g_error("%s: the keep-alive connection did not answer again: %s", c->name,
                    error->message);
        g_assert_cmpuint(r.status, ==, 200);
        cg_http_reply_clear(&r);
        /* The connection stays open, as a bot's would, for the measurement. */
        if (!cg_http_exchange(conn, request, c->head, &r, &error))
            g_error("%s: no third answer: %s", c->name, error->message);
        cg_http_reply_clear(&r);
    }
    cg_http_assert_cpu_low(d, "after every status, connections left open");
    int exit_status = -1;
    gint64 t0 = g_get_monotonic_time();
    g_assert_true(cg_test_daemon_stop(d, 7000, &exit_status, &error));
    g_assert_no_error(error);
    g_assert_cmpint(exit_status, ==, 0);
    g_test_message("SIGTERM to exit: %.1f s", (g_get_monotonic_time() - t0) / 1e6);
    g_ptr_array_unref(open);
}

/* Connection: close on each status: answered, then closed by the server. */
static void test_close(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CgTestDaemon) d = cg_test_daemon_start(NULL, &error);
    g_assert_no_error(error);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(CgHttpConn) conn = cg_http_connect(d, NULL, 5, &error);
        g_assert_no_error(error);
        const char *request = cases[i].request;
        char *eol = strstr(request, "\r\n\r\n");
        g_autofree char *with_close =
            g_strdup_printf("%.*s\r\nConnection: close\r\n\r\n", (int)(eol - request), request);
        CgHttpReply r;
        if (!cg_http_exchange(conn, with_close, cases[i].head, &r, &error))
            g_error("%s: no answer: %s", cases[i].name, error->message);
        g_assert_cmpuint(r.status, ==, cases[i].status);
        cg_http_reply_clear(&r);
        if (!cg_http_wait_closed(conn, 2000 * CG_TEST_TIME_SCALE))
            g_error("%s: Connection: close, yet still open after 2 s", cases[i].name);
    }
    cg_http_assert_cpu_low(d, "after Connection: close requests");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/http/no-spin/keep-alive", test_statuses);
    g_test_add_func("/http/no-spin/close", test_close);
    return g_test_run();
}
