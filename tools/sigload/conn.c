/* conn.c — one sigload connection: connect from its source address, TLS,
 * WebSocket upgrade, then behave as its kind says until the server closes it.
 * Level-triggered epoll; every call does what it can without blocking. */
#include <errno.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sigload.h"

#define HTTP_MAX 4096
#define MUTE_FRAMES_PER_TICK 16

typedef enum { ST_CONNECTING, ST_TLS, ST_UPGRADE, ST_OPEN } SlState;

struct _SlConn {
    SlRun *run;
    int epfd, fd;
    SlKind kind;
    SlState state;
    guint source, serial;
    SSL *ssl;
    gint64 t_start, t_open, next_send;
    GBytes *pending; /* what SSL_write must be called with again */
    gsize pending_off;
    GString *http; /* the upgrade response so far */
    SlWsParser ws;
    guint32 interest;
};

static SlKindStats *stats(SlConn *c)
{
    return &c->run->kinds[c->kind];
}

static void want(SlConn *c, guint32 events)
{
    if (events == c->interest)
        return;
    struct epoll_event ev = {.events = events, .data.ptr = c};
    epoll_ctl(c->epfd, EPOLL_CTL_MOD, c->fd, &ev);
    c->interest = events;
}

static gboolean fail(SlConn *c, const char *reason)
{
    sl_stats_fail(stats(c), reason);
    return FALSE;
}

/* The server ended an open connection (@code: its close status, 0 if none). */
static gboolean closed(SlConn *c, guint code)
{
    gint64 now = g_get_monotonic_time();
    sl_stats_close(stats(c), code, (now - c->t_open) / 1e6, now);
    return FALSE;
}

/* A socket-level end: a failure before open, a server close after. */
static gboolean ended(SlConn *c, const char *reason)
{
    return c->state == ST_OPEN ? closed(c, c->ws.closed ? c->ws.close_code : 0) : fail(c, reason);
}

/* The events to wait for in the open state, by kind. */
static guint32 open_interest(const SlConn *c)
{
    guint32 e = c->kind == SL_MUTE ? EPOLLRDHUP : EPOLLIN | EPOLLRDHUP;
    return c->pending ? e | EPOLLOUT : e;
}

static gboolean flush(SlConn *c)
{
    while (c->pending) {
        gsize len = 0;
        const guint8 *data = g_bytes_get_data(c->pending, &len);
        ERR_clear_error();
        int n = SSL_write(c->ssl, data + c->pending_off, (int)(len - c->pending_off));
        if (n > 0) {
            c->pending_off += (gsize)n;
            if (c->pending_off == len) {
                g_clear_pointer(&c->pending, g_bytes_unref);
                c->pending_off = 0;
            }
            continue;
        }
        int err = SSL_get_error(c->ssl, n);
        if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ)
            break;
        return ended(c, "write");
    }
    if (c->state == ST_OPEN)
        want(c, open_interest(c));
    else /* the upgrade: its request out, then its response in */
        want(c, c->pending ? EPOLLOUT : EPOLLIN);
    return TRUE;
}

static gboolean send_bytes(SlConn *c, GBytes *bytes)
{
    c->pending = bytes;
    c->pending_off = 0;
    return flush(c);
}

static gboolean send_upgrade(SlConn *c)
{
    guint8 key[16];
    for (guint i = 0; i < sizeof key; i++)
        key[i] = (guint8)g_random_int();
    g_autofree char *key64 = g_base64_encode(key, sizeof key);
    char *req = c->kind == SL_PROBE
                    ? g_strdup_printf("GET /sigload-missing-page HTTP/1.1\r\nHost: %s\r\n\r\n",
                                      c->run->host_header)
                    : g_strdup_printf("GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                                      "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                                      "Sec-WebSocket-Version: 13\r\n\r\n",
                                      c->run->host_header, key64);
    c->state = ST_UPGRADE;
    c->http = g_string_new(NULL);
    return send_bytes(c, g_bytes_new_take(req, strlen(req)));
}

static gboolean drive_tls(SlConn *c)
{
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    if (r == 1)
        return send_upgrade(c);
    int err = SSL_get_error(c->ssl, r);
    if (err == SSL_ERROR_WANT_READ)
        want(c, EPOLLIN);
    else if (err == SSL_ERROR_WANT_WRITE)
        want(c, EPOLLOUT);
    else
        return fail(c, "tls handshake");
    return TRUE;
}

static void become_open(SlConn *c, gint64 now)
{
    c->state = ST_OPEN;
    c->t_open = now;
    c->next_send = now;
    sl_stats_open(stats(c));
}

static gboolean on_connected(SlConn *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err)
        return fail(c, "connect");
    if (c->kind == SL_HALF) {
        become_open(c, g_get_monotonic_time());
        gsize n = 0;
        const guint8 *hello = g_bytes_get_data(c->run->partial_hello, &n);
        if (c->serial % 2 && send(c->fd, hello, n, MSG_NOSIGNAL) < 0)
            return closed(c, 0);
        want(c, EPOLLIN | EPOLLRDHUP);
        return TRUE;
    }
    c->ssl = SSL_new(c->run->ssl);
    SSL_set_fd(c->ssl, c->fd);
    SSL_set_connect_state(c->ssl);
    c->state = ST_TLS;
    return drive_tls(c);
}

/* Reads what TLS has; feeds the frame parser when @parse. */
static gboolean read_tls(SlConn *c, gboolean parse, GString *into)
{
    guint8 buf[16384];
    for (;;) {
        ERR_clear_error();
        int n = SSL_read(c->ssl, buf, sizeof buf);
        if (n > 0) {
            if (into)
                g_string_append_len(into, (const char *)buf, n);
            else if (parse)
                sl_ws_parse(&c->ws, buf, (gsize)n);
            if (c->ws.closed)
                return closed(c, c->ws.close_code);
            if (into && into->len > HTTP_MAX)
                return fail(c, "http response too long");
            if (into && strstr(into->str, "\r\n\r\n"))
                return TRUE;
            continue;
        }
        int err = SSL_get_error(c->ssl, n);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
            return TRUE;
        return ended(c, "closed during upgrade");
    }
}

static gboolean read_upgrade(SlConn *c)
{
    if (!read_tls(c, FALSE, c->http))
        return FALSE;
    const char *end = strstr(c->http->str, "\r\n\r\n");
    if (!end)
        return TRUE;
    guint status = 0;
    gboolean parsed = sscanf(c->http->str, "HTTP/1.1 %u", &status) == 1;
    if (parsed && c->kind == SL_PROBE) { /* answered: hang up, as curl and bots do */
        become_open(c, g_get_monotonic_time());
        sl_stats_hang_up(stats(c), status);
        return FALSE;
    }
    if (!parsed || status != 101) {
        char reason[32];
        g_snprintf(reason, sizeof reason, "http %u", status);
        return fail(c, reason);
    }
    gsize head = (gsize)(end + 4 - c->http->str);
    if (c->kind != SL_MUTE)
        sl_ws_parse(&c->ws, (const guint8 *)c->http->str + head, c->http->len - head);
    g_string_free(g_steal_pointer(&c->http), TRUE);
    become_open(c, g_get_monotonic_time());
    if (c->ws.closed)
        return closed(c, c->ws.close_code);
    want(c, open_interest(c));
    return c->kind == SL_MUTE || read_tls(c, TRUE, NULL);
}

static gboolean on_half_event(SlConn *c)
{
    guint8 buf[4096];
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);
        if (n > 0)
            continue; /* a TLS alert, perhaps: the close follows */
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return TRUE;
        return closed(c, 0);
    }
}

gboolean sl_conn_event(SlConn *c, guint32 events)
{
    switch (c->state) {
    case ST_CONNECTING:
        return on_connected(c);
    case ST_TLS:
        return drive_tls(c);
    case ST_UPGRADE:
        return flush(c) && read_upgrade(c);
    case ST_OPEN:
        break;
    }
    if (c->kind == SL_HALF)
        return on_half_event(c);
    if (c->kind == SL_MUTE) /* it never reads: any hang-up means the server ended it */
        return (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) ? closed(c, 0) : flush(c);
    if ((events & EPOLLOUT) && !flush(c))
        return FALSE;
    return read_tls(c, TRUE, NULL);
}

static GBytes *junk_frame(void)
{
    char junk[48];
    for (guint i = 0; i < sizeof junk; i++)
        junk[i] = (char)g_random_int_range(33, 127);
    return sl_ws_client_frame(0x1, junk, sizeof junk);
}

gboolean sl_conn_tick(SlConn *c, gint64 now)
{
    if (c->state != ST_OPEN) {
        if (now - c->t_start > (gint64)c->run->connect_timeout_ms * 1000)
            return fail(c, c->state == ST_CONNECTING ? "connect timeout"
                           : c->state == ST_TLS      ? "tls timeout"
                                                     : "upgrade timeout");
        return TRUE;
    }
    if (c->kind != SL_JUNK && c->kind != SL_MUTE)
        return TRUE;
    guint interval = c->kind == SL_JUNK ? c->run->junk_interval_ms : c->run->mute_interval_ms;
    for (guint i = 0; i < MUTE_FRAMES_PER_TICK && !c->pending && now >= c->next_send; i++) {
        static const char ping[] = "{\"type\":\"ping-junk\"}";
        GBytes *frame =
            c->kind == SL_JUNK ? junk_frame() : sl_ws_client_frame(0x1, ping, sizeof ping - 1);
        c->next_send += (gint64)interval * 1000;
        if (!send_bytes(c, frame))
            return FALSE;
    }
    if (now - c->next_send > 1000000) /* fell behind (a full socket): do not burst later */
        c->next_send = now;
    return TRUE;
}

SlConn *sl_conn_start(SlRun *run, int epfd, SlKind kind, guint source_index, guint serial)
{
    SlKindStats *s = &run->kinds[kind];
    s->attempts++;
    s->connecting++;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        sl_stats_fail(s, errno == EMFILE ? "socket: too many open files" : "socket");
        return NULL;
    }
    if (kind == SL_MUTE) {
        int rcvbuf = (int)run->mute_rcvbuf;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    }
    struct sockaddr_in src = {.sin_family = AF_INET};
    src.sin_addr.s_addr = htonl(run->source_base + source_index);
    if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0 ||
        (connect(fd, (struct sockaddr *)&run->target, sizeof run->target) < 0 &&
         errno != EINPROGRESS)) {
        sl_stats_fail(s, "connect");
        close(fd);
        return NULL;
    }
    SlConn *c = g_new0(SlConn, 1);
    c->run = run;
    c->epfd = epfd;
    c->fd = fd;
    c->kind = kind;
    c->source = source_index;
    c->serial = serial;
    c->t_start = g_get_monotonic_time();
    c->interest = EPOLLOUT;
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
    return c;
}

SlKind sl_conn_kind(const SlConn *c)
{
    return c->kind;
}

guint sl_conn_source(const SlConn *c)
{
    return c->source;
}

void sl_conn_free(SlConn *c)
{
    if (!c)
        return;
    epoll_ctl(c->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    g_clear_pointer(&c->ssl, SSL_free);
    close(c->fd);
    g_clear_pointer(&c->pending, g_bytes_unref);
    if (c->http)
        g_string_free(c->http, TRUE);
    g_free(c);
}
