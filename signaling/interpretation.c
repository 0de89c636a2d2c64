/* interpretation.c — a live consult's interpretation (issue 11,
 * docs/protocol.md "Interpretation"): its members as peers join and leave,
 * the listeners' and interpreters' requests (channel, go_live, take_over,
 * hand_over, floor_level), the personalised "interpretation" message to each
 * endpoint, and the event that tells the daemon to apply the plan again.
 *
 * The rules and the plan are consult/interpretation.h's; the state lives in
 * the consult's CgLiveConsult, so it lasts while the consult has peers: a
 * seat held across a dropped socket keeps its member (channel, live), a new
 * join of the same participant starts as a new member (defaults). See
 * lifecycle.h. */
#include "lifecycle.h"

static CgInterp *interp_of(CgSignaling *s, const char *consult_id)
{
    CgLiveConsult *lc = consult_id ? g_hash_table_lookup(s->consults, consult_id) : NULL;
    return lc ? lc->interp : NULL;
}

const CgInterp *cg_signaling_interpretation(CgSignaling *s, const char *consult_id)
{
    return interp_of(s, consult_id);
}

/* (transfer full) @peer's "interpretation" message, or NULL (not simultaneous). */
static char *state_text(CgInterp *in, const CgPeer *peer)
{
    CgInterpView v;
    if (!cg_interp_view(in, peer->info.participant_id, &v))
        return NULL;
    g_autofree CgProtocolChannel *channels = g_new0(CgProtocolChannel, v.n_channels + 1);
    for (guint i = 0; i < v.n_channels; i++)
        channels[i] = (CgProtocolChannel){.language = v.channels[i].language,
                                          .live = v.channels[i].live,
                                          .live_muted = v.channels[i].live_muted,
                                          .interpreters = v.channels[i].interpreters};
    CgProtocolInterpretation st = {
        .floor_level_db = v.floor_level_db,
        .channels = channels,
        .n_channels = v.n_channels,
        .interpreter = v.interpreter,
        .channel = v.channel,
        .interpreter_only = v.interpreter_only,
        .language = v.language,
        .live = v.live,
        .relay_from = v.relay_from,
        .partners = v.partners,
        .offered = v.offered,
    };
    char *text = cg_protocol_interpretation(&st);
    cg_interp_view_clear(&v);
    return text;
}

void cg_interpretation_send_state(CgPeer *peer, gboolean force)
{
    CgInterp *in = interp_of(peer->s, peer->info.consult_id);
    char *text = in && peer->joined ? state_text(in, peer) : NULL;
    if (!text || (!force && g_strcmp0(text, peer->interp_sent) == 0)) {
        g_free(text);
        return;
    }
    g_free(peer->interp_sent);
    peer->interp_sent = g_strdup(text);
    cg_peer_send(peer, text);
}

/* Something changed in @consult_id: each joined endpoint whose view changed
 * hears of it, and the daemon applies the plan again. */
static void changed(CgSignaling *s, const char *consult_id)
{
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, s->peers);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        CgPeer *p = value;
        if (p->joined && cg_peer_in_consult(p, consult_id))
            cg_interpretation_send_state(p, FALSE);
    }
    if (s->events.consult_interpretation_changed)
        s->events.consult_interpretation_changed(s->user, consult_id);
}

static gboolean audio_on(const CgPeer *peer)
{
    return !peer->audio_off && !peer->audio_muted;
}

void cg_interpretation_track(CgLiveConsult *lc, const CgConsultRecord *consult)
{
    if (!lc->interp)
        lc->interp = cg_interp_new_for(consult);
}

void cg_interpretation_reconfigure(CgSignaling *s, const CgConsultRecord *consult)
{
    CgLiveConsult *lc = g_hash_table_lookup(s->consults, consult->id);
    if (!lc || !lc->interp || !g_str_equal(lc->tenant, consult->tenant))
        return;
    if (cg_interp_reconfigure(lc->interp, consult))
        changed(s, consult->id);
}

void cg_interpretation_joined(CgPeer *peer)
{
    CgInterp *in = interp_of(peer->s, peer->info.consult_id);
    if (!in)
        return;
    const CgPeerInfo *i = &peer->info;
    CgInterpJoin join = {.participant_id = i->participant_id,
                         .peer = peer->id,
                         .role = i->role,
                         .language = i->language,
                         .relay_from = i->relay_from,
                         .audio = audio_on(peer)};
    cg_interp_join(in, &join);
}

void cg_interpretation_announce(CgPeer *peer)
{
    changed(peer->s, peer->info.consult_id);
}

void cg_interpretation_left(CgPeer *peer)
{
    CgInterp *in = interp_of(peer->s, peer->info.consult_id);
    if (!in || !cg_interp_is_member(in, peer->info.participant_id))
        return;
    cg_interp_leave(in, peer->info.participant_id);
    changed(peer->s, peer->info.consult_id);
}

void cg_interpretation_audio_changed(CgPeer *peer)
{
    CgInterp *in = interp_of(peer->s, peer->info.consult_id);
    if (!in || !peer->joined || !cg_interp_is_member(in, peer->info.participant_id))
        return;
    cg_interp_set_audio(in, peer->info.participant_id, audio_on(peer));
    changed(peer->s, peer->info.consult_id);
}

static const char *action_name(CgClientMessageType type)
{
    switch (type) {
    case CG_CLIENT_GO_LIVE:
        return "interpretation.go_live";
    case CG_CLIENT_TAKE_OVER:
        return "interpretation.take_over";
    case CG_CLIENT_HAND_OVER:
        return "interpretation.hand_over";
    case CG_CLIENT_FLOOR_LEVEL:
        return "interpretation.floor_level";
    default:
        return NULL; /* a listener's channel is not audited: it is no one else's business */
    }
}

/* A specialist's floor level: checked, stored (it survives a restart), applied. */
static gboolean set_floor_level(CgPeer *peer, CgInterp *in, gint db, GError **error)
{
    const CgPeerInfo *i = &peer->info;
    if (!cg_interp_check_floor_level(in, i->participant_id, db, error))
        return FALSE;
    g_autoptr(GError) store_error = NULL;
    if (!cg_store_set_floor_level(peer->s->store, i->tenant_id, i->consult_id, db, &store_error)) {
        g_warning("%s cannot record the floor level: %s", i->log_tag, store_error->message);
        g_set_error_literal(error, CG_PEER_ERROR, CG_PEER_ERROR_INTERNAL,
                            "the floor level cannot be recorded");
        return FALSE;
    }
    cg_interp_set_floor_level(in, db);
    return TRUE;
}

static gboolean apply(CgPeer *peer, CgInterp *in, const CgClientMessage *msg, GError **error)
{
    const char *id = peer->info.participant_id;
    switch (msg->type) {
    case CG_CLIENT_CHANNEL:
        return cg_interp_set_channel(in, id, msg->channel, msg->interpreter_only, error);
    case CG_CLIENT_GO_LIVE:
        return cg_interp_go_live(in, id, error);
    case CG_CLIENT_TAKE_OVER:
        return cg_interp_take_over(in, id, NULL, error);
    case CG_CLIENT_HAND_OVER:
        return cg_interp_hand_over(in, id, msg->to, NULL, error);
    case CG_CLIENT_FLOOR_LEVEL:
        return set_floor_level(peer, in, msg->db, error);
    default:
        return TRUE;
    }
}

void cg_interpretation_handle(CgPeer *peer, const CgClientMessage *msg)
{
    CgInterp *in = interp_of(peer->s, peer->info.consult_id);
    if (!in) { /* a joined peer's consult is always tracked */
        cg_peer_error(peer, CG_ERROR_CODE_INTERNAL, "the consult's state is gone");
        return;
    }
    g_autoptr(GError) error = NULL;
    gboolean ok = apply(peer, in, msg, &error);
    CgErrorCode code = CG_ERROR_CODE_INTERNAL;
    if (!ok && error->domain == CG_INTERP_ERROR)
        code = cg_interp_error_code(error);
    const char *action = action_name(msg->type);
    if (action)
        cg_lifecycle_audit_peer(peer, action, ok ? "ok" : cg_error_code_name(code));
    if (!ok) {
        cg_peer_error(peer, code, error->message);
        return;
    }
    /* the sender hears the outcome even when nothing changed (go_live twice) */
    cg_interpretation_send_state(peer, TRUE);
    changed(peer->s, peer->info.consult_id);
}
