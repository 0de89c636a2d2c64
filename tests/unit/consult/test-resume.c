/* Unit tests of resume.h: when a dropped socket's seat is held and for how
 * long (grace, token expiry), which resume ids take it back, and the bound
 * on what waits for a held seat. */
#include <glib.h>
#include <string.h>

#include "resume.h"

#define NOW G_GINT64_CONSTANT(1800000000)
#define SKEW 30

static const CgSocketDrop dropped = {.joined = TRUE};

/* Only a joined socket that dropped by itself keeps its seat. */
static void test_hold_only_a_drop(void)
{
    static const struct {
        const char *what;
        CgSocketDrop drop;
        guint expected;
    } cases[] = {
        {"dropped", {.joined = TRUE}, 20},
        {"waiting room", {.joined = FALSE}, 0},
        {"left", {.joined = TRUE, .left = TRUE}, 0},
        {"closed by the server", {.joined = TRUE, .closed_by_server = TRUE}, 0},
        {"shutting down", {.joined = TRUE, .shutting_down = TRUE}, 0},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_test_message("%s", cases[i].what);
        g_assert_cmpuint(cg_resume_hold_seconds(&cases[i].drop, 20, NOW, NOW + 3600, SKEW), ==,
                         cases[i].expected);
    }
}

static void test_hold_grace(void)
{
    g_assert_cmpuint(cg_resume_hold_seconds(&dropped, 0, NOW, NOW + 3600, SKEW), ==, 0);
    g_assert_cmpuint(cg_resume_hold_seconds(&dropped, 1, NOW, NOW + 3600, SKEW), ==, 1);
    g_assert_cmpuint(cg_resume_hold_seconds(&dropped, 29, NOW, NOW + 3600, SKEW), ==, 29);
}

/* The hold never outlasts the token (with its skew): a resume would be
 * refused token_expired then. */
static void test_hold_ends_with_the_token(void)
{
    g_assert_cmpuint(cg_resume_hold_seconds(&dropped, 20, NOW, NOW + 5, SKEW), ==, 20);
    /* valid through the second exp + skew: held until that second ends */
    g_assert_cmpuint(cg_resume_hold_seconds(&dropped, 20, NOW, NOW - 25, SKEW), ==, 6);
    g_assert_cmpuint(cg_resume_hold_seconds(&dropped, 20, NOW, NOW - 30, SKEW), ==, 1);
    g_assert_cmpuint(cg_resume_hold_seconds(&dropped, 20, NOW, NOW - 31, SKEW), ==, 0);
    g_assert_cmpuint(cg_resume_hold_seconds(&dropped, 20, NOW, NOW - 3600, SKEW), ==, 0);
    g_assert_cmpuint(cg_resume_hold_seconds(&dropped, 20, NOW, NOW - 1, 0), ==, 0);
    g_assert_cmpuint(cg_resume_hold_seconds(&dropped, 20, NOW, NOW, 0), ==, 1);
    g_assert_cmpuint(cg_resume_hold_seconds(&dropped, 20, NOW, NOW + 1, 0), ==, 2);
    /* far-off or absurd expiries do not overflow */
    g_assert_cmpuint(
        cg_resume_hold_seconds(&dropped, 20, NOW, G_MAXINT32 * G_GINT64_CONSTANT(4), SKEW), ==, 20);
    g_assert_cmpuint(cg_resume_hold_seconds(&dropped, 20, NOW, G_MININT32, SKEW), ==, 0);
}

static void test_check(void)
{
    const char *held = "r-abcdefghijklmnopqrstuvwxyz";
    g_assert_cmpint(cg_resume_check(held, "r-abcdefghijklmnopqrstuvwxyz"), ==, CG_RESUME_OK);
    g_assert_cmpint(cg_resume_check(NULL, held), ==, CG_RESUME_NO_SEAT);
    g_assert_cmpint(cg_resume_check(held, "r-abcdefghijklmnopqrstuvwxy2"), ==, CG_RESUME_WRONG_ID);
    g_assert_cmpint(cg_resume_check(held, "r-abcdefghijklmnopqrstuvwxy"), ==, CG_RESUME_WRONG_ID);
    g_assert_cmpint(cg_resume_check(held, "r-abcdefghijklmnopqrstuvwxyzz"), ==, CG_RESUME_WRONG_ID);
    g_assert_cmpint(cg_resume_check(held, ""), ==, CG_RESUME_WRONG_ID);
    g_assert_cmpint(cg_resume_check(held, NULL), ==, CG_RESUME_WRONG_ID);
    g_assert_cmpint(cg_resume_check(held, "R-ABCDEFGHIJKLMNOPQRSTUVWXYZ"), ==, CG_RESUME_WRONG_ID);
}

static void test_refusal_messages(void)
{
    const char *no_seat = cg_resume_refusal_message(CG_RESUME_NO_SEAT);
    const char *wrong = cg_resume_refusal_message(CG_RESUME_WRONG_ID);
    g_assert_nonnull(strstr(no_seat, "grace period"));
    g_assert_nonnull(strstr(wrong, "resume id"));
    g_assert_cmpstr(no_seat, !=, wrong);
}

static void test_queue_bound(void)
{
    g_assert_true(cg_resume_queue_has_room(0, 0, 100));
    g_assert_true(cg_resume_queue_has_room(CG_RESUME_MAX_QUEUED_MESSAGES - 1, 0, 100));
    g_assert_false(cg_resume_queue_has_room(CG_RESUME_MAX_QUEUED_MESSAGES, 0, 100));
    g_assert_true(cg_resume_queue_has_room(1, CG_RESUME_MAX_QUEUED_BYTES - 100, 100));
    g_assert_false(cg_resume_queue_has_room(1, CG_RESUME_MAX_QUEUED_BYTES - 99, 100));
    g_assert_false(cg_resume_queue_has_room(0, 0, CG_RESUME_MAX_QUEUED_BYTES + 1));
    g_assert_false(cg_resume_queue_has_room(0, CG_RESUME_MAX_QUEUED_BYTES, G_MAXSIZE));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/resume/hold/only-a-drop", test_hold_only_a_drop);
    g_test_add_func("/resume/hold/grace", test_hold_grace);
    g_test_add_func("/resume/hold/ends-with-the-token", test_hold_ends_with_the_token);
    g_test_add_func("/resume/check", test_check);
    g_test_add_func("/resume/refusal-messages", test_refusal_messages);
    g_test_add_func("/resume/queue-bound", test_queue_bound);
    return g_test_run();
}
