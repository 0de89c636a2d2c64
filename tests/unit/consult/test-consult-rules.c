/* Unit tests of consult_rules.h: the phase of a consult over time, and the
 * join decision for every role x kind x phase (table-driven), plus the
 * admitted / removed / providers_wait flags. */
#include <glib.h>

#include "consult_rules.h"

#define T0 G_GINT64_CONSTANT(1800000000) /* starts_at: 2027-01-15T08:00:00Z */

static const CgConsultWindow window = {.open_before_min = 15, .grace_min = 10};

/* A 30 min consult: opens T0-15 min, ends T0+40 min. */
static CgConsultRecord consult(const char *kind, const char *state, gint64 live_since)
{
    return (CgConsultRecord){.id = "c-1",
                             .tenant = "t",
                             .kind = (char *)kind,
                             .starts_at = T0,
                             .duration_min = 30,
                             .state = (char *)state,
                             .live_since = live_since};
}

typedef enum { SCHEDULED, OPEN, LIVE, ENDED_BY_TIME, ENDED_IN_STORE, CANCELLED, N_CASES } Case;

/* The consult and "now" of each phase case. */
static void set_case(Case k, const char *kind, CgConsultRecord *c, gint64 *now)
{
    switch (k) {
    case SCHEDULED:
        *c = consult(kind, "scheduled", 0), *now = T0 - 15 * 60 - 1;
        break;
    case OPEN:
        *c = consult(kind, "scheduled", 0), *now = T0 - 15 * 60;
        break;
    case LIVE:
        *c = consult(kind, "scheduled", T0), *now = T0 + 5 * 60;
        break;
    case ENDED_BY_TIME:
        *c = consult(kind, "scheduled", T0), *now = T0 + 40 * 60;
        break;
    case ENDED_IN_STORE:
        *c = consult(kind, "ended", T0), *now = T0 + 5 * 60;
        break;
    case CANCELLED:
        *c = consult(kind, "cancelled", 0), *now = T0;
        break;
    default:
        g_assert_not_reached();
    }
}

static void test_phase(void)
{
    static const CgConsultPhase expected[N_CASES] = {
        CG_CONSULT_PHASE_SCHEDULED, CG_CONSULT_PHASE_OPEN,  CG_CONSULT_PHASE_LIVE,
        CG_CONSULT_PHASE_ENDED,     CG_CONSULT_PHASE_ENDED, CG_CONSULT_PHASE_CANCELLED,
    };
    for (Case k = 0; k < N_CASES; k++) {
        CgConsultRecord c;
        gint64 now;
        set_case(k, "virtual_consult", &c, &now);
        g_assert_cmpstr(cg_consult_phase_name(cg_consult_phase(&c, &window, now)), ==,
                        cg_consult_phase_name(expected[k]));
    }
    CgConsultRecord c = consult("virtual_consult", "scheduled", 0);
    g_assert_cmpint(cg_consult_opens_at(&c, &window), ==, T0 - 900);
    g_assert_cmpint(cg_consult_ends_at(&c, &window), ==, T0 + 2400);
    /* The last second before the end is still open; the end itself is not. */
    g_assert_cmpint(cg_consult_phase(&c, &window, T0 + 2399), ==, CG_CONSULT_PHASE_OPEN);
    g_assert_cmpint(cg_consult_phase(&c, &window, T0 + 2400), ==, CG_CONSULT_PHASE_ENDED);
    /* A cancelled consult stays cancelled inside its window and after it. */
    c.state = "cancelled";
    g_assert_cmpint(cg_consult_phase(&c, &window, T0 + 9999), ==, CG_CONSULT_PHASE_CANCELLED);
}

/* Expected outcome per phase case: "admit", "wait", or the refusal code. */
static const struct {
    const char *kind;
    const char *role;
    const char *expected[N_CASES];
} table[] = {
#define REFUSED_AFTER "consult_ended", "consult_ended", "consult_cancelled"
    {"virtual_consult", "specialist", {"consult_not_open_yet", "admit", "admit", REFUSED_AFTER}},
    {"virtual_consult", "provider", {"consult_not_open_yet", "admit", "admit", REFUSED_AFTER}},
    {"virtual_consult", "patient", {"consult_not_open_yet", "wait", "wait", REFUSED_AFTER}},
    {"virtual_consult", "interpreter", {"consult_not_open_yet", "admit", "admit", REFUSED_AFTER}},
    {"virtual_consult", "observer", {"consult_not_open_yet", "admit", "admit", REFUSED_AFTER}},
    {"case_conference", "specialist", {"consult_not_open_yet", "admit", "admit", REFUSED_AFTER}},
    {"case_conference", "provider", {"consult_not_open_yet", "admit", "admit", REFUSED_AFTER}},
    {"case_conference",
     "patient",
     {"role_not_allowed", "role_not_allowed", "role_not_allowed", REFUSED_AFTER}},
    {"case_conference", "interpreter", {"consult_not_open_yet", "admit", "admit", REFUSED_AFTER}},
    {"case_conference", "observer", {"consult_not_open_yet", "admit", "admit", REFUSED_AFTER}},
#undef REFUSED_AFTER
};

static const char *outcome(CgJoinDecision d)
{
    switch (d.verdict) {
    case CG_JOIN_ADMIT:
        return "admit";
    case CG_JOIN_WAIT:
        return "wait";
    case CG_JOIN_REFUSE:
        return cg_error_code_name(d.code);
    }
    return "?";
}

static void test_join_table(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(table); i++) {
        for (Case k = 0; k < N_CASES; k++) {
            CgConsultRecord c;
            gint64 now;
            set_case(k, table[i].kind, &c, &now);
            CgParticipantRecord p = {.id = "p-1", .role = (char *)table[i].role};
            CgJoinDecision d = cg_consult_join_decision(&c, &p, &window, now);
            const char *got = outcome(d);
            if (g_strcmp0(got, table[i].expected[k]) != 0)
                g_error("%s in %s, case %d: got %s, expected %s", table[i].role, table[i].kind, k,
                        got, table[i].expected[k]);
            if (g_str_equal(got, "consult_not_open_yet"))
                g_assert_cmpint(d.opens_at, ==, T0 - 900);
            else
                g_assert_cmpint(d.opens_at, ==, 0);
        }
    }
}

/* A participant admitted once skips the waiting room (rejoin, restart). */
static void test_admitted_skips_waiting(void)
{
    CgConsultRecord c = consult("virtual_consult", "scheduled", T0);
    CgParticipantRecord p = {.id = "p-1", .role = "patient", .admitted = TRUE};
    g_assert_cmpstr(outcome(cg_consult_join_decision(&c, &p, &window, T0)), ==, "admit");
    /* ...but not an ended consult, nor before it opens. */
    c.state = "ended";
    g_assert_cmpstr(outcome(cg_consult_join_decision(&c, &p, &window, T0)), ==, "consult_ended");
    c.state = "scheduled";
    g_assert_cmpstr(outcome(cg_consult_join_decision(&c, &p, &window, T0 - 3600)), ==,
                    "consult_not_open_yet");
}

static void test_removed_never_joins(void)
{
    static const char *const roles[] = {"specialist", "provider", "patient", "interpreter",
                                        "observer"};
    CgConsultRecord c = consult("virtual_consult", "scheduled", T0);
    for (gsize i = 0; i < G_N_ELEMENTS(roles); i++) {
        CgParticipantRecord p = {.role = (char *)roles[i], .removed = TRUE, .admitted = TRUE};
        g_assert_cmpstr(outcome(cg_consult_join_decision(&c, &p, &window, T0)), ==,
                        "participant_removed");
    }
    /* Removal does not hide that the consult ended. */
    c.state = "cancelled";
    CgParticipantRecord p = {.role = "provider", .removed = TRUE};
    g_assert_cmpstr(outcome(cg_consult_join_decision(&c, &p, &window, T0)), ==,
                    "consult_cancelled");
}

static void test_providers_wait(void)
{
    static const struct {
        const char *role;
        const char *expected;
    } rows[] = {{"specialist", "admit"},
                {"provider", "wait"},
                {"patient", "wait"},
                {"interpreter", "admit"},
                {"observer", "admit"}};
    CgConsultRecord c = consult("virtual_consult", "scheduled", 0);
    c.providers_wait = TRUE;
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        CgParticipantRecord p = {.role = (char *)rows[i].role};
        g_assert_cmpstr(outcome(cg_consult_join_decision(&c, &p, &window, T0)), ==,
                        rows[i].expected);
        p.admitted = TRUE;
        g_assert_cmpstr(outcome(cg_consult_join_decision(&c, &p, &window, T0)), ==, "admit");
    }
    c.kind = "case_conference";
    CgParticipantRecord p = {.role = "provider"};
    g_assert_cmpstr(outcome(cg_consult_join_decision(&c, &p, &window, T0)), ==, "wait");
}

static void test_unknown_role_refused(void)
{
    CgConsultRecord c = consult("virtual_consult", "scheduled", 0);
    CgParticipantRecord p = {.role = "admin"};
    g_assert_cmpstr(outcome(cg_consult_join_decision(&c, &p, &window, T0)), ==, "role_not_allowed");
    c.kind = "webinar";
    p.role = "specialist";
    g_assert_cmpstr(outcome(cg_consult_join_decision(&c, &p, &window, T0)), ==, "role_not_allowed");
}

static void test_role_powers(void)
{
    g_assert_true(cg_role_may_moderate("specialist"));
    g_assert_false(cg_role_may_moderate("provider"));
    g_assert_false(cg_role_may_moderate("patient"));
    g_assert_false(cg_role_may_moderate("observer"));
    g_assert_false(cg_role_may_moderate(NULL));
    g_assert_true(cg_role_may_unmute_self("provider"));
    g_assert_true(cg_role_may_unmute_self("interpreter"));
    g_assert_false(cg_role_may_unmute_self("patient"));
    g_assert_false(cg_role_may_unmute_self("observer"));
}

/* Unset takes the config default; set, even to 0 (no cap), wins over it. */
static void test_video_bitrate(void)
{
    CgConsultRecord c = consult("virtual_consult", "scheduled", 0);
    g_assert_cmpuint(cg_consult_video_bitrate_kbps(&c, 1000), ==, 1000);
    g_assert_cmpuint(cg_consult_video_bitrate_kbps(&c, 0), ==, 0);
    c.video_bitrate_set = TRUE;
    c.video_bitrate_kbps = 150;
    g_assert_cmpuint(cg_consult_video_bitrate_kbps(&c, 1000), ==, 150);
    c.video_bitrate_kbps = 0;
    g_assert_cmpuint(cg_consult_video_bitrate_kbps(&c, 1000), ==, 0);
}

static void test_rfc3339(void)
{
    g_autofree char *a = cg_rfc3339(T0);
    g_assert_cmpstr(a, ==, "2027-01-15T08:00:00Z");
    g_autofree char *b = cg_rfc3339(-5);
    g_assert_cmpstr(b, ==, "1970-01-01T00:00:00Z");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/consult-rules/phase", test_phase);
    g_test_add_func("/consult-rules/join-table", test_join_table);
    g_test_add_func("/consult-rules/admitted-skips-waiting", test_admitted_skips_waiting);
    g_test_add_func("/consult-rules/removed-never-joins", test_removed_never_joins);
    g_test_add_func("/consult-rules/providers-wait", test_providers_wait);
    g_test_add_func("/consult-rules/unknown-role", test_unknown_role_refused);
    g_test_add_func("/consult-rules/role-powers", test_role_powers);
    g_test_add_func("/consult-rules/video-bitrate", test_video_bitrate);
    g_test_add_func("/consult-rules/rfc3339", test_rfc3339);
    return g_test_run();
}
