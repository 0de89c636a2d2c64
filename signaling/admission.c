/* admission.c — a peer taking its seat: "joined" (a new seat or one taken
 * back after a dropped socket) with the others and the ICE servers, the
 * store's record of it, and a specialist's stored mute, which holds on every
 * admission and resume. See lifecycle.h. */
#include "lifecycle.h"

#include <jansson.h>

#include "ids.h"
#include "turn_credentials.h"

static gint64 now_s(void)
{
    return g_get_real_time() / G_USEC_PER_SEC;
}

/* joined's "resume": a fresh secret with every joined, so an id that
 * resumed once (or leaked) never resumes again. NULL when resuming is off. */
static const char *new_resume_id(CgPeer *peer)
{
    g_clear_pointer(&peer->resume_id, g_free);
    if (peer->s->config->resume_grace_s)
        peer->resume_id = cg_secret_id_new("r");
    return peer->resume_id;
}

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

void cg_lifecycle_tell_muted(CgPeer *target, gboolean mute, const char *by_id, const char *by_name,
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
    cg_lifecycle_tell_muted(peer, TRUE, by->id, by->name ? by->name : "",
                            by->role ? by->role : "specialist");
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
    const CgInterp *in = cg_signaling_interpretation(s, peer->info.consult_id);
    CgProtocolJoined joined = {
        .you = cg_peer_participant(peer),
        .consult = cg_lifecycle_protocol_consult(s, consult, &starts, &ends),
        .participants = (const CgProtocolParticipant *)others->data,
        .n_participants = others->len,
        .ice_servers = ice_servers,
        .max_message_bytes = (guint)c->max_message_bytes,
        .resume_id = new_resume_id(peer),
        .resume_grace_s = c->resume_grace_s,
        .resumed = resumed,
        .muted = muted,
        .interpretation_mode = in ? cg_interp_mode_name(in) : NULL,
        .interpretation_languages = in ? cg_interp_languages(in) : NULL,
        .floor_language = in ? cg_interp_floor_language(in) : NULL,
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
        cg_lifecycle_send_waiting_list(peer->s, peer->info.consult_id, peer);
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
    if (!cg_store_set_participant_admitted(s->store, i->tenant_id, i->consult_id, i->participant_id,
                                           &error) ||
        (!consult->live_since &&
         !cg_store_set_consult_live(s->store, i->tenant_id, i->consult_id, now_s(), &error))) {
        g_warning("%s cannot record the admission: %s", i->log_tag, error->message);
        g_clear_error(&error);
    }
    CgParticipantRecord *muted_by = stored_mute(peer);
    peer->audio_muted = muted_by != NULL; /* the relay enforces it from the start */
    cg_interpretation_joined(peer);
    send_joined(peer, consult, FALSE, muted_by != NULL);
    cg_interpretation_send_state(peer, TRUE);
    CgProtocolParticipant self = cg_peer_participant(peer);
    cg_peer_broadcast(peer, cg_protocol_participant_joined(&self));
    if (cg_role_may_moderate(i->role)) {
        cg_lifecycle_send_waiting_list(s, i->consult_id, peer);
        cg_lifecycle_tell_waiting_presence(s, i->consult_id);
    }
    if (was_waiting)
        cg_lifecycle_send_waiting_list(s, i->consult_id, NULL);
    if (!s->events.peer_joined(s->user, peer->id, &error)) {
        cg_signaling_fail_peer(s, peer->id, error);
    } else {
        /* media has the endpoint now: the others' views and the mix plan */
        cg_interpretation_announce(peer);
        if (muted_by)
            apply_stored_mute(peer, muted_by);
    }
    cg_participant_record_free(muted_by);
}
