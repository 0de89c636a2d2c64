/* daemon_harness.h — runs the real consultd for integration tests.
 *
 * cg_test_daemon_start() writes a complete config into a fresh temp dir
 * (port 0, self-generated certificate, its own random tenant API keys and
 * token secrets, mode 0600), spawns the binary named by $CG_CONSULTD with
 * $CG_WEB_ROOT as web_root, reads its stderr (JSON lines) asynchronously into
 * a buffer and waits for the "listening" line to learn the port.
 *
 * Also here: a small HTTPS client for the admin API (one request per
 * connection, Connection: close; the daemon's certificate is checked against
 * the file it generated), a helper that creates a consult, an HS256 token
 * minter for the bad-token tests, and cg_test_wait_until(), the one
 * poll-with-deadline every test uses instead of sleeping.
 *
 * Threads: everything runs on the thread-default main context of the caller;
 * the blocking calls (admin requests) do not iterate it.
 */
#pragma once

#include <gio/gio.h>
#include <jansson.h>

G_BEGIN_DECLS

#define CG_TEST_MAX_TENANTS 2

typedef struct _CgTestDaemon CgTestDaemon;

typedef struct {
    guint n_tenants;         /* 1 (default when 0) or 2: ids "tenant-a", "tenant-b" */
    guint max_participants;  /* consults.max_participants; 0 = default */
    guint max_message_bytes; /* server.max_message_bytes; 0 = default */
    guint max_connections;   /* server.max_connections; 0 = 256 */
    /* Extra settings (libconfig text) placed inside each group; NULL = none. */
    const char *server_extra;
    const char *auth_extra;
    const char *consults_extra;
    const char *media_extra;
} CgTestDaemonOptions;

/* @ms times $CG_TEST_TIMEOUT_SCALE (1..20, default 1; `make check-asan`
 * sets it): every deadline of the tests goes through it. */
guint cg_test_scaled_ms(guint ms);
/* Polls the thread-default main context until @cond returns TRUE or
 * @timeout_ms (scaled: cg_test_scaled_ms) pass; returns the last value of
 * @cond. */
gboolean cg_test_wait_until(gboolean (*cond)(gpointer data), gpointer data, guint timeout_ms);
/* Runs the thread-default main context for @ms (only for measurement windows
 * and for asserting that something does NOT happen). */
void cg_test_run_for(guint ms);

/* (transfer full) a started daemon, or NULL + @error (with its last log lines). */
CgTestDaemon *cg_test_daemon_start(const CgTestDaemonOptions *options, GError **error);
/* Kills the daemon if it still runs and removes its temp dir. */
void cg_test_daemon_free(CgTestDaemon *daemon);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgTestDaemon, cg_test_daemon_free)

guint16 cg_test_daemon_port(const CgTestDaemon *daemon);
/* Process id of the daemon, for /proc measurements. */
GPid cg_test_daemon_pid(const CgTestDaemon *daemon);
/* (transfer none) the daemon's TLS certificate (valid after start). */
GTlsCertificate *cg_test_daemon_certificate(const CgTestDaemon *daemon);
/* (transfer none) tenant @index's id, API key and token-signing secret. */
const char *cg_test_daemon_tenant_id(const CgTestDaemon *daemon, guint index);
const char *cg_test_daemon_api_key(const CgTestDaemon *daemon, guint index);
const char *cg_test_daemon_secret(const CgTestDaemon *daemon, guint index);

/* Log lines read so far from stderr. */
gboolean cg_test_daemon_log_contains(const CgTestDaemon *daemon, const char *needle);
gboolean cg_test_daemon_wait_log(CgTestDaemon *daemon, const char *needle, guint timeout_ms);
/* Number of log lines read so far that contain @needle. */
guint cg_test_daemon_log_count(const CgTestDaemon *daemon, const char *needle);

/* SIGTERM, then waits up to @timeout_ms for the exit. TRUE and @exit_status
 * (the exit code, or 128+signal) when it exited; FALSE + @error otherwise (the
 * process is then still running; cg_test_daemon_free kills it). */
gboolean cg_test_daemon_stop(CgTestDaemon *daemon, guint timeout_ms, int *exit_status,
                             GError **error);
/* SIGKILL and reap. */
void cg_test_daemon_kill(CgTestDaemon *daemon);
gboolean cg_test_daemon_running(const CgTestDaemon *daemon);
/* Starts consultd again on the same dir (config, keys, certificate and
 * store) once the last one exited (killed or stopped): a new port, the same
 * certificate; the log goes on. FALSE + @error if it does not listen. */
gboolean cg_test_daemon_restart(CgTestDaemon *daemon, GError **error);
/* (transfer none) the daemon's temp dir: consultd.conf, keys, cert.pem,
 * consultd.db. */
const char *cg_test_daemon_dir(const CgTestDaemon *daemon);

/* (transfer full) a TLS GSocketClient that accepts only @expected as the
 * server's certificate (no host name or CA check: it is self-signed). Its
 * 10 s timeout is the sockets' I/O timeout too, not only the connect's: a
 * long-lived connection that may stay idle must clear it (g_socket_set_timeout
 * 0), as wss_client.c does. */
GSocketClient *cg_test_tls_client_new(GTlsCertificate *expected);

/* One HTTPS request to the daemon. @api_key and @body (raw text, sent as
 * application/json) are nullable. Fills @status and (transfer full, nullable)
 * @response_json: NULL when the body is empty or not JSON. */
gboolean cg_test_admin_request(CgTestDaemon *daemon, const char *method, const char *path,
                               const char *api_key, const char *body, guint *status,
                               json_t **response_json, GError **error);

typedef struct {
    char *id;      /* consult id */
    guint n;       /* number of participants */
    char **ids;    /* participant ids, in request order */
    char **tokens; /* join tokens */
    char **join_urls;
    char **roles; /* as the response gave them back */
    json_t *response;
} CgTestConsult;

void cg_test_consult_free(CgTestConsult *consult);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgTestConsult, cg_test_consult_free)

/* Creates a consult for tenant @tenant starting now (30 min), with the
 * NULL-terminated @roles and the same number of @names. (transfer full) or
 * NULL + @error when the answer is not 201 with what docs/api.md promises. */
CgTestConsult *cg_test_create_consult(CgTestDaemon *daemon, guint tenant, const char *kind,
                                      const char *const *roles, const char *const *names,
                                      GError **error);
/* The same, starting @starts_in_s from now (negative: in the past) and
 * @duration_min long. */
CgTestConsult *cg_test_create_consult_at(CgTestDaemon *daemon, guint tenant, const char *kind,
                                         gint64 starts_in_s, guint duration_min,
                                         const char *const *roles, const char *const *names,
                                         GError **error);

/* The same with the whole request body given (a JSON object with at least
 * "participants"), for fields the helpers above do not set. */
CgTestConsult *cg_test_create_consult_json(CgTestDaemon *daemon, guint tenant, json_t *request,
                                           GError **error);

/* (transfer full) unpadded base64url of @data. */
char *cg_test_base64url(const void *data, gsize len);
/* (transfer full) "b64(header).b64(payload).b64(HMAC-SHA256(secret))"; with
 * @secret NULL the signature part is empty (alg "none" tokens). */
char *cg_test_mint_token(const char *header_json, const char *payload_json, const char *secret);

G_END_DECLS
