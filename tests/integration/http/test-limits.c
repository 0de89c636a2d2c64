/* integration-http-limits: per-address connection limits (issue 9, finding
 * 11). consultd listens on 127.0.0.1; the "attacker" connects from
 * 127.0.0.1, the legitimate client from 127.0.0.2 (loopback routes both).
 * Extra connections from one address are closed at accept, half-open TLS
 * handshakes are closed after server.handshake_timeout_s, and the other
 * address is still answered in < 1 s, also under a flood larger than
 * server.max_connections. */
#include <string.h>
#include <unistd.h>

#include "http_common.h"

#define OTHER "127.0.0.2"
#define ANSWER_MS (1000 * CG_TEST_TIME_SCALE)
#define TIMEOUT_S (2 * CG_TEST_TIME_SCALE) /* handshake_timeout_s of most tests */

/* GET /healthz from @local_ip on a new connection: answered 200 within
 * ANSWER_MS, or g_error. */
static void assert_answered(CgTestDaemon *d, const char *local_ip, const char *when)
{
    g_autoptr(GError) error = NULL;
    gint64 t0 = g_get_monotonic_time();
    g_autoptr(CgHttpConn) conn = cg_http_connect(d, local_ip, 2, &error);
    CgHttpReply r = {0};
    if (!conn ||
        !cg_http_exchange(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", FALSE, &r, &error))
        g_error("%s: %s got no answer: %s", when, local_ip, error->message);
    double ms = (g_get_monotonic_time() - t0) / 1e3;
    g_test_message("%s: %s answered %u in %.0f ms", when, local_ip, r.status, ms);
    g_assert_cmpuint(r.status, ==, 200);
    if (ms >= ANSWER_MS)
        g_error("%s: %s answered only after %.0f ms", when, local_ip, ms);
    cg_http_reply_clear(&r);
}

static CgTestDaemon *start(const char *server_extra)
{
    g_autoptr(GError) error = NULL;
    CgTestDaemonOptions o = {.server_extra = server_extra};
    CgTestDaemon *d = cg_test_daemon_start(&o, &error);
    g_assert_no_error(error);
    return d;
}

/* Half-open handshakes: the 4th from one address is closed at once, the
 * first 3 after handshake_timeout_s; the other address is served meanwhile. */
static void test_handshakes(void)
{
    g_autofree char *extra = g_strdup_printf("max_connections_per_address = 6;\n"
                                             "max_handshakes_per_address = 3;\n"
                                             "handshake_timeout_s = %d;",
                                             TIMEOUT_S);
    g_autoptr(CgTestDaemon) d = start(extra);
    int fds[3];
    gint64 opened = g_get_monotonic_time();
    for (guint i = 0; i < 3; i++) {
        fds[i] = cg_http_tcp_connect(d, "127.0.0.1");
        g_assert_cmpint(fds[i], >=, 0);
    }
    /* A partial ClientHello: a record header announcing 512 bytes, no more. */
    g_assert_cmpint(write(fds[0], "\x16\x03\x01\x02\x00", 5), ==, 5);
    int fourth = cg_http_tcp_connect(d, "127.0.0.1");
    g_assert_cmpint(fourth, >=, 0);
    if (!cg_http_fd_closed_within(fourth, ANSWER_MS))
        g_error("a 4th handshake from one address was not closed within %u ms", ANSWER_MS);
    close(fourth);
    assert_answered(d, OTHER, "3 half-open handshakes from 127.0.0.1");
    for (guint i = 0; i < 3; i++) {
        gint64 left_ms = 2 * TIMEOUT_S * 1000 - (g_get_monotonic_time() - opened) / 1000;
        if (!cg_http_fd_closed_within(fds[i], (guint)MAX(left_ms, 1)))
            g_error("half-open handshake %u still open %d s after connecting "
                    "(handshake_timeout_s = %d)",
                    i, 2 * TIMEOUT_S, TIMEOUT_S);
        g_test_message("half-open %u closed after %.1f s", i,
                       (g_get_monotonic_time() - opened) / 1e6);
        close(fds[i]);
    }
    /* The counts were released: 127.0.0.1 is served again. */
    assert_answered(d, "127.0.0.1", "after the half-open handshakes were closed");
}

/* A client that drips bytes of a ClientHello is never idle, yet it is closed
 * at 6 x handshake_timeout_s. */
static void test_drip(void)
{
    g_autofree char *extra = g_strdup_printf("handshake_timeout_s = %d;", CG_TEST_TIME_SCALE);
    g_autoptr(CgTestDaemon) d = start(extra);
    int fd = cg_http_tcp_connect(d, "127.0.0.1");
    g_assert_cmpint(fd, >=, 0);
    gint64 opened = g_get_monotonic_time();
    g_assert_cmpint(write(fd, "\x16\x03\x01\x02\x00", 5), ==, 5);
    gboolean closed = FALSE;
    while (!closed && g_get_monotonic_time() - opened < 9 * CG_TEST_TIME_SCALE * G_USEC_PER_SEC) {
        closed = cg_http_fd_closed_within(fd, 300);
        if (!closed && write(fd, "\x01", 1) != 1)
            closed = TRUE;
    }
    double s = (g_get_monotonic_time() - opened) / 1e6;
    g_test_message("dripping handshake closed after %.1f s", s);
    if (!closed)
        g_error("a dripping handshake was still open after %.1f s (handshake_timeout_s = %d)", s,
                CG_TEST_TIME_SCALE);
    close(fd);
}

/* Established connections: the 7th from one address is refused. */
static void test_connections(void)
{
    g_autoptr(CgTestDaemon) d = start("max_connections_per_address = 6;\n"
                                      "max_handshakes_per_address = 3;\n"
                                      "handshake_timeout_s = 10;");
    g_autoptr(GError) error = NULL;
    GPtrArray *held = g_ptr_array_new_with_free_func((GDestroyNotify)cg_http_conn_free);
    for (guint i = 0; i < 6; i++) {
        CgHttpConn *conn = cg_http_connect(d, "127.0.0.1", 2, &error);
        g_assert_no_error(error);
        CgHttpReply r;
        g_assert_true(
            cg_http_exchange(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", FALSE, &r, &error));
        g_assert_cmpuint(r.status, ==, 200);
        cg_http_reply_clear(&r);
        g_ptr_array_add(held, conn);
    }
    g_autoptr(CgHttpConn) seventh = cg_http_connect(d, "127.0.0.1", 2, &error);
    if (seventh) {
        /* The handshake may complete in the client's view before the close. */
        g_assert_true(cg_http_wait_closed(seventh, ANSWER_MS));
    }
    g_clear_error(&error);
    assert_answered(d, OTHER, "6 connections held by 127.0.0.1");
    /* One of them closes: 127.0.0.1 gets a slot again. */
    g_ptr_array_remove_index(held, 0);
    gint64 deadline = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    gboolean served = FALSE;
    while (!served && g_get_monotonic_time() < deadline) {
        g_autoptr(CgHttpConn) conn = cg_http_connect(d, "127.0.0.1", 2, NULL);
        CgHttpReply r = {0};
        served = conn && cg_http_exchange(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", FALSE,
                                          &r, NULL);
        cg_http_reply_clear(&r);
        if (!served)
            cg_test_run_for(50);
    }
    g_assert_true(served);
    g_ptr_array_unref(held);
}

/* The attack with the default limits: more connections from one
 * address than server.max_connections (256), half-open and established. */
static void test_flood(void)
{
    /* Default limits, but idle keep-alive connections kept for the whole
     * test: none closes to make room while the flood is counted. */
    g_autoptr(CgTestDaemon) d = start("handshake_timeout_s = 60;");
    GArray *fds = g_array_new(FALSE, FALSE, sizeof(int));
    GPtrArray *held = g_ptr_array_new_with_free_func((GDestroyNotify)cg_http_conn_free);
    for (guint i = 0; i < 100; i++) {
        CgHttpConn *conn = cg_http_connect(d, "127.0.0.1", 2, NULL);
        CgHttpReply r = {0};
        if (conn &&
            cg_http_exchange(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", FALSE, &r, NULL))
            g_ptr_array_add(held, conn); /* kept open (keep-alive) */
        else
            g_clear_pointer(&conn, cg_http_conn_free);
        cg_http_reply_clear(&r);
    }
    /* server.max_connections_per_address defaults to 64 (counted at the
     * end: where connecting is slow, early ones may have timed out). */
    guint open_now = 0;
    for (guint i = 0; i < held->len; i++)
        open_now += !cg_http_wait_closed(held->pdata[i], 0);
    g_test_message("flood: %u of them still open", open_now);
    g_assert_cmpuint(open_now, <=, 64);
    for (guint i = 0; i < 200; i++) {
        int fd = cg_http_tcp_connect(d, "127.0.0.1");
        if (fd >= 0)
            g_array_append_val(fds, fd);
    }
    g_test_message("flood: %u TLS connections, %u half-open sockets from 127.0.0.1", held->len,
                   fds->len);
    for (guint i = 0; i < 8; i++)
        assert_answered(d, OTHER, "flood from 127.0.0.1");
    for (guint i = 0; i < fds->len; i++)
        close(g_array_index(fds, int, i));
    g_array_unref(fds);
    g_ptr_array_unref(held);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/http/limits/handshakes", test_handshakes);
    g_test_add_func("/http/limits/drip", test_drip);
    g_test_add_func("/http/limits/connections", test_connections);
    g_test_add_func("/http/limits/flood", test_flood);
    return g_test_run();
}
