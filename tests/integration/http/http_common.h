/* http_common.h — raw HTTP/1.1 over TLS against the real consultd, for the
 * integration-http-* tests: requests the harness's admin client cannot send
 * (keep-alive, HEAD, bad framing, from another loopback address), plus the
 * "nothing spins" check on the daemon's CPU time. */
#pragma once

#include "daemon_harness.h"

/* Deadlines of these tests are multiplied by this under sanitizers (set by
 * CMakeLists.txt): everything, test clients included, is several times
 * slower there. */
#ifndef CG_TEST_TIME_SCALE
#define CG_TEST_TIME_SCALE 1
#endif

typedef struct {
    GSocketConnection *conn;
    GByteArray *pending; /* bytes read past the last response */
} CgHttpConn;

typedef struct {
    guint status;
    char *headers; /* lower-cased, "\r\n"-separated, without the status line */
    GByteArray *body;
    gboolean closed; /* the server closed the connection after this response */
} CgHttpReply;

/* A TLS connection to the daemon from @local_ip (NULL = any), I/O timeout
 * @timeout_s. NULL + @error when the connect or the handshake fails. */
CgHttpConn *cg_http_connect(CgTestDaemon *d, const char *local_ip, guint timeout_s, GError **error);
void cg_http_conn_free(CgHttpConn *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgHttpConn, cg_http_conn_free)

/* Sends @request as is and reads one response (no body for HEAD or when
 * @head). FALSE + @error on a timeout or a close before a full response. */
gboolean cg_http_exchange(CgHttpConn *c, const char *request, gboolean head, CgHttpReply *out,
                          GError **error);
void cg_http_reply_clear(CgHttpReply *r);
/* (transfer none) the value of header @name (lower case, no colon), or NULL. */
const char *cg_http_reply_header(const CgHttpReply *r, const char *name, char *buf, gsize size);

/* TRUE when the peer of @c closed (EOF or reset) within @timeout_ms. */
gboolean cg_http_wait_closed(CgHttpConn *c, guint timeout_ms);

/* Runs the main context for 2 s and fails (g_error naming @what) if the
 * daemon used 20 % of a core or more meanwhile. */
void cg_http_assert_cpu_low(CgTestDaemon *d, const char *what);
/* A plain TCP socket connected to the daemon's port from @local_ip; -1 on error. */
int cg_http_tcp_connect(CgTestDaemon *d, const char *local_ip);
/* TRUE when the plain socket @fd sees EOF or a reset within @timeout_ms. */
gboolean cg_http_fd_closed_within(int fd, guint timeout_ms);
