/* wss_client.h — a WebSocket client over TLS (GIO) for integration tests.
 *
 * Own RFC 6455 framing on a GTlsConnection, so tests can send what a browser
 * never would: malformed text, binary frames, oversize frames, raw opcodes.
 * Sent frames are masked and never fragmented. Received frames may be
 * fragmented; text messages are parsed as JSON and queued (and handed to the
 * optional handler as they arrive). A close frame from the server is answered
 * and its status and reason recorded. The server certificate must be the one
 * given (the daemon's self-signed cert).
 *
 * Threads: everything happens on the thread-default main context current at
 * cg_wss_client_new(); the wait functions iterate it. Do not free a client
 * from inside its own handler.
 */
#pragma once

#include <gio/gio.h>
#include <jansson.h>

G_BEGIN_DECLS

typedef struct _CgWssClient CgWssClient;

#define CG_WS_OPCODE_CONTINUATION 0x0
#define CG_WS_OPCODE_TEXT 0x1
#define CG_WS_OPCODE_BINARY 0x2
#define CG_WS_OPCODE_CLOSE 0x8
#define CG_WS_OPCODE_PING 0x9
#define CG_WS_OPCODE_PONG 0xA

/* @message is (transfer none); it is also queued for cg_wss_client_pop(). */
typedef void (*CgWssMessageFunc)(CgWssClient *client, json_t *message, gpointer user);

/* Starts connecting to wss://127.0.0.1:@port@path (async). (transfer full) */
CgWssClient *cg_wss_client_new(guint16 port, const char *path, GTlsCertificate *expected);
void cg_wss_client_free(CgWssClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgWssClient, cg_wss_client_free)

void cg_wss_client_set_handler(CgWssClient *client, CgWssMessageFunc func, gpointer user);
/* Called once when the handshake completes (opened TRUE) or fails (FALSE). */
void cg_wss_client_set_open_handler(CgWssClient *client,
                                    void (*func)(CgWssClient *client, gboolean opened,
                                                 gpointer user),
                                    gpointer user);

/* Waits for the WebSocket handshake; FALSE + @error on failure or timeout. */
gboolean cg_wss_client_wait_open(CgWssClient *client, guint timeout_ms, GError **error);
gboolean cg_wss_client_is_open(const CgWssClient *client);

/* Sending. Frames sent before the handshake completes are held until it does. */
void cg_wss_client_send_frame(CgWssClient *client, guint8 opcode, gboolean fin, const void *data,
                              gsize len);
void cg_wss_client_send_text(CgWssClient *client, const char *text, gssize len);
void cg_wss_client_send_binary(CgWssClient *client, const void *data, gsize len);
/* (transfer none) @message */
void cg_wss_client_send_json(CgWssClient *client, json_t *message);
/* Starts the close handshake. */
void cg_wss_client_close(CgWssClient *client, guint16 status, const char *reason);

/* Received messages. (transfer full) the oldest queued message, or NULL. */
json_t *cg_wss_client_pop(CgWssClient *client);
/* (transfer full) the oldest queued message, waiting up to @timeout_ms. */
json_t *cg_wss_client_wait_message(CgWssClient *client, guint timeout_ms);
/* (transfer full) the oldest queued message whose "type" is @type (removed
 * from the queue; others stay), waiting up to @timeout_ms; NULL on timeout. */
json_t *cg_wss_client_wait_type(CgWssClient *client, const char *type, guint timeout_ms);
/* Number of text frames that were not JSON, and of binary frames, received. */
guint cg_wss_client_n_unparsed(const CgWssClient *client);

/* Closed: the server's close frame arrived, or the connection ended. */
gboolean cg_wss_client_is_closed(const CgWssClient *client);
gboolean cg_wss_client_wait_closed(CgWssClient *client, guint timeout_ms);
/* The server's close status: 1005 for a close frame without one, 1006 when the
 * connection ended without a close frame, 0 while open. */
guint cg_wss_client_close_status(const CgWssClient *client);
/* (transfer none) the server's close reason ("" if none). */
const char *cg_wss_client_close_reason(const CgWssClient *client);

G_END_DECLS
