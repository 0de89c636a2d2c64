/* server-private.h — state shared by server.c (context, dispatch), http.c
 * (HTTP requests) and peers.c (WebSocket peers). Not a public interface. */
#pragma once

#include <libwebsockets.h>

#include "admin_api.h"
#include "signaling.h"
#include "store.h"
#include "tenants.h"

/* Per-connection data lws keeps for us: one pointer to our own object. */
typedef struct {
    struct _CgHttpRequest *http;
    struct _CgPeer *peer;
} CgConnData;

struct _CgSignaling {
    const CgConfig *config;
    CgSignalingEvents events;
    gpointer user;
    struct lws_context *context;
    struct lws_vhost *vhost;
    CgStore *store;
    CgTenants *tenants;
    CgAdminApi *admin;
    GHashTable *peers;    /* CgPeerId -> CgPeer (every open WebSocket) */
    CgPeerId next_peer_id;
    gint64 started_us;
    gboolean shutting_down;
    GSourceFunc shutdown_done;
    gpointer shutdown_done_data;
    guint shutdown_timeout_id;
};

/* http.c */
int cg_http_callback(CgSignaling *s, struct lws *wsi, CgConnData *conn,
                     enum lws_callback_reasons reason, void *in, size_t len);

/* peers.c */
int cg_peers_callback(CgSignaling *s, struct lws *wsi, CgConnData *conn,
                      enum lws_callback_reasons reason, void *in, size_t len);
void cg_peers_say_goodbye(CgSignaling *s);
void cg_peer_free(struct _CgPeer *peer);

/* server.c */
void cg_signaling_check_shutdown_done(CgSignaling *s);
