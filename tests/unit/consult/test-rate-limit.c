/* unit-rate-limit: which addresses share a limit, and how refusals are
 * aggregated (consult/rate_limit.h, consult/refusal_tally.h). */
#include <glib.h>
#include <string.h>

#include "rate_limit.h"
#include "refusal_tally.h"

static void test_keys(void)
{
    static const char *const table[][2] = {
        {"127.0.0.1", "127.0.0.1"},
        {"10.1.2.3", "10.1.2.3"},
        /* An IPv4-mapped IPv6 address is its IPv4 address, in every spelling. */
        {"::ffff:10.1.2.3", "10.1.2.3"},
        {"::FFFF:10.1.2.3", "10.1.2.3"},
        {"::ffff:a01:203", "10.1.2.3"},
        {"0:0:0:0:0:ffff:10.1.2.3", "10.1.2.3"},
        /* IPv6: the /64, whatever the interface identifier. */
        {"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
        {"2001:db8:1:2::1", "2001:db8:1:2::/64"},
        {"2001:DB8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
        {"2001:db8:1:3::1", "2001:db8:1:3::/64"},
        {"::1", "::/64"},
        {"fe80::1", "fe80::/64"},
        /* Not a numeric address: as it is (lws gives numeric ones). */
        {"", ""},
        {"garbage", "garbage"},
    };
    char key[CG_RATE_LIMIT_KEY_MAX];
    for (gsize i = 0; i < G_N_ELEMENTS(table); i++)
        g_assert_cmpstr(cg_rate_limit_key(table[i][0], key), ==, table[i][1]);
    g_assert_cmpstr(cg_rate_limit_key(NULL, key), ==, "");
    /* Overlong text is truncated, never overrun. */
    char long_text[200];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    g_assert_cmpuint(strlen(cg_rate_limit_key(long_text, key)), ==, CG_RATE_LIMIT_KEY_MAX - 1);
}

/* Failures from one /64 (or one IPv4 in either spelling) share one count. */
static void test_limit_grouping(void)
{
    g_autoptr(CgRateLimit) rl = cg_rate_limit_new(3, 60);
    cg_rate_limit_fail(rl, "2001:db8:1:2::1", 100);
    cg_rate_limit_fail(rl, "2001:db8:1:2::2", 100);
    cg_rate_limit_fail(rl, "2001:db8:1:2:aaaa:bbbb:cccc:dddd", 100);
    g_assert_false(cg_rate_limit_allowed(rl, "2001:db8:1:2::99", 101, NULL));
    g_assert_true(cg_rate_limit_allowed(rl, "2001:db8:1:3::1", 101, NULL)); /* next /64 */
    g_assert_cmpuint(cg_rate_limit_size(rl), ==, 1);

    cg_rate_limit_fail(rl, "10.0.0.7", 100);
    cg_rate_limit_fail(rl, "::ffff:10.0.0.7", 100);
    cg_rate_limit_fail(rl, "10.0.0.7", 100);
    g_assert_false(cg_rate_limit_allowed(rl, "::ffff:10.0.0.7", 101, NULL));
    g_assert_false(cg_rate_limit_allowed(rl, "10.0.0.7", 101, NULL));
    g_assert_true(cg_rate_limit_allowed(rl, "10.0.0.8", 101, NULL)); /* IPv4: per address */
    g_assert_cmpuint(cg_rate_limit_size(rl), ==, 2);
}

typedef struct {
    GPtrArray *keys;
    guint total;
} Reports;

static void on_report(const char *key, guint suppressed, gint64 window_start, gpointer user)
{
    Reports *r = user;
    (void)window_start;
    g_ptr_array_add(r->keys, g_strdup(key));
    r->total += suppressed;
}

static void test_tally(void)
{
    Reports r = {g_ptr_array_new_with_free_func(g_free), 0};
    CgRefusalTally *t = cg_refusal_tally_new(2, 60, FALSE, on_report, &r);
    guint reported = 0;
    for (guint i = 0; i < 1000; i++)
        reported += cg_refusal_tally_note(t, i % 2 ? "10.0.0.1" : "::ffff:10.0.0.1", 100);
    g_assert_cmpuint(reported, ==, 2); /* one key: the first two only */
    g_assert_true(cg_refusal_tally_note(t, "2001:db8::1", 100));
    cg_refusal_tally_flush(t, 159); /* windows not over yet */
    g_assert_cmpuint(r.keys->len, ==, 0);
    cg_refusal_tally_flush(t, 160);
    g_assert_cmpuint(r.keys->len, ==, 1); /* one aggregate; the /64 had nothing to add */
    g_assert_cmpstr(r.keys->pdata[0], ==, "10.0.0.1");
    g_assert_cmpuint(r.total, ==, 998);
    g_assert_cmpuint(cg_refusal_tally_size(t), ==, 0);

    /* A new window reports again; a count still open is reported at free. */
    g_assert_true(cg_refusal_tally_note(t, "10.0.0.1", 200));
    g_assert_true(cg_refusal_tally_note(t, "10.0.0.1", 200));
    g_assert_false(cg_refusal_tally_note(t, "10.0.0.1", 201));
    cg_refusal_tally_free(t);
    g_assert_cmpuint(r.keys->len, ==, 2);
    g_assert_cmpuint(r.total, ==, 999);
    g_ptr_array_unref(r.keys);
}

/* Many addresses: the table stays bounded, and nothing counted is lost. */
static void test_tally_bounded(void)
{
    Reports r = {g_ptr_array_new_with_free_func(g_free), 0};
    CgRefusalTally *t = cg_refusal_tally_new(0, 60, FALSE, on_report, &r);
    guint n = CG_RATE_LIMIT_MAX_ADDRESSES + 100;
    for (guint i = 0; i < n; i++) {
        char addr[32];
        g_snprintf(addr, sizeof addr, "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        g_assert_false(cg_refusal_tally_note(t, addr, 100 + i / 1000));
    }
    g_assert_cmpuint(cg_refusal_tally_size(t), <=, CG_RATE_LIMIT_MAX_ADDRESSES);
    cg_refusal_tally_free(t);
    g_assert_cmpuint(r.total, ==, n);
    g_ptr_array_unref(r.keys);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rate-limit/keys", test_keys);
    g_test_add_func("/rate-limit/grouping", test_limit_grouping);
    g_test_add_func("/refusal-tally/aggregate", test_tally);
    g_test_add_func("/refusal-tally/bounded", test_tally_bounded);
    return g_test_run();
}
