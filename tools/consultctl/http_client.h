/* http_client.h — one HTTPS request to consultd's admin API, blocking.
 *
 * GIO TLS (GSocketClient + GTlsClientConnection), HTTP/1.1 with
 * "Connection: close", one request per connection. Certificate checks: the
 * system CAs by default; @cacert also trusts that PEM file (a self-signed
 * consultd certificate is accepted when it is the very certificate in the
 * file); @insecure accepts any certificate. Responses are bounded
 * (CG_CTL_MAX_RESPONSE_BYTES). Single-threaded CLI use.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CG_CTL_MAX_RESPONSE_BYTES (8u << 20)

typedef struct {
    char *url; /* "https://host:port" (a trailing path is ignored) */
    char *api_key;
    char *cacert; /* nullable PEM file */
    gboolean insecure;
} CgCtlServer;

/* Sends @method @path with @body (nullable, JSON). Fills @status and
 * (transfer full) @response (the body text, "" when empty). */
gboolean cg_ctl_request(const CgCtlServer *server, const char *method, const char *path,
                        const char *body, guint *status, char **response, GError **error);

G_END_DECLS
