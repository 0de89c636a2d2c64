/* integration-negotiation-screen_role: role rules hold for every offer, the
 * first one too (issue 9, finding 3). A patient whose first publish offer
 * already carries a second sending video m-line (a screen share, which only
 * specialists and providers may do) is refused with bad_sdp naming the
 * screen share, and nobody is offered a screen track (a=content:slides) of
 * it; the specialist and provider keep their call. */
#include "negotiation_common.h"

#include <string.h>

static void test_screen_role(void)
{
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(NULL);
    static const char *const roles[] = {"specialist", "provider", "patient", NULL};
    g_autoptr(CgTestConsult) c = cg_fx_consult_new(daemon, "virtual_consult", roles);
    g_autoptr(CgTestEndpoint) a = cg_fx_join_publishing(daemon, c->tokens[0], 0xff0000, 440);
    g_autoptr(CgTestEndpoint) b = cg_fx_join_publishing(daemon, c->tokens[1], 0x0000ff, 660);
    cg_fx_wait_frames(a, c->ids[1], 10);
    cg_fx_wait_frames(b, c->ids[0], 10);
    g_autoptr(CgWssClient) p = cg_fx_join_raw(daemon, c->tokens[2], CG_FX_JOIN_TIMEOUT_MS);

    static const NtLine share_first[] = {
        {FALSE, "0", "sendonly", 1111, 0},
        {TRUE, "1", "sendonly", 2222, 0},
        {TRUE, "2", "sendonly", 3333, 0},
    };
    g_autofree char *sdp = nt_offer(share_first, G_N_ELEMENTS(share_first));
    nt_send_offer(p, sdp);
    json_t *reply = nt_wait_reply(p, NT_REPLY_TIMEOUT_MS);
    nt_assert_unharmed(a, c->ids[1]);
    nt_assert_unharmed(b, c->ids[0]);
    g_assert_cmpuint(cg_rtc_peer_screen_offers(cg_test_endpoint_peer(a), c->ids[2]), ==, 0);
    g_assert_cmpuint(cg_rtc_peer_screen_offers(cg_test_endpoint_peer(b), c->ids[2]), ==, 0);
    g_assert_nonnull(reply);
    g_assert_cmpstr(json_string_value(json_object_get(reply, "type")), ==, "error");
    g_assert_cmpstr(json_string_value(json_object_get(reply, "code")), ==, "bad_sdp");
    const char *message = json_string_value(json_object_get(reply, "message"));
    g_assert_nonnull(message);
    g_assert_nonnull(strstr(message, "screen"));
    json_decref(reply);

    /* the same without the share is taken: the refusal was the role's */
    g_autofree char *camera = nt_offer(share_first, 2);
    nt_send_offer(p, camera);
    reply = nt_wait_reply(p, NT_REPLY_TIMEOUT_MS);
    g_assert_nonnull(reply);
    g_assert_cmpstr(json_string_value(json_object_get(reply, "type")), ==, "answer");
    json_decref(reply);

    g_clear_pointer(&p, cg_wss_client_free);
    g_clear_pointer(&a, cg_test_endpoint_free);
    g_clear_pointer(&b, cg_test_endpoint_free);
    cg_fx_daemon_stop_clean(daemon, 10000);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/negotiation/screen_role", test_screen_role);
    return g_test_run();
}
