/* consult_common.c — see consult_common.h. */
#include "consult_common.h"

#include <string.h>

CgTestDaemon *it_start_daemon(const CgTestDaemonOptions *options)
{
    g_autoptr(GError) error = NULL;
    CgTestDaemon *d = cg_test_daemon_start(options, &error);
    g_assert_no_error(error);
    g_assert_nonnull(d);
    return d;
}

CgTestConsult *it_create_consult(CgTestDaemon *daemon, const char *kind,
                                 const char *const *roles)
{
    static const char *const names[] = {"Dr. Lee", "Dr. Osei", "Sam Doe", "Ana Ruiz",
                                        "Dr. Kim", NULL};
    g_assert_cmpuint(g_strv_length((char **)roles), <, G_N_ELEMENTS(names));
    g_autoptr(GError) error = NULL;
    CgTestConsult *c = cg_test_create_consult(daemon, 0, kind, roles, names, &error);
    g_assert_no_error(error);
    return c;
}

CgTestEndpoint *it_join(CgTestDaemon *daemon, const char *token, guint32 rgb, guint tone_hz)
{
    CgTestEndpointOptions o = {.media = {.tone_hz = tone_hz, .color_rgb = rgb},
                               .admit_waiting = TRUE};
    CgTestEndpoint *ep = cg_test_endpoint_new(cg_test_daemon_port(daemon),
                                              cg_test_daemon_certificate(daemon), token, &o);
    g_autoptr(GError) error = NULL;
    cg_test_endpoint_wait_joined(ep, IT_JOIN_TIMEOUT_MS, &error);
    g_assert_no_error(error);
    return ep;
}

void it_wait_frames(CgTestEndpoint *ep, const char *id, guint n)
{
    if (cg_test_endpoint_wait_frames(ep, id, n, IT_MEDIA_TIMEOUT_MS))
        return;
    CgRtcPeer *peer = cg_test_endpoint_peer(ep);
    g_error("%s decoded %u of %u frames from %s in %d ms (%" G_GUINT64_FORMAT
            " packets on sub connections)",
            cg_test_endpoint_id(ep), cg_test_endpoint_frames_from(ep, id), n, id,
            IT_MEDIA_TIMEOUT_MS, peer ? cg_rtc_peer_packets_received(peer) : 0);
}

json_t *it_token_claims(const char *token)
{
    g_auto(GStrv) parts = g_strsplit(token, ".", -1);
    g_assert_cmpuint(g_strv_length(parts), ==, 3);
    g_autoptr(GString) s = g_string_new(parts[1]);
    g_string_replace(s, "-", "+", 0);
    g_string_replace(s, "_", "/", 0);
    while (s->len % 4)
        g_string_append_c(s, '=');
    gsize len = 0;
    g_autofree guchar *raw = g_base64_decode(s->str, &len);
    json_t *claims = json_loadb((const char *)raw, len, 0, NULL);
    g_assert_nonnull(claims);
    return claims;
}

void it_assert_closed(CgWssClient *wss, guint status, const char *reason, guint timeout_ms)
{
    if (!cg_wss_client_wait_closed(wss, timeout_ms))
        g_error("socket still open %u ms after the expected close %u %s", timeout_ms, status,
                reason);
    g_assert_cmpuint(cg_wss_client_close_status(wss), ==, status);
    if (reason)
        g_assert_cmpstr(cg_wss_client_close_reason(wss), ==, reason);
}
