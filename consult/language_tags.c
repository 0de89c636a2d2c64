/* language_tags.c — the BCP 47 subset of language_tags.h. */
#include "language_tags.h"

#include <string.h>

static gboolean all_of(const char *s, gsize len, gboolean (*is)(gchar))
{
    for (gsize i = 0; i < len; i++)
        if (!is(s[i]))
            return FALSE;
    return TRUE;
}

/* g_ascii_is* are macros; these are their function forms for all_of(). */
static gboolean is_alpha(gchar c)
{
    return g_ascii_isalpha(c);
}

static gboolean is_digit(gchar c)
{
    return g_ascii_isdigit(c);
}

static gboolean is_alnum(gchar c)
{
    return g_ascii_isalnum(c);
}

typedef enum { AFTER_LANGUAGE, AFTER_SCRIPT, AFTER_REGION, AFTER_VARIANT } Stage;

static gboolean is_script(const char *s, gsize len)
{
    return len == 4 && all_of(s, len, is_alpha);
}

static gboolean is_region(const char *s, gsize len)
{
    return (len == 2 && all_of(s, len, is_alpha)) || (len == 3 && all_of(s, len, is_digit));
}

static gboolean is_variant(const char *s, gsize len)
{
    return (len >= 5 && len <= 8 && all_of(s, len, is_alnum)) ||
           (len == 4 && g_ascii_isdigit(s[0]) && all_of(s, len, is_alnum));
}

/* One subtag after the primary language: the next stage, or FALSE. */
static gboolean next_stage(const char *s, gsize len, Stage *stage)
{
    if (*stage == AFTER_LANGUAGE && is_script(s, len)) {
        *stage = AFTER_SCRIPT;
        return TRUE;
    }
    if (*stage <= AFTER_SCRIPT && is_region(s, len)) {
        *stage = AFTER_REGION;
        return TRUE;
    }
    if (is_variant(s, len)) {
        *stage = AFTER_VARIANT;
        return TRUE;
    }
    return FALSE;
}

gboolean cg_language_tag_valid(const char *tag)
{
    if (tag == NULL)
        return FALSE;
    gsize total = strnlen(tag, CG_LANGUAGE_TAG_MAX + 1);
    if (total == 0 || total > CG_LANGUAGE_TAG_MAX)
        return FALSE;
    const char *end = tag + total;
    const char *dash = memchr(tag, '-', total);
    gsize len = dash ? (gsize)(dash - tag) : total;
    if (len < 2 || len > 3 || !all_of(tag, len, is_alpha))
        return FALSE;
    Stage stage = AFTER_LANGUAGE;
    for (const char *s = dash; s; s = dash) {
        s++; /* past the '-' */
        dash = memchr(s, '-', (gsize)(end - s));
        len = dash ? (gsize)(dash - s) : (gsize)(end - s);
        if (len == 0 || !next_stage(s, len, &stage)) /* "--", a trailing '-', or out of order */
            return FALSE;
    }
    return TRUE;
}

char *cg_language_tag_normalize(const char *tag)
{
    return tag ? g_ascii_strdown(tag, -1) : NULL;
}

gboolean cg_language_tag_equal(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return g_ascii_strcasecmp(a, b) == 0;
}

gint cg_language_tag_index(const char *const *tags, const char *tag)
{
    for (gint i = 0; tags && tags[i]; i++)
        if (cg_language_tag_equal(tags[i], tag))
            return i;
    return -1;
}
