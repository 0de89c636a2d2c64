/* http_common.c — see http_common.h. */
#include "http_common.h"

#include "consult_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

CgHttpConn *cg_http_connect(CgTestDaemon *d, const char *local_ip, guint timeout_s, GError **error)
{
    g_autoptr(GSocketClient) client = cg_test_tls_client_new(cg_test_daemon_certificate(d));
    g_socket_client_set_timeout(client, timeout_s * CG_TEST_TIME_SCALE);
    if (local_ip) {
        g_autoptr(GSocketAddress) local = g_inet_socket_address_new_from_string(local_ip, 0);
        g_socket_client_set_local_address(client, local);
    }
    GSocketConnection *conn =
        g_socket_client_connect_to_host(client, "127.0.0.1", cg_test_daemon_port(d), NULL, error);
    if (!conn)
        return NULL;
    CgHttpConn *c = g_new0(CgHttpConn, 1);
    c->conn = conn;
    c->pending = g_byte_array_new();
    return c;
}

void cg_http_conn_free(CgHttpConn *c)
{
    if (!c)
        return;
    g_clear_object(&c->conn);
    g_byte_array_unref(c->pending);
    g_free(c);
}

void cg_http_reply_clear(CgHttpReply *r)
{
    g_clear_pointer(&r->headers, g_free);
    g_clear_pointer(&r->body, g_byte_array_unref);
}

const char *cg_http_reply_header(const CgHttpReply *r, const char *name, char *buf, gsize size)
{
    g_autofree char *needle = g_strdup_printf("\r\n%s:", name);
    g_autofree char *all = g_strconcat("\r\n", r->headers ? r->headers : "", NULL);
    const char *at = strstr(all, needle);
    if (!at)
        return NULL;
    at += strlen(needle);
    const char *end = strstr(at, "\r\n");
    g_autofree char *value = end ? g_strndup(at, end - at) : g_strdup(at);
    g_strlcpy(buf, g_strstrip(value), size);
    return buf;
}

/* Reads more bytes into c->pending; FALSE at EOF or on an error. */
static gboolean read_more(CgHttpConn *c, GError **error)
{
    guint8 buf[4096];
    GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(c->conn));
    gssize n = g_input_stream_read(in, buf, sizeof buf, NULL, error);
    if (n <= 0) {
        if (n == 0)
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_CLOSED, "connection closed");
        return FALSE;
    }
    g_byte_array_append(c->pending, buf, (guint)n);
    return TRUE;
}

gboolean cg_http_exchange(CgHttpConn *c, const char *request, gboolean head, CgHttpReply *out,
                          GError **error)
{
    memset(out, 0, sizeof *out);
    GOutputStream *os = g_io_stream_get_output_stream(G_IO_STREAM(c->conn));
    if (!g_output_stream_write_all(os, request, strlen(request), NULL, NULL, error))
        return FALSE;
    const char *end;
    while (c->pending->len == 0 ||
           !(end = g_strstr_len((const char *)c->pending->data, c->pending->len, "\r\n\r\n")))
        if (!read_more(c, error))
            return FALSE;
    gsize header_len = end + 4 - (const char *)c->pending->data;
    g_autofree char *head_text = g_ascii_strdown((const char *)c->pending->data, header_len);
    if (sscanf(head_text, "http/1.%*d %u", &out->status) != 1) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "bad status line");
        return FALSE;
    }
    const char *first_eol = strstr(head_text, "\r\n");
    out->headers = g_strndup(first_eol + 2, strlen(first_eol + 2) - 2);
    char cl[32];
    guint64 want = 0;
    if (!head && cg_http_reply_header(out, "content-length", cl, sizeof cl))
        want = g_ascii_strtoull(cl, NULL, 10);
    g_byte_array_remove_range(c->pending, 0, (guint)header_len);
    while (c->pending->len < want)
        if (!read_more(c, error))
            return FALSE;
    out->body = g_byte_array_new();
    g_byte_array_append(out->body, c->pending->data, (guint)want);
    g_byte_array_remove_range(c->pending, 0, (guint)want);
    char conn_hdr[32];
    out->closed = cg_http_reply_header(out, "connection", conn_hdr, sizeof conn_hdr) &&
                  g_str_equal(conn_hdr, "close");
    return TRUE;
}

gboolean cg_http_wait_closed(CgHttpConn *c, guint timeout_ms)
{
    GSocket *sock = g_socket_connection_get_socket(c->conn);
    GPollableInputStream *in =
        G_POLLABLE_INPUT_STREAM(g_io_stream_get_input_stream(G_IO_STREAM(c->conn)));
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    for (;;) {
        guint8 buf[1024];
        g_autoptr(GError) error = NULL;
        gssize n = g_pollable_input_stream_read_nonblocking(in, buf, sizeof buf, NULL, &error);
        if (n == 0 || (n < 0 && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)))
            return TRUE;
        gint64 left = deadline - g_get_monotonic_time();
        if (left <= 0)
            return FALSE;
        if (n < 0)
            g_socket_condition_timed_wait(sock, G_IO_IN | G_IO_HUP | G_IO_ERR, left, NULL, NULL);
    }
}

void cg_http_assert_cpu_low(CgTestDaemon *d, const char *what)
{
    double before = 0, after = 0;
    guint64 rss_kib = 0;
    g_assert_true(cg_fx_proc_usage(cg_test_daemon_pid(d), &before, &rss_kib));
    gint64 t0 = g_get_monotonic_time();
    cg_test_run_for(2000);
    g_assert_true(cg_fx_proc_usage(cg_test_daemon_pid(d), &after, &rss_kib));
    double seconds = (g_get_monotonic_time() - t0) / 1e6;
    double share = (after - before) / seconds;
    g_test_message("%s: %.0f %% of a core over %.1f s", what, share * 100, seconds);
    if (share >= 0.2)
        g_error("%s: consultd used %.0f %% of a core over %.1f s after the requests", what,
                share * 100, seconds);
}

int cg_http_tcp_connect(CgTestDaemon *d, const char *local_ip)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    if (fd < 0)
        return -1;
    if (local_ip) {
        inet_pton(AF_INET, local_ip, &addr.sin_addr);
        if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0)
            goto fail;
    }
    addr.sin_port = htons(cg_test_daemon_port(d));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0)
        goto fail;
    return fd;
fail:
    close(fd);
    return -1;
}

gboolean cg_http_fd_closed_within(int fd, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    for (;;) {
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) == 0)
            return FALSE;
        char buf[512];
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return TRUE;
    }
}
