/* wss_client.c — RFC 6455 client framing on a GIO TLS connection. */
#include "wss_client.h"

#include <string.h>

#include "daemon_harness.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define MAX_HANDSHAKE_BYTES 16384
#define MAX_MESSAGE_BYTES (16u << 20)

typedef enum { STATE_CONNECTING, STATE_OPEN, STATE_CLOSED } State;

struct _CgWssClient {
    gint refs; /* one for the owner, one per pending async operation */
    gboolean disposed;
    State state;
    guint16 port;
    char *path;
    char *key;     /* Sec-WebSocket-Key */
    char *request; /* the upgrade request while it is written */
    GError *open_error;
    GCancellable *cancel;
    GSocketClient *socket_client;
    GSocketConnection *conn;
    GByteArray *rx;      /* unparsed bytes */
    GByteArray *message; /* fragments of the message being received */
    guint8 message_opcode;
    GQueue pending; /* GBytes frames waiting to be written */
    gboolean writing;
    gboolean sent_close;
    GQueue received; /* json_t* */
    guint n_unparsed;
    guint close_status;
    char *close_reason;
    CgWssMessageFunc handler;
    gpointer handler_user;
    void (*open_handler)(CgWssClient *, gboolean, gpointer);
    gpointer open_user;
    guint8 buf[16384];
};

static CgWssClient *client_ref(CgWssClient *c)
{
    c->refs++;
    return c;
}

static void client_unref(CgWssClient *c)
{
    if (--c->refs > 0)
        return;
    g_clear_object(&c->conn);
    g_clear_object(&c->socket_client);
    g_clear_object(&c->cancel);
    g_clear_error(&c->open_error);
    g_queue_clear_full(&c->pending, (GDestroyNotify)g_bytes_unref);
    g_queue_clear_full(&c->received, (GDestroyNotify)json_decref);
    g_byte_array_unref(c->rx);
    g_byte_array_unref(c->message);
    g_free(c->close_reason);
    g_free(c->path);
    g_free(c->key);
    g_free(c->request);
    g_free(c);
}

/* TRUE when an async callback must stop: the owner freed the client. Drops the
 * operation's reference in that case. */
static gboolean gone(CgWssClient *c)
{
    if (!c->disposed)
        return FALSE;
    client_unref(c);
    return TRUE;
}

static void set_closed(CgWssClient *c, guint status, const char *reason)
{
    if (c->state == STATE_CLOSED)
        return;
    gboolean was_connecting = c->state == STATE_CONNECTING;
    c->state = STATE_CLOSED;
    c->close_status = status;
    g_free(c->close_reason);
    c->close_reason = g_strdup(reason ? reason : "");
    if (was_connecting && c->open_handler)
        c->open_handler(c, FALSE, c->open_user);
}

/* CG_TEST_WS_TRACE=1 prints every text message (first 160 bytes). */
static void trace(const CgWssClient *c, const char *dir, const void *data, gsize len)
{
    static int enabled = -1;
    if (enabled < 0)
        enabled = g_getenv("CG_TEST_WS_TRACE") != NULL;
    if (enabled)
        g_printerr("ws[%p] %s %.*s\n", (const void *)c, dir,
                   (int)MIN(len, (gsize)(g_getenv("CG_TEST_WS_TRACE_FULL") ? 100000 : 160)),
                   (const char *)data);
}

/* ---- writing ---------------------------------------------------------- */

static void write_next(CgWssClient *c);

static void on_written(GObject *source, GAsyncResult *res, gpointer user)
{
    CgWssClient *c = user;
    g_autoptr(GError) error = NULL;
    g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), res, NULL, &error);
    if (gone(c))
        return;
    c->writing = FALSE;
    g_bytes_unref(g_queue_pop_head(&c->pending));
    if (error) {
        /* The server may close while we write (e.g. after an oversize frame);
         * what it said is recorded by the reader. Drop what is left. */
        g_queue_clear_full(&c->pending, (GDestroyNotify)g_bytes_unref);
    } else {
        write_next(c);
    }
    client_unref(c);
}

static void write_next(CgWssClient *c)
{
    if (c->writing || !c->conn || c->state == STATE_CONNECTING || g_queue_is_empty(&c->pending))
        return;
    GBytes *frame = g_queue_peek_head(&c->pending);
    gsize len;
    const void *data = g_bytes_get_data(frame, &len);
    c->writing = TRUE;
    g_output_stream_write_all_async(g_io_stream_get_output_stream(G_IO_STREAM(c->conn)), data, len,
                                    G_PRIORITY_DEFAULT, c->cancel, on_written, client_ref(c));
}

static GBytes *build_frame(guint8 opcode, gboolean fin, const void *data, gsize len)
{
    GByteArray *f = g_byte_array_sized_new((guint)len + 14);
    guint8 head[14];
    gsize n = 0;
    head[n++] = (guint8)((fin ? 0x80 : 0) | (opcode & 0x0f));
    if (len < 126) {
        head[n++] = (guint8)(0x80 | len);
    } else if (len <= 0xffff) {
        head[n++] = 0x80 | 126;
        head[n++] = (guint8)(len >> 8);
        head[n++] = (guint8)len;
    } else {
        head[n++] = 0x80 | 127;
        for (int shift = 56; shift >= 0; shift -= 8)
            head[n++] = (guint8)((guint64)len >> shift);
    }
    guint32 mask = g_random_int();
    guint8 *m = head + n;
    memcpy(m, &mask, 4);
    n += 4;
    g_byte_array_append(f, head, (guint)n);
    g_byte_array_set_size(f, (guint)(n + len));
    const guint8 *in = data;
    for (gsize i = 0; i < len; i++)
        f->data[n + i] = in[i] ^ m[i % 4];
    return g_byte_array_free_to_bytes(f);
}

void cg_wss_client_send_frame(CgWssClient *c, guint8 opcode, gboolean fin, const void *data,
                              gsize len)
{
    if (c->state == STATE_CLOSED || c->sent_close)
        return;
    if (opcode == CG_WS_OPCODE_CLOSE)
        c->sent_close = TRUE;
    if (opcode == CG_WS_OPCODE_TEXT)
        trace(c, "->", data, len);
    g_queue_push_tail(&c->pending, build_frame(opcode, fin, data, len));
    write_next(c);
}

void cg_wss_client_send_text(CgWssClient *c, const char *text, gssize len)
{
    cg_wss_client_send_frame(c, CG_WS_OPCODE_TEXT, TRUE, text, len < 0 ? strlen(text) : (gsize)len);
}

void cg_wss_client_send_binary(CgWssClient *c, const void *data, gsize len)
{
    cg_wss_client_send_frame(c, CG_WS_OPCODE_BINARY, TRUE, data, len);
}

void cg_wss_client_send_json(CgWssClient *c, json_t *message)
{
    char *text = json_dumps(message, JSON_COMPACT);
    cg_wss_client_send_text(c, text, -1);
    free(text);
}

static void send_close_frame(CgWssClient *c, guint16 status, const char *reason)
{
    guint8 payload[125];
    gsize rlen = reason ? MIN(strlen(reason), sizeof payload - 2) : 0;
    payload[0] = (guint8)(status >> 8);
    payload[1] = (guint8)status;
    if (rlen)
        memcpy(payload + 2, reason, rlen);
    cg_wss_client_send_frame(c, CG_WS_OPCODE_CLOSE, TRUE, payload, rlen + 2);
}

void cg_wss_client_close(CgWssClient *c, guint16 status, const char *reason)
{
    send_close_frame(c, status, reason);
}

/* ---- reading frames --------------------------------------------------- */

static void deliver_text(CgWssClient *c, const guint8 *data, gsize len)
{
    trace(c, "<-", data, len);
    json_t *msg = json_loadb((const char *)data, len, 0, NULL);
    if (!msg) {
        c->n_unparsed++;
        return;
    }
    g_queue_push_tail(&c->received, msg);
    if (c->handler)
        c->handler(c, msg, c->handler_user);
}

static void on_close_frame(CgWssClient *c, const guint8 *p, gsize len)
{
    guint status = len >= 2 ? (guint)(p[0] << 8 | p[1]) : 1005;
    g_autofree char *reason = len > 2 ? g_strndup((const char *)p + 2, len - 2) : NULL;
    if (!c->sent_close)
        send_close_frame(c, len >= 2 ? (guint16)status : 1000, NULL);
    set_closed(c, status, reason);
}

static void on_frame(CgWssClient *c, guint8 opcode, gboolean fin, const guint8 *p, gsize len)
{
    switch (opcode) {
    case CG_WS_OPCODE_CLOSE:
        on_close_frame(c, p, len);
        return;
    case CG_WS_OPCODE_PING:
        cg_wss_client_send_frame(c, CG_WS_OPCODE_PONG, TRUE, p, len);
        return;
    case CG_WS_OPCODE_PONG:
        return;
    case CG_WS_OPCODE_TEXT:
    case CG_WS_OPCODE_BINARY:
        c->message_opcode = opcode;
        g_byte_array_set_size(c->message, 0);
        break;
    case CG_WS_OPCODE_CONTINUATION:
        break;
    default:
        c->n_unparsed++;
        return;
    }
    g_byte_array_append(c->message, p, (guint)len);
    if (!fin)
        return;
    if (c->message_opcode == CG_WS_OPCODE_TEXT)
        deliver_text(c, c->message->data, c->message->len);
    else
        c->n_unparsed++;
    g_byte_array_set_size(c->message, 0);
}

/* Parses one frame from c->rx; returns bytes consumed, 0 if incomplete. */
static gsize parse_frame(CgWssClient *c)
{
    const guint8 *d = c->rx->data;
    gsize avail = c->rx->len, n = 2;
    if (avail < 2)
        return 0;
    gboolean masked = (d[1] & 0x80) != 0;
    guint64 len = d[1] & 0x7f;
    if (len == 126) {
        if (avail < 4)
            return 0;
        len = (guint64)d[2] << 8 | d[3];
        n = 4;
    } else if (len == 127) {
        if (avail < 10)
            return 0;
        len = 0;
        for (int i = 0; i < 8; i++)
            len = len << 8 | d[2 + i];
        n = 10;
    }
    if (len > MAX_MESSAGE_BYTES) {
        set_closed(c, 1006, "client: frame too large");
        return 0;
    }
    gsize need = n + (masked ? 4 : 0) + (gsize)len;
    if (avail < need)
        return 0;
    guint8 *payload = c->rx->data + n + (masked ? 4 : 0);
    if (masked)
        for (gsize i = 0; i < len; i++)
            payload[i] ^= d[n + i % 4];
    on_frame(c, d[0] & 0x0f, (d[0] & 0x80) != 0, payload, (gsize)len);
    return need;
}

static void read_more(CgWssClient *c);

static void on_read(GObject *source, GAsyncResult *res, gpointer user)
{
    CgWssClient *c = user;
    g_autoptr(GError) error = NULL;
    gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), res, &error);
    if (gone(c))
        return;
    if (n <= 0) {
        set_closed(c, 1006, error ? error->message : "connection closed");
        client_unref(c);
        return;
    }
    if (c->state == STATE_CLOSED) { /* draining to EOF after the close frame */
        read_more(c);
        client_unref(c);
        return;
    }
    g_byte_array_append(c->rx, c->buf, (guint)n);
    gsize used;
    while (c->state != STATE_CLOSED && !c->disposed && (used = parse_frame(c)) > 0)
        g_byte_array_remove_range(c->rx, 0, (guint)used);
    if (!c->disposed)
        read_more(c);
    client_unref(c);
}

static void read_more(CgWssClient *c)
{
    /* After the server's close frame, keep reading until EOF so the TLS
     * connection winds down cleanly; parse nothing more. */
    g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(c->conn)), c->buf,
                              sizeof c->buf, G_PRIORITY_DEFAULT, c->cancel, on_read, client_ref(c));
}

/* ---- handshake -------------------------------------------------------- */

static gboolean check_handshake(CgWssClient *c, const char *head, GError **error)
{
    if (!g_str_has_prefix(head, "HTTP/1.1 101")) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "upgrade refused: %.60s", head);
        return FALSE;
    }
    g_autofree char *lower = g_ascii_strdown(head, -1);
    const char *accept = strstr(lower, "\nsec-websocket-accept:");
    g_autofree char *concat = g_strconcat(c->key, WS_GUID, NULL);
    guint8 sha[20];
    gsize sha_len = sizeof sha;
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA1);
    g_checksum_update(sum, (const guchar *)concat, -1);
    g_checksum_get_digest(sum, sha, &sha_len);
    g_autofree char *want = g_base64_encode(sha, sha_len);
    if (!accept) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "no Sec-WebSocket-Accept");
        return FALSE;
    }
    /* compare against the original-case header value */
    const char *value = head + (accept - lower) + strlen("\nsec-websocket-accept:");
    while (*value == ' ')
        value++;
    if (strncmp(value, want, strlen(want)) != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "wrong Sec-WebSocket-Accept");
        return FALSE;
    }
    return TRUE;
}

static void finish_open(CgWssClient *c, GError *error)
{
    if (error) {
        c->open_error = error;
        set_closed(c, 1006, error->message);
        return;
    }
    c->state = STATE_OPEN;
    if (c->open_handler)
        c->open_handler(c, TRUE, c->open_user);
    if (c->disposed)
        return;
    write_next(c);
    /* Frames that came right behind the 101 response. */
    gsize used;
    while (c->state != STATE_CLOSED && !c->disposed && (used = parse_frame(c)) > 0)
        g_byte_array_remove_range(c->rx, 0, (guint)used);
    if (!c->disposed)
        read_more(c);
}

static void on_handshake_read(GObject *source, GAsyncResult *res, gpointer user)
{
    CgWssClient *c = user;
    g_autoptr(GError) error = NULL;
    gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), res, &error);
    if (gone(c))
        return;
    if (n <= 0) {
        finish_open(c, error ? g_steal_pointer(&error)
                             : g_error_new(G_IO_ERROR, G_IO_ERROR_FAILED, "closed in handshake"));
        client_unref(c);
        return;
    }
    g_byte_array_append(c->rx, c->buf, (guint)n);
    const char *data = (const char *)c->rx->data;
    const char *end = g_strstr_len(data, c->rx->len, "\r\n\r\n");
    if (!end && c->rx->len < MAX_HANDSHAKE_BYTES) {
        g_input_stream_read_async(G_INPUT_STREAM(source), c->buf, sizeof c->buf, G_PRIORITY_DEFAULT,
                                  c->cancel, on_handshake_read, c);
        return; /* the reference moves to the new read */
    }
    GError *herr = NULL;
    g_autofree char *head = end ? g_strndup(data, end - data) : g_strndup(data, 200);
    if (!end)
        herr = g_error_new(G_IO_ERROR, G_IO_ERROR_FAILED, "handshake response too large");
    else if (check_handshake(c, head, &herr))
        g_byte_array_remove_range(c->rx, 0, (guint)(end + 4 - data));
    finish_open(c, herr);
    client_unref(c);
}

static void on_request_written(GObject *source, GAsyncResult *res, gpointer user)
{
    CgWssClient *c = user;
    GError *error = NULL;
    g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), res, NULL, &error);
    if (gone(c)) {
        g_clear_error(&error);
        return;
    }
    if (error) {
        finish_open(c, error);
        client_unref(c);
        return;
    }
    g_input_stream_read_async(g_io_stream_get_input_stream(G_IO_STREAM(c->conn)), c->buf,
                              sizeof c->buf, G_PRIORITY_DEFAULT, c->cancel, on_handshake_read, c);
}

static void on_connected(GObject *source, GAsyncResult *res, gpointer user)
{
    CgWssClient *c = user;
    GError *error = NULL;
    GSocketConnection *conn =
        g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(source), res, &error);
    if (gone(c)) {
        g_clear_object(&conn);
        g_clear_error(&error);
        return;
    }
    if (!conn) {
        finish_open(c, error);
        client_unref(c);
        return;
    }
    c->conn = conn;
    /* The socket client's timeout (cg_test_tls_client_new) is GSocket's I/O
     * timeout: left on, every read pending through 10 s of server silence
     * fails with G_IO_ERROR_TIMED_OUT and the client stops reading for good,
     * though the server still writes to it. A WebSocket is legitimately idle
     * for longer (30 s of liveness silence); the waits have their own
     * deadlines. */
    g_socket_set_timeout(g_socket_connection_get_socket(conn), 0);
    guint8 nonce[16];
    for (guint i = 0; i < sizeof nonce; i++)
        nonce[i] = (guint8)g_random_int();
    c->key = g_base64_encode(nonce, sizeof nonce);
    /* Kept in the client: the async write borrows it. */
    c->request = g_strdup_printf(
        "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nOrigin: https://127.0.0.1:%u\r\n"
        "\r\n",
        c->path, c->port, c->key, c->port);
    g_output_stream_write_all_async(g_io_stream_get_output_stream(G_IO_STREAM(c->conn)), c->request,
                                    strlen(c->request), G_PRIORITY_DEFAULT, c->cancel,
                                    on_request_written, c);
}

/* ---- lifecycle and queries -------------------------------------------- */

CgWssClient *cg_wss_client_new(guint16 port, const char *path, GTlsCertificate *expected)
{
    CgWssClient *c = g_new0(CgWssClient, 1);
    c->refs = 1;
    c->port = port;
    c->path = g_strdup(path);
    c->rx = g_byte_array_new();
    c->message = g_byte_array_new();
    c->cancel = g_cancellable_new();
    g_queue_init(&c->pending);
    g_queue_init(&c->received);
    c->socket_client = cg_test_tls_client_new(expected);
    g_socket_client_connect_to_host_async(c->socket_client, "127.0.0.1", port, c->cancel,
                                          on_connected, client_ref(c));
    return c;
}

void cg_wss_client_free(CgWssClient *c)
{
    if (!c)
        return;
    c->disposed = TRUE;
    c->handler = NULL;
    c->open_handler = NULL;
    g_cancellable_cancel(c->cancel);
    client_unref(c);
}

void cg_wss_client_set_handler(CgWssClient *c, CgWssMessageFunc func, gpointer user)
{
    c->handler = func;
    c->handler_user = user;
}

void cg_wss_client_set_open_handler(CgWssClient *c, void (*func)(CgWssClient *, gboolean, gpointer),
                                    gpointer user)
{
    c->open_handler = func;
    c->open_user = user;
}

static gboolean not_connecting(gpointer data)
{
    return ((CgWssClient *)data)->state != STATE_CONNECTING;
}

gboolean cg_wss_client_wait_open(CgWssClient *c, guint timeout_ms, GError **error)
{
    cg_test_wait_until(not_connecting, c, timeout_ms);
    if (c->state == STATE_OPEN)
        return TRUE;
    if (c->open_error)
        g_set_error_literal(error, c->open_error->domain, c->open_error->code,
                            c->open_error->message);
    else if (c->state == STATE_CONNECTING)
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no WebSocket handshake in %u ms",
                    timeout_ms);
    else
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_CLOSED, "closed: %u %s", c->close_status,
                    c->close_reason);
    return FALSE;
}

gboolean cg_wss_client_is_open(const CgWssClient *c)
{
    return c->state == STATE_OPEN;
}

json_t *cg_wss_client_pop(CgWssClient *c)
{
    return g_queue_pop_head(&c->received);
}

static gboolean has_message(gpointer data)
{
    return !g_queue_is_empty(&((CgWssClient *)data)->received);
}

json_t *cg_wss_client_wait_message(CgWssClient *c, guint timeout_ms)
{
    cg_test_wait_until(has_message, c, timeout_ms);
    return cg_wss_client_pop(c);
}

typedef struct {
    CgWssClient *c;
    const char *type;
    GList *found;
} TypeWait;

static gboolean has_type(gpointer data)
{
    TypeWait *w = data;
    for (GList *l = w->c->received.head; l; l = l->next) {
        const char *t = json_string_value(json_object_get(l->data, "type"));
        if (t && strcmp(t, w->type) == 0) {
            w->found = l;
            return TRUE;
        }
    }
    return FALSE;
}

json_t *cg_wss_client_wait_type(CgWssClient *c, const char *type, guint timeout_ms)
{
    TypeWait w = {c, type, NULL};
    if (!cg_test_wait_until(has_type, &w, timeout_ms))
        return NULL;
    json_t *msg = w.found->data;
    g_queue_delete_link(&c->received, w.found);
    return msg;
}

guint cg_wss_client_n_unparsed(const CgWssClient *c)
{
    return c->n_unparsed;
}

gboolean cg_wss_client_is_closed(const CgWssClient *c)
{
    return c->state == STATE_CLOSED;
}

static gboolean is_closed(gpointer data)
{
    return cg_wss_client_is_closed(data);
}

gboolean cg_wss_client_wait_closed(CgWssClient *c, guint timeout_ms)
{
    return cg_test_wait_until(is_closed, c, timeout_ms);
}

guint cg_wss_client_close_status(const CgWssClient *c)
{
    return c->state == STATE_CLOSED ? c->close_status : 0;
}

const char *cg_wss_client_close_reason(const CgWssClient *c)
{
    return c->close_reason ? c->close_reason : "";
}
