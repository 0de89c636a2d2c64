/* log_sink.h — where log.c's lines go: a bounded queue and one writer thread.
 *
 * Why: consultd's main thread forwards every consult's media, and its log
 * output is a pipe (journald, a terminal) that may stop being read. A write
 * into a full pipe would stop the main thread; pushing here never waits for
 * the output. Lines wait in a queue of at most CG_LOG_SINK_MAX_BYTES; past
 * that they are dropped and counted, and the writer says how many (one
 * "log lines dropped" warning) once it writes again. Order is kept.
 *
 * Any thread. The writer thread starts with the first push.
 */
#pragma once

#include <glib.h>
#include <stdio.h>

#define CG_LOG_SINK_MAX_BYTES (4u * 1024 * 1024)
#define CG_LOG_SINK_FLUSH_TIMEOUT_US (5 * G_USEC_PER_SEC)

/* Queues @line (transfer full, ends in "\n"), or drops it if the queue is
 * full. */
void cg_log_sink_push(char *line);
/* Returns once every line pushed before the call is written (or dropped),
 * or after CG_LOG_SINK_FLUSH_TIMEOUT_US if the output is not read. Used at
 * exit, before a fatal error and before the stream changes. */
void cg_log_sink_flush(void);
/* Writes to @stream (transfer none; must outlive its use) from now on, or to
 * stderr with NULL; lines queued before are written to the old stream. */
void cg_log_sink_set_stream(FILE *stream);
