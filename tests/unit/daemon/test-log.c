/* test-log.c — daemon/log: every line is one valid JSON object, escaping,
 * field mapping, level filtering, lines intact under concurrent writers, and
 * a caller never waits for an output nobody reads. */
#include "log.h"
#include "test-daemon-util.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* 2026-11-22T10:00:00.123456Z */
#define T_2026_11_22 (1795341600LL * G_USEC_PER_SEC + 123456)

typedef struct {
    FILE *f;
    char *buf;
    size_t size;
} Capture;

static void capture_begin(Capture *c, const char *level)
{
    c->buf = NULL;
    c->size = 0;
    c->f = open_memstream(&c->buf, &c->size);
    g_assert_nonnull(c->f);
    cg_log_init(level);
    cg_log_set_stream(c->f);
}

/* Returns the captured lines (transfer full); restores stderr and "warning". */
static char **capture_end(Capture *c)
{
    cg_log_set_stream(NULL);
    cg_log_init("warning");
    fclose(c->f);
    char **lines = g_strsplit(c->buf, "\n", -1);
    /* The text ends with "\n": drop the empty piece after it. */
    guint n = g_strv_length(lines);
    g_assert_cmpuint(n, >=, 1);
    g_assert_cmpstr(lines[n - 1], ==, "");
    g_clear_pointer(&lines[n - 1], g_free);
    free(c->buf);
    return lines;
}

static json_t *parse_line(const char *line, size_t flags)
{
    json_error_t jerr;
    json_t *obj = json_loads(line, flags | JSON_REJECT_DUPLICATES, &jerr);
    if (obj == NULL)
        g_error("not JSON (%s): %s", jerr.text, line);
    g_assert_true(json_is_object(obj));
    return obj;
}

static const char *get_str(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static void test_format_fields(void)
{
    const GLogField fields[] = {
        {"GLIB_OLD_LOG_API", "1", -1},
        {"MESSAGE", "consult opened", -1},
        {"PRIORITY", "6", -1},
        {"GLIB_DOMAIN", "cg-signaling", -1},
        {"CODE_FILE", "room.c", -1},
        {"CODE_LINE", "42", -1},
        {"CODE_FUNC", "room_open", -1},
        {"CONSULT_ID", "c-7", -1},
        {"_PID", "1", -1},
        {"MSG", "collides with msg", -1},
        {"Tenant", "demo", 4},
    };
    g_autofree char *line =
        cg_log_format_line(G_LOG_LEVEL_INFO, fields, G_N_ELEMENTS(fields), T_2026_11_22);

    g_assert_true(g_str_has_suffix(line, "}\n"));
    g_assert_true(strchr(line, '\n') == line + strlen(line) - 1);
    json_t *obj = parse_line(line, 0);
    g_assert_cmpstr(get_str(obj, "ts"), ==, "2026-11-22T10:00:00.123Z");
    g_assert_cmpstr(get_str(obj, "level"), ==, "info");
    g_assert_cmpstr(get_str(obj, "domain"), ==, "cg-signaling");
    g_assert_cmpstr(get_str(obj, "msg"), ==, "consult opened");
    g_assert_cmpstr(get_str(obj, "consult_id"), ==, "c-7");
    g_assert_cmpstr(get_str(obj, "tenant"), ==, "demo");
    /* ts, level, domain, msg, consult_id, tenant: nothing else. */
    g_assert_cmpuint(json_object_size(obj), ==, 6);
    /* The fixed keys come first, in this order. */
    g_assert_true(g_str_has_prefix(line, "{\"ts\":\"2026-11-22T10:00:00.123Z\",\"level\":\"info\","
                                         "\"domain\":\"cg-signaling\",\"msg\":\"consult opened\""));
    json_decref(obj);
}

static void test_format_levels(void)
{
    const struct {
        GLogLevelFlags level;
        const char *label;
    } cases[] = {
        {G_LOG_LEVEL_DEBUG, "debug"},       {G_LOG_LEVEL_INFO, "info"},
        {G_LOG_LEVEL_MESSAGE, "info"},      {G_LOG_LEVEL_WARNING, "warning"},
        {G_LOG_LEVEL_CRITICAL, "critical"}, {G_LOG_LEVEL_ERROR | G_LOG_FLAG_FATAL, "error"},
    };
    const GLogField fields[] = {{"MESSAGE", "m", -1}};
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *line = cg_log_format_line(cases[i].level, fields, 1, 0);
        json_t *obj = parse_line(line, 0);
        g_assert_cmpstr(get_str(obj, "level"), ==, cases[i].label);
        g_assert_cmpstr(get_str(obj, "ts"), ==, "1970-01-01T00:00:00.000Z");
        /* No GLIB_DOMAIN field: no "domain" key. */
        g_assert_null(json_object_get(obj, "domain"));
        json_decref(obj);
    }
}

static void test_format_escaping(void)
{
    /* Quotes, backslash, newline, CR, tab, other control characters, DEL,
     * valid multibyte UTF-8, a stray continuation byte, an invalid lead
     * byte, an encoded surrogate and a truncated sequence at the end. */
    const char *msg =
        "say \"hi\"\\ line1\nline2\r\t\x01\x1f\x7f é€😀 \x80 \xff \xed\xa0\x80 \xe2\x82";
    const char *expected =
        "say \"hi\"\\ line1\nline2\r\t\x01\x1f\x7f é€😀 \xef\xbf\xbd \xef\xbf\xbd "
        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd";
    const char bin[] = {'a', '\0', 'b', '"'};
    const GLogField fields[] = {
        {"MESSAGE", msg, -1},
        {"GLIB_DOMAIN", "dom\"ain\n", -1},
        {"BLOB", bin, sizeof bin},
        {"KEY\"WITH\nODD", "v", -1},
    };
    g_autofree char *line = cg_log_format_line(G_LOG_LEVEL_WARNING, fields, 4, T_2026_11_22);

    /* One line: the only newline is the terminator; the output is UTF-8. */
    g_assert_true(strchr(line, '\n') == line + strlen(line) - 1);
    g_assert_true(g_utf8_validate(line, -1, NULL));

    json_t *obj = parse_line(line, JSON_ALLOW_NUL);
    g_assert_cmpstr(get_str(obj, "msg"), ==, expected);
    g_assert_cmpstr(get_str(obj, "domain"), ==, "dom\"ain\n");
    json_t *blob = json_object_get(obj, "blob");
    g_assert_true(json_is_string(blob));
    g_assert_cmpmem(json_string_value(blob), json_string_length(blob), bin, sizeof bin);
    g_assert_cmpstr(get_str(obj, "key\"with\nodd"), ==, "v");
    json_decref(obj);
}

static void test_level_valid(void)
{
    g_assert_true(cg_log_level_valid("debug"));
    g_assert_true(cg_log_level_valid("info"));
    g_assert_true(cg_log_level_valid("warning"));
    g_assert_true(cg_log_level_valid("error"));
    g_assert_false(cg_log_level_valid(NULL));
    g_assert_false(cg_log_level_valid(""));
    g_assert_false(cg_log_level_valid("INFO"));
    g_assert_false(cg_log_level_valid("critical"));
    g_assert_false(cg_log_level_valid("warn"));
}

/* Logs one record at each level; returns the "level" of each written line,
 * joined by spaces. */
static char *levels_written(const char *threshold)
{
    Capture c;
    capture_begin(&c, threshold);
    g_log("cg-test", G_LOG_LEVEL_DEBUG, "d");
    g_log("cg-test", G_LOG_LEVEL_INFO, "i");
    g_log("cg-test", G_LOG_LEVEL_MESSAGE, "m");
    g_log("cg-test", G_LOG_LEVEL_WARNING, "w");
    g_log("cg-test", G_LOG_LEVEL_CRITICAL, "c");
    g_auto(GStrv) lines = capture_end(&c);

    GString *out = g_string_new(NULL);
    for (guint i = 0; lines[i] != NULL; i++) {
        json_t *obj = parse_line(lines[i], 0);
        g_assert_cmpstr(get_str(obj, "domain"), ==, "cg-test");
        g_string_append_printf(out, "%s%s:%s", i ? " " : "", get_str(obj, "level"),
                               get_str(obj, "msg"));
        json_decref(obj);
    }
    return g_string_free(out, FALSE);
}

static void test_level_filter(void)
{
    g_autofree char *d = levels_written("debug");
    g_autofree char *i = levels_written("info");
    g_autofree char *w = levels_written("warning");
    g_autofree char *e = levels_written("error");
    g_autofree char *bad = levels_written("loud");
    g_assert_cmpstr(d, ==, "debug:d info:i info:m warning:w critical:c");
    g_assert_cmpstr(i, ==, "info:i info:m warning:w critical:c");
    g_assert_cmpstr(w, ==, "warning:w critical:c");
    g_assert_cmpstr(e, ==, "critical:c");
    g_assert_cmpstr(bad, ==, "info:i info:m warning:w critical:c"); /* invalid -> info */

    cg_log_init("warning");
    g_assert_false(cg_log_level_enabled(G_LOG_LEVEL_MESSAGE));
    g_assert_true(cg_log_level_enabled(G_LOG_LEVEL_CRITICAL));
}

static void test_structured_through_writer(void)
{
    Capture c;
    capture_begin(&c, "info");
    g_log_structured("cg-test", G_LOG_LEVEL_INFO, "CONSULT_ID", "c-9", "ENDPOINT", "9.2", "MESSAGE",
                     "admitted %d of %s", 3, "\"many\"");
    g_auto(GStrv) lines = capture_end(&c);

    g_assert_cmpuint(g_strv_length(lines), ==, 1);
    json_t *obj = parse_line(lines[0], 0);
    g_assert_cmpstr(get_str(obj, "msg"), ==, "admitted 3 of \"many\"");
    g_assert_cmpstr(get_str(obj, "consult_id"), ==, "c-9");
    g_assert_cmpstr(get_str(obj, "endpoint"), ==, "9.2");
    g_assert_null(json_object_get(obj, "code_file"));
    g_assert_null(json_object_get(obj, "priority"));
    /* The timestamp is now, to the millisecond, in UTC. */
    const char *ts = get_str(obj, "ts");
    g_assert_nonnull(ts);
    g_autoptr(GDateTime) when = g_date_time_new_from_iso8601(ts, NULL);
    g_assert_nonnull(when);
    gint64 age_s = g_get_real_time() / G_USEC_PER_SEC - g_date_time_to_unix(when);
    g_assert_cmpint(age_s, >=, 0);
    g_assert_cmpint(age_s, <, 60);
    json_decref(obj);
}

#define N_THREADS 4
#define N_PER_THREAD 250

static gpointer log_many(gpointer data)
{
    guint id = GPOINTER_TO_UINT(data);
    /* Long enough that an unlocked writer would interleave. */
    g_autofree char *pad = g_strnfill(2000, 'x');
    for (guint i = 0; i < N_PER_THREAD; i++)
        g_log("cg-test", G_LOG_LEVEL_INFO, "t%u n%u %s", id, i, pad);
    return NULL;
}

static void test_concurrent_lines(void)
{
    Capture c;
    capture_begin(&c, "info");
    GThread *threads[N_THREADS];
    for (guint t = 0; t < N_THREADS; t++)
        threads[t] = g_thread_new("logger", log_many, GUINT_TO_POINTER(t));
    for (guint t = 0; t < N_THREADS; t++)
        g_thread_join(threads[t]);
    g_auto(GStrv) lines = capture_end(&c);

    g_assert_cmpuint(g_strv_length(lines), ==, N_THREADS * N_PER_THREAD);
    guint next[N_THREADS] = {0};
    for (guint i = 0; lines[i] != NULL; i++) {
        json_t *obj = parse_line(lines[i], 0);
        guint t = 0, n = 0;
        g_assert_cmpint(sscanf(get_str(obj, "msg"), "t%u n%u", &t, &n), ==, 2);
        g_assert_cmpuint(t, <, N_THREADS);
        g_assert_cmpuint(n, ==, next[t]); /* each thread's lines in order */
        next[t]++;
        json_decref(obj);
    }
}

/* ---- an output nobody reads --------------------------------------------- */

#define N_BLOCKED 30000

typedef struct {
    GMutex lock;
    GCond cond;
    gboolean done;
} Watch;

/* Fails the test (rather than letting it hang until CTest's timeout) if the
 * logging loop has not returned in 60 s: it is waiting for the pipe. */
static gpointer watchdog(gpointer data)
{
    Watch *w = data;
    gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
    g_mutex_lock(&w->lock);
    while (!w->done)
        if (!g_cond_wait_until(&w->cond, &w->lock, deadline)) {
            /* not through GLib's log: that is what is stuck */
            static const char msg[] = "FAIL: logging waited for a pipe nobody reads\n";
            if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0)
                abort();
            abort();
        }
    g_mutex_unlock(&w->lock);
    return NULL;
}

static gpointer drain(gpointer data)
{
    int fd = GPOINTER_TO_INT(data);
    GString *all = g_string_new(NULL);
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        g_string_append_len(all, buf, n);
    return g_string_free(all, FALSE);
}

static void test_unread_output_never_blocks(void)
{
    int fds[2];
    g_assert_cmpint(pipe(fds), ==, 0);
    FILE *w = fdopen(fds[1], "w");
    g_assert_nonnull(w);
    cg_log_init("info");
    cg_log_set_stream(w);

    /* ~9 MB of lines into a 64 KiB pipe that is not read yet */
    Watch watch = {.done = FALSE};
    GThread *dog = g_thread_new("watchdog", watchdog, &watch);
    g_autofree char *pad = g_strnfill(280, 'y');
    for (guint i = 0; i < N_BLOCKED; i++)
        g_log("cg-test", G_LOG_LEVEL_INFO, "n%u %s", i, pad);
    g_mutex_lock(&watch.lock);
    watch.done = TRUE;
    g_cond_signal(&watch.cond);
    g_mutex_unlock(&watch.lock);
    g_thread_join(dog);

    /* Now read: what was kept comes out in order, then how much was not. */
    GThread *reader = g_thread_new("reader", drain, GINT_TO_POINTER(fds[0]));
    cg_log_flush();
    g_log("cg-test", G_LOG_LEVEL_INFO, "after"); /* an emptied queue takes lines again */
    cg_log_set_stream(NULL);                     /* writes what is queued */
    cg_log_init("warning");
    fclose(w);
    g_autofree char *text = g_thread_join(reader);
    close(fds[0]);

    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    guint kept = 0, last = 0, dropped = 0;
    gboolean after = FALSE;
    for (guint i = 0; lines[i] && lines[i][0]; i++) {
        json_t *obj = parse_line(lines[i], 0);
        const char *msg = get_str(obj, "msg");
        guint n = 0;
        if (sscanf(msg, "n%u ", &n) == 1) {
            g_assert_true(kept == 0 || n > last); /* in order */
            last = n;
            kept++;
        } else if (strstr(msg, "log lines dropped")) {
            g_assert_cmpstr(get_str(obj, "level"), ==, "warning");
            dropped += (guint)json_integer_value(json_object_get(obj, "dropped"));
        } else {
            g_assert_cmpstr(msg, ==, "after");
            after = TRUE;
        }
        json_decref(obj);
    }
    g_test_message("%u lines kept, %u dropped, last n%u", kept, dropped, last);
    g_assert_cmpuint(kept, >, 0);
    g_assert_cmpuint(dropped, >, 0);
    g_assert_cmpuint(kept + dropped, ==, N_BLOCKED);
    g_assert_true(after);
}

void cg_test_add_log_tests(void)
{
    g_test_add_func("/daemon/log/format-fields", test_format_fields);
    g_test_add_func("/daemon/log/format-levels", test_format_levels);
    g_test_add_func("/daemon/log/format-escaping", test_format_escaping);
    g_test_add_func("/daemon/log/level-valid", test_level_valid);
    g_test_add_func("/daemon/log/level-filter", test_level_filter);
    g_test_add_func("/daemon/log/structured-through-writer", test_structured_through_writer);
    g_test_add_func("/daemon/log/concurrent-lines", test_concurrent_lines);
    g_test_add_func("/daemon/log/unread-output-never-blocks", test_unread_output_never_blocks);
}
