/* http.c — plain HTTPS requests: the web client's files, /healthz and the
 * admin API. Each request collects its body (bounded), then writes one
 * response: headers, then the body when the socket is writable. */
#include "server-private.h"

#include <jansson.h>

#include "protocol.h"
#include <string.h>

#define HEADER_MAX 512
/* A declared body that is not read (too large for the admin API, or sent
 * where none is taken) is discarded by lws after the response, so that the
 * client reads the answer instead of a reset, if it is at most this long;
 * longer ones close the connection right after the response. */
#define DISCARD_MAX_BYTES (1024 * 1024)

typedef struct _CgHttpRequest {
    char method[8];
    char path[768]; /* with the query string, for the admin API */
    char remote[64];
    const CgTenant *tenant;
    GByteArray *body; /* non-NULL while the admin API's body is being read */
    gboolean head;    /* HEAD: headers only */
    /* The declared body is not read (or the framing was refused): the
     * connection is closed once the response is out, never reused. */
    gboolean close_after;
    CgHttpResponse response;
    gboolean responding; /* start_response() ran: the body follows when writable */
    gboolean file;       /* lws_serve_http_file() took the response over */
    gboolean written;    /* the body is out: later writable callbacks do nothing */
} CgHttpRequest;

static void request_free(CgHttpRequest *req)
{
    if (!req)
        return;
    if (req->body)
        g_byte_array_unref(req->body);
    cg_http_response_clear(&req->response);
    g_free(req);
}

static const char *request_method(struct lws *wsi)
{
    static const struct {
        enum lws_token_indexes token;
        const char *name;
    } methods[] = {
        {WSI_TOKEN_GET_URI, "GET"},       {WSI_TOKEN_POST_URI, "POST"},
        {WSI_TOKEN_PUT_URI, "PUT"},       {WSI_TOKEN_PATCH_URI, "PATCH"},
        {WSI_TOKEN_DELETE_URI, "DELETE"}, {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
        {WSI_TOKEN_HEAD_URI, "HEAD"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(methods); i++)
        if (lws_hdr_total_length(wsi, methods[i].token) > 0)
            return methods[i].name;
    return "OTHER";
}

/* The tenant named by "Authorization: Bearer KEY", or NULL. */
static const CgTenant *bearer_tenant(CgSignaling *s, struct lws *wsi)
{
    char header[HEADER_MAX];
    if (lws_hdr_copy(wsi, header, sizeof header, WSI_TOKEN_HTTP_AUTHORIZATION) <= 0)
        return NULL;
    if (g_ascii_strncasecmp(header, "Bearer ", 7) != 0)
        return NULL;
    return cg_tenants_by_api_key(s->tenants, g_strstrip(header + 7));
}

static int add_header(struct lws *wsi, const char *name, const char *value, guint8 **p, guint8 *end)
{
    return lws_add_http_header_by_name(wsi, (const guint8 *)name, (const guint8 *)value,
                                       (int)strlen(value), p, end);
}

/* The one way every response but a static file's goes out: status line and
 * headers now, the body when writable, then the transaction is completed
 * (or the connection closed). A request left without completion keeps lws
 * polling the socket: that spun the main thread (issue 9, finding 0). HSTS,
 * nosniff and Referrer-Policy come from the vhost's headers (server.c). */
static int start_response(struct lws *wsi, CgHttpRequest *req)
{
    guint8 buf[LWS_PRE + 1024];
    guint8 *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
    gsize len = req->response.body ? strlen(req->response.body) : 0;
    char retry_after[24];
    req->responding = TRUE;
    g_snprintf(retry_after, sizeof retry_after, "%" G_GINT64_FORMAT, req->response.retry_after_s);
    if (lws_add_http_common_headers(wsi, req->response.status, "application/json", len, &p, end) ||
        (req->response.retry_after_s > 0 &&
         add_header(wsi, "retry-after:", retry_after, &p, end)) ||
        add_header(wsi, "cache-control:", "no-store", &p, end) ||
        add_header(wsi, "content-security-policy:", "default-src 'none'; frame-ancestors 'none'",
                   &p, end) ||
        (req->close_after && add_header(wsi, "connection:", "close", &p, end)) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    lws_callback_on_writable(wsi);
    return 0;
}

static int finish_response(struct lws *wsi, CgHttpRequest *req)
{
    if (req->close_after)
        return -1; /* lws flushes what is buffered, then closes */
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int write_body(struct lws *wsi, CgHttpRequest *req)
{
    gsize len = req->response.body ? strlen(req->response.body) : 0;
    if (req->written)
        return 0;
    req->written = TRUE;
    if (req->head || len == 0)
        return finish_response(wsi, req);
    g_autofree guint8 *buf = g_malloc(LWS_PRE + len + 1);
    memcpy(buf + LWS_PRE, req->response.body, len);
    if (lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_HTTP_FINAL) != (int)len)
        return -1;
    return finish_response(wsi, req);
}

static int respond_error(struct lws *wsi, CgHttpRequest *req, guint status, const char *code,
                         const char *message)
{
    cg_http_response_error(&req->response, status, code, NULL, message);
    return start_response(wsi, req);
}

static void healthz(CgSignaling *s, CgHttpResponse *out)
{
    gint64 uptime = (g_get_monotonic_time() - s->started_us) / G_USEC_PER_SEC;
    json_t *json = json_pack("{s:s, s:s, s:I}", "status", "ok", "version", "0.1.0", "uptime_s",
                             (json_int_t)uptime);
    out->status = 200;
    out->body = cg_json_take_text(json);
}

/* Static files of the web client: only plain names directly under web_root. */
static const char *mime_for(const char *name)
{
    if (g_str_has_suffix(name, ".html"))
        return "text/html; charset=utf-8";
    if (g_str_has_suffix(name, ".js") || g_str_has_suffix(name, ".mjs"))
        return "text/javascript; charset=utf-8";
    if (g_str_has_suffix(name, ".css"))
        return "text/css; charset=utf-8";
    if (g_str_has_suffix(name, ".svg"))
        return "image/svg+xml";
    if (g_str_has_suffix(name, ".png"))
        return "image/png";
    if (g_str_has_suffix(name, ".ico"))
        return "image/x-icon";
    return NULL;
}

static gboolean is_plain_file_name(const char *name)
{
    if (!*name || name[0] == '.' || strlen(name) > 64)
        return FALSE;
    for (const char *c = name; *c; c++)
        if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_' && *c != '.')
            return FALSE;
    return TRUE;
}

static int serve_file(CgSignaling *s, struct lws *wsi, CgHttpRequest *req, const char *name)
{
    static const char csp[] = "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
                              "media-src 'self' blob:; style-src 'self'; script-src 'self'; "
                              "frame-ancestors 'none'; base-uri 'none'";
    guint8 headers[1024], *p = headers, *end = headers + sizeof headers;
    const char *mime = mime_for(name);
    g_autofree char *path = g_build_filename(s->config->web_root, name, NULL);
    if (!mime || !g_file_test(path, G_FILE_TEST_IS_REGULAR))
        return respond_error(wsi, req, HTTP_STATUS_NOT_FOUND, "not_found", "no such file");
    if (add_header(wsi, "content-security-policy:", csp, &p, end) ||
        add_header(wsi, "cache-control:", "no-cache", &p, end) ||
        (req->close_after && add_header(wsi, "connection:", "close", &p, end)))
        return -1;
    req->file = TRUE;
    /* On HEAD lws completes the transaction inside lws_serve_http_file(),
     * which drops the protocol and so frees @req: nothing of it after. */
    gboolean close_now = req->head && req->close_after;
    int rc = lws_serve_http_file(wsi, path, mime, (const char *)headers, (int)(p - headers));
    if (rc < 0)
        return -1;
    return close_now ? -1 : 0;
}

/* lws hands the query as separate fragments; the admin API wants "path?a=b&c=d". */
static void append_query(struct lws *wsi, char *path, gsize size)
{
    char fragment[256];
    for (int i = 0;
         lws_hdr_copy_fragment(wsi, fragment, sizeof fragment, WSI_TOKEN_HTTP_URI_ARGS, i) > 0;
         i++) {
        g_strlcat(path, i == 0 ? "?" : "&", size);
        g_strlcat(path, fragment, size);
    }
}

/* Request framing (RFC 9112 section 6.3): at most one Content-Length, all
 * digits, and no Transfer-Encoding (lws 4.1 does not decode a chunked request
 * body; CL with TE is the request-smuggling shape). 0 when fine, else the
 * status to refuse with. @length gets the declared length (0 if none). */
static guint check_framing(struct lws *wsi, guint64 *length, const char **code)
{
    char cl[24];
    *length = 0;
    *code = "bad_request";
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
        if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
            return HTTP_STATUS_BAD_REQUEST;
        *code = "length_required";
        return HTTP_STATUS_LENGTH_REQUIRED;
    }
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) == 0)
        return 0;
    /* Repeated headers come back joined with ',': refused as not digits. */
    int n = lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH);
    if (n <= 0 || n > 19 || strspn(cl, "0123456789") != (gsize)n)
        return HTTP_STATUS_BAD_REQUEST;
    *length = g_ascii_strtoull(cl, NULL, 10);
    return 0;
}

static gboolean takes_body(const char *method)
{
    return g_str_equal(method, "POST") || g_str_equal(method, "PATCH") ||
           g_str_equal(method, "PUT");
}

static int on_api_request(CgSignaling *s, struct lws *wsi, CgHttpRequest *req, guint64 length,
                          gboolean has_length)
{
    append_query(wsi, req->path, sizeof req->path);
    req->tenant = bearer_tenant(s, wsi);
    if (takes_body(req->method) && length > CG_ADMIN_MAX_BODY_BYTES) {
        req->close_after = length > DISCARD_MAX_BYTES;
        return respond_error(wsi, req, HTTP_STATUS_REQ_ENTITY_TOO_LARGE, "body_too_large",
                             "the body exceeds 64 KiB");
    }
    if (takes_body(req->method) && length > 0) {
        req->body = g_byte_array_new();
        return 0; /* the body arrives in LWS_CALLBACK_HTTP_BODY */
    }
    /* Not read: a body this method does not take (discarded, see
     * DISCARD_MAX_BYTES), or that of a POST without Content-Length (none,
     * says RFC 9112, but lws 4.1 would wait for 100 MiB of it: closed). */
    req->close_after = length > DISCARD_MAX_BYTES || (takes_body(req->method) && !has_length);
    cg_admin_api_handle(s->admin, req->tenant, req->method, req->path, NULL, 0, req->remote,
                        g_get_real_time() / G_USEC_PER_SEC, &req->response);
    return start_response(wsi, req);
}

static int on_request(CgSignaling *s, struct lws *wsi, CgConnData *conn, const char *uri)
{
    CgHttpRequest *req = g_new0(CgHttpRequest, 1);
    conn->http = req;
    g_strlcpy(req->method, request_method(wsi), sizeof req->method);
    g_strlcpy(req->path, uri, sizeof req->path);
    req->head = g_str_equal(req->method, "HEAD");
    lws_get_peer_simple(wsi, req->remote, sizeof req->remote);

    guint64 length = 0;
    const char *code = NULL;
    guint refused = check_framing(wsi, &length, &code);
    if (refused) {
        req->close_after = TRUE;
        return respond_error(wsi, req, refused, code,
                             "one Content-Length of digits and no Transfer-Encoding, please");
    }
    gboolean has_length = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0;
    if (s->shutting_down) {
        req->close_after = TRUE;
        return respond_error(wsi, req, HTTP_STATUS_SERVICE_UNAVAILABLE, "shutting_down",
                             "the server is stopping");
    }
    if (g_str_has_prefix(uri, "/api/"))
        return on_api_request(s, wsi, req, length, has_length);
    /* Nothing else takes a body: answer, then discard it or close. */
    req->close_after = length > DISCARD_MAX_BYTES || (takes_body(req->method) && !has_length);
    if (g_str_equal(uri, "/healthz")) {
        healthz(s, &req->response);
        return start_response(wsi, req);
    }
    if (!g_str_equal(req->method, "GET") && !req->head)
        return respond_error(wsi, req, HTTP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                             "only GET and HEAD here");
    if (g_str_has_prefix(uri, "/c/") || g_str_equal(uri, "/"))
        return serve_file(s, wsi, req, "index.html");
    return serve_file(s, wsi, req, is_plain_file_name(uri + 1) ? uri + 1 : "");
}

/* Content-Length was checked against CG_ADMIN_MAX_BODY_BYTES before reading;
 * lws delivers no more than it declared. */
static int on_body(CgHttpRequest *req, const void *in, size_t len)
{
    if (req->body->len + len > CG_ADMIN_MAX_BODY_BYTES)
        return -1;
    g_byte_array_append(req->body, in, (guint)len);
    return 0;
}

static int on_body_complete(CgSignaling *s, struct lws *wsi, CgHttpRequest *req)
{
    cg_admin_api_handle(s->admin, req->tenant, req->method, req->path,
                        (const char *)req->body->data, req->body->len, req->remote,
                        g_get_real_time() / G_USEC_PER_SEC, &req->response);
    return start_response(wsi, req);
}

int cg_http_callback(CgSignaling *s, struct lws *wsi, CgConnData *conn,
                     enum lws_callback_reasons reason, void *in, size_t len)
{
    if (!conn)
        return 0; /* lws has already dropped this connection's data */
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        g_clear_pointer(&conn->http, request_free); /* keep-alive: a new request */
        return on_request(s, wsi, conn, in);
    /* A request answered at LWS_CALLBACK_HTTP may still get body callbacks
     * from lws (a body it did not take, "Content-Length: 0"): it must not be
     * handled, audited and answered twice. */
    case LWS_CALLBACK_HTTP_BODY:
        if (conn->http && (conn->http->responding || conn->http->file))
            return 0;
        return conn->http && conn->http->body ? on_body(conn->http, in, len) : -1;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (conn->http && (conn->http->responding || conn->http->file))
            return 0;
        return conn->http && conn->http->body ? on_body_complete(s, wsi, conn->http) : -1;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (!conn->http || !conn->http->responding)
            return 0;
        return write_body(wsi, conn->http);
    case LWS_CALLBACK_HTTP_FILE_COMPLETION:
        if (conn->http && conn->http->close_after)
            return -1;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        g_clear_pointer(&conn->http, request_free);
        return 0;
    default:
        return 0;
    }
}
