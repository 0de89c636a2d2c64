/* endpoint_controls.c — what the caller switches per endpoint (media.h):
 * mute, audio-only reception, screen-share permission, video bitrate cap.
 * forward.c reads the flags on the packet paths.
 */
#include "relay-private.h"

gboolean cg_media_endpoint_set_audio_muted(CgMedia *relay, CgEndpointId id, gboolean muted,
                                           GError **error)
{
    CgEndpoint *ep = cg_relay_endpoint_or_error(relay, id, error);
    if (!ep)
        return FALSE;
    ep->audio_muted = muted;
    g_info("%s audio %s", ep->tag, muted ? "muted: relayed to nobody" : "relayed again");
    return TRUE;
}

gboolean cg_media_endpoint_set_receive_video(CgMedia *relay, CgEndpointId id, gboolean receive,
                                             GError **error)
{
    CgEndpoint *ep = cg_relay_endpoint_or_error(relay, id, error);
    if (!ep)
        return FALSE;
    gboolean resumed = receive && ep->video_paused;
    ep->video_paused = !receive;
    g_info("%s %s", ep->tag, receive ? "receives video again" : "audio only: receives no video");
    if (resumed) { /* the pictures come back at once */
        GHashTableIter it;
        gpointer key;
        g_hash_table_iter_init(&it, ep->subs);
        while (g_hash_table_iter_next(&it, &key, NULL)) {
            CgEndpoint *pub = cg_relay_lookup(relay, *(guint64 *)key);
            if (pub)
                cg_forward_ask_keyframe(pub);
        }
    }
    return TRUE;
}

gboolean cg_media_endpoint_set_screen_share_allowed(CgMedia *relay, CgEndpointId id,
                                                    gboolean allowed, GError **error)
{
    CgEndpoint *ep = cg_relay_endpoint_or_error(relay, id, error);
    if (ep)
        ep->screen_allowed = allowed;
    return ep != NULL;
}

gboolean cg_media_endpoint_set_video_bitrate_cap(CgMedia *relay, CgEndpointId id, guint kbps,
                                                 GError **error)
{
    CgEndpoint *ep = cg_relay_endpoint_or_error(relay, id, error);
    if (!ep)
        return FALSE;
    if (ep->video_cap_kbps != kbps)
        g_info("%s video bitrate cap %u kbps", ep->tag, kbps);
    ep->video_cap_kbps = kbps;
    return TRUE; /* the next receiver report carries it */
}
