/* test-interp-wiring.c — daemon/interpretation_wiring.c: a consult's plan
 * reaches media as the difference from the last one, in an order that never
 * leaves a listener on a mix that does not exist yet, with stable mix ids. */
#include "interpretation_wiring.h"

#include <math.h>
#include <string.h>

/* Every media call, as text: "set 1 [1:1.000 10:0.000]", "listen 2 1",
 * "recv 2 0", "relay 10 0", "remove 1". */
typedef struct {
    GPtrArray *calls;
    gboolean fail_listen;
} Recorder;

static gboolean rec_mix_set(gpointer media, CgMixId mix, const CgMediaMixInput *inputs, guint n,
                            GError **error)
{
    (void)error;
    Recorder *r = media;
    GString *s = g_string_new(NULL);
    g_string_printf(s, "set %" G_GUINT64_FORMAT " [", mix);
    for (guint i = 0; i < n; i++)
        g_string_append_printf(s, "%s%" G_GUINT64_FORMAT ":%.3f", i ? " " : "", inputs[i].ep,
                               inputs[i].gain);
    g_string_append(s, "]");
    g_ptr_array_add(r->calls, g_string_free(s, FALSE));
    return TRUE;
}

static void rec_mix_remove(gpointer media, CgMixId mix)
{
    Recorder *r = media;
    g_ptr_array_add(r->calls, g_strdup_printf("remove %" G_GUINT64_FORMAT, mix));
}

static gboolean rec_listen(gpointer media, CgEndpointId ep, CgMixId mix, GError **error)
{
    Recorder *r = media;
    if (r->fail_listen) {
        /* media's own domain would need cg_media linked: any domain will do */
        g_set_error_literal(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no such endpoint");
        return FALSE;
    }
    g_ptr_array_add(r->calls,
                    g_strdup_printf("listen %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, ep, mix));
    return TRUE;
}

static gboolean rec_recv(gpointer media, CgEndpointId ep, gboolean on, GError **error)
{
    (void)error;
    Recorder *r = media;
    g_ptr_array_add(r->calls, g_strdup_printf("recv %" G_GUINT64_FORMAT " %d", ep, on));
    return TRUE;
}

static gboolean rec_relay(gpointer media, CgEndpointId ep, gboolean on, GError **error)
{
    (void)error;
    Recorder *r = media;
    g_ptr_array_add(r->calls, g_strdup_printf("relay %" G_GUINT64_FORMAT " %d", ep, on));
    return TRUE;
}

static const CgInterpMediaOps ops = {rec_mix_set, rec_mix_remove, rec_listen, rec_recv, rec_relay};

/* The calls since the last look, joined by "; ". */
static char *take(Recorder *r)
{
    g_ptr_array_add(r->calls, NULL);
    char *s = g_strjoinv("; ", (char **)r->calls->pdata);
    g_ptr_array_set_size(r->calls, 0);
    return s;
}

/* A member with its microphone off (a listener so shares its channel's mix). */
static void join(CgInterp *in, const char *id, guint64 peer, const char *role, const char *lang)
{
    CgInterpJoin j = {
        .participant_id = id, .peer = peer, .role = role, .language = lang, .audio = FALSE};
    cg_interp_join(in, &j);
    if (g_strcmp0(role, "interpreter") == 0)
        cg_interp_set_audio(in, id, TRUE); /* interpreters speak: they are effectively live */
}

static gint64 now_us = 1000000; /* the test's clock */

static void apply(CgInterpWiring *w, CgInterp *in)
{
    g_autoptr(CgInterpPlan) plan = cg_interp_plan(in);
    cg_interp_wiring_apply(w, "c-1", plan, now_us);
}

#define LINGER_US (CG_INTERP_MIX_LINGER_MS * (gint64)1000)

static void test_wiring(void)
{
    static const char *const langs[] = {"es", NULL};
    Recorder r = {.calls = g_ptr_array_new_with_free_func(g_free)};
    CgInterpWiring *w = cg_interp_wiring_new(&ops, &r);
    g_autoptr(CgInterp) in = cg_interp_new("simultaneous", langs, NULL, -20);

    join(in, "p-spec", 1, "specialist", NULL);
    apply(w, in);
    g_autofree char *a = take(&r);
    g_assert_cmpstr(a, ==, ""); /* a floor listener: nothing to change */

    join(in, "p-i1", 10, "interpreter", "es");
    apply(w, in);
    g_autofree char *b = take(&r);
    /* its own mix first, then it moves to it and stops being relayed */
    g_assert_cmpstr(b, ==, "set 1 [1:1.000]; listen 10 1; recv 10 0; relay 10 0");

    join(in, "p-pat", 2, "patient", "es");
    apply(w, in);
    g_autofree char *c = take(&r);
    g_assert_cmpstr(c, ==,
                    "set 2 [1:0.100 2:0.100 10:1.000]; set 1 [1:1.000 2:1.000]; "
                    "listen 2 2; recv 2 0");
    g_assert_cmpuint(cg_interp_wiring_mix_id(w, "c-1", "ch:es"), ==, 2);

    /* the same plan again: nothing */
    apply(w, in);
    g_autofree char *same = take(&r);
    g_assert_cmpstr(same, ==, "");

    /* a partner joins, then a hand-over: gains only, one mix_set, same id */
    join(in, "p-i2", 11, "interpreter", "es");
    apply(w, in);
    g_autofree char *partner = take(&r);
    g_assert_nonnull(strstr(partner, "set 2 [1:0.100 2:0.100 10:1.000 11:0.000]"));
    g_assert_nonnull(strstr(partner, "set 3 [1:1.000 2:1.000 10:0.251]; listen 11 3"));
    g_assert_true(cg_interp_hand_over(in, "p-i1", NULL, NULL, NULL));
    apply(w, in);
    g_autofree char *hand = take(&r);
    g_assert_cmpstr(hand, ==, "set 2 [1:0.100 2:0.100 10:0.000 11:1.000]");

    /* the patient back to floor: its mix lingers, then goes */
    g_assert_cmpint(cg_interp_wiring_next_sweep(w), ==, 0);
    g_assert_true(cg_interp_set_channel(in, "p-pat", "floor", FALSE, NULL));
    apply(w, in);
    g_autofree char *floor = take(&r);
    g_assert_cmpstr(floor, ==, "listen 2 0; recv 2 1");
    g_assert_cmpint(cg_interp_wiring_next_sweep(w), ==, now_us + LINGER_US);
    /* flipping back and forth, however fast, reuses it: no pipeline built */
    for (int i = 0; i < 50; i++) {
        now_us += 1000;
        g_assert_true(cg_interp_set_channel(in, "p-pat", i % 2 ? "floor" : "es", FALSE, NULL));
        apply(w, in);
    }
    g_autofree char *flips = take(&r);
    g_assert_null(strstr(flips, "set"));
    g_assert_null(strstr(flips, "remove"));
    cg_interp_wiring_sweep(w, now_us + LINGER_US - 1);
    g_autofree char *early = take(&r);
    g_assert_cmpstr(early, ==, "");
    now_us += LINGER_US;
    cg_interp_wiring_sweep(w, now_us);
    g_autofree char *swept = take(&r);
    g_assert_cmpstr(swept, ==, "remove 2");
    g_assert_cmpuint(cg_interp_wiring_mix_id(w, "c-1", "ch:es"), ==, 0);
    g_assert_cmpint(cg_interp_wiring_next_sweep(w), ==, 0);

    /* back on es: a new mix id (the old one is gone) */
    g_assert_true(cg_interp_set_channel(in, "p-pat", "es", FALSE, NULL));
    apply(w, in);
    g_autofree char *again = take(&r);
    g_assert_cmpstr(again, ==, "set 4 [1:0.100 2:0.100 10:0.000 11:1.000]; listen 2 4; recv 2 0");

    /* an interpreter leaves (media forgot it): no call for it, its mix goes */
    cg_interp_leave(in, "p-i1");
    apply(w, in);
    g_autofree char *left = take(&r);
    g_assert_cmpstr(left, ==, "set 4 [1:0.100 2:0.100 11:1.000]; set 3 [1:1.000 2:1.000]");
    now_us += LINGER_US;
    cg_interp_wiring_sweep(w, now_us);
    g_autofree char *left_swept = take(&r);
    g_assert_cmpstr(left_swept, ==, "remove 1");

    /* the consult is gone: every mix removed */
    cg_interp_wiring_apply(w, "c-1", NULL, now_us);
    g_autofree char *gone = take(&r);
    g_assert_true(g_str_equal(gone, "remove 3; remove 4") ||
                  g_str_equal(gone, "remove 4; remove 3"));
    cg_interp_wiring_apply(w, "c-1", NULL, now_us);
    g_autofree char *nothing = take(&r);
    g_assert_cmpstr(nothing, ==, "");

    cg_interp_wiring_free(w);
    g_ptr_array_unref(r.calls);
}

/* A failed media call is tried again on the next apply. */
static void test_retry(void)
{
    static const char *const langs[] = {"es", NULL};
    Recorder r = {.calls = g_ptr_array_new_with_free_func(g_free), .fail_listen = TRUE};
    CgInterpWiring *w = cg_interp_wiring_new(&ops, &r);
    g_autoptr(CgInterp) in = cg_interp_new("simultaneous", langs, NULL, -15);
    join(in, "p-pat", 2, "patient", "es");
    g_test_expect_message("consultd", G_LOG_LEVEL_WARNING, "*listen: no such endpoint*");
    apply(w, in);
    g_test_assert_expected_messages();
    g_autofree char *first = take(&r);
    g_assert_cmpstr(first, ==, "set 1 [2:1.000]; recv 2 0");
    r.fail_listen = FALSE;
    apply(w, in);
    g_autofree char *second = take(&r);
    g_assert_cmpstr(second, ==, "listen 2 1");
    /* freed while a mix exists: it is removed from media first */
    cg_interp_wiring_free(w);
    g_autofree char *freed = take(&r);
    g_assert_cmpstr(freed, ==, "remove 1");
    g_ptr_array_unref(r.calls);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/interp-wiring/diff", test_wiring);
    g_test_add_func("/interp-wiring/retry", test_retry);
    return g_test_run();
}
