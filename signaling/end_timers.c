/* end_timers.c — the consults that have peers (s->consults), each with its
 * end timer at starts_at + duration + grace, re-armed when the admin API
 * moves the consult and at start; and ending a consult for everyone in it.
 * See lifecycle.h. */
#include "lifecycle.h"

static gint64 now_s(void)
{
    return g_get_real_time() / G_USEC_PER_SEC;
}

void cg_lifecycle_free_consult(CgLiveConsult *lc)
{
    g_clear_handle_id(&lc->end_timer, g_source_remove);
    cg_interp_free(lc->interp);
    g_free(lc->tenant);
    g_free(lc->id);
    g_free(lc);
}

static gboolean on_end_timer(gpointer data)
{
    CgLiveConsult *lc = data;
    CgSignaling *s = lc->s;
    lc->end_timer = 0;
    /* The admin API may have moved the consult: re-read before ending it. */
    CgConsultRecord consult = {0};
    if (cg_store_get_consult(s->store, lc->tenant, lc->id, &consult, NULL) &&
        cg_consult_ends_at(&consult, &s->window) > now_s()) {
        cg_lifecycle_track(s, &consult);
        cg_consult_record_clear(&consult);
        return G_SOURCE_REMOVE;
    }
    cg_consult_record_clear(&consult);
    g_autoptr(GError) error = NULL;
    if (!cg_store_end_consult(s->store, lc->tenant, lc->id, "ended", "time_up", now_s(), &error))
        g_warning("[consult|%s] cannot record its end: %s", lc->id, error->message);
    cg_lifecycle_audit(s, NULL, lc->tenant, lc->id, NULL, NULL, "end", "time_up");
    g_autofree char *id = g_strdup(lc->id);
    cg_lifecycle_end_consult(s, id, "time_up");
    return G_SOURCE_REMOVE;
}

void cg_lifecycle_track(CgSignaling *s, const CgConsultRecord *consult)
{
    CgLiveConsult *lc = g_hash_table_lookup(s->consults, consult->id);
    if (!lc) {
        lc = g_new0(CgLiveConsult, 1);
        lc->s = s;
        lc->tenant = g_strdup(consult->tenant);
        lc->id = g_strdup(consult->id);
        g_hash_table_insert(s->consults, lc->id, lc);
    }
    cg_interpretation_track(lc, consult);
    gint64 ends_at = cg_consult_ends_at(consult, &s->window);
    if (lc->end_timer && lc->ends_at == ends_at)
        return;
    g_clear_handle_id(&lc->end_timer, g_source_remove);
    lc->ends_at = ends_at;
    gint64 left = CLAMP(ends_at - now_s(), 0, 7 * 24 * 3600);
    lc->end_timer = g_timeout_add_seconds((guint)left, on_end_timer, lc);
}

void cg_lifecycle_rearm(CgSignaling *s)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) open = cg_store_open_consults(s->store, now_s(), s->window.open_before_min,
                                                       s->window.grace_min, &error);
    if (!open) {
        g_warning("cannot re-arm consult end timers: %s", error->message);
        return;
    }
    for (guint i = 0; i < open->len; i++)
        cg_lifecycle_track(s, g_ptr_array_index(open, i));
    if (open->len)
        g_info("re-armed the end timers of %u open consult(s)", open->len);
}

/* The last peer of a consult gone, it is no longer tracked (nor its timer). */
void cg_lifecycle_peer_gone(CgSignaling *s, CgPeer *peer)
{
    const char *consult_id = peer->info.consult_id;
    if (peer->waiting)
        cg_lifecycle_send_waiting_list(s, consult_id, NULL);
    else if (cg_role_may_moderate(peer->info.role))
        cg_lifecycle_tell_waiting_presence(s, consult_id);
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, s->peers);
    while (g_hash_table_iter_next(&it, NULL, &value))
        if (cg_peer_in_consult(value, consult_id))
            return;
    g_hash_table_remove(s->consults, consult_id);
}

void cg_lifecycle_end_consult(CgSignaling *s, const char *consult_id, const char *reason)
{
    g_autofree char *text = cg_protocol_consult_ended(reason);
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, s->peers);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        CgPeer *p = value;
        if (!cg_peer_in_consult(p, consult_id))
            continue;
        p->left_reason = "consult_ended";
        cg_peer_send(p, g_strdup(text));
        cg_peer_close(p, CG_CLOSE_NORMAL, "consult_ended");
    }
    CgLiveConsult *lc = g_hash_table_lookup(s->consults, consult_id);
    if (lc)
        g_clear_handle_id(&lc->end_timer, g_source_remove);
    g_info("[consult|%s] ended (%s)", consult_id, reason);
}
