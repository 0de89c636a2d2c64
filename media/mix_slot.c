/* mix_slot.c — an endpoint's "mix" slot (media.h, relay-private.h): the
 * subscribe connection that carries the mix it listens to. It is offered,
 * answered, restarted and checked like a "sub-N" (it is kept in subs under
 * publisher id 0); only what it sends differs: consultd's own Opus stream
 * (offer.c cg_offer_mix_source), fed by mix_route.c.
 */
#include "relay-private.h"

#include <string.h>

static const guint64 slot_key = 0; /* no publisher has id 0 */

static gboolean open_slot(CgEndpoint *ep, GError **error)
{
    if (ep->failed)
        return TRUE; /* it is being removed: nothing to offer it */
    guint32 ssrc;
    do
        ssrc = g_random_int();
    while (ssrc == 0);
    g_autoptr(CgSdp) source = cg_offer_mix_source(ssrc);
    CgPc *pc = cg_relay_pc_new(ep, CG_MEDIA_MIX_PC, 0, error);
    if (!pc)
        return FALSE;
    CgOfferNames names;
    cg_offer_mix_names(&names);
    g_autofree char *offer = cg_peer_conn_offer(pc->conn, source, &names.relay, error);
    if (!offer) {
        cg_relay_pc_free(pc);
        return FALSE;
    }
    ep->mix_source = g_steal_pointer(&source);
    ep->mix_pc = pc;
    memset(&ep->timeline, 0, sizeof ep->timeline); /* a new stream starts */
    g_hash_table_insert(ep->subs, g_memdup2(&slot_key, sizeof slot_key), pc);
    cg_relay_pc_announce(pc, "offer", offer);
    g_info("%s mix slot offered (SSRC %u)", ep->tag, ssrc);
    return TRUE;
}

static void close_slot(CgMedia *relay, CgEndpoint *ep)
{
    CgEndpointId id = ep->id;
    g_hash_table_remove(ep->subs, &slot_key); /* frees the connection, clears mix_pc */
    g_clear_pointer(&ep->mix_source, cg_sdp_free);
    g_info("%s mix slot closed", ep->tag);
    if (relay->events.pc_closed) /* last: the handler may re-enter */
        relay->events.pc_closed(relay->user, id, CG_MEDIA_MIX_PC);
}

gboolean cg_media_endpoint_set_mix_slot(CgMedia *relay, CgEndpointId id, gboolean enabled,
                                        GError **error)
{
    CgEndpoint *ep = cg_relay_lookup(relay, id);
    if (!ep) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_UNKNOWN_ENDPOINT,
                    "no endpoint %" G_GUINT64_FORMAT, id);
        return FALSE;
    }
    if (enabled == (ep->mix_pc != NULL))
        return TRUE;
    if (enabled)
        return open_slot(ep, error);
    close_slot(relay, ep);
    return TRUE;
}
