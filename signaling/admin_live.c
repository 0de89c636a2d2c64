/* admin_live.c — the admin API's view of the live side (CgAdminLive,
 * admin_api.h): who is connected to a consult, kicking a removed
 * participant, ending a cancelled consult for everyone, and a PATCH's new
 * times and video bitrate cap. Kept in signaling/ because it walks the
 * peers; admin/ sees only the callbacks. See lifecycle.h. */
#include "lifecycle.h"

#include <jansson.h>

static gboolean tenant_matches(CgSignaling *s, const char *tenant, const char *consult_id)
{
    CgLiveConsult *lc = g_hash_table_lookup(s->consults, consult_id);
    return lc && g_str_equal(lc->tenant, tenant);
}

static char *live_participants(gpointer user, const char *tenant, const char *consult_id)
{
    CgSignaling *s = user;
    json_t *list = json_array();
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, s->peers);
    while (tenant_matches(s, tenant, consult_id) && g_hash_table_iter_next(&it, NULL, &value)) {
        CgPeer *p = value;
        if (!cg_peer_in_consult(p, consult_id))
            continue;
        CgProtocolParticipant one = cg_peer_participant(p);
        json_t *entry = cg_protocol_participant_json(&one);
        json_object_set_new(entry, "state", json_string(p->waiting ? "waiting" : "admitted"));
        json_array_append_new(list, entry);
    }
    return cg_json_take_text(list);
}

static void kick(gpointer user, const char *tenant, const char *consult_id,
                 const char *participant_id)
{
    CgSignaling *s = user;
    CgPeer *target =
        tenant_matches(s, tenant, consult_id) ? cg_peers_find(s, consult_id, participant_id) : NULL;
    if (target)
        cg_lifecycle_drop_peer(target, "removed", CG_ERROR_CODE_PARTICIPANT_REMOVED,
                               "you were removed from this consult");
}

static void consult_ended(gpointer user, const char *tenant, const char *consult_id,
                          const char *reason)
{
    CgSignaling *s = user;
    if (tenant_matches(s, tenant, consult_id))
        cg_lifecycle_end_consult(s, consult_id, reason);
}

/* The joined peers of @consult get its (maybe new) video bitrate cap; media
 * is told once, if it changed for any of them. Waiting peers get it when
 * admitted. */
static void apply_video_bitrate(CgSignaling *s, const CgConsultRecord *consult)
{
    guint kbps = cg_consult_video_bitrate_kbps(consult, s->config->video_bitrate_kbps);
    guint changed = 0;
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, s->peers);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        CgPeer *p = value;
        if (!p->joined || !cg_peer_in_consult(p, consult->id) ||
            !g_str_equal(p->info.tenant_id, consult->tenant) || p->info.video_bitrate_kbps == kbps)
            continue;
        p->info.video_bitrate_kbps = kbps;
        changed++;
    }
    if (!changed)
        return;
    g_info("[consult|%s] video bitrate cap now %u kbps (0 = none) for %u endpoint(s)", consult->id,
           kbps, changed);
    if (s->events.consult_video_bitrate_changed)
        s->events.consult_video_bitrate_changed(s->user, consult->id, kbps);
}

/* Only consults someone is tracking (connected, or re-armed at start) have a
 * timer to move; the others are judged by their times at the next join. */
static void consult_changed(gpointer user, const CgConsultRecord *consult)
{
    CgSignaling *s = user;
    if (g_hash_table_contains(s->consults, consult->id))
        cg_lifecycle_track(s, consult);
    apply_video_bitrate(s, consult);
    cg_interpretation_reconfigure(s, consult);
}

const CgAdminLive cg_lifecycle_admin_live = {live_participants, kick, consult_ended,
                                             consult_changed};
