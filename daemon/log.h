/* log.h — consultd's log sink: one JSON object a line on stderr.
 *
 * cg_log_init() installs a GLib structured-log writer (g_log_set_writer_func)
 * for the whole process, so g_debug/g_info/g_message/g_warning/g_critical and
 * g_log_structured() from every library on the GLib log API end up here. Each
 * record becomes exactly one line:
 *
 *   {"ts":"2026-11-22T10:00:00.123Z","level":"info","domain":"cg-signaling","msg":"..."}
 *
 * followed by the record's other fields, keys lowercased ("CONSULT_ID" ->
 * "consult_id"). PRIORITY, CODE_FILE/CODE_LINE/CODE_FUNC, GLIB_OLD_LOG_API and
 * "_"-prefixed keys are dropped; an extra field named like a fixed key
 * (ts/level/domain/msg) is dropped rather than written twice. "domain" is left
 * out when the record has none. Values are JSON strings: control characters
 * and quotes are escaped, invalid UTF-8 is replaced by U+FFFD, so every line
 * parses as JSON whatever a peer managed to get into a message.
 *
 * Levels: "debug" < "info" < "warning" < "error". G_LOG_LEVEL_MESSAGE is
 * written and filtered as "info"; G_LOG_LEVEL_CRITICAL is filtered as "error"
 * and written as "critical"; G_LOG_LEVEL_ERROR is "error".
 *
 * Threads: the writer may be called from any thread (GStreamer, libnice); a
 * line is formatted by the caller and queued (log_sink.h): one writer thread
 * writes the lines in order, whole, so they never interleave, and a caller
 * never waits for the output (past 4 MiB waiting, lines are dropped and
 * counted). cg_log_init() and cg_log_set_stream() may be called again at any
 * time (the writer is installed once); what is queued is written at exit.
 */
#pragma once

#include <glib.h>
#include <stdio.h>

G_BEGIN_DECLS

/* TRUE if @level is one of "debug", "info", "warning", "error". */
gboolean cg_log_level_valid(const char *level);

/* Installs the JSON writer (once per process) and sets the least severe level
 * written. @level NULL or invalid means "info". */
void cg_log_init(const char *level);

/* Redirects output to @stream (transfer none; must outlive its use), or back to
 * stderr with NULL, after writing what is queued. For tests. */
void cg_log_set_stream(FILE *stream);

/* Returns once what was logged before is written (at most 5 s when the
 * output is not read). Runs at exit too. */
void cg_log_flush(void);

/* TRUE if a record at @log_level would be written with the current level. */
gboolean cg_log_level_enabled(GLogLevelFlags log_level);

/* Formats one record as a JSON line ending in "\n", time @now_us (microseconds
 * since the Unix epoch, UTC). No filtering. Returns (transfer full). */
char *cg_log_format_line(GLogLevelFlags log_level, const GLogField *fields, gsize n_fields,
                         gint64 now_us);

G_END_DECLS
