/* peers_common.h — raw clients for the integration-peers-* tests: a blocking
 * TLS connection to the daemon on which a test writes exactly the bytes it
 * wants (WebSocket frames masked or not, HTTP/1.1 keep-alive requests) and
 * reads only when it chooses to — what a hostile client does, and what the
 * event-driven tests/support/wss_client.c never would. Plus /proc and store
 * probes. Every helper asserts on setup failures (test programs). */
#pragma once

#include "daemon_harness.h"
#include "wss_client.h"

G_BEGIN_DECLS

typedef struct {
    GSocketClient *client;
    GIOStream *conn;
    GDataInputStream *in;
    GOutputStream *out;
} PtRaw;

/* (transfer full) a TLS connection to the daemon (10 s I/O timeout). */
PtRaw *pt_raw_connect(CgTestDaemon *daemon);
/* The same with a receive buffer of @rcvbuf bytes (set before connecting):
 * a reader that stops reading then holds little in the kernel, so the
 * daemon's own buffering shows at once. */
PtRaw *pt_raw_connect_rcvbuf(CgTestDaemon *daemon, int rcvbuf);
void pt_raw_free(PtRaw *raw);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PtRaw, pt_raw_free)

/* The WebSocket handshake on /ws; asserts 101. */
void pt_ws_upgrade(PtRaw *raw);
/* One frame, FIN set; masked as a client must, or not. FALSE + @error when
 * the write fails (the server closed). */
gboolean pt_ws_send(PtRaw *raw, guint8 opcode, gboolean masked, const void *data, gsize len,
                    GError **error);
/* Reads one frame: its opcode and (transfer full) payload. FALSE on EOF,
 * error or the I/O timeout. */
gboolean pt_ws_read(PtRaw *raw, guint8 *opcode, GBytes **payload);
/* Reads frames until a close frame (TRUE: its status and reason, and
 * @n_errors the error messages before it) or the end of the stream (FALSE). */
gboolean pt_ws_read_until_close(PtRaw *raw, guint *status, char **reason, guint *n_errors);

/* One HTTP/1.1 keep-alive request; returns the status (0 on failure). */
guint pt_http(PtRaw *raw, const char *method, const char *path, const char *api_key);

/* The daemon's resident set, from /proc/PID/status (kB). */
guint64 pt_daemon_rss_kb(CgTestDaemon *daemon);
/* Rows of the daemon's audit table (read from its SQLite file) whose
 * action is @action (NULL: all rows). */
guint pt_audit_rows(CgTestDaemon *daemon, const char *action);
/* The refusals counted by the "auth_refused" aggregate records. */
guint pt_audit_suppressed(CgTestDaemon *daemon);

/* (transfer full) {"type":"join","token":@token} as text. */
char *pt_join_text(const char *token);

G_END_DECLS
