/* integration-interpretation-consecutive: in consecutive mode the
 * interpreter is an ordinary speaker: everyone hears its 1000 Hz on the relay
 * path under its own label, labelled with its language in joined; there is
 * no mix slot, and the simultaneous-only messages are refused
 * (not_simultaneous), as they are (no_interpretation) in a consult without
 * interpretation. */
#include <gst/gst.h>
#include <math.h>

#include "interp_fixture.h"

#define VOLUME 0.3
#define TOL_DB 2.0
#define SETTLE_MS 15000

enum { SPECIALIST, ES, PATIENT, N };

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* The language joined.participants (or joined.you) gives @id. */
static const char *language_of(json_t *joined, const char *id)
{
    json_t *you = json_object_get(joined, "you");
    if (g_strcmp0(str(you, "id"), id) == 0)
        return str(you, "language");
    json_t *people = json_object_get(joined, "participants");
    for (gsize i = 0; i < json_array_size(people); i++)
        if (g_strcmp0(str(json_array_get(people, i), "id"), id) == 0)
            return str(json_array_get(people, i), "language");
    return NULL;
}

static guint mix_offers(CgTestEndpoint *ep)
{
    guint n = 0;
    for (guint i = 0; i < cg_test_endpoint_n_messages(ep); i++) {
        json_t *m = cg_test_endpoint_message(ep, i);
        n += g_strcmp0(str(m, "type"), "offer") == 0 && g_strcmp0(str(m, "pc"), CG_FX_MIX) == 0;
    }
    return n;
}

static void test_consecutive(void)
{
    g_autoptr(CgTestDaemon) daemon = cg_fx_daemon_start(NULL);
    static const CgFxParty parties[] = {{"specialist", NULL, NULL},
                                        {"interpreter", "es", NULL},
                                        {"patient", "es", NULL},
                                        {NULL, NULL, NULL}};
    static const char *const languages[] = {"es", NULL};
    g_autoptr(CgTestConsult) c =
        cg_fx_interp_consult_new(daemon, "consecutive", languages, "en", parties);
    const char *const *id = (const char *const *)c->ids;
    CgTestEndpoint *ep[N];
    ep[SPECIALIST] = cg_fx_join_tone(daemon, c->tokens[SPECIALIST], CG_FX_HZ_SPECIALIST, VOLUME, 0);
    ep[ES] = cg_fx_join_tone(daemon, c->tokens[ES], CG_FX_HZ_ES, VOLUME, 0);
    ep[PATIENT] = cg_fx_join_tone(daemon, c->tokens[PATIENT], 0, VOLUME, 0);

    json_t *joined = cg_test_endpoint_joined_message(ep[PATIENT]);
    g_assert_cmpstr(str(json_object_get(joined, "interpretation"), "mode"), ==, "consecutive");
    g_assert_cmpstr(language_of(joined, id[ES]), ==, "es");

    /* everyone hears the interpreter under its own label, at full level */
    double full = 20.0 * log10(VOLUME);
    cg_fx_expect_level(ep[PATIENT], id[ES], CG_FX_HZ_ES, full - TOL_DB, full + TOL_DB, SETTLE_MS);
    cg_fx_expect_level(ep[SPECIALIST], id[ES], CG_FX_HZ_ES, full - TOL_DB, full + TOL_DB,
                       SETTLE_MS);
    cg_fx_expect_level(ep[PATIENT], id[SPECIALIST], CG_FX_HZ_SPECIALIST, full - TOL_DB,
                       full + TOL_DB, SETTLE_MS);
    cg_fx_expect_level(ep[ES], id[SPECIALIST], CG_FX_HZ_SPECIALIST, full - TOL_DB, full + TOL_DB,
                       SETTLE_MS);
    /* no mix slot, no interpretation message */
    for (guint i = 0; i < N; i++) {
        g_assert_cmpuint(mix_offers(ep[i]), ==, 0);
        g_assert_null(cg_fx_last(ep[i], "interpretation"));
    }

    /* the simultaneous-only messages are refused, the socket stays open */
    cg_fx_send_channel(ep[PATIENT], "es", FALSE);
    cg_fx_expect_error(ep[PATIENT], "not_simultaneous");
    cg_fx_send(ep[ES], "take_over", NULL);
    cg_fx_expect_error(ep[ES], "not_simultaneous");
    guint64 before = cg_rtc_peer_audio_samples(cg_test_endpoint_peer(ep[PATIENT]), id[ES]);
    cg_fx_expect_level(ep[PATIENT], id[ES], CG_FX_HZ_ES, full - TOL_DB, full + TOL_DB, SETTLE_MS);
    g_assert_cmpuint(cg_rtc_peer_audio_samples(cg_test_endpoint_peer(ep[PATIENT]), id[ES]), >,
                     before);

    /* a consult without interpretation: no_interpretation */
    static const CgFxParty plain_parties[] = {{"specialist", NULL, NULL}, {NULL, NULL, NULL}};
    g_autoptr(CgTestConsult) plain =
        cg_fx_interp_consult_new(daemon, NULL, NULL, NULL, plain_parties);
    CgTestEndpointOptions o = {.no_publish = TRUE};
    g_autoptr(CgTestEndpoint) host =
        cg_fx_join(daemon, plain->tokens[0], &o, CG_FX_JOIN_TIMEOUT_MS);
    g_assert_null(json_object_get(cg_test_endpoint_joined_message(host), "interpretation"));
    cg_fx_send_channel(host, "es", FALSE);
    cg_fx_expect_error(host, "no_interpretation");

    for (guint i = 0; i < N; i++)
        cg_test_endpoint_free(ep[i]);
    g_clear_pointer(&host, cg_test_endpoint_free);
    cg_fx_daemon_stop_clean(daemon, 6000);
}

int main(int argc, char **argv)
{
    gst_init(&argc, &argv);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/interpretation/consecutive", test_consecutive);
    return g_test_run();
}
