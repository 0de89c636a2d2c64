/* integration-http-tls: what the HTTPS/WSS port offers (issue 9). TLS 1.0
 * and 1.1 and TLS 1.2 suites without an AEAD (CBC) are refused; TLS 1.2 with
 * ECDHE+AES-GCM and TLS 1.3 are accepted. Every response (a page, the API,
 * a 404) carries HSTS, X-Content-Type-Options: nosniff, Referrer-Policy:
 * no-referrer (join links carry a token in the fragment) and a
 * Content-Security-Policy. The client is OpenSSL at security level 0, so
 * that a refusal is the server's, not the client's own policy. */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <string.h>
#include <unistd.h>

#include "http_common.h"

typedef struct {
    const char *name;
    int version;         /* min = max */
    const char *ciphers; /* TLS 1.2 and below; NULL = OpenSSL's default */
    gboolean accepted;
} Offer;

static const Offer offers[] = {
    {"tls1.0", TLS1_VERSION, "ALL:@SECLEVEL=0", FALSE},
    {"tls1.1", TLS1_1_VERSION, "ALL:@SECLEVEL=0", FALSE},
    {"tls1.2-cbc-sha1", TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:@SECLEVEL=0",
     FALSE},
    {"tls1.2-cbc-sha256", TLS1_2_VERSION,
     "ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:@SECLEVEL=0", FALSE},
    {"tls1.2-static-rsa", TLS1_2_VERSION, "AES128-GCM-SHA256:AES128-SHA:@SECLEVEL=0", FALSE},
    {"tls1.2-gcm", TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
     TRUE},
    {"tls1.3", TLS1_3_VERSION, NULL, TRUE},
};

static gboolean handshake(CgTestDaemon *d, const Offer *o, char *error, gsize error_size)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    g_assert_nonnull(ctx);
    SSL_CTX_set_security_level(ctx, 0);
    g_assert_true(SSL_CTX_set_min_proto_version(ctx, o->version));
    g_assert_true(SSL_CTX_set_max_proto_version(ctx, o->version));
    if (o->ciphers)
        g_assert_true(SSL_CTX_set_cipher_list(ctx, o->ciphers));
    SSL *ssl = SSL_new(ctx);
    int fd = cg_http_tcp_connect(d, NULL);
    g_assert_cmpint(fd, >=, 0);
    SSL_set_fd(ssl, fd);
    ERR_clear_error();
    gboolean ok = SSL_connect(ssl) == 1;
    if (!ok) {
        unsigned long e = ERR_peek_error();
        ERR_error_string_n(e, error, error_size);
        /* The refusal must be the server's, not this client's. */
        if (ERR_GET_REASON(e) == SSL_R_NO_PROTOCOLS_AVAILABLE ||
            ERR_GET_REASON(e) == SSL_R_NO_CIPHERS_AVAILABLE)
            g_error("%s: the test client itself cannot offer this: %s", o->name, error);
    } else
        g_snprintf(error, error_size, "%s %s", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(fd);
    return ok;
}

static void test_versions_and_suites(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CgTestDaemon) d = cg_test_daemon_start(NULL, &error);
    g_assert_no_error(error);
    for (gsize i = 0; i < G_N_ELEMENTS(offers); i++) {
        char what[256] = "";
        gboolean ok = handshake(d, &offers[i], what, sizeof what);
        g_test_message("%s: %s (%s)", offers[i].name, ok ? "accepted" : "refused", what);
        if (ok != offers[i].accepted)
            g_error("%s: want %s, got %s (%s)", offers[i].name,
                    offers[i].accepted ? "accepted" : "refused", ok ? "accepted" : "refused", what);
    }
}

static void test_headers(void)
{
    static const char *const paths[] = {"/",        "/c/some-consult",  "/app.js",
                                        "/healthz", "/api/v1/consults", "/no-such-page",
                                        "/nope.css"};
    g_autoptr(GError) error = NULL;
    g_autoptr(CgTestDaemon) d = cg_test_daemon_start(NULL, &error);
    g_assert_no_error(error);
    for (gsize i = 0; i < G_N_ELEMENTS(paths); i++) {
        g_autoptr(CgHttpConn) conn = cg_http_connect(d, NULL, 5, &error);
        g_assert_no_error(error);
        g_autofree char *request =
            g_strconcat("GET ", paths[i], " HTTP/1.1\r\nHost: x\r\n\r\n", NULL);
        CgHttpReply r;
        g_assert_true(cg_http_exchange(conn, request, FALSE, &r, &error));
        char value[512];
        g_test_message("%s: %u", paths[i], r.status);
        const char *hsts =
            cg_http_reply_header(&r, "strict-transport-security", value, sizeof value);
        if (!hsts || !g_str_has_prefix(hsts, "max-age=") || atoi(hsts + 8) < 15552000)
            g_error("%s: Strict-Transport-Security missing or under 180 days: %s", paths[i],
                    hsts ? hsts : "(none)");
        g_assert_cmpstr(cg_http_reply_header(&r, "x-content-type-options", value, sizeof value), ==,
                        "nosniff");
        g_assert_cmpstr(cg_http_reply_header(&r, "referrer-policy", value, sizeof value), ==,
                        "no-referrer");
        const char *csp = cg_http_reply_header(&r, "content-security-policy", value, sizeof value);
        if (!csp || !strstr(csp, "frame-ancestors 'none'"))
            g_error("%s: no Content-Security-Policy with frame-ancestors 'none': %s", paths[i],
                    csp ? csp : "(none)");
        /* One policy only: two would be intersected by the browser. */
        g_autofree char *all = g_strconcat("\r\n", r.headers, NULL);
        const char *first = strstr(all, "\r\ncontent-security-policy:");
        g_assert_null(strstr(first + 1, "\r\ncontent-security-policy:"));
        if (g_str_equal(paths[i], "/"))
            g_assert_nonnull(strstr(csp, "script-src 'self'"));
        cg_http_reply_clear(&r);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/http/tls/versions-and-suites", test_versions_and_suites);
    g_test_add_func("/http/tls/headers", test_headers);
    return g_test_run();
}
