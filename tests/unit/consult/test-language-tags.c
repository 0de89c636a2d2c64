/* test-language-tags.c — the BCP 47 subset of consult/language_tags.c. */
#include "language_tags.h"

static void test_valid_table(void)
{
    static const struct {
        const char *tag;
        gboolean valid;
    } cases[] = {
        /* primary language */
        {"es", TRUE},
        {"ar", TRUE},
        {"yue", TRUE},
        {"EN", TRUE},
        {"e", FALSE},
        {"engl", FALSE},
        {"", FALSE},
        {"e1", FALSE},
        {"12", FALSE},
        /* script, region, variants, in that order */
        {"zh-Hant", TRUE},
        {"zh-Hant-TW", TRUE},
        {"pt-BR", TRUE},
        {"es-419", TRUE},
        {"sr-Latn-RS", TRUE},
        {"de-CH-1996", TRUE},
        {"sl-rozaj-biske", TRUE},
        {"en-US-posix", TRUE},
        {"es-41", FALSE},           /* 2 digits: a region is 2 letters or 3 digits */
        {"es-4190", TRUE},          /* digit + 3: a variant, by the grammar */
        {"pt-BR-Latn", FALSE},      /* script after region */
        {"zh-Hant-Hans", FALSE},    /* two scripts */
        {"en-US-GB", FALSE},        /* two regions */
        {"es-", FALSE},             /* trailing '-' */
        {"-es", FALSE},             /* leading '-' */
        {"es--ES", FALSE},          /* empty subtag */
        {"es_ES", FALSE},           /* '_' is not BCP 47 */
        {"es ES", FALSE},           /* spaces */
        {"es-ES-abcdefghi", FALSE}, /* variant of 9 */
        {"en-a-bbb", FALSE},        /* extensions: refused (labels every client can name) */
        {"x-klingon", FALSE},       /* private use */
        {"i-klingon", FALSE},       /* grandfathered */
        {"zh-yue", FALSE},          /* extlang */
        {"es\xc3\xb1", FALSE},      /* non-ASCII */
        {"<b>es</b>", FALSE},
        /* length: 35 bytes at most */
        {"deu-1996-abcdefgh-abcdefgh-abcdefgh", TRUE},
        {"deu-1996-abcdefgh-abcdefgh-abcdefgh-12345", FALSE},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_test_message("%s", cases[i].tag);
        g_assert_cmpint(cg_language_tag_valid(cases[i].tag), ==, cases[i].valid);
    }
    g_assert_false(cg_language_tag_valid(NULL));
    g_autofree char *huge = g_strnfill(100000, 'a');
    g_assert_false(cg_language_tag_valid(huge));
}

static void test_normalize_and_compare(void)
{
    g_autofree char *n = cg_language_tag_normalize("zh-Hant-TW");
    g_assert_cmpstr(n, ==, "zh-hant-tw");
    g_assert_null(cg_language_tag_normalize(NULL));
    g_assert_true(cg_language_tag_equal("pt-BR", "PT-br"));
    g_assert_false(cg_language_tag_equal("pt-BR", "pt"));
    g_assert_true(cg_language_tag_equal(NULL, NULL));
    g_assert_false(cg_language_tag_equal("es", NULL));
    const char *const tags[] = {"es", "ar", "pt-br", NULL};
    g_assert_cmpint(cg_language_tag_index(tags, "AR"), ==, 1);
    g_assert_cmpint(cg_language_tag_index(tags, "pt-BR"), ==, 2);
    g_assert_cmpint(cg_language_tag_index(tags, "en"), ==, -1);
    g_assert_cmpint(cg_language_tag_index(NULL, "en"), ==, -1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/language-tags/valid", test_valid_table);
    g_test_add_func("/language-tags/normalize-compare", test_normalize_and_compare);
    return g_test_run();
}
