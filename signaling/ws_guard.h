/* ws_guard.h — refuses unmasked client WebSocket frames (RFC 6455 §5.1:
 * "a server MUST close the connection upon receiving a frame that is not
 * masked"; issue 9 finding 12).
 *
 * libwebsockets 4.1 (Debian 12) accepts unmasked frames from clients and does
 * not tell the server a frame was unmasked (upstream checks since 2026,
 * "client unmasked"). So the frame headers are watched where lws reads them:
 * this module defines SSL_read, which the dynamic linker binds lws's calls
 * to; it calls OpenSSL's SSL_read and, for the TLS connections of registered
 * WebSockets only, follows the frame headers in the plaintext. Everything
 * else (HTTP requests, media's DTLS, other threads) passes straight through.
 *
 * A socket is registered at LWS_CALLBACK_ESTABLISHED: a browser sends no
 * frame before it has the 101 answer, so the first byte read after that is a
 * frame's first byte. Main thread only (calls from other threads are not
 * looked at). When lws moves to SSL_read_ex or a newer lws checks masks
 * itself, this module only stops seeing frames: nothing breaks. */
#pragma once

#include <glib.h>
#include <libwebsockets.h>

G_BEGIN_DECLS

/* Starts following @wsi's frames (its TLS connection) from the next byte read. */
void cg_ws_guard_register(struct lws *wsi);
/* Stops following @wsi (its socket closes). */
void cg_ws_guard_unregister(struct lws *wsi);
/* TRUE once a frame without the mask bit was read on @wsi. */
gboolean cg_ws_guard_saw_unmasked(struct lws *wsi);

G_END_DECLS
