/* lean_liveness.c — the lean relay's consent check: an endpoint with a
 * connection up that sends nothing authenticated for
 * CG_MEDIA_CONSENT_TIMEOUT_S fails (lean-relay-private.h, lean_relay.h).
 */
#include "lean-relay-private.h"

#define CONSENT_US ((gint64)CG_MEDIA_CONSENT_TIMEOUT_S * G_USEC_PER_SEC)

static gboolean pc_rx(LeanPc *pc, guint64 *rx)
{
    if (!pc)
        return FALSE;
    CgLeanConnCounters c;
    cg_lean_conn_counters(pc->conn, &c);
    *rx += c.rtp_in + c.rtcp_in;
    return pc->up;
}

/* TRUE when @ep has a connection up and has been silent for the limit. */
static gboolean expired(LeanEndpoint *ep, gint64 now)
{
    guint64 rx = 0;
    gboolean any_up = pc_rx(ep->pub, &rx);
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

void cg_lean_relay_check_liveness(CgLeanRelay *relay)
{
    gint64 now = relay->now(relay->now_user);
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, relay->endpoints);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        LeanEndpoint *ep = value;
        if (ep->failed || ep->stopped || !expired(ep, now))
            continue;
        ep->stopped = TRUE; /* stop sending to it at once */
        g_autofree char *msg = g_strdup_printf("no media or consent from the endpoint for %u s",
                                               CG_MEDIA_CONSENT_TIMEOUT_S);
        cg_lean_relay_fail(relay, ep, CG_MEDIA_ERROR_FAILED, msg);
    }
}

static gint64 monotonic_now(gpointer user)
{
    (void)user;
    return g_get_monotonic_time();
}

void cg_lean_relay_set_clock(CgLeanRelay *relay, gint64 (*now)(gpointer user), gpointer user)
{
    relay->now = now ? now : monotonic_now;
    relay->now_user = now ? user : NULL;
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, relay->endpoints);
    while (g_hash_table_iter_next(&it, NULL, &value))
        ((LeanEndpoint *)value)->last_alive = 0; /* silence restarts on the new clock */
}
