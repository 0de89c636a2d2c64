/* integration-http-framing: request framing is checked before any body is
 * read (issue 9, finding 12). A declared Content-Length of 1 GiB or -1 with a
 * short body is answered at once (413 / 400) instead of being dropped after
 * lws's 20 s body timeout; duplicate Content-Length and Content-Length with
 * Transfer-Encoding (request smuggling) are refused 400 and the connection
 * closed (its framing cannot be trusted); a body that is not taken but not
 * too long is discarded and the connection stays usable. */
#include <string.h>

#include "http_common.h"

#define ANSWER_MS (2000 * CG_TEST_TIME_SCALE)

typedef struct {
    const char *name;
    const char *request;
    guint status;
    const char *code; /* error.code in the JSON body, or NULL */
    gboolean closes;
} Case;

#define API "POST /api/v1/consults HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"

static const Case cases[] = {
    {"huge-length", API "Content-Length: 1073741824\r\n\r\n{}", 413, "body_too_large", TRUE},
    {"negative-length", API "Content-Length: -1\r\n\r\n{}", 400, "bad_request", TRUE},
    {"not-digits", API "Content-Length: 2x\r\n\r\n{}", 400, "bad_request", TRUE},
    {"duplicate-length", API "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}", 400, "bad_request",
     TRUE},
    {"conflicting-length", API "Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}", 400,
     "bad_request", TRUE},
    {"length-and-chunked",
     API "Content-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 400,
     "bad_request", TRUE},
    {"chunked", API "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 411,
     "length_required", TRUE},
    /* No Content-Length: no body (RFC 9112); lws would wait for one: closed. */
    {"no-length", API "\r\n", 401, NULL, TRUE},
    {"file-with-body", "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\nab",
     200, NULL, TRUE},
    {"small-unread-body",
     "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789", 200, NULL, FALSE},
    /* Control: a well-framed request reaches the admin API (no key: 401). */
    {"well-framed", API "Content-Length: 2\r\n\r\n{}", 401, NULL, FALSE},
};

static void expect_healthz(CgHttpConn *conn, const char *after)
{
    g_autoptr(GError) error = NULL;
    CgHttpReply r;
    if (!cg_http_exchange(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", FALSE, &r, &error))
        g_error("%s: the connection did not answer a next request: %s", after, error->message);
    g_assert_cmpuint(r.status, ==, 200);
    cg_http_reply_clear(&r);
}

static void test_framing(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CgTestDaemon) d = cg_test_daemon_start(NULL, &error);
    g_assert_no_error(error);
    g_autoptr(GPtrArray) open = g_ptr_array_new_with_free_func((GDestroyNotify)cg_http_conn_free);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        const Case *c = &cases[i];
        CgHttpConn *conn = cg_http_connect(d, NULL, 2, &error);
        g_assert_no_error(error);
        g_ptr_array_add(open, conn); /* left open, as a bot would */
        gint64 t0 = g_get_monotonic_time();
        CgHttpReply r;
        if (!cg_http_exchange(conn, c->request, FALSE, &r, &error))
            g_error("%s: no answer within %u ms: %s", c->name, ANSWER_MS, error->message);
        g_test_message("%s: %u in %.0f ms", c->name, r.status, (g_get_monotonic_time() - t0) / 1e3);
        g_assert_cmpuint(r.status, ==, c->status);
        if (c->code) {
            g_autofree char *body = g_strndup((const char *)r.body->data, r.body->len);
            g_autofree char *want = g_strdup_printf("\"code\":\"%s\"", c->code);
            if (!strstr(body, want))
                g_error("%s: want %s in %s", c->name, want, body);
        }
        if (c->closes) {
            g_assert_true(r.closed); /* "Connection: close" */
            if (!cg_http_wait_closed(conn, ANSWER_MS))
                g_error("%s: the connection stayed open with its body unread", c->name);
        }
        cg_http_reply_clear(&r);
        if (!c->closes)
            expect_healthz(conn, c->name);
    }
    /* A body over the admin API's 64 KiB, sent whole: 413 at once, the body
     * is discarded and the connection answers the next request. */
    g_autoptr(CgHttpConn) conn = cg_http_connect(d, NULL, 2, &error);
    g_assert_no_error(error);
    GString *big = g_string_new(API "Content-Length: 70000\r\n\r\n");
    for (guint i = 0; i < 70000; i++)
        g_string_append_c(big, 'x');
    CgHttpReply r;
    if (!cg_http_exchange(conn, big->str, FALSE, &r, &error))
        g_error("70000-byte body: %s", error->message);
    g_assert_cmpuint(r.status, ==, 413);
    cg_http_reply_clear(&r);
    g_string_free(big, TRUE);
    expect_healthz(conn, "after a discarded body");
    /* Nothing keeps the main thread busy, and it still serves everyone. */
    cg_http_assert_cpu_low(d, "after the framing refusals, connections left open");
    guint status = 0;
    g_assert_true(cg_test_admin_request(d, "GET", "/healthz", NULL, NULL, &status, NULL, &error));
    g_assert_cmpuint(status, ==, 200);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/http/framing", test_framing);
    return g_test_run();
}
