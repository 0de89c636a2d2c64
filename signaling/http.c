/* http.c — plain HTTPS requests: the web client's files, /healthz and the
 * admin API. Each request collects its body (bounded), then writes one
 * response: headers, then the body when the socket is writable. */
#include "server-private.h"

#include <jansson.h>

#include "protocol.h"
#include <string.h>

#define HEADER_MAX 512

typedef struct _CgHttpRequest {
    char method[8];
    char path[768]; /* with the query string, for the admin API */
    char remote[64];
    const CgTenant *tenant;
    GByteArray *body;
    gboolean body_too_large;
    CgHttpResponse response;
    gboolean responding;
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

/* Writes the status line and headers now; the body follows when writable. */
static int start_response(struct lws *wsi, CgHttpRequest *req)
{
    guint8 buf[LWS_PRE + 1024];
    guint8 *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
    gsize len = strlen(req->response.body);
    char retry_after[24];
    req->responding = TRUE;
    g_snprintf(retry_after, sizeof retry_after, "%" G_GINT64_FORMAT, req->response.retry_after_s);
    if (lws_add_http_common_headers(wsi, req->response.status, "application/json", len, &p,
                                    end) ||
        (req->response.retry_after_s > 0 &&
         lws_add_http_header_by_name(wsi, (const guint8 *)"retry-after:",
                                     (const guint8 *)retry_after, (int)strlen(retry_after), &p,
                                     end)) ||
        lws_add_http_header_by_name(wsi, (const guint8 *)"cache-control:",
                                    (const guint8 *)"no-store", 8, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    lws_callback_on_writable(wsi);
    return 0;
}

static int write_body(struct lws *wsi, CgHttpRequest *req)
{
    gsize len = strlen(req->response.body);
    g_autofree guint8 *buf = g_malloc(LWS_PRE + len + 1);
    memcpy(buf + LWS_PRE, req->response.body, len);
    if (lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_HTTP_FINAL) != (int)len)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static void healthz(CgSignaling *s, CgHttpResponse *out)
{
    gint64 uptime = (g_get_monotonic_time() - s->started_us) / G_USEC_PER_SEC;
    json_t *json = json_pack("{s:s, s:s, s:I}", "status", "ok", "version", "0.1.0",
                             "uptime_s", (json_int_t)uptime);
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

static int serve_file(CgSignaling *s, struct lws *wsi, const char *name)
{
    static const char csp[] = "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
                              "media-src 'self' blob:; style-src 'self'; script-src 'self'; "
                              "frame-ancestors 'none'; base-uri 'none'";
    guint8 headers[1024], *p = headers, *end = headers + sizeof headers;
    const char *mime = mime_for(name);
    g_autofree char *path = g_build_filename(s->config->web_root, name, NULL);
    if (!mime || !g_file_test(path, G_FILE_TEST_IS_REGULAR))
        return lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL) ? -1 : 0;
    if (lws_add_http_header_by_name(wsi, (const guint8 *)"content-security-policy:",
                                    (const guint8 *)csp, (int)strlen(csp), &p, end) ||
        lws_add_http_header_by_name(wsi, (const guint8 *)"referrer-policy:",
                                    (const guint8 *)"no-referrer", 11, &p, end) ||
        lws_add_http_header_by_name(wsi, (const guint8 *)"cache-control:",
                                    (const guint8 *)"no-cache", 8, &p, end))
        return -1;
    int rc = lws_serve_http_file(wsi, path, mime, (const char *)headers, (int)(p - headers));
    return rc < 0 ? -1 : 0;
}

/* lws hands the query as separate fragments; the admin API wants "path?a=b&c=d". */
static void append_query(struct lws *wsi, char *path, gsize size)
{
    char fragment[256];
    for (int i = 0; lws_hdr_copy_fragment(wsi, fragment, sizeof fragment,
                                          WSI_TOKEN_HTTP_URI_ARGS, i) > 0;
         i++) {
        g_strlcat(path, i == 0 ? "?" : "&", size);
        g_strlcat(path, fragment, size);
    }
}

static int on_request(CgSignaling *s, struct lws *wsi, CgConnData *conn, const char *uri)
{
    CgHttpRequest *req = g_new0(CgHttpRequest, 1);
    conn->http = req;
    g_strlcpy(req->method, request_method(wsi), sizeof req->method);
    g_strlcpy(req->path, uri, sizeof req->path);
    lws_get_peer_simple(wsi, req->remote, sizeof req->remote);

    if (g_str_has_prefix(uri, "/api/")) {
        append_query(wsi, req->path, sizeof req->path);
        req->tenant = bearer_tenant(s, wsi);
        req->body = g_byte_array_new();
        char cl[32];
        gboolean has_body = lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 &&
                            g_ascii_strtoull(cl, NULL, 10) > 0;
        if ((g_str_equal(req->method, "POST") || g_str_equal(req->method, "PATCH")) && has_body)
            return 0; /* the body arrives in LWS_CALLBACK_HTTP_BODY */
        cg_admin_api_handle(s->admin, req->tenant, req->method, req->path, NULL, 0, req->remote,
                            g_get_real_time() / G_USEC_PER_SEC, &req->response);
        return start_response(wsi, req);
    }
    if (g_str_equal(uri, "/healthz")) {
        healthz(s, &req->response);
        return start_response(wsi, req);
    }
    if (!g_str_equal(req->method, "GET") && !g_str_equal(req->method, "HEAD"))
        return lws_return_http_status(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, NULL) ? -1 : 0;
    if (g_str_has_prefix(uri, "/c/") || g_str_equal(uri, "/"))
        return serve_file(s, wsi, "index.html");
    return serve_file(s, wsi, is_plain_file_name(uri + 1) ? uri + 1 : "");
}

static int on_body(CgHttpRequest *req, const void *in, size_t len)
{
    if (req->body->len + len > CG_ADMIN_MAX_BODY_BYTES)
        req->body_too_large = TRUE;
    else
        g_byte_array_append(req->body, in, (guint)len);
    return 0;
}

static int on_body_complete(CgSignaling *s, struct lws *wsi, CgHttpRequest *req)
{
    gsize len = req->body_too_large ? CG_ADMIN_MAX_BODY_BYTES + 1 : req->body->len;
    cg_admin_api_handle(s->admin, req->tenant, req->method, req->path,
                        (const char *)req->body->data, len, req->remote,
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
        if (s->shutting_down)
            return lws_return_http_status(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, NULL) ? -1 : 0;
        g_clear_pointer(&conn->http, request_free); /* keep-alive: a new request */
        return on_request(s, wsi, conn, in);
    /* A request answered at LWS_CALLBACK_HTTP (no body expected, e.g. a POST
     * with "Content-Length: 0") may still get a body completion from lws:
     * it must not be handled, audited and answered twice. */
    case LWS_CALLBACK_HTTP_BODY:
        if (conn->http && conn->http->responding)
            return 0;
        return conn->http && conn->http->body ? on_body(conn->http, in, len) : -1;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (conn->http && conn->http->responding)
            return 0;
        return conn->http && conn->http->body ? on_body_complete(s, wsi, conn->http) : -1;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (!conn->http || !conn->http->responding || !conn->http->response.body)
            return 0;
        return write_body(wsi, conn->http);
    case LWS_CALLBACK_HTTP_FILE_COMPLETION:
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        g_clear_pointer(&conn->http, request_free);
        return 0;
    default:
        return 0;
    }
}
