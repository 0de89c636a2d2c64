/* test-interpretation.c — consult/interpretation.c: the rules of channels and
 * live interpreters (INTERP-SPEC, docs/protocol.md "Interpretation") and the
 * mix plan they give, case by case. */
#include "interpretation.h"

#include <math.h>
#include <string.h>

#define FLOOR_GAIN_15 0.17782794100389229 /* 10^(-15/20) */
#define TALKBACK_GAIN 0.25118864315095801 /* 10^(-12/20) */

/* Peers: 1 specialist, 2 patient (es), 3 provider; 10 es interpreter,
 * 11 its partner, 20 ar interpreter (relay_from es when asked). */
static const char *const langs[] = {"es", "ar", NULL};

static CgInterp *simultaneous(void)
{
    return cg_interp_new("simultaneous", langs, "en", -15);
}

static void join_audio(CgInterp *in, const char *id, guint64 peer, const char *role,
                       const char *lang, const char *relay, gboolean audio)
{
    CgInterpJoin j = {.participant_id = id,
                      .peer = peer,
                      .role = role,
                      .language = lang,
                      .relay_from = relay,
                      .audio = audio};
    cg_interp_join(in, &j);
}

static void join(CgInterp *in, const char *id, guint64 peer, const char *role, const char *lang,
                 const char *relay)
{
    join_audio(in, id, peer, role, lang, relay, TRUE);
}

/* The usual cast: floor speakers 1-3, es interpreters 10 (live) and 11. */
static CgInterp *cast(void)
{
    CgInterp *in = simultaneous();
    join(in, "p-spec", 1, "specialist", NULL, NULL);
    join(in, "p-pat", 2, "patient", "es", NULL);
    join(in, "p-prov", 3, "provider", "en", NULL);
    join(in, "p-es1", 10, "interpreter", "es", NULL);
    join(in, "p-es2", 11, "interpreter", "ES", NULL);
    return in;
}

/* The gain of @peer in @mix, or -1 when it is no input. */
static double gain(const CgInterpMix *mix, guint64 peer)
{
    g_assert_nonnull(mix);
    for (guint i = 0; i < mix->inputs->len; i++) {
        const CgInterpInput *in = &g_array_index(mix->inputs, CgInterpInput, i);
        if (in->peer == peer)
            return in->gain;
    }
    return -1;
}

static void assert_gain(const CgInterpMix *mix, guint64 peer, double want)
{
    double got = gain(mix, peer);
    if (fabs(got - want) > 1e-9)
        g_error("%s: peer %" G_GUINT64_FORMAT " at %f, want %f", mix->key, peer, got, want);
}

static const char *listens(const CgInterpPlan *plan, guint64 peer)
{
    const CgInterpEndpoint *ep = cg_interp_plan_endpoint(plan, peer);
    g_assert_nonnull(ep);
    return ep->listen;
}

/* The mix @peer listens to. */
static const CgInterpMix *mix_of(const CgInterpPlan *plan, guint64 peer)
{
    const CgInterpMix *mix = cg_interp_plan_mix(plan, listens(plan, peer));
    g_assert_nonnull(mix);
    return mix;
}

static void assert_error(GError *error, CgInterpError code, CgErrorCode wire)
{
    g_assert_error(error, CG_INTERP_ERROR, code);
    g_assert_cmpint(cg_interp_error_code(error), ==, wire);
}

/* ---- rules ---- */

static void test_defaults_and_auto_live(void)
{
    g_autoptr(CgInterp) in = cast();
    CgInterpView v;
    g_assert_true(cg_interp_view(in, "p-pat", &v)); /* its language is declared */
    g_assert_false(v.interpreter);
    g_assert_cmpstr(v.channel, ==, "es");
    g_assert_false(v.interpreter_only);
    g_assert_cmpint(v.floor_level_db, ==, -15);
    g_assert_cmpuint(v.n_channels, ==, 2);
    g_assert_cmpstr(v.channels[0].language, ==, "es");
    g_assert_cmpstr(v.channels[0].live, ==, "p-es1"); /* first to join */
    g_assert_cmpstr(v.channels[0].interpreters[0], ==, "p-es1");
    g_assert_cmpstr(v.channels[0].interpreters[1], ==, "p-es2"); /* "ES" is es */
    g_assert_null(v.channels[0].interpreters[2]);
    g_assert_null(v.channels[1].live);
    g_assert_null(v.channels[1].interpreters[0]);
    cg_interp_view_clear(&v);
    g_assert_true(cg_interp_view(in, "p-prov", &v)); /* "en" is not a channel */
    g_assert_cmpstr(v.channel, ==, "floor");
    cg_interp_view_clear(&v);
    g_assert_true(cg_interp_view(in, "p-spec", &v));
    g_assert_cmpstr(v.channel, ==, "floor");
    cg_interp_view_clear(&v);
    g_assert_true(cg_interp_view(in, "p-es2", &v));
    g_assert_true(v.interpreter);
    g_assert_cmpstr(v.language, ==, "es");
    g_assert_false(v.live);
    g_assert_false(v.offered);
    g_assert_null(v.relay_from);
    g_assert_cmpstr(v.partners[0], ==, "p-es1");
    g_assert_null(v.partners[1]);
    cg_interp_view_clear(&v);
    g_assert_false(cg_interp_view(in, "p-nobody", &v));
}

static void test_channel(void)
{
    g_autoptr(CgInterp) in = cast();
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_interp_set_channel(in, "p-spec", "AR", TRUE, &error));
    CgInterpView v;
    cg_interp_view(in, "p-spec", &v);
    g_assert_cmpstr(v.channel, ==, "ar");
    g_assert_true(v.interpreter_only);
    cg_interp_view_clear(&v);
    g_assert_true(cg_interp_set_channel(in, "p-spec", "floor", TRUE, &error));
    cg_interp_view(in, "p-spec", &v);
    g_assert_cmpstr(v.channel, ==, "floor");
    g_assert_false(v.interpreter_only); /* meaningless on floor */
    cg_interp_view_clear(&v);

    g_assert_false(cg_interp_set_channel(in, "p-spec", "fr", FALSE, &error));
    assert_error(error, CG_INTERP_ERROR_UNKNOWN_CHANNEL, CG_ERROR_CODE_UNKNOWN_CHANNEL);
    g_clear_error(&error);
    g_assert_false(cg_interp_set_channel(in, "p-es1", "ar", FALSE, &error));
    assert_error(error, CG_INTERP_ERROR_NOT_ALLOWED, CG_ERROR_CODE_NOT_ALLOWED);
}

static void test_go_live_and_take_over(void)
{
    g_autoptr(CgInterp) in = cast();
    g_autoptr(GError) error = NULL;
    g_assert_false(cg_interp_go_live(in, "p-es2", &error));
    assert_error(error, CG_INTERP_ERROR_CHANNEL_TAKEN, CG_ERROR_CODE_CHANNEL_TAKEN);
    g_assert_nonnull(strstr(error->message, "p-es1")); /* names who is live */
    g_assert_nonnull(strstr(error->message, "take_over"));
    g_clear_error(&error);
    g_assert_true(cg_interp_go_live(in, "p-es1", &error)); /* already live: fine */
    g_assert_false(cg_interp_go_live(in, "p-pat", &error));
    assert_error(error, CG_INTERP_ERROR_NOT_ALLOWED, CG_ERROR_CODE_NOT_ALLOWED);
    g_clear_error(&error);

    g_autofree char *previous = NULL;
    g_assert_true(cg_interp_take_over(in, "p-es2", &previous, &error));
    g_assert_cmpstr(previous, ==, "p-es1");
    CgInterpView v;
    cg_interp_view(in, "p-es1", &v);
    g_assert_false(v.live);
    g_assert_cmpstr(v.channels[0].live, ==, "p-es2");
    cg_interp_view_clear(&v);
    g_assert_false(cg_interp_take_over(in, "p-spec", NULL, &error));
    assert_error(error, CG_INTERP_ERROR_NOT_ALLOWED, CG_ERROR_CODE_NOT_ALLOWED);
    g_clear_error(&error);

    /* on a free channel, go_live and take_over both work */
    join(in, "p-ar", 20, "interpreter", "ar", NULL); /* auto-live */
    join(in, "p-ar2", 21, "interpreter", "ar", NULL);
    cg_interp_leave(in, "p-ar");
    g_assert_true(cg_interp_go_live(in, "p-ar2", &error));
    cg_interp_view(in, "p-ar2", &v);
    g_assert_true(v.live);
    g_assert_false(v.offered); /* going live ends the offer */
    cg_interp_view_clear(&v);
}

static void test_hand_over(void)
{
    g_autoptr(CgInterp) in = cast();
    g_autoptr(GError) error = NULL;
    g_assert_false(cg_interp_hand_over(in, "p-es2", NULL, NULL, &error));
    assert_error(error, CG_INTERP_ERROR_NOT_LIVE, CG_ERROR_CODE_NOT_LIVE);
    g_clear_error(&error);
    g_assert_false(cg_interp_hand_over(in, "p-es1", "p-spec", NULL, &error));
    assert_error(error, CG_INTERP_ERROR_UNKNOWN_PARTICIPANT, CG_ERROR_CODE_UNKNOWN_PARTICIPANT);
    g_clear_error(&error);
    g_autofree char *chosen = NULL;
    g_assert_true(cg_interp_hand_over(in, "p-es1", NULL, &chosen, &error));
    g_assert_cmpstr(chosen, ==, "p-es2");
    g_clear_pointer(&chosen, g_free);
    /* and back, naming the partner */
    g_assert_true(cg_interp_hand_over(in, "p-es2", "p-es1", &chosen, &error));
    g_assert_cmpstr(chosen, ==, "p-es1");
    /* alone in the booth */
    cg_interp_leave(in, "p-es2");
    g_assert_false(cg_interp_hand_over(in, "p-es1", NULL, NULL, &error));
    assert_error(error, CG_INTERP_ERROR_NO_PARTNER, CG_ERROR_CODE_NO_PARTNER);
}

static void test_hand_over_default_is_first_partner(void)
{
    g_autoptr(CgInterp) in = cast();
    join(in, "p-es3", 12, "interpreter", "es", NULL);
    g_autofree char *chosen = NULL;
    g_assert_true(cg_interp_hand_over(in, "p-es1", NULL, &chosen, NULL));
    g_assert_cmpstr(chosen, ==, "p-es2");
}

static void test_drop_offers_partners(void)
{
    g_autoptr(CgInterp) in = cast();
    cg_interp_leave(in, "p-es1");
    CgInterpView v;
    cg_interp_view(in, "p-es2", &v);
    g_assert_false(v.live);
    g_assert_true(v.offered);
    g_assert_null(v.channels[0].live);
    g_assert_null(v.partners[0]);
    cg_interp_view_clear(&v);
    /* nobody live: the es channel carries the floor at full level */
    g_autoptr(CgInterpPlan) plan = cg_interp_plan(in);
    const CgInterpMix *es = mix_of(plan, 2);
    assert_gain(es, 1, 1.0);
    assert_gain(es, 11, 0.0);
    /* the old one comes back: nobody was live, so it is again; no more offer */
    join(in, "p-es1", 10, "interpreter", "es", NULL);
    cg_interp_view(in, "p-es2", &v);
    g_assert_false(v.offered);
    g_assert_cmpstr(v.channels[0].live, ==, "p-es1");
    cg_interp_view_clear(&v);
    /* a non-live interpreter leaving offers nothing */
    cg_interp_leave(in, "p-es2");
    cg_interp_view(in, "p-es1", &v);
    g_assert_true(v.live);
    g_assert_false(v.offered);
    cg_interp_view_clear(&v);
}

static void test_rejoin_resets_listener(void)
{
    g_autoptr(CgInterp) in = cast();
    g_assert_true(cg_interp_set_channel(in, "p-pat", "ar", TRUE, NULL));
    join(in, "p-pat", 5, "patient", "es", NULL); /* a new join: defaults */
    CgInterpView v;
    cg_interp_view(in, "p-pat", &v);
    g_assert_cmpstr(v.channel, ==, "es");
    g_assert_false(v.interpreter_only);
    cg_interp_view_clear(&v);
    g_autoptr(CgInterpPlan) plan = cg_interp_plan(in);
    g_assert_null(cg_interp_plan_endpoint(plan, 2));
    g_assert_cmpstr(listens(plan, 5), ==, "ch:es~p-pat");
}

static void test_modes(void)
{
    g_autoptr(CgInterp) none = cg_interp_new(NULL, NULL, NULL, -15);
    g_autoptr(CgInterp) cons = cg_interp_new("consecutive", langs, NULL, -15);
    g_autoptr(GError) error = NULL;
    join(none, "p-a", 1, "specialist", NULL, NULL);
    join(cons, "p-a", 1, "specialist", NULL, NULL);
    join(cons, "p-i", 2, "interpreter", "es", NULL);
    g_assert_null(cg_interp_mode_name(none));
    g_assert_cmpstr(cg_interp_mode_name(cons), ==, "consecutive");
    g_assert_false(cg_interp_set_channel(none, "p-a", "es", FALSE, &error));
    assert_error(error, CG_INTERP_ERROR_NO_INTERPRETATION, CG_ERROR_CODE_NO_INTERPRETATION);
    g_clear_error(&error);
    g_assert_false(cg_interp_set_channel(cons, "p-a", "es", FALSE, &error));
    assert_error(error, CG_INTERP_ERROR_NOT_SIMULTANEOUS, CG_ERROR_CODE_NOT_SIMULTANEOUS);
    g_clear_error(&error);
    g_assert_false(cg_interp_go_live(cons, "p-i", &error));
    assert_error(error, CG_INTERP_ERROR_NOT_SIMULTANEOUS, CG_ERROR_CODE_NOT_SIMULTANEOUS);
    g_clear_error(&error);
    g_assert_false(cg_interp_take_over(none, "p-a", NULL, &error));
    assert_error(error, CG_INTERP_ERROR_NO_INTERPRETATION, CG_ERROR_CODE_NO_INTERPRETATION);
    g_clear_error(&error);
    g_assert_false(cg_interp_hand_over(cons, "p-i", NULL, NULL, &error));
    assert_error(error, CG_INTERP_ERROR_NOT_SIMULTANEOUS, CG_ERROR_CODE_NOT_SIMULTANEOUS);
    g_clear_error(&error);
    g_assert_false(cg_interp_check_floor_level(cons, "p-a", -20, &error));
    assert_error(error, CG_INTERP_ERROR_NOT_SIMULTANEOUS, CG_ERROR_CODE_NOT_SIMULTANEOUS);
    g_clear_error(&error);
    /* consecutive: no mixes, everyone on the relay path (the interpreter
     * too, heard by all); no channel view */
    g_autoptr(CgInterpPlan) plan = cg_interp_plan(cons);
    g_assert_cmpuint(plan->mixes->len, ==, 0);
    g_assert_cmpuint(plan->endpoints->len, ==, 2);
    for (guint i = 0; i < plan->endpoints->len; i++) {
        const CgInterpEndpoint *ep = &g_array_index(plan->endpoints, CgInterpEndpoint, i);
        g_assert_null(ep->listen);
        g_assert_true(ep->receive_relayed_audio);
        g_assert_true(ep->audio_relayed);
    }
    g_autoptr(CgInterpPlan) plain = cg_interp_plan(none);
    g_assert_cmpuint(plain->mixes->len, ==, 0);
    CgInterpView v;
    g_assert_false(cg_interp_view(cons, "p-i", &v));
}

static void test_floor_level(void)
{
    g_autoptr(CgInterp) in = cast();
    g_autoptr(GError) error = NULL;
    g_assert_false(cg_interp_check_floor_level(in, "p-pat", -20, &error));
    assert_error(error, CG_INTERP_ERROR_NOT_ALLOWED, CG_ERROR_CODE_NOT_ALLOWED);
    g_clear_error(&error);
    g_assert_false(cg_interp_check_floor_level(in, "p-es1", -20, &error));
    assert_error(error, CG_INTERP_ERROR_NOT_ALLOWED, CG_ERROR_CODE_NOT_ALLOWED);
    g_clear_error(&error);
    g_assert_false(cg_interp_check_floor_level(in, "p-spec", -41, &error));
    assert_error(error, CG_INTERP_ERROR_OUT_OF_RANGE, CG_ERROR_CODE_MALFORMED_MESSAGE);
    g_assert_nonnull(strstr(error->message, "db"));
    g_clear_error(&error);
    g_assert_false(cg_interp_check_floor_level(in, "p-spec", 1, &error));
    g_clear_error(&error);
    g_assert_true(cg_interp_check_floor_level(in, "p-spec", -40, &error));
    g_assert_true(cg_interp_check_floor_level(in, "p-spec", 0, &error));
    g_assert_cmpint(cg_interp_floor_level_db(in), ==, -15); /* a check changes nothing */
    cg_interp_set_floor_level(in, -20);
    g_assert_cmpint(cg_interp_floor_level_db(in), ==, -20);
    g_autoptr(CgInterpPlan) plan = cg_interp_plan(in);
    assert_gain(mix_of(plan, 2), 1, pow(10, -20 / 20.0));
}

static void test_token(void)
{
    char *es_ar[] = {"es", "ar", NULL};
    CgConsultRecord simult = {.interpretation_mode = "simultaneous",
                              .interpretation_languages = es_ar};
    CgConsultRecord plain = {0};
    g_autofree char *why = NULL;
    g_assert_true(cg_interp_token_ok(&simult, "interpreter", "ES", NULL, &why));
    g_assert_true(cg_interp_token_ok(&simult, "interpreter", "ar", "es", &why));
    g_assert_true(cg_interp_token_ok(&simult, "patient", "fr", NULL, &why));
    g_assert_true(cg_interp_token_ok(&plain, "interpreter", NULL, NULL, &why));
    g_assert_true(cg_interp_token_ok(&plain, "patient", "es", NULL, &why));
    g_assert_null(why);
    g_assert_false(cg_interp_token_ok(&simult, "interpreter", "fr", NULL, &why));
    g_assert_nonnull(strstr(why, "language"));
    g_clear_pointer(&why, g_free);
    g_assert_false(cg_interp_token_ok(&simult, "interpreter", NULL, NULL, &why));
    g_clear_pointer(&why, g_free);
    g_assert_false(cg_interp_token_ok(&simult, "interpreter", "es", "es", &why));
    g_assert_nonnull(strstr(why, "relay_from"));
    g_clear_pointer(&why, g_free);
    g_assert_false(cg_interp_token_ok(&simult, "interpreter", "es", "fr", &why));
    g_clear_pointer(&why, g_free);
    g_assert_false(cg_interp_token_ok(&plain, "interpreter", "es", NULL, &why));
}

/* ---- the plan ---- */

static void test_plan_listener_on_es(void)
{
    g_autoptr(CgInterp) in = cast();
    g_autoptr(CgInterpPlan) plan = cg_interp_plan(in);
    const CgInterpMix *es = mix_of(plan, 2);
    assert_gain(es, 1, FLOOR_GAIN_15);
    assert_gain(es, 3, FLOOR_GAIN_15);
    g_assert_cmpfloat(gain(es, 2), <, 0); /* never itself */
    assert_gain(es, 10, 1.0);
    assert_gain(es, 11, 0.0); /* primed for a hand-over, silent */
    g_assert_cmpuint(es->inputs->len, ==, 4);
    const CgInterpEndpoint *pat = cg_interp_plan_endpoint(plan, 2);
    g_assert_cmpstr(pat->listen, ==, "ch:es~p-pat");
    g_assert_false(pat->receive_relayed_audio);
    g_assert_true(pat->audio_relayed);
    /* nobody listens to ar: no mix for it */
    g_assert_null(cg_interp_plan_mix(plan, "ch:ar"));
    g_assert_null(cg_interp_plan_mix(plan, "ch:es:only"));
}

static void test_plan_floor_listener(void)
{
    g_autoptr(CgInterp) in = cast();
    g_autoptr(CgInterpPlan) plan = cg_interp_plan(in);
    const CgInterpEndpoint *spec = cg_interp_plan_endpoint(plan, 1);
    g_assert_null(spec->listen);
    g_assert_true(spec->receive_relayed_audio);
    g_assert_true(spec->audio_relayed);
    /* only the channels listened to and the interpreters' own mixes exist */
    g_assert_cmpuint(plan->mixes->len, ==, 3);
    g_assert_cmpstr(((CgInterpMix *)g_ptr_array_index(plan->mixes, 0))->key, ==, "ch:es~p-pat");
    g_assert_cmpstr(((CgInterpMix *)g_ptr_array_index(plan->mixes, 1))->key, ==, "interp:p-es1");
    g_assert_cmpstr(((CgInterpMix *)g_ptr_array_index(plan->mixes, 2))->key, ==, "interp:p-es2");
}

static void test_plan_interpreter_only(void)
{
    g_autoptr(CgInterp) in = cast();
    g_assert_true(cg_interp_set_channel(in, "p-pat", "es", TRUE, NULL));
    g_autoptr(CgInterpPlan) plan = cg_interp_plan(in);
    g_assert_null(cg_interp_plan_mix(plan, "ch:es~p-pat")); /* nobody on plain es now */
    const CgInterpMix *only = mix_of(plan, 2);
    assert_gain(only, 1, 0.0);
    g_assert_cmpfloat(gain(only, 2), <, 0);
    assert_gain(only, 10, 1.0);
    assert_gain(only, 11, 0.0);
    g_assert_cmpstr(listens(plan, 2), ==, "ch:es:only~p-pat");
    /* with nobody effectively live: the floor at full level, never silence */
    cg_interp_set_audio(in, "p-es1", FALSE);
    g_autoptr(CgInterpPlan) muted = cg_interp_plan(in);
    only = mix_of(muted, 2);
    assert_gain(only, 1, 1.0);
    assert_gain(only, 10, 0.0);
}

static void test_plan_no_live(void)
{
    g_autoptr(CgInterp) in = simultaneous();
    join(in, "p-spec", 1, "specialist", NULL, NULL);
    join(in, "p-pat", 2, "patient", "ar", NULL); /* no ar interpreter at all */
    g_autoptr(CgInterpPlan) plan = cg_interp_plan(in);
    const CgInterpMix *ar = mix_of(plan, 2);
    assert_gain(ar, 1, 1.0);
    g_assert_cmpuint(ar->inputs->len, ==, 1); /* not itself */
    g_assert_cmpuint(plan->mixes->len, ==, 1);
}

static void test_plan_muted_live_is_not_effective(void)
{
    g_autoptr(CgInterp) in = cast();
    cg_interp_set_audio(in, "p-es1", FALSE);
    CgInterpView v;
    cg_interp_view(in, "p-pat", &v);
    g_assert_cmpstr(v.channels[0].live, ==, "p-es1"); /* still live... */
    g_assert_true(v.channels[0].live_muted);          /* ...but muted */
    cg_interp_view_clear(&v);
    g_autoptr(CgInterpPlan) plan = cg_interp_plan(in);
    const CgInterpMix *es = mix_of(plan, 2);
    assert_gain(es, 1, 1.0); /* the floor comes back up */
    assert_gain(es, 10, 0.0);
    cg_interp_set_audio(in, "p-es1", TRUE);
    g_autoptr(CgInterpPlan) back = cg_interp_plan(in);
    assert_gain(mix_of(back, 2), 1, FLOOR_GAIN_15);
}

static void test_plan_interpreter(void)
{
    g_autoptr(CgInterp) in = cast();
    g_autoptr(CgInterpPlan) plan = cg_interp_plan(in);
    const CgInterpMix *mix = cg_interp_plan_mix(plan, "interp:p-es1");
    assert_gain(mix, 1, 1.0); /* the floor at full level */
    assert_gain(mix, 2, 1.0);
    assert_gain(mix, 3, 1.0);
    assert_gain(mix, 11, TALKBACK_GAIN);    /* the partner on talk-back */
    g_assert_cmpfloat(gain(mix, 10), <, 0); /* never itself */
    g_assert_cmpuint(mix->inputs->len, ==, 4);
    const CgInterpEndpoint *ep = cg_interp_plan_endpoint(plan, 10);
    g_assert_cmpstr(ep->listen, ==, "interp:p-es1");
    g_assert_false(ep->receive_relayed_audio);
    g_assert_false(ep->audio_relayed);
    mix = cg_interp_plan_mix(plan, "interp:p-es2");
    assert_gain(mix, 10, TALKBACK_GAIN);
    g_assert_cmpfloat(gain(mix, 11), <, 0);
}

static void test_plan_relay(void)
{
    g_autoptr(CgInterp) in = cast();
    join(in, "p-ar", 20, "interpreter", "ar", "es");
    CgInterpView v;
    cg_interp_view(in, "p-ar", &v);
    g_assert_cmpstr(v.relay_from, ==, "es");
    g_assert_true(v.live);
    cg_interp_view_clear(&v);
    g_autoptr(CgInterpPlan) plan = cg_interp_plan(in);
    const CgInterpMix *mix = cg_interp_plan_mix(plan, "interp:p-ar");
    assert_gain(mix, 10, 1.0);                 /* the live es interpreter... */
    g_assert_cmpuint(mix->inputs->len, ==, 1); /* ...and no floor, no es partner */
    /* es not effectively live: the floor instead */
    cg_interp_set_audio(in, "p-es1", FALSE);
    g_autoptr(CgInterpPlan) fallback = cg_interp_plan(in);
    mix = cg_interp_plan_mix(fallback, "interp:p-ar");
    assert_gain(mix, 1, 1.0);
    assert_gain(mix, 2, 1.0);
    assert_gain(mix, 3, 1.0);
    g_assert_cmpfloat(gain(mix, 10), <, 0);
    /* an es listener's channel never carries the ar interpreter */
    g_assert_cmpfloat(gain(mix_of(fallback, 2), 20), <, 0);
}

static void test_plan_hand_over_changes_gains(void)
{
    g_autoptr(CgInterp) in = cast();
    g_autoptr(CgInterpPlan) before = cg_interp_plan(in);
    g_assert_true(cg_interp_hand_over(in, "p-es1", NULL, NULL, NULL));
    g_autoptr(CgInterpPlan) after = cg_interp_plan(in);
    const CgInterpMix *a = mix_of(before, 2);
    const CgInterpMix *b = mix_of(after, 2);
    /* the same inputs in the same order: only gains change (one mixer step) */
    g_assert_cmpuint(a->inputs->len, ==, b->inputs->len);
    for (guint i = 0; i < a->inputs->len; i++)
        g_assert_cmpuint(g_array_index(a->inputs, CgInterpInput, i).peer, ==,
                         g_array_index(b->inputs, CgInterpInput, i).peer);
    assert_gain(b, 10, 0.0);
    assert_gain(b, 11, 1.0);
    assert_gain(b, 1, FLOOR_GAIN_15);
    /* never both at full level */
    g_assert_cmpfloat(gain(b, 10) + gain(b, 11), ==, 1.0);
}

static void test_plan_mix_lifetime(void)
{
    g_autoptr(CgInterp) in = cast();
    cg_interp_leave(in, "p-es2");
    cg_interp_leave(in, "p-pat");
    g_autoptr(CgInterpPlan) plan = cg_interp_plan(in);
    g_assert_null(cg_interp_plan_mix(plan, "interp:p-es2")); /* gone with it */
    g_assert_null(cg_interp_plan_mix(plan, "ch:es~p-pat"));  /* nobody listens */
    g_assert_cmpuint(plan->mixes->len, ==, 1);
    g_assert_nonnull(cg_interp_plan_mix(plan, "interp:p-es1"));
    g_assert_cmpuint(plan->endpoints->len, ==, 3);
    cg_interp_leave(in, "p-es1");
    cg_interp_leave(in, "p-spec");
    cg_interp_leave(in, "p-prov");
    g_autoptr(CgInterpPlan) empty = cg_interp_plan(in);
    g_assert_cmpuint(empty->mixes->len, ==, 0);
    g_assert_cmpuint(empty->endpoints->len, ==, 0);
}

/* Listeners whose microphone is off share one mix of the channel; one whose
 * microphone is on hears it without itself. */
static void test_plan_minus_self(void)
{
    g_autoptr(CgInterp) in = cast();
    join_audio(in, "p-obs1", 4, "observer", "es", NULL, FALSE);
    join_audio(in, "p-obs2", 5, "observer", "es", NULL, FALSE);
    g_autoptr(CgInterpPlan) plan = cg_interp_plan(in);
    g_assert_cmpstr(listens(plan, 4), ==, "ch:es");
    g_assert_true(listens(plan, 4) == listens(plan, 5)); /* one mix for both */
    const CgInterpMix *shared = mix_of(plan, 4);
    assert_gain(shared, 2, FLOOR_GAIN_15); /* the speaking patient is heard */
    assert_gain(shared, 4, FLOOR_GAIN_15); /* silent inputs, harmless */
    const CgInterpMix *own = mix_of(plan, 2);
    g_assert_cmpfloat(gain(own, 2), <, 0);
    assert_gain(own, 4, FLOOR_GAIN_15);
    guint n = 0;
    for (guint i = 0; i < plan->mixes->len; i++)
        n += g_str_has_prefix(((CgInterpMix *)g_ptr_array_index(plan->mixes, i))->key, "ch:es");
    g_assert_cmpuint(n, ==, 2);
    /* its microphone on: an observer gets its own too */
    cg_interp_set_audio(in, "p-obs1", TRUE);
    g_autoptr(CgInterpPlan) after = cg_interp_plan(in);
    g_assert_cmpstr(listens(after, 4), ==, "ch:es~p-obs1");
    g_assert_cmpfloat(gain(mix_of(after, 4), 4), <, 0);
    g_assert_cmpstr(listens(after, 5), ==, "ch:es");
}

/* An admin PATCH while the consult runs. */
static void test_reconfigure(void)
{
    g_autoptr(CgInterp) in = cast();
    g_assert_true(cg_interp_set_channel(in, "p-spec", "ar", FALSE, NULL));
    g_assert_true(cg_interp_hand_over(in, "p-es1", NULL, NULL, NULL));
    char *es_ar[] = {"es", "ar", NULL};
    CgConsultRecord c = {.interpretation_mode = "simultaneous",
                         .interpretation_languages = es_ar,
                         .floor_language = "en",
                         .floor_level_db = -15};
    g_assert_false(cg_interp_reconfigure(in, &c)); /* nothing new */
    c.floor_level_db = -25;
    g_assert_true(cg_interp_reconfigure(in, &c));
    CgInterpView v;
    cg_interp_view(in, "p-spec", &v); /* a new floor level keeps the rest */
    g_assert_cmpint(v.floor_level_db, ==, -25);
    g_assert_cmpstr(v.channel, ==, "ar");
    g_assert_cmpstr(v.channels[0].live, ==, "p-es2");
    cg_interp_view_clear(&v);
    /* new channels: everyone from the defaults */
    char *es_ar_fr[] = {"es", "ar", "fr", NULL};
    c.interpretation_languages = es_ar_fr;
    g_assert_true(cg_interp_reconfigure(in, &c));
    cg_interp_view(in, "p-spec", &v);
    g_assert_cmpuint(v.n_channels, ==, 3);
    g_assert_cmpstr(v.channel, ==, "floor");
    g_assert_cmpstr(v.channels[0].live, ==, "p-es1"); /* first to join again */
    cg_interp_view_clear(&v);
    /* cleared: no channels, the interpreter relayed like anyone */
    CgConsultRecord none = {.floor_level_db = -15};
    g_assert_true(cg_interp_reconfigure(in, &none));
    g_assert_cmpint(cg_interp_mode(in), ==, CG_INTERP_MODE_NONE);
    g_autoptr(CgInterpPlan) plan = cg_interp_plan(in);
    g_assert_cmpuint(plan->mixes->len, ==, 0);
    g_assert_true(cg_interp_plan_endpoint(plan, 10)->audio_relayed);
    g_assert_true(cg_interp_plan_endpoint(plan, 10)->receive_relayed_audio);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/interpretation/defaults-and-auto-live", test_defaults_and_auto_live);
    g_test_add_func("/interpretation/channel", test_channel);
    g_test_add_func("/interpretation/go-live-take-over", test_go_live_and_take_over);
    g_test_add_func("/interpretation/hand-over", test_hand_over);
    g_test_add_func("/interpretation/hand-over-default", test_hand_over_default_is_first_partner);
    g_test_add_func("/interpretation/drop-offers-partners", test_drop_offers_partners);
    g_test_add_func("/interpretation/rejoin-resets-listener", test_rejoin_resets_listener);
    g_test_add_func("/interpretation/modes", test_modes);
    g_test_add_func("/interpretation/floor-level", test_floor_level);
    g_test_add_func("/interpretation/token", test_token);
    g_test_add_func("/interpretation/reconfigure", test_reconfigure);
    g_test_add_func("/interpretation/plan/listener-on-es", test_plan_listener_on_es);
    g_test_add_func("/interpretation/plan/floor-listener", test_plan_floor_listener);
    g_test_add_func("/interpretation/plan/interpreter-only", test_plan_interpreter_only);
    g_test_add_func("/interpretation/plan/no-live", test_plan_no_live);
    g_test_add_func("/interpretation/plan/muted-live", test_plan_muted_live_is_not_effective);
    g_test_add_func("/interpretation/plan/interpreter", test_plan_interpreter);
    g_test_add_func("/interpretation/plan/relay", test_plan_relay);
    g_test_add_func("/interpretation/plan/hand-over", test_plan_hand_over_changes_gains);
    g_test_add_func("/interpretation/plan/mix-lifetime", test_plan_mix_lifetime);
    g_test_add_func("/interpretation/plan/minus-self", test_plan_minus_self);
    return g_test_run();
}
