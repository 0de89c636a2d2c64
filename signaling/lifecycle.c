/* lifecycle.c — see lifecycle.h. */
#include "lifecycle.h"

#include <jansson.h>

#include "audit.h"
#include "ids.h"
#include "turn_credentials.h"

static gint64 now_s(void)
{
    return g_get_real_time() / G_USEC_PER_SEC;
}

/* ---- audit ------------------------------------------------------------------ */

void cg_lifecycle_audit(CgSignaling *s, const char *remote, const char *tenant,
                        const char *consult, const char *participant, const char *role,
                        const char *action, const char *outcome)
{
    CgAuditEvent ev = {.tenant = tenant, .consult = consult, .participant = participant,
                       .role = role, .action = action, .outcome = outcome, .remote = remote};
    g_autoptr(GError) error = NULL;
    if (!cg_audit_append(s->store, &ev, g_get_real_time(), &error))
        g_warning("audit: cannot record %s/%s: %s", action, outcome, error->message);
}

void cg_lifecycle_audit_peer(const CgPeer *peer, const char *action, const char *outcome)
{
    const CgPeerInfo *i = &peer->info;
    cg_lifecycle_audit(peer->s, peer->remote, i->tenant_id, i->consult_id, i->participant_id,
                       i->role, action, outcome);
}

/* Audits a specialist's action on @target (participant id). */
static void audit_action(const CgPeer *actor, const char *target_id, const char *target_role,
                         const char *action, const char *outcome)
{
    const CgPeerInfo *i = &actor->info;
    cg_lifecycle_audit(actor->s, actor->remote, i->tenant_id, i->consult_id, target_id,
                       target_role, action, outcome);
}

/* ---- the consults that have peers ---------------------------------------- */

void cg_lifecycle_free_consult(CgLiveConsult *lc)
{
    g_clear_handle_id(&lc->end_timer, g_source_remove);
    g_free(lc->tenant);
    g_free(lc->id);
    g_free(lc);
}

static void end_consult(CgSignaling *s, const char *consult_id, const char *reason);

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
    end_consult(s, id, "time_up");
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
    gint64 ends_at = cg_consult_ends_at(consult, &s->window);
    if (lc->end_timer && lc->ends_at == ends_at)
        return;
    g_clear_handle_id(&lc->end_timer, g_source_remove);
    lc->ends_at = ends_at;
    gint64 left = CLAMP(ends_at - now_s(), 0, 7 * 24 * 3600);
    lc->end_timer = g_timeout_add_seconds((guint)left, on_end_timer, lc);
}

/* ---- waiting room ------------------------------------------------------------- */

/* (transfer full) the waiting peers of @consult_id as the protocol shows them. */
static GArray *waiting_peers(CgSignaling *s, const char *consult_id)
{
    GArray *waiting = g_array_new(FALSE, FALSE, sizeof(CgProtocolParticipant));
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, s->peers);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        CgPeer *p = value;
        if (p->waiting && cg_peer_in_consult(p, consult_id)) {
            CgProtocolParticipant one = cg_peer_participant(p);
            g_array_append_val(waiting, one);
        }
    }
    return waiting;
}

static gboolean is_present_specialist(const CgPeer *p, const char *consult_id)
{
    return p->joined && cg_peer_in_consult(p, consult_id) && cg_role_may_moderate(p->info.role);
}

/* Sends the waiting list to @only, or to every specialist present when NULL. */
static void send_waiting_list(CgSignaling *s, const char *consult_id, CgPeer *only)
{
    g_autoptr(GArray) waiting = waiting_peers(s, consult_id);
    g_autofree char *text =
        cg_protocol_waiting_list((const CgProtocolParticipant *)waiting->data, waiting->len);
    if (only) {
        cg_peer_send(only, g_strdup(text));
        return;
    }
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, s->peers);
    while (g_hash_table_iter_next(&it, NULL, &value))
        if (is_present_specialist(value, consult_id))
            cg_peer_send(value, g_strdup(text));
}

static gboolean specialist_present(CgSignaling *s, const char *consult_id)
{
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, s->peers);
    while (g_hash_table_iter_next(&it, NULL, &value))
        if (is_present_specialist(value, consult_id))
            return TRUE;
    return FALSE;
}

/* The consult as joined and waiting show it; the times are written into
 * @starts and @ends, which the caller frees. */
static CgProtocolConsult protocol_consult(CgSignaling *s, const CgConsultRecord *c, char **starts,
                                          char **ends)
{
    *starts = cg_rfc3339(c->starts_at);
    *ends = cg_rfc3339(cg_consult_ends_at(c, &s->window));
    return (CgProtocolConsult){.id = c->id,
                               .title = c->title,
                               .kind = c->kind,
                               .specialty = c->specialty,
                               .starts_at = *starts,
                               .ends_at = *ends};
}

void cg_lifecycle_wait(CgPeer *peer, const CgConsultRecord *consult)
{
    CgSignaling *s = peer->s;
    peer->waiting = TRUE;
    g_autofree char *starts = NULL, *ends = NULL;
    CgProtocolConsult c = protocol_consult(s, consult, &starts, &ends);
    CgProtocolParticipant you = cg_peer_participant(peer);
    cg_peer_send(peer, cg_protocol_waiting(&you, &c, specialist_present(s, peer->info.consult_id)));
    send_waiting_list(s, peer->info.consult_id, NULL);
}

/* Tells the waiting peers whether a specialist is there to admit them. */
static void tell_waiting_presence(CgSignaling *s, const char *consult_id)
{
    gboolean present = specialist_present(s, consult_id);
    g_autofree char *text = cg_protocol_waiting_status(present);
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, s->peers);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        CgPeer *p = value;
        if (p->waiting && cg_peer_in_consult(p, consult_id))
            cg_peer_send(p, g_strdup(text));
    }
}

/* ---- admission ---------------------------------------------------------------- */

/* joined's "resume": a fresh secret with every joined, so an id that
 * resumed once (or leaked) never resumes again. NULL when resuming is off. */
static const char *new_resume_id(CgPeer *peer)
{
    g_clear_pointer(&peer->resume_id, g_free);
    if (peer->s->config->resume_grace_s)
        peer->resume_id = cg_secret_id_new("r");
    return peer->resume_id;
}

/* ---- a specialist's mute, stored per participant ------------------------------ */

/* (transfer full) the stored mute of @peer, if the relay enforces it: the
 * muting specialist's record; NULL when not muted. */
static CgParticipantRecord *stored_mute(CgPeer *peer)
{
    const CgPeerInfo *i = &peer->info;
    if (cg_role_may_unmute_self(i->role))
        return NULL;
    CgParticipantRecord self = {0};
    g_autoptr(GError) error = NULL;
    if (!cg_store_get_participant(peer->s->store, i->tenant_id, i->consult_id, i->participant_id,
                                  &self, &error)) {
        g_warning("%s cannot read its mute: %s", i->log_tag, error->message);
        return NULL;
    }
    CgParticipantRecord *by = NULL;
    if (self.muted_by) {
        by = g_new0(CgParticipantRecord, 1);
        /* the specialist's name for "muted"'s "by"; its id alone if unreadable */
        if (!cg_store_get_participant(peer->s->store, i->tenant_id, i->consult_id, self.muted_by,
                                      by, NULL))
            by->id = g_strdup(self.muted_by);
    }
    cg_participant_record_clear(&self);
    return by;
}

/* Tells @target and the others about a mute (or unmute) by @by_*. */
static void tell_muted(CgPeer *target, gboolean mute, const char *by_id, const char *by_name,
                       const char *by_role)
{
    cg_peer_send(target, cg_protocol_muted(mute ? "muted" : "unmuted", by_id, by_name, by_role,
                                           cg_role_may_unmute_self(target->info.role)));
    cg_peer_broadcast(target,
                      cg_protocol_participant_muted(target->info.participant_id, mute, by_id));
}

/* A stored mute holds on every admission and resume, whatever the endpoint
 * does: the relay drops its audio before any can flow, and everyone is told. */
static void apply_stored_mute(CgPeer *peer, CgParticipantRecord *by)
{
    CgSignaling *s = peer->s;
    if (s->events.peer_audio_muted)
        s->events.peer_audio_muted(s->user, peer->id, TRUE);
    tell_muted(peer, TRUE, by->id, by->name ? by->name : "", by->role ? by->role : "specialist");
}

/* @resumed: the answer to a join that took a held seat back. @muted: a
 * specialist's mute holds for this participant. */
static void send_joined(CgPeer *peer, const CgConsultRecord *consult, gboolean resumed,
                        gboolean muted)
{
    CgSignaling *s = peer->s;
    const CgConfig *c = s->config;
    g_autoptr(GArray) others = g_array_new(FALSE, FALSE, sizeof(CgProtocolParticipant));
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, s->peers);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        CgPeer *p = value;
        if (p != peer && p->joined && cg_peer_in_consult(p, peer->info.consult_id)) {
            CgProtocolParticipant one = cg_peer_participant(p);
            g_array_append_val(others, one);
        }
    }
    g_autofree char *opaque = cg_id_new("t"); /* random: the TURN log never names anyone */
    json_t *ice_servers = cg_ice_servers_json(
        (const char *const *)c->client_stun_urls, (const char *const *)c->client_turn_urls,
        s->turn_secret, now_s() + c->turn_credential_ttl_s, opaque);
    g_autofree char *starts = NULL, *ends = NULL;
    CgProtocolJoined joined = {
        .you = cg_peer_participant(peer),
        .consult = protocol_consult(s, consult, &starts, &ends),
        .participants = (const CgProtocolParticipant *)others->data,
        .n_participants = others->len,
        .ice_servers = ice_servers,
        .max_message_bytes = (guint)c->max_message_bytes,
        .resume_id = new_resume_id(peer),
        .resume_grace_s = c->resume_grace_s,
        .resumed = resumed,
        .muted = muted,
    };
    cg_peer_send(peer, cg_protocol_joined(&joined));
    json_decref(ice_servers);
}

void cg_lifecycle_resumed(CgPeer *peer, const CgConsultRecord *consult)
{
    cg_lifecycle_track(peer->s, consult);
    CgParticipantRecord *muted_by = stored_mute(peer);
    send_joined(peer, consult, TRUE, muted_by != NULL);
    if (cg_role_may_moderate(peer->info.role))
        send_waiting_list(peer->s, peer->info.consult_id, peer);
    if (muted_by)
        apply_stored_mute(peer, muted_by);
    cg_participant_record_free(muted_by);
}

void cg_lifecycle_admit(CgPeer *peer, const CgConsultRecord *consult)
{
    CgSignaling *s = peer->s;
    const CgPeerInfo *i = &peer->info;
    gboolean was_waiting = peer->waiting;
    peer->waiting = FALSE;
    peer->joined = TRUE;
    /* From the record read for this admission: a change while it waited counts. */
    peer->info.video_bitrate_kbps =
        cg_consult_video_bitrate_kbps(consult, s->config->video_bitrate_kbps);
    g_autoptr(GError) error = NULL;
    if (!cg_store_set_participant_admitted(s->store, i->tenant_id, i->consult_id,
                                           i->participant_id, &error) ||
        (!consult->live_since &&
         !cg_store_set_consult_live(s->store, i->tenant_id, i->consult_id, now_s(), &error))) {
        g_warning("%s cannot record the admission: %s", i->log_tag, error->message);
        g_clear_error(&error);
    }
    CgParticipantRecord *muted_by = stored_mute(peer);
    send_joined(peer, consult, FALSE, muted_by != NULL);
    CgProtocolParticipant self = cg_peer_participant(peer);
    cg_peer_broadcast(peer, cg_protocol_participant_joined(&self));
    if (cg_role_may_moderate(i->role)) {
        send_waiting_list(s, i->consult_id, peer);
        tell_waiting_presence(s, i->consult_id);
    }
    if (was_waiting)
        send_waiting_list(s, i->consult_id, NULL);
    if (!s->events.peer_joined(s->user, peer->id, &error))
        cg_signaling_fail_peer(s, peer->id, error);
    else if (muted_by)
        apply_stored_mute(peer, muted_by);
    cg_participant_record_free(muted_by);
}

/* ---- leaving and ending ------------------------------------------------------- */

void cg_lifecycle_peer_gone(CgSignaling *s, CgPeer *peer)
{
    const char *consult_id = peer->info.consult_id;
    if (peer->waiting)
        send_waiting_list(s, consult_id, NULL);
    else if (cg_role_may_moderate(peer->info.role))
        tell_waiting_presence(s, consult_id);
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, s->peers);
    while (g_hash_table_iter_next(&it, NULL, &value))
        if (cg_peer_in_consult(value, consult_id))
            return;
    g_hash_table_remove(s->consults, consult_id);
}

/* Everyone in @consult_id (joined or waiting) is told and closed (1000). */
static void end_consult(CgSignaling *s, const char *consult_id, const char *reason)
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

/* Removes @target (joined or waiting) with @code, telling the specialists. */
static void drop_peer(CgPeer *target, const char *left_reason, CgErrorCode code,
                      const char *message)
{
    CgSignaling *s = target->s;
    gboolean was_waiting = target->waiting;
    target->left_reason = left_reason;
    cg_peer_error(target, code, message);
    if (was_waiting)
        send_waiting_list(s, target->info.consult_id, NULL);
}

/* ---- specialist controls ----------------------------------------------------- */

static void control_admit(CgPeer *actor, CgPeer *target)
{
    CgSignaling *s = actor->s;
    const CgPeerInfo *t = &target->info;
    CgConsultRecord consult = {0};
    if (!cg_store_get_consult(s->store, t->tenant_id, t->consult_id, &consult, NULL)) {
        cg_peer_error(actor, CG_ERROR_CODE_INTERNAL, "the consult cannot be read");
        return;
    }
    audit_action(actor, t->participant_id, t->role, "admit", "ok");
    cg_lifecycle_admit(target, &consult);
    cg_consult_record_clear(&consult);
}

static void control_mute(CgPeer *actor, CgPeer *target, gboolean mute)
{
    const CgPeerInfo *a = &actor->info;
    const CgPeerInfo *t = &target->info;
    CgSignaling *s = actor->s;
    /* Clinicians may undo a mute themselves, so for them it is advice; for
     * the others the relay enforces it, and the store keeps it for rejoins
     * and restarts until a specialist unmutes. */
    gboolean enforced = !cg_role_may_unmute_self(t->role);
    g_autoptr(GError) error = NULL;
    if ((enforced || !mute) &&
        !cg_store_set_participant_muted(s->store, t->tenant_id, t->consult_id, t->participant_id,
                                        mute ? a->participant_id : NULL, &error)) {
        cg_peer_error(actor, CG_ERROR_CODE_INTERNAL, "the mute cannot be recorded");
        return;
    }
    audit_action(actor, t->participant_id, t->role, mute ? "mute" : "unmute", "ok");
    if (enforced && s->events.peer_audio_muted)
        s->events.peer_audio_muted(s->user, target->id, mute);
    tell_muted(target, mute, a->participant_id, a->name, a->role);
}

static void control_remove(CgPeer *actor, CgPeer *target)
{
    CgSignaling *s = actor->s;
    const CgPeerInfo *t = &target->info;
    g_autoptr(GError) error = NULL;
    if (!cg_store_set_participant_removed(s->store, t->tenant_id, t->consult_id, t->participant_id,
                                          &error)) {
        cg_peer_error(actor, CG_ERROR_CODE_INTERNAL, "the removal cannot be recorded");
        return;
    }
    audit_action(actor, t->participant_id, t->role, "remove", "ok");
    drop_peer(target, "removed", CG_ERROR_CODE_PARTICIPANT_REMOVED,
              "a specialist removed you from this consult");
}

static void control_end(CgPeer *actor)
{
    CgSignaling *s = actor->s;
    const CgPeerInfo *a = &actor->info;
    g_autoptr(GError) error = NULL;
    if (!cg_store_end_consult(s->store, a->tenant_id, a->consult_id, "ended", "ended_by_specialist",
                              now_s(), &error)) {
        cg_peer_error(actor, CG_ERROR_CODE_INTERNAL, "the end cannot be recorded");
        return;
    }
    audit_action(actor, a->participant_id, a->role, "end", "ended_by_specialist");
    g_autofree char *id = g_strdup(a->consult_id);
    end_consult(s, id, "ended_by_specialist");
}

void cg_lifecycle_control(CgPeer *actor, const CgClientMessage *msg)
{
    if (msg->type == CG_CLIENT_END) {
        control_end(actor);
        return;
    }
    CgPeer *target = cg_peers_find(actor->s, actor->info.consult_id, msg->participant);
    gboolean needs_waiting = msg->type == CG_CLIENT_ADMIT || msg->type == CG_CLIENT_DECLINE;
    gboolean needs_joined = msg->type == CG_CLIENT_MUTE || msg->type == CG_CLIENT_UNMUTE;
    if (!target || target == actor || (needs_waiting && !target->waiting) ||
        (needs_joined && !target->joined)) {
        cg_peer_error(actor, CG_ERROR_CODE_UNKNOWN_PARTICIPANT,
                      needs_waiting ? "no such participant in the waiting room"
                                    : "no such participant in this consult");
        return;
    }
    switch (msg->type) {
    case CG_CLIENT_ADMIT:
        control_admit(actor, target);
        break;
    case CG_CLIENT_DECLINE:
        audit_action(actor, target->info.participant_id, target->info.role, "decline", "ok");
        drop_peer(target, "declined", CG_ERROR_CODE_DECLINED,
                  "the specialist could not admit you to this consult");
        break;
    case CG_CLIENT_REMOVE:
        control_remove(actor, target);
        break;
    case CG_CLIENT_MUTE:
    case CG_CLIENT_UNMUTE:
        control_mute(actor, target, msg->type == CG_CLIENT_MUTE);
        break;
    default:
        break;
    }
}

/* ---- the admin API's view (admin_api.h CgAdminLive) ------------------------- */

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
    CgPeer *target = tenant_matches(s, tenant, consult_id)
                         ? cg_peers_find(s, consult_id, participant_id)
                         : NULL;
    if (target)
        drop_peer(target, "removed", CG_ERROR_CODE_PARTICIPANT_REMOVED,
                  "you were removed from this consult");
}

static void consult_ended(gpointer user, const char *tenant, const char *consult_id,
                          const char *reason)
{
    CgSignaling *s = user;
    if (tenant_matches(s, tenant, consult_id))
        end_consult(s, consult_id, reason);
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

const CgAdminLive cg_lifecycle_admin_live = {live_participants, kick, consult_ended,
                                             consult_changed};
