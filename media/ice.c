/* ice.c — ICE hardening of one webrtcbin: no UPnP, no TCP, gather only on the
 * configured addresses, optional port range and STUN server.
 *
 * Verified on GStreamer 1.22: webrtcbin's "ice-agent" is a GstWebRTCNice with
 * an "agent" property (the NiceAgent) and "min-rtp-port"/"max-rtp-port"/
 * "ice-tcp" properties. libnice gathers only on addresses added with
 * nice_agent_add_local_address() once any is added.
 */
#include "media-private.h"

#include <agent.h>

gboolean cg_media_ice_harden(GstElement *webrtc, const char *const *addresses,
                             guint port_min, guint port_max, const char *stun_server,
                             gboolean ice_tcp, GError **error)
{
    g_autoptr(GObject) ice = NULL;
    g_object_get(webrtc, "ice-agent", &ice, NULL);
    if (!ice || !g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "agent")) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED,
                    "webrtcbin's ICE agent cannot be hardened (no libnice agent)");
        return FALSE;
    }
    g_autoptr(GObject) agent_obj = NULL;
    g_object_get(ice, "agent", &agent_obj, NULL);
    NiceAgent *agent = agent_obj ? NICE_AGENT(agent_obj) : NULL;
    if (!agent || !addresses || !addresses[0]) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED,
                    "no NiceAgent or no ICE address configured");
        return FALSE;
    }
    /* ICE-TCP for networks that drop UDP; UDP stays the preferred path. */
    g_object_set(agent, "upnp", FALSE, "ice-tcp", ice_tcp, NULL);
    g_object_set(ice, "ice-tcp", ice_tcp, NULL);
    for (guint i = 0; addresses[i]; i++) {
        NiceAddress addr;
        nice_address_init(&addr);
        if (!nice_address_set_from_string(&addr, addresses[i]) ||
            !nice_agent_add_local_address(agent, &addr)) {
            g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED,
                        "ICE address %s is not an IP address", addresses[i]);
            return FALSE;
        }
    }
    if (port_max)
        g_object_set(ice, "max-rtp-port", port_max, NULL);
    if (port_min)
        g_object_set(ice, "min-rtp-port", port_min, NULL);
    if (stun_server && *stun_server) {
        g_autofree char *uri = g_strdup_printf("stun://%s", stun_server);
        g_object_set(webrtc, "stun-server", uri, NULL);
    }
    return TRUE;
}
