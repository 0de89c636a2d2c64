/* log_sink.c — see log_sink.h. One mutex guards the queue and the stream;
 * the writer takes every queued line at once and writes them outside it. */
#include "log_sink.h"

#include <string.h>

static GMutex lock;
static GCond changed;           /* a line was queued, or a batch was written */
static GQueue lines;            /* char *, oldest first */
static gsize queued_bytes;      /* of the lines in the queue */
static guint dropped;           /* since the last line written */
static guint64 pushed, written; /* lines, counted to let flush wait for its own */
static FILE *stream;            /* NULL: stderr */
static GThread *writer;

static void write_batch(FILE *to, GQueue *batch, guint lost)
{
    if (lost > 0) {
        /* The same shape as log.c's lines, without its formatter: the line
         * has no peer data to escape. */
        GDateTime *now = g_date_time_new_now_utc();
        g_autofree char *ts = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S");
        fprintf(to,
                "{\"ts\":\"%s.%03dZ\",\"level\":\"warning\",\"domain\":\"cg-daemon\","
                "\"msg\":\"%u log lines dropped: the log output was not read fast enough\","
                "\"dropped\":%u}\n",
                ts, g_date_time_get_microsecond(now) / 1000, lost, lost);
        g_date_time_unref(now);
    }
    char *line;
    while ((line = g_queue_pop_head(batch)) != NULL) {
        fputs(line, to);
        g_free(line);
    }
    fflush(to);
}

static gpointer writer_main(gpointer data)
{
    (void)data;
    g_mutex_lock(&lock);
    for (;;) {
        while (g_queue_is_empty(&lines) && dropped == 0)
            g_cond_wait(&changed, &lock);
        GQueue batch = lines;
        guint n = batch.length, lost = dropped;
        g_queue_init(&lines);
        queued_bytes = 0;
        dropped = 0;
        FILE *to = stream ? stream : stderr;
        g_mutex_unlock(&lock);
        write_batch(to, &batch, lost);
        g_mutex_lock(&lock);
        written += n + lost;
        g_cond_broadcast(&changed);
    }
    return NULL;
}

void cg_log_sink_push(char *line)
{
    gsize len = strlen(line);
    g_mutex_lock(&lock);
    if (!writer)
        writer = g_thread_new("cg-log", writer_main, NULL);
    pushed++;
    if (queued_bytes + len > CG_LOG_SINK_MAX_BYTES) {
        dropped++;
        g_free(line);
    } else {
        g_queue_push_tail(&lines, line);
        queued_bytes += len;
    }
    g_cond_broadcast(&changed);
    g_mutex_unlock(&lock);
}

void cg_log_sink_flush(void)
{
    /* Bounded: an output that is never read must not hold up an exit. */
    gint64 deadline = g_get_monotonic_time() + CG_LOG_SINK_FLUSH_TIMEOUT_US;
    g_mutex_lock(&lock);
    guint64 target = pushed;
    while (writer && written < target)
        if (!g_cond_wait_until(&changed, &lock, deadline))
            break;
    g_mutex_unlock(&lock);
}

void cg_log_sink_set_stream(FILE *to)
{
    cg_log_sink_flush();
    g_mutex_lock(&lock);
    stream = to;
    g_mutex_unlock(&lock);
}
