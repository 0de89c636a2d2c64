/* dispatch.c — one complete client text message of a peer: parsed
 * (protocol.h) and handed to its handler by type and by what the peer may
 * do now (pending, waiting or joined; a specialist's controls). */
#include "join.h"
#include "lifecycle.h"

/* The endpoint turned its microphone or camera on or off: the others are told
 * so they show it instead of guessing from silence. */
static void handle_media_state(CgPeer *peer, const CgClientMessage *msg)
{
    if (peer->audio_off == !msg->audio && peer->video_off == !msg->video)
        return;
    gboolean audio_changed = peer->audio_off != !msg->audio;
    peer->audio_off = !msg->audio;
    peer->video_off = !msg->video;
    cg_peer_broadcast(peer, cg_protocol_participant_media_state(peer->info.participant_id,
                                                                msg->audio, msg->video));
    if (audio_changed) /* a live interpreter's microphone decides what its channel carries */
        cg_interpretation_audio_changed(peer);
}

static gboolean is_interpretation(CgClientMessageType type)
{
    return type == CG_CLIENT_CHANNEL || type == CG_CLIENT_GO_LIVE || type == CG_CLIENT_TAKE_OVER ||
           type == CG_CLIENT_HAND_OVER || type == CG_CLIENT_FLOOR_LEVEL;
}

static gboolean is_control(CgClientMessageType type)
{
    return type == CG_CLIENT_ADMIT || type == CG_CLIENT_DECLINE || type == CG_CLIENT_REMOVE ||
           type == CG_CLIENT_MUTE || type == CG_CLIENT_UNMUTE || type == CG_CLIENT_END;
}

void cg_peer_dispatch(CgPeer *peer, const guint8 *data, gsize len)
{
    CgSignaling *s = peer->s;
    CgClientMessage msg = {0};
    g_autoptr(GError) error = NULL;
    if (!cg_protocol_parse((const char *)data, len, &msg, &error)) {
        cg_peer_error(peer, cg_protocol_error_code(error), error->message);
        return;
    }
    gboolean ok = TRUE;
    if (msg.type == CG_CLIENT_JOIN)
        cg_join_handle(peer, &msg);
    else if (!peer->joined && !peer->waiting)
        cg_peer_error(peer, CG_ERROR_CODE_NOT_JOINED, "send join with your token first");
    else if (msg.type == CG_CLIENT_LEAVE) {
        peer->left_reason = "left";
        cg_peer_close(peer, CG_CLOSE_NORMAL, "left");
    } else if (!peer->joined)
        cg_peer_error(peer, CG_ERROR_CODE_NOT_ADMITTED, "wait until a specialist admits you");
    else if (msg.type == CG_CLIENT_MEDIA_STATE)
        handle_media_state(peer, &msg);
    else if (is_interpretation(msg.type))
        cg_interpretation_handle(peer, &msg);
    else if (msg.type == CG_CLIENT_RECEIVE) {
        if (s->events.peer_receive_video)
            s->events.peer_receive_video(s->user, peer->id, msg.video);
    } else if (is_control(msg.type)) {
        if (cg_role_may_moderate(peer->info.role))
            cg_lifecycle_control(peer, &msg);
        else
            cg_peer_error(peer, CG_ERROR_CODE_NOT_ALLOWED, "only a specialist may do that");
    } else if (msg.type == CG_CLIENT_OFFER || msg.type == CG_CLIENT_ANSWER)
        ok = s->events.peer_description(s->user, peer->id, msg.pc,
                                        msg.type == CG_CLIENT_OFFER ? "offer" : "answer", msg.sdp,
                                        &error);
    else if (msg.type == CG_CLIENT_CANDIDATE)
        ok = s->events.peer_candidate(s->user, peer->id, msg.pc, msg.mline_index, msg.candidate,
                                      &error);
    if (!ok)
        cg_signaling_fail_peer(s, peer->id, error);
    cg_client_message_clear(&msg);
}
