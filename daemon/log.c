/* log.c — JSON-lines GLib log writer. See log.h. */
#ifndef G_LOG_DOMAIN
#define G_LOG_DOMAIN "cg-daemon"
#endif

#include "log.h"
#include "log_sink.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Severity ranks used for filtering; higher is more severe. */
enum { RANK_DEBUG, RANK_INFO, RANK_WARNING, RANK_ERROR };

static const char *const rank_names[] = {"debug", "info", "warning", "error"};

static gint threshold = RANK_INFO; /* atomic */

static int level_rank(GLogLevelFlags log_level)
{
    if (log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
        return RANK_ERROR;
    if (log_level & G_LOG_LEVEL_WARNING)
        return RANK_WARNING;
    if (log_level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
        return RANK_INFO;
    return RANK_DEBUG; /* G_LOG_LEVEL_DEBUG and user-defined levels */
}

static const char *level_label(GLogLevelFlags log_level)
{
    if (log_level & G_LOG_LEVEL_ERROR)
        return "error";
    if (log_level & G_LOG_LEVEL_CRITICAL)
        return "critical";
    return rank_names[level_rank(log_level)];
}

static int rank_from_name(const char *level)
{
    if (level == NULL)
        return -1;
    for (guint i = 0; i < G_N_ELEMENTS(rank_names); i++) {
        if (strcmp(level, rank_names[i]) == 0)
            return (int)i;
    }
    return -1;
}

gboolean cg_log_level_valid(const char *level)
{
    return rank_from_name(level) >= 0;
}

gboolean cg_log_level_enabled(GLogLevelFlags log_level)
{
    return level_rank(log_level) >= g_atomic_int_get(&threshold);
}

/* Appends @len bytes of @s as the body of a JSON string (no quotes). Invalid
 * UTF-8 (including surrogates and truncated sequences) becomes U+FFFD, one per
 * offending byte, so the output is always valid JSON. */
static void append_json_chars(GString *out, const char *s, gsize len)
{
    const guchar *p = (const guchar *)s;
    const guchar *end = p + len;

    while (p < end) {
        guchar c = *p;
        if (c < 0x80) {
            switch (c) {
            case '"':
                g_string_append(out, "\\\"");
                break;
            case '\\':
                g_string_append(out, "\\\\");
                break;
            case '\n':
                g_string_append(out, "\\n");
                break;
            case '\r':
                g_string_append(out, "\\r");
                break;
            case '\t':
                g_string_append(out, "\\t");
                break;
            case '\b':
                g_string_append(out, "\\b");
                break;
            case '\f':
                g_string_append(out, "\\f");
                break;
            default:
                if (c < 0x20 || c == 0x7f)
                    g_string_append_printf(out, "\\u%04x", c);
                else
                    g_string_append_c(out, (char)c);
            }
            p++;
            continue;
        }
        gunichar uc = g_utf8_get_char_validated((const char *)p, (gssize)(end - p));
        if (uc == (gunichar)-1 || uc == (gunichar)-2 || !g_unichar_validate(uc)) {
            g_string_append(out, "\\ufffd");
            p++;
            continue;
        }
        gsize n = (gsize)(g_utf8_next_char(p) - (const char *)p);
        g_string_append_len(out, (const char *)p, (gssize)n);
        p += n;
    }
}

static void append_json_string(GString *out, const char *s, gssize len)
{
    g_string_append_c(out, '"');
    append_json_chars(out, s, len < 0 ? strlen(s) : (gsize)len);
    g_string_append_c(out, '"');
}

/* Decimal integers (ports, counts, milliseconds) go out as JSON numbers so
 * log processors can compare them; anything else stays a string. */
static gboolean is_json_integer(gconstpointer value, gssize length)
{
    const char *text = value;
    gsize len = length < 0 ? strlen(text) : (gsize)length;
    if (len == 0 || len > 15 || (len > 1 && text[0] == '0'))
        return FALSE;
    for (gsize i = 0; i < len; i++)
        if (!g_ascii_isdigit(text[i]))
            return FALSE;
    return TRUE;
}

static void append_field_value(GString *out, const GLogField *f)
{
    if (f->value == NULL)
        append_json_string(out, "", 0);
    else if (is_json_integer(f->value, f->length))
        g_string_append_len(out, f->value, f->length < 0 ? (gssize)strlen(f->value) : f->length);
    else
        append_json_string(out, f->value, f->length);
}

static gboolean key_is_dropped(const char *key)
{
    static const char *const dropped[] = {"MESSAGE",         "GLIB_DOMAIN", "PRIORITY",
                                          "CODE_FILE",       "CODE_LINE",   "CODE_FUNC",
                                          "GLIB_OLD_LOG_API"};
    if (key == NULL || key[0] == '\0' || key[0] == '_')
        return TRUE;
    for (guint i = 0; i < G_N_ELEMENTS(dropped); i++) {
        if (strcmp(key, dropped[i]) == 0)
            return TRUE;
    }
    return FALSE;
}

/* Extra fields go out lowercased; those that would collide with a fixed key
 * are dropped so that every line has unique keys. */
static void append_extra_field(GString *out, const GLogField *f)
{
    if (key_is_dropped(f->key))
        return;
    g_autofree char *key = g_ascii_strdown(f->key, -1);
    if (strcmp(key, "ts") == 0 || strcmp(key, "level") == 0 || strcmp(key, "domain") == 0 ||
        strcmp(key, "msg") == 0)
        return;
    g_string_append_c(out, ',');
    append_json_string(out, key, -1);
    g_string_append_c(out, ':');
    append_field_value(out, f);
}

static void append_timestamp(GString *out, gint64 now_us)
{
    time_t secs = (time_t)(now_us / G_USEC_PER_SEC);
    int ms = (int)((now_us % G_USEC_PER_SEC) / 1000);
    if (ms < 0) { /* before 1970: keep the fraction positive */
        secs -= 1;
        ms += 1000;
    }
    struct tm tm;
    char buf[32] = "1970-01-01T00:00:00";
    if (gmtime_r(&secs, &tm) != NULL)
        strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    g_string_append_printf(out, "\"%s.%03dZ\"", buf, ms);
}

char *cg_log_format_line(GLogLevelFlags log_level, const GLogField *fields, gsize n_fields,
                         gint64 now_us)
{
    const GLogField *message = NULL;
    const GLogField *domain = NULL;

    for (gsize i = 0; i < n_fields; i++) {
        if (fields[i].key == NULL)
            continue;
        if (strcmp(fields[i].key, "MESSAGE") == 0)
            message = &fields[i];
        else if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0)
            domain = &fields[i];
    }

    GString *out = g_string_sized_new(256);
    g_string_append(out, "{\"ts\":");
    append_timestamp(out, now_us);
    g_string_append_printf(out, ",\"level\":\"%s\"", level_label(log_level));
    if (domain != NULL && domain->value != NULL) {
        g_string_append(out, ",\"domain\":");
        append_field_value(out, domain);
    }
    g_string_append(out, ",\"msg\":");
    if (message != NULL)
        append_field_value(out, message);
    else
        g_string_append(out, "\"\"");
    for (gsize i = 0; i < n_fields; i++)
        append_extra_field(out, &fields[i]);
    g_string_append(out, "}\n");
    return g_string_free(out, FALSE);
}

static GLogWriterOutput json_writer(GLogLevelFlags log_level, const GLogField *fields,
                                    gsize n_fields, gpointer user_data)
{
    (void)user_data;
    if (!cg_log_level_enabled(log_level))
        return G_LOG_WRITER_HANDLED;

    /* Queued, never written here: the caller may be the media thread. */
    cg_log_sink_push(cg_log_format_line(log_level, fields, n_fields, g_get_real_time()));
    if (log_level & G_LOG_LEVEL_ERROR)
        cg_log_sink_flush(); /* GLib aborts next */
    return G_LOG_WRITER_HANDLED;
}

void cg_log_init(const char *level)
{
    static gsize installed = 0;

    int rank = rank_from_name(level);
    g_atomic_int_set(&threshold, rank >= 0 ? rank : RANK_INFO);

    /* g_log_set_writer_func() may only be called once per process. */
    if (g_once_init_enter(&installed)) {
        g_log_set_writer_func(json_writer, NULL, NULL);
        atexit(cg_log_flush);
        g_once_init_leave(&installed, 1);
    }
}

void cg_log_set_stream(FILE *stream)
{
    cg_log_sink_set_stream(stream);
}

void cg_log_flush(void)
{
    cg_log_sink_flush();
}
