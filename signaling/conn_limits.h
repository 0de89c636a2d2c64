/* conn_limits.h — per-address limits on the HTTPS/WSS port (issue 9,
 * finding 11), so that one address (one IPv4 address, one IPv6 /64) can never
 * take the connection slots (server.max_connections) from everyone else:
 *
 * - at most server.max_connections_per_address open connections;
 * - at most server.max_handshakes_per_address of them still "handshaking":
 *   accepted, but without a complete HTTP request yet (TLS handshake, then
 *   request headers);
 * - a connection still handshaking server.handshake_timeout_s after it was
 *   accepted, and idle that long (no byte either way, none unread), is
 *   closed within 1 s more (half-open TLS, a partial ClientHello, slowloris
 *   headers); one whose bytes keep moving (a slow handshake on a busy
 *   server, or a client dripping bytes) at 6 x handshake_timeout_s.
 *
 * A connection over a limit is closed at accept, before any TLS state exists.
 * Refusals are counted and logged as one line per address every 10 s at
 * most. Main thread only (lws callbacks and one GLib timer). */
#pragma once

#include <glib.h>
#include <libwebsockets.h>
#include <sys/socket.h>

typedef struct _CgConnLimits CgConnLimits;

CgConnLimits *cg_conn_limits_new(guint max_per_address, guint max_handshakes_per_address,
                                 guint handshake_timeout_s);
void cg_conn_limits_free(CgConnLimits *limits);

/* The address key of @addr: IPv4 (also IPv4-mapped IPv6) as is, IPv6 as its
 * /64 ("2001:db8:1:2::/64"). (transfer full), NULL for other families. */
char *cg_conn_limits_key(const struct sockaddr *addr);

/* LWS_CALLBACK_FILTER_NETWORK_CONNECTION: FALSE if a socket from @addr must
 * be closed now (its address is at one of its limits). */
gboolean cg_conn_limits_admit(CgConnLimits *limits, const struct sockaddr *addr);
/* LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED: @wsi is open and handshaking. */
void cg_conn_limits_opened(CgConnLimits *limits, struct lws *wsi);
/* The first complete request on @wsi (HTTP or WebSocket upgrade). */
void cg_conn_limits_request(CgConnLimits *limits, struct lws *wsi);
/* LWS_CALLBACK_WSI_DESTROY (any wsi; unknown ones are ignored). */
void cg_conn_limits_closed(CgConnLimits *limits, struct lws *wsi);
