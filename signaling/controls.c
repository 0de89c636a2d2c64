/* controls.c — a specialist's controls over the others in its consult
 * (docs/protocol.md "Specialist controls"): admit, decline, remove, mute,
 * unmute, end. Each is recorded in the store where it must outlive the
 * socket, and audited. See lifecycle.h. */
#include "lifecycle.h"

static gint64 now_s(void)
{
    return g_get_real_time() / G_USEC_PER_SEC;
}

void cg_lifecycle_drop_peer(CgPeer *target, const char *left_reason, CgErrorCode code,
                            const char *message)
{
    CgSignaling *s = target->s;
    gboolean was_waiting = target->waiting;
    target->left_reason = left_reason;
    cg_peer_error(target, code, message);
    if (was_waiting)
        cg_lifecycle_send_waiting_list(s, target->info.consult_id, NULL);
}

static void control_admit(CgPeer *actor, CgPeer *target)
{
    CgSignaling *s = actor->s;
    const CgPeerInfo *t = &target->info;
    CgConsultRecord consult = {0};
    if (!cg_store_get_consult(s->store, t->tenant_id, t->consult_id, &consult, NULL)) {
        cg_peer_error(actor, CG_ERROR_CODE_INTERNAL, "the consult cannot be read");
        return;
    }
    cg_lifecycle_audit_action(actor, t->participant_id, t->role, "admit", "ok");
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
    cg_lifecycle_audit_action(actor, t->participant_id, t->role, mute ? "mute" : "unmute", "ok");
    if (enforced && s->events.peer_audio_muted)
        s->events.peer_audio_muted(s->user, target->id, mute);
    cg_lifecycle_tell_muted(target, mute, a->participant_id, a->name, a->role);
    if (enforced) {
        target->audio_muted = mute;
        cg_interpretation_audio_changed(target);
    }
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
    cg_lifecycle_audit_action(actor, t->participant_id, t->role, "remove", "ok");
    cg_lifecycle_drop_peer(target, "removed", CG_ERROR_CODE_PARTICIPANT_REMOVED,
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
    cg_lifecycle_audit_action(actor, a->participant_id, a->role, "end", "ended_by_specialist");
    g_autofree char *id = g_strdup(a->consult_id);
    cg_lifecycle_end_consult(s, id, "ended_by_specialist");
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
        cg_lifecycle_audit_action(actor, target->info.participant_id, target->info.role, "decline",
                                  "ok");
        cg_lifecycle_drop_peer(target, "declined", CG_ERROR_CODE_DECLINED,
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
