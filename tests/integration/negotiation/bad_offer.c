/* integration-negotiation-bad_offer: one participant's publish offers can
 * harm nobody else (issue 9, finding 2). A specialist and a provider are in
 * a call; the patient, from a client of its own, offers on "pub" what a
 * browser would not: an a=mid longer than 32 characters, only receive-only
 * m-lines, a mid with a space, two m-lines with one mid, two with one SSRC,
 * more SSRCs than an m-line may have. Each is refused with bad_sdp, to the
 * patient alone; the two others keep their call (media both ways) and are
 * never sent media_failed (which, before, ejected them: the offer was taken
 * and failed while building their subscriptions). */
#include "negotiation_common.h"

typedef struct {
    const char *what;
    NtLine lines[2];
} BadOffer;

static const BadOffer bad_offers[] = {
    {"a 40-character mid",
     {{FALSE, "0123456789012345678901234567890123456789", "sendonly", 1111, 0},
      {TRUE, "1", "sendonly", 2222, 0}}},
    {"every m-line receive-only", {{FALSE, "0", "recvonly", 0, 0}, {TRUE, "1", "recvonly", 0, 0}}},
    {"a mid with a space", {{FALSE, "a b", "sendonly", 1111, 0}, {TRUE, "1", "sendonly", 2222, 0}}},
    {"one mid for two m-lines",
     {{FALSE, "0", "sendonly", 1111, 0}, {TRUE, "0", "sendonly", 2222, 0}}},
    {"one SSRC on two m-lines",
     {{FALSE, "0", "sendonly", 1111, 0}, {TRUE, "1", "sendonly", 1111, 0}}},
    {"100 SSRCs on one m-line",
     {{FALSE, "0", "sendonly", 1111, 0}, {TRUE, "1", "sendonly", 5000, 99}}},
};

static void test_bad_offer(void)
{
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(NULL);
    static const char *const roles[] = {"specialist", "provider", "patient", NULL};
    g_autoptr(CgTestConsult) c = cg_fx_consult_new(daemon, "virtual_consult", roles);
    g_autoptr(CgTestEndpoint) a = cg_fx_join_publishing(daemon, c->tokens[0], 0xff0000, 440);
    g_autoptr(CgTestEndpoint) b = cg_fx_join_publishing(daemon, c->tokens[1], 0x0000ff, 660);
    cg_fx_wait_frames(a, c->ids[1], 10);
    cg_fx_wait_frames(b, c->ids[0], 10);
    g_autoptr(CgWssClient) m = cg_fx_join_raw(daemon, c->tokens[2], CG_FX_JOIN_TIMEOUT_MS);

    for (guint i = 0; i < G_N_ELEMENTS(bad_offers); i++) {
        const BadOffer *bad = &bad_offers[i];
        g_autofree char *sdp = nt_offer(bad->lines, 2);
        nt_send_offer(m, sdp);
        json_t *reply = nt_wait_reply(m, NT_REPLY_TIMEOUT_MS);
        /* the others first: what the offer did to them is the finding */
        nt_assert_unharmed(a, c->ids[1]);
        nt_assert_unharmed(b, c->ids[0]);
        if (!reply)
            g_error("%s: no reply to the offer within %d ms", bad->what, NT_REPLY_TIMEOUT_MS);
        const char *type = json_string_value(json_object_get(reply, "type"));
        const char *code = json_string_value(json_object_get(reply, "code"));
        if (g_strcmp0(code, "bad_sdp") != 0)
            g_error("%s: answered %s %s, not error bad_sdp", bad->what, type, code ? code : "");
        g_test_message("%s: bad_sdp: %s", bad->what,
                       json_string_value(json_object_get(reply, "message")));
        json_decref(reply);
        /* a refusal is not an ejection: the patient is still there */
        g_assert_false(cg_wss_client_is_closed(m));
    }
    g_assert_null(cg_test_endpoint_left_reason(a, c->ids[2]));
    g_assert_null(cg_test_endpoint_left_reason(b, c->ids[2]));

    g_clear_pointer(&m, cg_wss_client_free);
    g_clear_pointer(&a, cg_test_endpoint_free);
    g_clear_pointer(&b, cg_test_endpoint_free);
    cg_fx_daemon_stop_clean(daemon, 10000);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/negotiation/bad_offer", test_bad_offer);
    return g_test_run();
}
