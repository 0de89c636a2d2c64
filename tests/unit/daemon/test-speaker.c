/* test-speaker.c — daemon/active_speaker.c and daemon/link_quality.c. */
#include "active_speaker.h"
#include "link_quality.h"
#include "test-daemon-util.h"

static void test_first_voice_takes_the_floor(void)
{
    g_autoptr(CgActiveSpeaker) s = cg_active_speaker_new();
    g_assert_null(cg_active_speaker_current(s));
    g_assert_true(cg_active_speaker_is_empty(s));
    g_assert_cmpstr(cg_active_speaker_heard(s, "p-a", 40, 1000), ==, "p-a");
    g_assert_cmpstr(cg_active_speaker_current(s), ==, "p-a");
    /* heard again: no change to announce */
    g_assert_null(cg_active_speaker_heard(s, "p-a", 35, 1500));
}

static void test_hold_through_pauses(void)
{
    g_autoptr(CgActiveSpeaker) s = cg_active_speaker_new();
    cg_active_speaker_heard(s, "p-a", 40, 1000);
    /* someone a little louder while a still speaks: a keeps the floor */
    g_assert_null(cg_active_speaker_heard(s, "p-b", 35, 1200));
    /* a pauses briefly (last heard 1000): b does not take over within the hold */
    g_assert_null(cg_active_speaker_heard(s, "p-b", 35, 1000 + CG_SPEAKER_HOLD_MS));
    g_assert_cmpstr(cg_active_speaker_current(s), ==, "p-a");
    /* a silent for longer than the hold: b has the floor */
    g_assert_cmpstr(cg_active_speaker_heard(s, "p-b", 45, 1000 + CG_SPEAKER_HOLD_MS + 1), ==,
                    "p-b");
}

static void test_barge_in(void)
{
    g_autoptr(CgActiveSpeaker) s = cg_active_speaker_new();
    cg_active_speaker_heard(s, "p-a", 50, 1000);
    /* 10 dB louder while a speaks: takes over at once */
    g_assert_cmpstr(cg_active_speaker_heard(s, "p-b", 50 - CG_SPEAKER_BARGE_IN_DB, 1100), ==,
                    "p-b");
}

static void test_stale_levels_do_not_count(void)
{
    g_autoptr(CgActiveSpeaker) s = cg_active_speaker_new();
    cg_active_speaker_heard(s, "p-a", 10, 1000); /* very loud, long ago */
    gint64 later = 1000 + CG_SPEAKER_HOLD_MS + CG_SPEAKER_WINDOW_MS + 1;
    /* a quiet b is the only one heard within the window */
    g_assert_cmpstr(cg_active_speaker_heard(s, "p-b", 90, later), ==, "p-b");
}

static void test_forget(void)
{
    g_autoptr(CgActiveSpeaker) s = cg_active_speaker_new();
    cg_active_speaker_heard(s, "p-a", 40, 1000);
    cg_active_speaker_forget(s, "p-a");
    g_assert_null(cg_active_speaker_current(s));
    g_assert_true(cg_active_speaker_is_empty(s));
    /* the next voice takes the floor at once */
    g_assert_cmpstr(cg_active_speaker_heard(s, "p-b", 60, 1100), ==, "p-b");
    cg_active_speaker_forget(s, "p-unknown"); /* harmless */
    g_assert_cmpstr(cg_active_speaker_current(s), ==, "p-b");
    /* levels out of range are clamped, not trusted */
    g_assert_null(cg_active_speaker_heard(s, "p-b", 5000, 1200));
}

static void test_link_quality(void)
{
    g_assert_cmpint(cg_link_quality(-1, -1, -1), ==, CG_LINK_UNKNOWN);
    g_assert_cmpint(cg_link_quality(0, 20, 3), ==, CG_LINK_GOOD);
    g_assert_cmpint(cg_link_quality(-1, 20, -1), ==, CG_LINK_GOOD);
    g_assert_cmpint(cg_link_quality(2, 20, 3), ==, CG_LINK_FAIR);
    g_assert_cmpint(cg_link_quality(0, 300, 3), ==, CG_LINK_FAIR);
    g_assert_cmpint(cg_link_quality(0, 20, 30), ==, CG_LINK_FAIR);
    g_assert_cmpint(cg_link_quality(8, 20, 3), ==, CG_LINK_POOR);
    g_assert_cmpint(cg_link_quality(0, 800, 3), ==, CG_LINK_POOR);
    g_assert_cmpint(cg_link_quality(0, 20, 100), ==, CG_LINK_POOR);
    g_assert_cmpstr(cg_link_quality_name(CG_LINK_FAIR), ==, "fair");
    g_assert_cmpstr(cg_link_quality_name((CgLinkQuality)42), ==, "unknown");
}

void cg_test_add_speaker_tests(void)
{
    g_test_add_func("/speaker/first-voice", test_first_voice_takes_the_floor);
    g_test_add_func("/speaker/hold", test_hold_through_pauses);
    g_test_add_func("/speaker/barge-in", test_barge_in);
    g_test_add_func("/speaker/stale", test_stale_levels_do_not_count);
    g_test_add_func("/speaker/forget", test_forget);
    g_test_add_func("/link-quality", test_link_quality);
}
