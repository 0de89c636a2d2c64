/* media.c — media.h's entry points: config checks, then the relay
 * (lean_relay.h) does the work.
 */
#include "media.h"
#include "address_policy.h"
#include "lean_relay.h"
#include "media-testing.h"

#include <gst/gst.h>

G_DEFINE_QUARK(cg - media - error - quark, cg_media_error)

struct _CgMedia {
    CgLeanRelay *lean;
    CgAddressPolicy *address_policy; /* which remote candidates may be probed */
};

CgMedia *cg_media_new(const CgMediaConfig *config, const CgMediaEvents *events, gpointer user,
                      GError **error)
{
    g_return_val_if_fail(config != NULL && events != NULL, NULL);
    /* GStreamer stays initialised in consultd for media processing (mixing). */
    if (!gst_init_check(NULL, NULL, error))
        return NULL;
    if (!config->ice_addresses || !config->ice_addresses[0]) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED, "no ICE address configured");
        return NULL;
    }
    if (config->rtp_port_min > config->rtp_port_max || config->rtp_port_max > 65535) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED, "bad RTP port range");
        return NULL;
    }
    CgAddressPolicy *policy = cg_address_policy_new(config->allowed_remote_networks, error);
    if (!policy)
        return NULL;
    CgMedia *media = g_new0(CgMedia, 1);
    media->address_policy = policy;
    media->lean = cg_lean_relay_new(config, events, user, policy, error);
    if (!media->lean) {
        cg_media_free(media);
        return NULL;
    }
    return media;
}

void cg_media_free(CgMedia *media)
{
    if (!media)
        return;
    cg_lean_relay_free(media->lean);
    cg_address_policy_free(media->address_policy);
    g_free(media);
}

gboolean cg_media_endpoint_add(CgMedia *media, CgEndpointId id, const char *log_tag, GError **error)
{
    g_return_val_if_fail(media != NULL, FALSE);
    return cg_lean_relay_endpoint_add(media->lean, id, log_tag, error);
}

void cg_media_endpoint_remove(CgMedia *media, CgEndpointId id)
{
    g_return_if_fail(media != NULL);
    cg_lean_relay_endpoint_remove(media->lean, id);
}

gboolean cg_media_remote_description(CgMedia *media, CgEndpointId ep, const char *pc,
                                     const char *type, const char *sdp, GError **error)
{
    g_return_val_if_fail(media != NULL, FALSE);
    return cg_lean_relay_remote_description(media->lean, ep, pc, type, sdp, error);
}

gboolean cg_media_remote_candidate(CgMedia *media, CgEndpointId ep, const char *pc,
                                   guint mline_index, const char *candidate, GError **error)
{
    g_return_val_if_fail(media != NULL, FALSE);
    return cg_lean_relay_remote_candidate(media->lean, ep, pc, mline_index, candidate, error);
}

gboolean cg_media_endpoint_set_audio_muted(CgMedia *media, CgEndpointId id, gboolean muted,
                                           GError **error)
{
    g_return_val_if_fail(media != NULL, FALSE);
    return cg_lean_relay_set_audio_muted(media->lean, id, muted, error);
}

gboolean cg_media_endpoint_set_receive_video(CgMedia *media, CgEndpointId id, gboolean receive,
                                             GError **error)
{
    g_return_val_if_fail(media != NULL, FALSE);
    return cg_lean_relay_set_receive_video(media->lean, id, receive, error);
}

gboolean cg_media_endpoint_set_screen_share_allowed(CgMedia *media, CgEndpointId id,
                                                    gboolean allowed, GError **error)
{
    g_return_val_if_fail(media != NULL, FALSE);
    return cg_lean_relay_set_screen_share_allowed(media->lean, id, allowed, error);
}

gboolean cg_media_endpoint_set_video_bitrate_cap(CgMedia *media, CgEndpointId id, guint kbps,
                                                 GError **error)
{
    g_return_val_if_fail(media != NULL, FALSE);
    return cg_lean_relay_set_video_bitrate_cap(media->lean, id, kbps, error);
}

gboolean cg_media_route(CgMedia *media, CgEndpointId publisher, CgEndpointId subscriber,
                        GError **error)
{
    g_return_val_if_fail(media != NULL, FALSE);
    return cg_lean_relay_route(media->lean, publisher, subscriber, error);
}

/* ---- media-testing.h ---------------------------------------------------- */

guint cg_media_connection_count(CgMedia *media)
{
    return media ? cg_lean_relay_connection_count(media->lean) : 0;
}

void cg_media_set_clock(CgMedia *media, gint64 (*now)(gpointer user), gpointer user)
{
    g_return_if_fail(media != NULL);
    cg_lean_relay_set_clock(media->lean, now, user);
}

void cg_media_check_liveness(CgMedia *media)
{
    g_return_if_fail(media != NULL);
    cg_lean_relay_check_liveness(media->lean);
}

guint cg_media_keyframe_requests(CgMedia *media, CgEndpointId publisher)
{
    return media ? cg_lean_relay_keyframe_requests(media->lean, publisher) : 0;
}
