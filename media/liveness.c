/* liveness.c — the relay's consent check: an endpoint with a
 * connection up that sends nothing authenticated for
 * CG_MEDIA_CONSENT_TIMEOUT_S fails (relay-private.h).
 */
#include "relay-private.h"

#define CONSENT_US ((gint64)CG_MEDIA_CONSENT_TIMEOUT_S * G_USEC_PER_SEC)

static gboolean pc_rx(CgPc *pc, guint64 *rx)
{
    if (!pc)
        return FALSE;
    CgPeerConnCounters c;
    cg_peer_conn_counters(pc->conn, &c);
    *rx += c.rtp_in + c.rtcp_in;
    return pc->up;
}

/* TRUE when @ep has a connection up and has been silent for the limit. */
static gboolean expired(CgEndpoint *ep, gint64 now)
{
    guint64 rx = 0;
    gboolean any_up = pc_rx(ep->publish, &rx);
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, ep->subs);
    while (g_hash_table_iter_next(&it, NULL, &value))
        any_up |= pc_rx(value, &rx);
    if (ep->last_alive == 0 || rx != ep->last_rx || !any_up) {
        ep->last_rx = rx;
        ep->last_alive = now;
        return FALSE;
    }
    return now - ep->last_alive >= CONSENT_US;
}

void cg_media_check_liveness(CgMedia *relay)
{
    gint64 now = cg_relay_now(relay);
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, relay->endpoints);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        CgEndpoint *ep = value;
        if (ep->failed || ep->stopped || !expired(ep, now))
            continue;
        ep->stopped = TRUE; /* stop sending to it at once */
        g_autofree char *msg = g_strdup_printf("no media or consent from the endpoint for %u s",
                                               CG_MEDIA_CONSENT_TIMEOUT_S);
        cg_relay_fail(relay, ep, CG_MEDIA_ERROR_FAILED, msg);
    }
}
