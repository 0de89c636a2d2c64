/* negotiation_common.c — see negotiation_common.h. */
#include "negotiation_common.h"

#include <string.h>

char *nt_offer(const NtLine *lines, guint n)
{
    GString *s = g_string_new("v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
    g_string_append(s, "a=group:BUNDLE");
    for (guint i = 0; i < n; i++)
        if (lines[i].mid)
            g_string_append_printf(s, " %s", lines[i].mid);
    g_string_append(s, "\r\na=fingerprint:sha-256 ");
    for (guint i = 0; i < 32; i++)
        g_string_append_printf(s, "%s%02X", i ? ":" : "", (i * 37 + 11) & 0xff);
    g_string_append(s, "\r\na=ice-options:trickle\r\n");
    for (guint i = 0; i < n; i++) {
        const NtLine *l = &lines[i];
        guint pt = l->video ? 96 : 111;
        g_string_append_printf(s, "m=%s 9 UDP/TLS/RTP/SAVPF %u\r\nc=IN IP4 0.0.0.0\r\n",
                               l->video ? "video" : "audio", pt);
        g_string_append(s, "a=rtcp-mux\r\na=ice-ufrag:nTuF\r\na=ice-pwd:nTpwdnTpwdnTpwdnTpwd12\r\n"
                           "a=setup:actpass\r\n");
        if (l->mid)
            g_string_append_printf(s, "a=mid:%s\r\n", l->mid);
        g_string_append_printf(s, "a=%s\r\n", l->dir);
        if (l->video)
            g_string_append_printf(s, "a=rtpmap:%u VP8/90000\r\na=rtcp-fb:%u nack pli\r\n", pt, pt);
        else
            g_string_append_printf(s, "a=rtpmap:%u opus/48000/2\r\n", pt);
        for (guint k = 0; l->ssrc && k <= l->extra_ssrcs; k++)
            g_string_append_printf(s, "a=ssrc:%u cname:attacker\r\n", l->ssrc + k);
    }
    return g_string_free(s, FALSE);
}

void nt_send_offer(CgWssClient *wss, const char *sdp)
{
    json_t *msg = json_pack("{s:s, s:s, s:s}", "type", "offer", "pc", "pub", "sdp", sdp);
    cg_wss_client_send_json(wss, msg);
    json_decref(msg);
}

json_t *nt_wait_reply(CgWssClient *wss, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    for (;;) {
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        if (left <= 0)
            return NULL;
        json_t *msg = cg_wss_client_wait_message(wss, (guint)left);
        if (!msg)
            return NULL;
        const char *type = json_string_value(json_object_get(msg, "type"));
        const char *pc = json_string_value(json_object_get(msg, "pc"));
        if (g_strcmp0(type, "error") == 0 ||
            (g_strcmp0(type, "answer") == 0 && g_strcmp0(pc, "pub") == 0))
            return msg;
        json_decref(msg);
    }
}

void nt_assert_unharmed(CgTestEndpoint *ep, const char *other)
{
    guint want = cg_test_endpoint_frames_from(ep, other) + 10;
    gboolean moved = cg_test_endpoint_wait_frames(ep, other, want, CG_FX_MEDIA_TIMEOUT_MS);
    if (cg_test_endpoint_got_error(ep, "media_failed"))
        g_error("%s was sent media_failed for what another endpoint did", cg_test_endpoint_id(ep));
    if (!moved)
        cg_fx_wait_frames(ep, other, want); /* fails, saying what arrived */
    g_assert_false(cg_test_endpoint_got_error(ep, "bad_sdp"));
    g_assert_false(cg_test_endpoint_got_error(ep, "internal"));
    g_assert_false(cg_wss_client_is_closed(cg_test_endpoint_wss(ep)));
    g_assert_null(cg_test_endpoint_bye_reason(ep));
}
